"""SIGKILL thrown at `python -m trainer train` at random moments, over and over.

Thrown: short runs on synthetic digits, under three option sets (rmsprop; adam with
dropout and early stopping; momentum with affine and elastic distortion), killed with
SIGKILL at seeded random moments: in start-up, mid-epoch, while a checkpoint is being
written, during the export and in the clean-up after it. Each next attempt continues
with --resume from what the kill left, or starts again without --resume when no epoch
finished.

Must hold after every kill: OUT holds a complete artifact that `store.load` accepts,
either the one that was there before the run or, once the final swap has happened, the
new one; a checkpoint left behind loads, comes with its metrics.jsonl and never goes
back an epoch. Every run that finishes, most of them resumed, has weights bit for bit
equal to those of an uninterrupted run with the same seed and options, and a
metrics.jsonl without gaps.
"""

import collections
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write_tiny_model
from tests.helpers import ROOT
from tests.trainer._synth import write_dataset
from trainer.artifact import store
from trainer.run import checkpoint
from trainer.run.state import run_dir

MIN_KILLS = 20
TARGET_KILLS = 24  # a margin over MIN_KILLS: kills that miss turn into finished runs
MAX_ATTEMPTS = 150  # on a machine too slow to get there, fail rather than hang
POLL = 0.001


@dataclasses.dataclass(frozen=True)
class Options:
    name: str
    epochs: int
    args: tuple[str, ...]


OPTIONS = (
    Options("rmsprop", 8, ("--hidden", "64", "--batch-size", "16", "--train-limit", "1200",
                           "--seed", "11")),
    # The checkpoint must also carry Adam's moments, the dropout draws' RNG state and
    # the best weights so far; patience 2 may end the run before epoch 8.
    Options("adam-dropout-early-stop", 8,
            ("--hidden", "64,32", "--batch-size", "16", "--optimizer", "adam",
             "--dropout", "0.2", "--val-split", "0.2", "--patience", "2", "--seed", "12")),
    # Distortion runs in background threads from per-chunk seeds.
    Options("momentum-augment", 5,
            ("--hidden", "32", "--batch-size", "32", "--optimizer", "momentum",
             "--augment", "affine,elastic", "--train-limit", "1200", "--seed", "13")),
)


class Trainer:
    """One trainer process; a thread stamps each line of its output with when it came."""

    def __init__(self, args: list[str]):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trainer", "train", *args], cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def epoch_lines(self) -> list[float]:
        return [t for t, line in list(self.lines) if line.startswith("epoch ")]

    def done_line(self) -> float:
        """When train() returned: after the export and the clean-up, before exit."""
        return next(t for t, line in self.lines if line.startswith("test accuracy"))

    def wait_for_epoch_line(self, n: int) -> float | None:
        """When the n-th epoch line of this process came; None if it exited first."""
        deadline = time.monotonic() + 120
        while len(self.epoch_lines()) < n and self.proc.poll() is None:
            assert time.monotonic() < deadline, "the trainer stopped making progress"
            time.sleep(POLL)
        times = self.epoch_lines()
        return times[n - 1] if len(times) >= n else None

    def kill_at(self, when: float) -> None:
        while self.proc.poll() is None and time.monotonic() < when:
            time.sleep(POLL)
        if self.proc.poll() is None:
            self.proc.kill()

    def finish(self) -> int:
        code = self.proc.wait(timeout=120)
        self._reader.join(timeout=10)
        return code

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


@dataclasses.dataclass
class Reference:
    """An uninterrupted run: its weights, and how long its phases took, to aim kills."""

    params: list
    sha: str
    epochs_run: int
    startup: float  # spawn to the first epoch line
    epoch: float  # between epoch lines
    export: float  # from the last epoch line to train() returning


@dataclasses.dataclass
class Bench:
    synth: Path
    rng: np.random.Generator
    running: list[Trainer] = dataclasses.field(default_factory=list)
    kills: list[dict] = dataclasses.field(default_factory=list)
    finished: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def start(self, opts: Options, out: Path, *, resume: bool) -> Trainer:
        args = ["--data-dir", str(self.synth), "--no-verify", "--epochs", str(opts.epochs),
                *opts.args, "--out", str(out), *(["--resume"] if resume else [])]
        trainer = Trainer(args)
        self.running.append(trainer)
        return trainer


