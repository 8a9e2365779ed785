"""`export-feedback` and `train --data-dir FOLDER --feedback-db URL --init` in
subprocesses: the export reads back as the store, and failures end in one clean line."""

import subprocess
import sys

import numpy as np

from tests.conftest import write_tiny_model
from tests.helpers import ROOT
from tests.trainer.data.test_users import some, write_store
from trainer.artifact import store
from trainer.data import users


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "trainer", *args], check=False, cwd=ROOT,
                          text=True, capture_output=True, timeout=300, env=env)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_export_then_read_back_gives_the_store(tmp_path):
    pixels, labels = some(30)
    url = write_store(tmp_path / "fb.db", pixels, labels)
    proc = _run("export-feedback", "--feedback-db", url, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert f"wrote 30 corrections to {tmp_path / 'out'}" in proc.stdout
    assert (tmp_path / "out" / labels[5] / "000006_model-1.png").is_file()
    exported, stored = users.from_folder(tmp_path / "out"), users.from_store(url)
    order = lambda ex: np.lexsort(ex.x.T)  # noqa: E731 (the folder's order is by label)
    np.testing.assert_array_equal(exported.x[order(exported)], stored.x[order(stored)])
    np.testing.assert_array_equal(exported.y[order(exported)], stored.y[order(stored)])
    again = _run("export-feedback", "--feedback-db", url, "--out", str(tmp_path / "out"))
    assert again.returncode == 1
    assert "exists and is not empty; give --out a new directory" in _one_line(again.stderr)


def test_train_on_a_folder_and_the_store_from_a_model(tmp_path, mnist_dir):
    pixels, labels = some(40)
    url = write_store(tmp_path / "fb.db", pixels, labels)
    _run("export-feedback", "--feedback-db", url, "--out", str(tmp_path / "mine"))
    write_tiny_model(tmp_path / "old", hidden=(16,))
    proc = _run("train", "--data-dir", str(tmp_path / "mine"), "--feedback-db", url,
                "--init", str(tmp_path / "old"), "--hidden", "16", "--epochs", "1",
                "--train-limit", "500", "--out", str(tmp_path / "new"),
                env={"MNIST_DATA_DIR": str(mnist_dir), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    old = store.load(tmp_path / "old").version
    assert f"| examples | before ({old}) | after |" in proc.stdout
    assert "your examples: " in proc.stderr and " held out" in proc.stderr
    new = store.load(tmp_path / "new")
    assert new.manifest["training"]["init"] == str(tmp_path / "old")


def test_bad_data_dirs_and_stores_fail_in_one_line(tmp_path):
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "a.txt").write_text("meow")
    proc = _run("train", "--data-dir", str(tmp_path / "cats"), "--epochs", "1")
    assert proc.returncode == 1
    assert "holds neither class folders of images nor IDX files" in _one_line(proc.stderr)
    proc = _run("export-feedback", "--feedback-db", "postgresql://ann:secret@127.0.0.1:1/x",
                "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    line = _one_line(proc.stderr)
    assert "postgresql://ann:***@127.0.0.1:1/x: cannot read the feedback table" in line
    assert "secret" not in line
