"""The training run: data -> minibatch SGD-family loop -> checkpoints -> artifact.

In-progress state (checkpoint.npz, metrics.jsonl) lives in a hidden sibling
of OUT, `.OUT.training/`, so OUT only ever changes by the artifact's atomic
swap: an interrupted or failed run leaves any previous model there untouched.
"""

import dataclasses
import json
import shutil
import time
from pathlib import Path

import numpy as np

from trainer.artifact import atomic, inference
from trainer.artifact.integrity import METRICS_FILE
from trainer.data import idx
from trainer.eval import scores
from trainer.nn import network, optim
from trainer.nn.schedule import lr_at
from trainer.run import checkpoint, export
from trainer.run.config import Config
from trainer.run.loop import StopFlag, run_epoch


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


class Interrupted(Exception):
    """Training was stopped by a signal; the last epoch checkpoint is kept."""


def run_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.training"


def train(cfg: Config, out, data_dir, *, resume: bool = False, log=print,
          on_epoch=None) -> dict:
    """Train per `cfg` on the IDX files in `data_dir`, export to `out`; returns the manifest.

    `on_epoch(epoch)` is called after each epoch's checkpoint is written.
    Raises Interrupted on SIGINT/SIGTERM (after the current batch), TrainError if
    the loss diverges, idx.DataError for bad data.
    """
    out = Path(out)
    images, labels, digests = idx.load_split(data_dir, "train", cfg.verify, cfg.dataset)
    if cfg.train_limit:
        images, labels = images[:cfg.train_limit], labels[:cfg.train_limit]
    x, y = inference.as_inputs(images), labels.astype(np.intp)
    rng = np.random.default_rng(cfg.seed)
    params = network.init([x.shape[1], *cfg.hidden, 10], rng)
    train_xy, val_xy = _split(cfg, x, y, rng)
    del x, y  # the split holds copies; the whole set need not stay in memory
    opt = optim.make(cfg.optimizer, network.flatten(params), cfg.momentum)
    work = run_dir(out)
    state = _start(cfg, work, params, opt, rng, resume=resume, log=log)
    with StopFlag() as stop:
        for epoch in range(state.epoch + 1, cfg.epochs + 1):
            if state.stopped_early:
                break
            _epoch(cfg, (params, opt, rng), (train_xy, val_xy), state, epoch, stop=stop,
                   work=work, log=log)
            if on_epoch is not None:
                on_epoch(epoch)
    final = state.best if state.best is not None else params
    manifest = export.export(cfg, out, final, data_dir, digests, work=work, state=state)
    _remove_run_dir(work)
    return manifest


def _split(cfg: Config, x: np.ndarray, y: np.ndarray, rng):
    """((x, y) to train on, (x, y) to validate on or None), by cfg.val_split."""
    n_val = round(cfg.val_split * len(x))
    if not n_val:
        return (x, y), None
    order = rng.permutation(len(x))
    return (x[order[:-n_val]], y[order[:-n_val]]), (x[order[-n_val:]], y[order[-n_val:]])


def _epoch(cfg: Config, model, data, state: "RunState", epoch: int, *, stop: StopFlag,
           work: Path, log) -> None:
    """Train one epoch, validate, log, append the metrics row and write the checkpoint."""
    params, opt, rng = model
    train_xy, val_xy = data
    t0 = time.perf_counter()
    tr_loss, tr_acc = run_epoch(cfg, params, opt, train_xy, rng, epoch=epoch, stop=stop)
    if stop.requested:
        raise Interrupted(f"interrupted during epoch {epoch}; " + (
            f"the checkpoint of epoch {epoch - 1} is in {work}; continue with --resume"
            if epoch > 1 else "no epoch finished, so start again without --resume"))
    val_loss = val_acc = None
    if val_xy is not None:
        val_loss, pred = scores.loss_and_predicted(params, *val_xy)
        val_acc = scores.accuracy(val_xy[1], pred)
    row = {"epoch": epoch, "train_loss": tr_loss, "train_accuracy": tr_acc,
           "val_loss": val_loss, "val_accuracy": val_acc,
           "lr": lr_at(cfg, epoch, 0, 1), "seconds": round(time.perf_counter() - t0, 3)}
    _early_stopping(cfg, state, params, val_loss)
    _log_epoch(log, cfg, row)
    with open(work / METRICS_FILE, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    state.epoch = epoch
    checkpoint.save(work / checkpoint.FILE, params, opt.state_arrays(), state.best,
                    _meta(cfg, state, rng))


def _remove_run_dir(work: Path) -> None:
    """Remove `work`, the checkpoint first: a kill midway must not leave a checkpoint
    without its METRICS_FILE, which --resume would take up and then fail to export."""
    (work / checkpoint.FILE).unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)


def _start(cfg, work: Path, params, opt, rng, *, resume: bool, log) -> RunState:
    """A fresh state, or the state restored from work/checkpoint.npz in place."""
    if not resume:
        _remove_run_dir(work)
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


def _meta(cfg, state: RunState, rng) -> dict:
    return {"config": cfg.as_json(), "rng_state": rng.bit_generator.state, **state.meta()}


def _early_stopping(cfg, state: RunState, params, val_loss) -> None:
    """Keep the weights of the best validation loss in `state.best` (when it is on)."""
    if not cfg.patience or val_loss is None:
        return
    if state.best_val_loss is None or val_loss < state.best_val_loss:
        state.best_val_loss, state.bad_epochs = val_loss, 0
        state.best = [(w.copy(), b.copy()) for w, b in params]
        return
    state.bad_epochs += 1
    state.stopped_early = state.bad_epochs >= cfg.patience


def _log_epoch(log, cfg, row) -> None:
    val = ("" if row["val_loss"] is None else
           f" val_loss {row['val_loss']:.4f} val_acc {row['val_accuracy']:.4f}")
    log(f"epoch {row['epoch']}/{cfg.epochs} loss {row['train_loss']:.4f} "
        f"acc {row['train_accuracy']:.4f}{val} lr {row['lr']:.2e} {row['seconds']:.1f}s")
