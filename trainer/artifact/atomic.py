"""Writing files and directories so that a reader sees the old version or the new.

Each write goes to a temporary name beside its target, is flushed to disk, and is
renamed over the target in one step; the directory is flushed too, so the rename
survives a crash. Standard library only: the gunicorn master uses it.
"""

import contextlib
import ctypes
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

_RENAME_EXCHANGE = 2  # renameat2 flag, Linux >= 3.15


def write_file(path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data`: after a crash at any point it holds the old or the new."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # mkstemp makes it private
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    fsync_dir(path.parent)


def publish_dir(out, fill: Callable[[Path], None]) -> None:
    """Make `out` a directory that `fill(tmp)` wrote, swapped in whole.

    `fill` writes files into a fresh sibling directory; they are flushed, then the
    directory takes `out`'s place in one rename, so a reader sees every old file or
    every new one, never a mix. The old directory is removed.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it 0700; a service running as another user reads it
        fill(tmp)
        for child in tmp.iterdir():
            with open(child, "rb") as f:
                os.fsync(f.fileno())
        fsync_dir(tmp)
        _swap_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # after a swap: the old contents


def remove_tree(path) -> None:
    """Remove a directory (or file) and everything in it; gone already is fine."""
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def fsync_dir(path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_into_place(new: Path, out: Path) -> None:
    """Make `new` appear at `out`; afterwards `new` holds the old contents (if any)."""
    if not out.exists():
        os.rename(new, out)
    elif not _exchange(new, out):
        # No renameat2 (not Linux, or an old kernel): two renames. A reader in the gap
        # sees no directory at all, which it reports, rather than a mix of two.
        old = new.with_name(new.name + ".old")
        os.rename(out, old)
        os.rename(new, out)
        os.rename(old, new)
    fsync_dir(out.parent)


def _exchange(a: Path, b: Path) -> bool:
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0
