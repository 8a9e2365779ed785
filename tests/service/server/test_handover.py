"""handover.py's rule, on real processes: a leaving worker waits while a sibling is
starting and none serves, and never for a sibling that is leaving too."""

import os
import subprocess
import sys
import time

import pytest

from service.server import handover, tempdirs
from service.settings import OWNED_DIRS_ENV

# A "master" of its own with two children: this test process has others besides (the
# servers of other tests), which would count as siblings starting.
MASTER = """
import subprocess, sys, time
kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in "ab"]
print(*[k.pid for k in kids], flush=True)
time.sleep(60)
"""


@pytest.fixture
def family():
    """(master, [me, sibling]): a process and its only two children."""
    master = subprocess.Popen([sys.executable, "-c", MASTER], stdout=subprocess.PIPE, text=True)
    kids = [int(pid) for pid in master.stdout.readline().split()]
    yield master.pid, kids
    for pid in kids:
        os.kill(pid, 9)
    master.kill()
    master.wait()


@pytest.fixture
def siblings(family):
    return family[1]


def test_a_leaving_worker_waits_for_a_starting_sibling_only(tmp_path, family):
    master, (me, other) = family
    assert sorted(handover.children(master)) == sorted([me, other])
    handover.leaving(tmp_path, me)
    assert handover.successor_starting(tmp_path, me, master)  # other: neither file
    handover.serving(tmp_path, other)
    assert not handover.successor_starting(tmp_path, me, master)  # it serves: hand over
    handover.leaving(tmp_path, other)
    assert not handover.successor_starting(tmp_path, me, master)  # leaving too: SIGTERM
    handover.gone(tmp_path, other)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{me}.left"]


def test_the_wait_is_bounded_and_a_missing_directory_means_no_wait(tmp_path, siblings):
    me, _ = siblings
    t0 = time.monotonic()
    assert 0.2 <= handover.wait_for_successor(tmp_path, me, os.getpid(), seconds=0.2) < 2
    assert time.monotonic() - t0 < 2
    gone = tmp_path / "gone"
    handover.serving(gone, me)  # its master removed it: nothing happens
    assert handover.wait_for_successor(gone, me, os.getpid(), seconds=5) < 1


def test_the_directory_is_the_masters_own(monkeypatch, tmp_path):
    mine = tmp_path / f"{tempdirs.PREFIX}123-{handover.KIND}-abc"
    other = tmp_path / f"{tempdirs.PREFIX}1234-{handover.KIND}-abc"
    monkeypatch.setenv(OWNED_DIRS_ENV, os.pathsep.join([str(other), str(mine)]))
    assert handover.directory(123) == mine and handover.directory(9) is None
