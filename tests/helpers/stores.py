"""The feedback store's backends for the tests and bench/: `rows(url)` reads what a store
holds, and `Postgres` is a real PostgreSQL on 127.0.0.1 at a free port: Debian's
`postgresql` binaries (/usr/lib/postgresql/N/bin), a throwaway cluster, trust auth.

initdb and postgres refuse to run as root, so under root every command runs as the
`postgres` user Debian's package creates (subprocess's user=/group=), in a directory
given to it. `stop()` and `start()` may be called again: the fault tests stop the server
in the middle of a load and start it again to count what it kept.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tests.helpers.servers import HOST, free_port
from trainer.artifact.feedback import engine_url, feedback

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                  key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
USER = "postgres"
TIMEOUT = 60  # seconds for pg_ctl to start or stop on a busy 2-core machine


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory, or None."""
    found = [d for d in BIN_DIRS if (d / "initdb").exists() and (d / "pg_ctl").exists()]
    return found[-1] if found else None


class Postgres:
    def __init__(self):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL under /usr/lib/postgresql: apt-get install "
                               "postgresql")
        self.root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam(USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        """As users write it: plain postgresql://, which the service gives psycopg 3."""
        return f"postgresql://{USER}@{HOST}:{self.port}/postgres"

    def start(self) -> "Postgres":
        options = (f"-p {self.port} -k {self.root} -c listen_addresses={HOST} "
                   "-c fsync=on -c synchronous_commit=on")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
                  "-w", "-t", str(TIMEOUT), "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop -m `mode`: fast (clients disconnected, a clean shutdown) or
        immediate (as a crash: recovery replays the WAL at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(TIMEOUT), "stop")

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run([str(self.bin / tool), *args], cwd=self.root, capture_output=True,
                                text=True, timeout=TIMEOUT + 30, check=False, **self._as)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({result.returncode}): "
                               f"{result.stderr.strip() or result.stdout.strip()}")


def rows(url: str) -> list:
    """Every row of the store at `url`, oldest first, read by a connection of its own
    (so only what was committed)."""
    engine = sa.create_engine(engine_url(url))
    try:
        with engine.connect() as db:
            return db.execute(sa.select(feedback).order_by(feedback.c.id)).all()
    finally:
        engine.dispose()