def _reference(bench: Bench, opts: Options, out: Path) -> Reference:
    run = bench.start(opts, out, resume=False)
    assert run.finish() == 0, run.output()
    model = store.load(out)
    lines = run.epoch_lines()
    return Reference(params=model.params, sha=model.manifest["weights_sha256"],
                     epochs_run=model.manifest["metrics"]["epochs_run"],
                     startup=lines[0] - run.started,
                     epoch=float(np.median(np.diff(lines))) if len(lines) > 1 else 0.05,
                     export=run.done_line() - lines[-1])


def _checkpoint_epoch(work: Path) -> int | None:
    """The epoch of the checkpoint in `work` (loading it must work); None if there is none."""
    path = work / checkpoint.FILE
    if not path.exists():
        return None
    return checkpoint.load(path)[3]["epoch"]


def _temp_files(out: Path) -> set[Path]:
    """Temporary files and directories that atomic.write_file and publish_dir leave behind."""
    return ({*out.parent.glob(f".{out.name}.*.tmp")}
            | {*run_dir(out).glob(f".{checkpoint.FILE}.*.tmp")})


def _aim_and_kill(bench: Bench, run: Trainer, ref: Reference, remaining: int) -> str:
    """Kill `run` at a random moment; returns how the moment was chosen."""
    rng = bench.rng
    if remaining == 0 or rng.random() < 0.4:
        # Anywhere from spawn to the expected end of the run, mostly in start-up; a
        # little short of it, as a kill that comes too late costs a run and finds nothing.
        span = ref.startup + remaining * ref.epoch + ref.export
        run.kill_at(run.started + rng.uniform(0, 0.9 * span))
        return "clock"
    # Shortly after an epoch line: in the metrics append, the checkpoint write, the
    # next epoch or, after the last line, the export.
    n = int(rng.integers(1, remaining + 1))
    seen = run.wait_for_epoch_line(n)
    if seen is not None:
        run.kill_at(seen + rng.uniform(0, ref.epoch if n < remaining else ref.export))
    return f"after epoch line {n} of {remaining}"


def _assert_finished(out: Path, ref: Reference, *, cleaned_up: bool = True) -> None:
    """OUT holds exactly the uninterrupted run's weights, and the run cleaned up."""
    model = store.load(out)
    for (w, b), (ref_w, ref_b) in zip(model.params, ref.params, strict=True):
        np.testing.assert_array_equal(w, ref_w)
        np.testing.assert_array_equal(b, ref_b)
    assert model.manifest["weights_sha256"] == ref.sha
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == list(range(1, ref.epochs_run + 1))
    if cleaned_up:
        assert not run_dir(out).exists()
    else:  # killed in the clean-up: what is left must not look resumable
        assert not (run_dir(out) / checkpoint.FILE).exists()


def _campaign(bench: Bench, opts: Options, out: Path, ref: Reference, n_kills: int) -> None:
    """Kill runs of `opts` into `out` up to n_kills times, then let one finish."""
    work = run_dir(out)
    previous = store.load(out).manifest["weights_sha256"]
    for _ in range(n_kills):
        before = _checkpoint_epoch(work)
        temps = _temp_files(out)
        run = bench.start(opts, out, resume=before is not None)
        how = _aim_and_kill(bench, run, ref, ref.epochs_run - (before or 0))
        code = run.finish()
        if code == 0:  # the kill came too late: the run finished on its own
            _assert_finished(out, ref)
            bench.finished["resumed" if before is not None else "fresh"] += 1
            return
        assert code == -signal.SIGKILL, f"exit status {code}:\n{run.output()}"
        sha, after = _check_after_kill(out, ref, previous, before)
        bench.kills.append(_kill_record(opts, how, run, (before, after), new=sha == ref.sha,
                                        work=work, left=_temp_files(out) - temps))
        previous = sha
        if sha == ref.sha and after is None:  # the run had finished but for its clean-up
            _assert_finished(out, ref, cleaned_up=False)
            bench.finished["after the last kill, nothing left to do"] += 1
            return
    resume = _checkpoint_epoch(work) is not None
    run = bench.start(opts, out, resume=resume)
    code = run.finish()
    assert code == 0, (f"exit status {code} after {bench.kills[-n_kills:]}, "
                       f"with {sorted(p.name for p in work.glob('*'))} left:\n{run.output()}")
    _assert_finished(out, ref)
    bench.finished["resumed" if resume else "fresh"] += 1


