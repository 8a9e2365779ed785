"""One way to write a file or a directory atomically, tested once: SIGKILL the writer at
random points; afterwards the reader finds the old version or the new, whole."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from trainer.artifact import atomic

KILLS = 25
SIZE = 4 * 1024 * 1024  # big enough that a kill often lands in the middle of a write

WRITER = f"""
import sys
from pathlib import Path
from trainer.artifact import atomic
target, kind = Path(sys.argv[1]), sys.argv[2]
n = 0
while True:
    n += 1
    payload = bytes([n % 251]) * {SIZE}
    if kind == "file":
        atomic.write_file(target, payload)
    else:
        def fill(d, payload=payload):
            (d / "a").write_bytes(payload)
            (d / "b").write_bytes(payload)
        atomic.publish_dir(target, fill)
"""


def _whole(blob: bytes) -> bool:
    return len(blob) == SIZE and blob == blob[:1] * SIZE


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_a_kill_at_any_point_leaves_the_old_or_the_new(tmp_path, kind):
    target = tmp_path / "target"
    first = bytes([0]) * SIZE
    if kind == "file":
        atomic.write_file(target, first)
    else:
        atomic.publish_dir(target, lambda d: [(d / n).write_bytes(first) for n in "ab"])
    rng = np.random.default_rng(0)
    for _ in range(KILLS):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target), kind],
                                  env={**os.environ, "PYTHONPATH": os.getcwd()})
        time.sleep(float(rng.uniform(0.05, 0.4)))
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        if kind == "file":
            assert _whole(target.read_bytes())
        else:
            a, b = (target / "a").read_bytes(), (target / "b").read_bytes()
            assert _whole(a) and a == b  # both files of the same version
            assert sorted(p.name for p in target.iterdir()) == ["a", "b"]


def test_write_file_sets_the_mode_and_leaves_no_temporary(tmp_path):
    atomic.write_file(tmp_path / "f", b"x", mode=0o600)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f"]
