"""The gunicorn master's temporary directories, named with its pid.

The master makes two or three (Prometheus's files, the checked model copy, the
workers' shared weights in /dev/shm) and removes them when it exits. A master
killed with SIGKILL cannot; the next start removes those of masters that no longer
run. Standard library only.
"""

import os
import shutil
import tempfile
from pathlib import Path

from service.settings import OWNED_DIRS_ENV

PREFIX = "mnist-service-"
SHM = "/dev/shm"  # memory-backed: the workers' shared weights (service/model/shared_weights.py)


def owned() -> list[str]:
    return [p for p in os.environ.get(OWNED_DIRS_ENV, "").split(os.pathsep) if p]


def make(kind: str, base: str | None = None) -> str:
    """A new temp dir named with this process's pid, removed at exit if the start fails."""
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-{kind}-", dir=base)
    os.environ[OWNED_DIRS_ENV] = os.pathsep.join([*owned(), path])
    return path


def remove_owned(pid: int | None = None) -> None:
    """Remove this master's temp dirs; in a forked worker (another pid) do nothing."""
    if pid is not None and pid != os.getpid():
        return
    for path in owned():
        shutil.rmtree(path, ignore_errors=True)
    os.environ.pop(OWNED_DIRS_ENV, None)


def remove_orphans(*directories: str) -> list[str]:
    """Remove temp dirs left by masters that no longer run (killed with SIGKILL, say)."""
    removed = []
    found = [p for d in directories or (tempfile.gettempdir(), SHM)
             for p in Path(d).glob(f"{PREFIX}*-*")]
    for path in found:
        pid = path.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and path.is_dir() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to judge
        return True
    return True
