"""requirements.lock locks the runtime dependencies with hashes, and
requirements-train.lock those plus the train extra (the trainer image's) at the same
versions: the venv the tests run in and the images (see test_container.py) get exactly
these versions, and the images' builds check every file against the locks' hashes."""

import importlib.metadata
import re
import shlex
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.image import _dockerfile as df
from tests.helpers import ROOT

LOCK = ROOT / "requirements.lock"
TRAIN_LOCK = ROOT / "requirements-train.lock"
FIX = "run `make lock`"
SHA256 = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def locked(lock=LOCK) -> list[tuple[str, list[str]]]:
    """[(requirement, [--hash=... options])], one per entry of the lock file, with
    continuation lines joined and comments dropped."""
    entries, pending = [], ""
    for raw in lock.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        line = line.split(" #", 1)[0].rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        words = (pending + line).split()
        pending = ""
        entries.append((" ".join(w for w in words if not w.startswith("--")),
                        [w for w in words if w.startswith("--")]))
    return entries


def pins(lock=LOCK) -> dict[str, str]:
    """{canonical name: version} from the lock file (its `name==version` entries)."""
    out = {}
    for requirement, _ in locked(lock):
        req = Requirement(requirement)
        specs = [*req.specifier]
        if len(specs) == 1 and specs[0].operator == "==":
            out[canonicalize_name(req.name)] = specs[0].version
    return out


def runtime_dependencies(extras=()) -> list[Requirement]:
    """pyproject's dependencies, and those of its optional `extras`."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + [
        r for extra in extras for r in project["optional-dependencies"][extra]]
    return [Requirement(r) for r in wanted]


def runtime_closure(extras=()) -> set[str]:
    """Canonical names of pyproject's dependencies (and `extras`') and everything they
    need here (this platform and Python, the extras asked for), from the installed
    packages' metadata."""
    todo = [r for r in runtime_dependencies(extras)
            if r.marker is None or r.marker.evaluate({"extra": ""})]
    seen: set[tuple[str, str]] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        for extra in {"", *req.extras}:
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            try:
                requires = importlib.metadata.requires(name) or []
            except importlib.metadata.PackageNotFoundError:
                raise AssertionError(f"{name} is not installed: `make install`") from None
            todo += [dep for dep in map(Requirement, requires)
                     if dep.marker is None or dep.marker.evaluate({"extra": extra})]
    return {name for name, _ in seen}


@pytest.mark.parametrize("lock", [LOCK, TRAIN_LOCK], ids=lambda p: p.name)
def test_every_locked_package_is_pinned_with_hashes(lock):
    entries = locked(lock)
    assert entries, f"requirements.lock is empty; {FIX}"
    for requirement, options in entries:
        assert requirement, f"requirements.lock: options {options} outside an entry; {FIX}"
        specs = [*Requirement(requirement).specifier]
        assert len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version, \
            f"requirements.lock: {requirement!r} should be name==version; {FIX}"
        hashes = [o for o in options if o.startswith("--hash=")]
        assert hashes and all(SHA256.fullmatch(h) for h in hashes), \
            f"requirements.lock: {requirement} needs --hash=sha256:... options; {FIX}"
        assert options == hashes, f"requirements.lock: {requirement}: unexpected {options}"
    names = [canonicalize_name(Requirement(r).name) for r, _ in entries]
    assert len(names) == len(set(names)), f"requirements.lock locks a package twice; {FIX}"


def test_every_runtime_dependency_is_locked_within_its_range():
    pinned = pins()
    for req in runtime_dependencies():
        version = pinned.get(canonicalize_name(req.name))
        assert version, f"requirements.lock does not pin {req.name}; {FIX}"
        assert req.specifier.contains(version), f"{req.name}=={version} is not {req}; {FIX}"


@pytest.mark.parametrize(("lock", "extras"), [(LOCK, ()), (TRAIN_LOCK, ("train",))],
                         ids=["runtime", "train"])
def test_the_lock_is_exactly_the_runtime_closure(lock, extras):
    locked_names, closure = set(pins(lock)), runtime_closure(extras)
    assert not closure - locked_names, \
        f"{lock.name} lacks {sorted(closure - locked_names)}, which the runtime needs; {FIX}"
    assert not locked_names - closure, \
        f"{lock.name} has {sorted(locked_names - closure)}, which nothing needs; {FIX}"


def test_the_train_lock_keeps_the_runtime_versions():
    runtime, train = pins(), pins(TRAIN_LOCK)
    assert {name: train.get(name) for name in runtime} == runtime, FIX


def test_the_tests_run_against_the_locked_versions():
    for name, version in pins(TRAIN_LOCK).items():
        assert importlib.metadata.version(name) == version, f"{name}: `make install` again"


def pip_installs() -> list[list[str]]:
    """argv of every `pip ... install ...` command in the Dockerfile's RUN instructions."""
    found = []
    for kw, args in df.instructions():
        if kw != "RUN":
            continue
        lexer = shlex.shlex(args, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        argv: list[str] = []
        for word in [*lexer, ";"]:
            if word not in ("&&", "||", ";", "|"):
                argv.append(word)
                continue
            if "pip" in argv and "install" in argv:
                found.append(argv[argv.index("install") + 1:])
            argv = []
    return found


def test_the_image_installs_the_lock_with_hashes_required():
    installs = pip_installs()
    locked_installs = {}
    for lock in (LOCK.name, TRAIN_LOCK.name):
        locked_installs[lock] = [argv for argv in installs if "--require-hashes" in argv
                                 and lock in argv and argv[argv.index(lock) - 1] in
                                 ("-r", "--requirement")]
        assert locked_installs[lock], \
            f"the Dockerfile should `pip install --require-hashes -r {lock}`: {installs}"
        copied = [args.split()[:-1] for kw, args in df.instructions() if kw == "COPY"]
        assert any(lock in sources for sources in copied)
    locked_installs = [argv for found in locked_installs.values() for argv in found]
    # Anything else pip installs brings no dependencies of its own (the project's wheel).
    for argv in installs:
        assert argv in locked_installs or "--no-deps" in argv, \
            f"the Dockerfile installs dependencies outside the lock: pip install {shlex.join(argv)}"
