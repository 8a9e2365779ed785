"""GRPC_PORT handed over from the workers a HUP replaces to the workers replacing them.

gunicorn's HTTP listener is the master's, so the workers a HUP starts take over its
connections and none is refused. The gRPC listeners are the workers' own (each binds
GRPC_PORT with SO_REUSEPORT): had the old workers closed theirs on their SIGTERM, while
the new ones were still loading the model, the port would refuse connections for a
second or two. So each worker, once it serves gRPC, registers in a directory of the
master's (a file named by its pid), and when told to go it marks itself leaving and
keeps its listener open while a sibling is starting (neither registered nor leaving)
and none serves, for up to HANDOVER_SECONDS. On a plain SIGTERM every sibling is
leaving too and each closes at once. Standard library only.
"""

import contextlib
import time
from pathlib import Path

from service.server import tempdirs

KIND = "grpc"  # the master's directory: tempdirs.make(KIND)
HANDOVER_SECONDS = 5.0  # a new worker imports the app and loads the model within it
LEFT = ".left"


def directory(master: int) -> Path | None:
    """The directory of the master with pid `master`, if it made one."""
    prefix = f"{tempdirs.PREFIX}{master}-{KIND}-"
    return next((Path(p) for p in tempdirs.owned() if Path(p).name.startswith(prefix)), None)


def serving(where: Path, pid: int) -> None:
    _quietly((where / str(pid)).touch)


def leaving(where: Path, pid: int) -> None:
    _quietly((where / f"{pid}{LEFT}").touch)
    _quietly((where / str(pid)).unlink, missing_ok=True)


def gone(where: Path, pid: int) -> None:
    _quietly((where / f"{pid}{LEFT}").unlink, missing_ok=True)


def _quietly(action, **kwargs) -> None:
    # The directory goes with its master (killed, say): then there is nothing to hand over.
    with contextlib.suppress(OSError):
        action(**kwargs)


def successor_starting(where: Path, me: int, master: int) -> bool:
    """True while a sibling of `me` is starting and no sibling serves."""
    try:
        names = {p.name for p in where.iterdir()}
    except OSError:  # gone with its master
        return False
    siblings = [pid for pid in children(master) if pid != me]
    if any(str(pid) in names for pid in siblings):
        return False
    return any(f"{pid}{LEFT}" not in names for pid in siblings)


def wait_for_successor(where: Path, me: int, master: int,
                       seconds: float = HANDOVER_SECONDS) -> float:
    """Returns once no successor is starting, or after `seconds`; the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds and successor_starting(where, me, master):
        time.sleep(0.05)  # gevent's sleep in a worker: the hub serves meanwhile
    return time.monotonic() - t0


def children(pid: int) -> list[int]:
    """The pids of `pid`'s children: Linux lists them in /proc; else scan every process."""
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in listed.read_text().split()]
    except OSError:
        pass
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