def _check_after_kill(out: Path, ref: Reference, previous: str, before: int | None):
    """(the sha of the model at `out`, the checkpoint's epoch or None), once the state
    the kill left is checked: OUT loads as the old or the new model, and the checkpoint
    only moves forward."""
    work = run_dir(out)
    sha = store.load(out).manifest["weights_sha256"]  # must load after any kill
    after = _checkpoint_epoch(work)
    assert sha in {previous, ref.sha}, f"{out} holds neither the old nor the new model"
    if before is not None:
        # Only the export's clean-up, after the swap, removes a checkpoint.
        assert after is not None or sha == ref.sha
        assert after is None or after >= before, "the checkpoint went back an epoch"
    if after is not None:
        # --resume needs both; losing the metrics would fail the export.
        assert (work / "metrics.jsonl").exists(), "a checkpoint without its metrics"
    if sha == ref.sha and after is not None:
        assert after == ref.epochs_run, "the new model is out before the last checkpoint"
    return sha, after


def _kill_record(opts: Options, how: str, run, checkpoints, *, new: bool, work: Path,
                 left: set) -> dict:
    before, after = checkpoints
    return {"options": opts.name, "how": how, "resumed": before is not None,
            "epochs logged": len(run.epoch_lines()), "checkpoint": after,
            "new artifact": new,
            "temp checkpoint left": any(p.name.startswith(".checkpoint") for p in left),
            "temp artifact dir left": any(p.is_dir() for p in left),
            "training dir left without a checkpoint": work.exists() and after is None}


def _summary(bench: Bench) -> str:
    kills = bench.kills
    count = collections.Counter()
    for k in kills:
        count["no checkpoint yet"] += k["checkpoint"] is None and not k["new artifact"]
        count["with a checkpoint"] += k["checkpoint"] is not None and not k["new artifact"]
        count["after the export's swap"] += k["new artifact"]
        count["in start-up (no epoch logged)"] += k["epochs logged"] == 0
        count["mid-checkpoint write (temp file left)"] += k["temp checkpoint left"]
        count["mid-export (temp dir left)"] += k["temp artifact dir left"]
        count["mid-clean-up (training dir left)"] += (
            k["new artifact"] and k["training dir left without a checkpoint"])
    return (f"{len(kills)} kills: " + ", ".join(f"{k} {v}" for k, v in count.items())
            + "; finished runs: " + ", ".join(f"{k} {v}" for k, v in bench.finished.items()))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_anywhere_leaves_a_loadable_model_and_resume_is_exact(tmp_path):
    bench = Bench(synth=write_dataset(tmp_path / "synth", n_train=2400),
                  rng=np.random.default_rng(20261125))
    try:
        refs = {opts.name: _reference(bench, opts, tmp_path / f"reference-{opts.name}")
                for opts in OPTIONS}
        # With no epoch finished there is nothing to resume, and the CLI says so.
        out = tmp_path / "out-0"
        old = write_tiny_model(out, seed=100)
        run = bench.start(OPTIONS[0], out, resume=True)
        assert run.finish() == 1
        assert "no checkpoint to resume from" in run.output()
        assert "without --resume" in run.output()
        assert store.load(out).version == old["version"]

        campaign = 0
        while len(bench.kills) < TARGET_KILLS or not bench.finished["resumed"]:
            assert len(bench.kills) + campaign < MAX_ATTEMPTS, _summary(bench)
            opts = OPTIONS[campaign % len(OPTIONS)]
            out = tmp_path / f"out-{campaign}"
            if campaign:  # a different old model before each campaign's first kill
                write_tiny_model(out, seed=100 + campaign, hidden=(16,))
            _campaign(bench, opts, out, refs[opts.name], int(bench.rng.integers(4, 10)))
            campaign += 1
    finally:
        for run in bench.running:
            run.stop()
    print(_summary(bench))
    assert len(bench.kills) >= MIN_KILLS
