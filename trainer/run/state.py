"""Where a run is, and where it keeps it: the hidden training directory beside OUT,
with checkpoint.npz and metrics.jsonl, and resuming from them.

OUT only ever changes by the artifact's atomic swap, so an interrupted or failed
run leaves any previous model there untouched.
"""

import dataclasses
import json
import shutil
from pathlib import Path

from trainer.artifact import atomic
from trainer.artifact.integrity import METRICS_FILE
from trainer.run import checkpoint


@dataclasses.dataclass
class RunState:
    """Where a run is: what a checkpoint stores besides the weights and optimizer state."""

    epoch: int = 0  # epochs finished
    best_val_loss: float | None = None
    bad_epochs: int = 0  # epochs since the validation loss last improved
    stopped_early: bool = False
    best: list | None = None  # the weights of best_val_loss (early stopping only)

    def meta(self) -> dict:
        """The JSON-able fields, for the checkpoint."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "best"}


def run_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.training"


def remove_run_dir(work: Path) -> None:
    """Remove `work`, the checkpoint first: a kill midway must not leave a checkpoint
    without its METRICS_FILE, which --resume would take up and then fail to export."""
    (work / checkpoint.FILE).unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)


def start(cfg, work: Path, params, opt, rng, *, resume: bool, log) -> RunState:
    """A fresh state, or the state restored from work/checkpoint.npz in place."""
    if not resume:
        remove_run_dir(work)
        work.mkdir(parents=True)
        return RunState()
    saved, opt_arrays, best, meta = checkpoint.load(work / checkpoint.FILE)
    if meta["config"] != cfg.as_json():
        diff = sorted(k for k, v in cfg.as_json().items() if meta["config"].get(k) != v)
        raise checkpoint.CheckpointError(
            f"{work / checkpoint.FILE}: made with different options ({', '.join(diff)}); "
            "resume with the same options, or drop --resume to start over")
    for (w, b), (sw, sb) in zip(params, saved, strict=True):
        w[...], b[...] = sw, sb
    opt.load_state_arrays(opt_arrays)
    rng.bit_generator.state = meta["rng_state"]
    _keep_metrics_up_to(work / METRICS_FILE, meta["epoch"])
    log(f"resuming after epoch {meta['epoch']} from {work / checkpoint.FILE}")
    fields = RunState().meta()
    return RunState(**{k: meta[k] for k in fields}, best=best)


def _keep_metrics_up_to(path: Path, epoch: int) -> None:
    """Drop the rows of epochs after the checkpoint, and a row cut short by a kill."""
    if not path.exists():
        return
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line)["epoch"] <= epoch:
                rows.append(line)
        except (ValueError, KeyError, TypeError):
            continue
    atomic.write_file(path, "".join(r + "\n" for r in rows).encode())


def meta(cfg, state: RunState, rng) -> dict:
    """What a checkpoint stores besides the arrays."""
    return {"config": cfg.as_json(), "rng_state": rng.bit_generator.state, **state.meta()}
