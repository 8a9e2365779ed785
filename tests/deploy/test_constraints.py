"""constraints.txt pins the runtime dependencies: the venv the tests run in and the image
(see test_container.py) both get exactly these versions."""

import importlib.metadata
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
FIX = "run `make constraints`"


def pins() -> dict[str, str]:
    """{canonical name: version} from constraints.txt."""
    out = {}
    for raw in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} should be name==version; {FIX}"
            out[canonicalize_name(name)] = version
    return out


def test_every_runtime_dependency_is_pinned_within_its_range():
    pinned = pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for req in map(Requirement, project["dependencies"]):
        version = pinned.get(canonicalize_name(req.name))
        assert version, f"constraints.txt does not pin {req.name}; {FIX}"
        assert req.specifier.contains(version), f"{req.name}=={version} is not {req}; {FIX}"


def test_the_pins_include_what_the_pinned_packages_need():
    pinned = pins()
    for name in pinned:
        for req in map(Requirement, importlib.metadata.requires(name) or []):
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue  # an optional extra, or not for this Python
            assert canonicalize_name(req.name) in pinned, \
                f"{name} needs {req.name}, which constraints.txt does not pin; {FIX}"


def test_the_tests_run_against_the_pinned_versions():
    for name, version in pins().items():
        assert importlib.metadata.version(name) == version, f"{name}: `make install` again"
