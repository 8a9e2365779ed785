"""The command line in subprocesses: clean one-line errors, signals, a kill -9 mid-export."""

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import write_tiny_model
from tests.helpers import ROOT
from tests.trainer._synth import write_dataset
from trainer.artifact import store


def _run(*args, timeout=120, env=None):
    return subprocess.run([sys.executable, "-m", "trainer", *args], check=False, cwd=ROOT,
                          text=True, capture_output=True, timeout=timeout, env=env)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(("args", "code", "fragment"), [
    (["train", "--lr", "fast"], 2, "argument --lr: 'fast' is not a float"),
    (["train", "--hidden", "512,x"], 2, "'512,x' is not comma-separated integers"),
    (["train", "--dropout", "1"], 2, "'1' is outside [0.0, 1.0)"),
    (["train", "--patience", "3"], 2, "--patience needs a validation set"),
    (["train", "--optimizer", "adagrad"], 2, "invalid choice: 'adagrad'"),
    (["evaluate", "--model", "/nonexistent/model"], 1, "/nonexistent/model/model.json: missing"),
])
def test_bad_invocations_fail_with_one_clean_line(args, code, fragment):
    result = _run(*args)
    assert result.returncode == code
    assert fragment in _one_line(result.stderr)


@pytest.mark.parametrize(("option", "args"), [
    ("--augment", ["train", "--augment", "affine"]),
    ("--robustness", ["evaluate", "--model", "models/default", "--robustness"])])
def test_distortions_without_opencv_fail_with_one_clean_line(option, args):
    script = ("import sys; sys.modules['cv2'] = None  # import cv2 now raises ImportError\n"
              "from trainer.cli.commands import main\n"
              f"sys.argv[0] = 'python -m trainer'; sys.exit(main({args!r}))\n")
    result = subprocess.run([sys.executable, "-c", script], check=False, cwd=ROOT, text=True,
                            capture_output=True, timeout=120)
    assert result.returncode == 2
    assert f"{option} needs OpenCV, which is not installed: pip install" in _one_line(
        result.stderr)


def test_missing_and_corrupt_data_fail_with_one_clean_line(tmp_path):
    result = _run("train", "--data-dir", str(tmp_path), "--no-verify", "--out",
                  str(tmp_path / "m"))
    assert result.returncode == 1
    assert "train-images-idx3-ubyte: missing" in _one_line(result.stderr)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(b"\x00\x00\x08\x03garbage")
    result = _run("fetch", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert "train-images-idx3-ubyte: sha256" in line and "delete it" in line


def test_resume_without_a_checkpoint_fails_cleanly(tmp_path):
    synth = write_dataset(tmp_path / "synth", n_train=50, n_test=20)
    result = _run("train", "--data-dir", str(synth), "--no-verify", "--resume",
                  "--out", str(tmp_path / "m"))
    assert result.returncode == 1
    assert "no checkpoint to resume from" in _one_line(result.stderr)


def test_sigterm_stops_after_a_batch_and_leaves_the_old_model(tmp_path):
    synth = write_dataset(tmp_path / "synth", n_train=300, n_test=50)
    out = tmp_path / "m"
    old = write_tiny_model(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer", "train", "--data-dir", str(synth), "--no-verify",
         "--hidden", "16", "--epochs", "100000", "--out", str(out)],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    checkpoint = tmp_path / ".m.training" / "checkpoint.npz"
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted during epoch" in stderr.strip().splitlines()[-1]
    assert "Traceback" not in stderr
    assert store.load(out).version == old["version"]


def test_kill_9_during_export_leaves_a_loadable_model(tmp_path):
    """A writer saving two models alternately, killed at arbitrary moments."""
    out = tmp_path / "m"
    versions = {write_tiny_model(out, seed=s, hidden=(256,))["version"] for s in (1, 2)}
    script = textwrap.dedent(f"""
        import sys
        from tests.conftest import write_tiny_model
        i = 0
        while True:
            write_tiny_model({str(out)!r}, seed=1 + i % 2, hidden=(256,))
            i += 1
            print(i, flush=True)
    """)
    for delay in (0.3, 0.55, 0.8):
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                                stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
        proc.stdout.readline()  # at least one save completed: the interpreter is warm
        time.sleep(delay)
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        assert store.load(out).version in versions


def test_evaluate_without_plots_never_imports_matplotlib(tmp_path):
    synth = write_dataset(tmp_path / "synth", n_train=50, n_test=20)
    write_tiny_model(tmp_path / "m")
    code = ("import sys; from trainer.cli.commands import main; "
            f"rc = main(['evaluate', '--model', {str(tmp_path / 'm')!r}, "
            f"'--data-dir', {str(synth)!r}, '--no-verify']); "
            "assert 'matplotlib' not in sys.modules; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout and "confusion matrix" in result.stdout


def test_every_option_says_what_it_does_and_its_default():
    from trainer.cli.options import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, command in commands.items():
        for action in command._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.option_strings} has no help text"
    text = commands["train"].format_help()
    assert "learning rate (default: 0.001)" in text and "(default: mnist)" in text


def test_train_defaults_are_the_configs():
    from trainer.cli.options import build_parser
    from trainer.run.config import Config

    args = vars(build_parser().parse_args(["train"]))
    fields = [f.name for f in dataclasses.fields(Config)]
    assert Config(**{k: args[k] for k in fields}) == Config()
    assert set(fields) <= set(args)
