"""Reads the repository's Dockerfile into instructions, for tests that check other files
(Kubernetes manifests, compose.yaml) against what the image actually does."""

import itertools
import json

from tests.helpers import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions(text: str | None = None) -> list[tuple[str, str]]:
    """[(KEYWORD, arguments)] with continuation lines joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8") if text is None else text
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).strip().partition(" ")
        out.append((keyword.upper(), args.strip()))
        pending = ""
    return out


def final_stage() -> list[tuple[str, str]]:
    """The instructions of the last stage (the image that ships)."""
    steps = instructions()
    last_from = max(i for i, (kw, _) in enumerate(steps) if kw == "FROM")
    return steps[last_from:]


def stage(name: str) -> list[tuple[str, str]]:
    """The instructions of the stage `FROM ... AS name`, its FROM first."""
    steps = instructions()
    starts = [i for i, (kw, _) in enumerate(steps) if kw == "FROM"] + [len(steps)]
    for start, end in itertools.pairwise(starts):
        if steps[start][1].split()[-1] == name:
            return steps[start:end]
    raise AssertionError(f"Dockerfile: no stage named {name}")


def last(keyword: str, steps=None) -> str:
    matches = [args for kw, args in (steps or final_stage()) if kw == keyword]
    assert matches, f"Dockerfile: no {keyword} in the final stage"
    return matches[-1]


def cmd() -> list[str]:
    """The final stage's CMD, which must be exec form (a JSON array)."""
    return json.loads(last("CMD"))


def option(argv: list[str], name: str) -> str:
    """The value of `--name VALUE` or `--name=VALUE` in argv."""
    for i, arg in enumerate(argv):
        if arg == name:
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"Dockerfile CMD has no {name}: {argv}")


def user() -> tuple[int, int]:
    """(uid, gid) of the final stage's USER, which must be numeric."""
    uid, _, gid = last("USER").partition(":")
    return int(uid), int(gid or uid)


def env(steps=None) -> dict[str, str]:
    """ENV of the final stage, or of `steps` (KEY=VALUE pairs, several per instruction)."""
    found = {}
    for kw, args in steps or final_stage():
        if kw == "ENV":
            for pair in args.split():
                key, _, value = pair.partition("=")
                found[key] = value
    return found
