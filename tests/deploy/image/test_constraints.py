"""requirements.lock locks the runtime dependencies with hashes: the venv the tests run in
and the image (see test_container.py) both get exactly these versions, and the image's
build checks every file against the lock's hashes."""

import importlib.metadata
import re
import shlex
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.image import _dockerfile as df
from tests.helpers import ROOT

LOCK = ROOT / "requirements.lock"
FIX = "run `make lock`"
SHA256 = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def locked() -> list[tuple[str, list[str]]]:
    """[(requirement, [--hash=... options])], one per entry of requirements.lock, with
    continuation lines joined and comments dropped."""
    entries, pending = [], ""
    for raw in LOCK.read_text(encoding="utf-8").splitlines():
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


def pins() -> dict[str, str]:
    """{canonical name: version} from requirements.lock (its `name==version` entries)."""
    out = {}
    for requirement, _ in locked():
        req = Requirement(requirement)
        specs = [*req.specifier]
        if len(specs) == 1 and specs[0].operator == "==":
            out[canonicalize_name(req.name)] = specs[0].version
    return out


def runtime_dependencies() -> list[Requirement]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return [Requirement(r) for r in tomllib.loads(text)["project"]["dependencies"]]


def runtime_closure() -> set[str]:
    """Canonical names of pyproject's dependencies and everything they need here (this
    platform and Python, the extras asked for), from the installed packages' metadata."""
    todo = [r for r in runtime_dependencies()
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


def test_every_locked_package_is_pinned_with_hashes():
    entries = locked()
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


def test_the_lock_is_exactly_the_runtime_closure():
    locked_names, closure = set(pins()), runtime_closure()
    assert not closure - locked_names, \
        f"requirements.lock lacks {sorted(closure - locked_names)}, which the runtime needs; {FIX}"
    assert not locked_names - closure, \
        f"requirements.lock has {sorted(locked_names - closure)}, which nothing needs; {FIX}"


def test_the_tests_run_against_the_locked_versions():
    for name, version in pins().items():
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
    locked_installs = [argv for argv in installs
                       if "--require-hashes" in argv and "requirements.lock" in argv
                       and argv[argv.index("requirements.lock") - 1] in ("-r", "--requirement")]
    assert locked_installs, \
        f"the Dockerfile should `pip install --require-hashes -r requirements.lock`: {installs}"
    copied = [args.split()[:-1] for kw, args in df.instructions() if kw == "COPY"]
    assert any("requirements.lock" in sources for sources in copied)
    # Anything else pip installs brings no dependencies of its own (the project's wheel).
    for argv in installs:
        assert argv in locked_installs or "--no-deps" in argv, \
            f"the Dockerfile installs dependencies outside the lock: pip install {shlex.join(argv)}"
