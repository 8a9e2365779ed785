"""The training run: data -> minibatch SGD-family loop -> checkpoints -> artifact.

In-progress state lives in a hidden sibling of OUT (state.py), so OUT only ever
changes by the artifact's atomic swap.
"""

import json
import time
from pathlib import Path

import numpy as np

from trainer.artifact import inference, store
from trainer.artifact.integrity import MANIFEST_FILE, METRICS_FILE, ArtifactError
from trainer.data import idx, outliers
from trainer.data import users as user_data
from trainer.eval import scores
from trainer.nn import network, optim
from trainer.nn.schedule import lr_at
from trainer.run import checkpoint, export
from trainer.run import state as run_state
from trainer.run.config import Config
from trainer.run.loop import StopFlag, run_epoch

POOL = 24000  # non-digits made for outlier exposure, drawn from afresh for every batch
VALIDATION_OUTLIERS = 2000  # others, to report how many the verdict accepts


class Interrupted(Exception):
    """Training was stopped by a signal; the last epoch checkpoint is kept."""


def train(cfg: Config, out, data_dir, *, resume: bool = False, log=print,
          on_epoch=None, users: user_data.Examples | None = None) -> dict:
    """Train per `cfg` on the IDX files in `data_dir`, export to `out`; returns the manifest.

    `users`: the users' own examples (trainer/data/users/__init__.py); cfg.user_holdout of them
    are held out, the rest make cfg.user_share of every batch. `on_epoch(epoch)` is
    called after each epoch's checkpoint is written.
    Raises Interrupted on SIGINT/SIGTERM (after the current batch), TrainError if
    the loss diverges, idx.DataError for bad data, ArtifactError for a bad --init.
    """
    out = Path(out)
    images, labels, digests = idx.load_split(data_dir, "train", cfg.verify, cfg.dataset)
    if cfg.train_limit:
        images, labels = images[:cfg.train_limit], labels[:cfg.train_limit]
    rng = np.random.default_rng(cfg.seed)
    params = network.init([int(np.prod(images.shape[1:])), *cfg.hidden, 10], rng)
    init = _start_from(cfg, params, log)
    mine = _users(cfg, users, log)
    kept, held = _split(cfg, len(images), rng)
    train_xy = (inference.as_inputs(images[kept]), labels[kept].astype(np.intp))
    val_xy = None if held is None else (inference.as_inputs(images[held]),
                                        labels[held].astype(np.intp))
    pools = _outlier_pools(cfg, images[kept], log, validating=held is not None)
    opt = optim.make(cfg.optimizer, network.flatten(params), cfg.momentum)
    work = run_state.run_dir(out)
    state = run_state.start(cfg, work, params, opt, rng, resume=resume, log=log)
    with StopFlag() as stop:
        for epoch in range(state.epoch + 1, cfg.epochs + 1):
            if state.stopped_early:
                break
            _epoch(cfg, (params, opt, rng), (train_xy, val_xy, pools[0], mine[0]), state,
                   epoch, stop=stop, work=work, log=log)
            if on_epoch is not None:
                on_epoch(epoch)
    final = state.best if state.best is not None else params
    manifest = export.export(cfg, out, final, (data_dir, digests), work=work, state=state,
                             validation=None if val_xy is None else (val_xy, pools[1]),
                             users=mine, init=init)
    run_state.remove_run_dir(work)
    return manifest


def _start_from(cfg: Config, params, log) -> store.Model | None:
    """The --init model, its weights copied into `params` (its hidden sizes must be
    cfg.hidden's); None without --init."""
    if not cfg.init:
        return None
    model = store.load(cfg.init)
    sizes = [layer["out"] for layer in model.manifest["layers"]]
    if [w.shape for w, _ in params] != [w.shape for w, _ in model.params]:
        raise ArtifactError(
            f"{Path(cfg.init) / MANIFEST_FILE}: field layers has hidden sizes "
            f"{','.join(map(str, sizes[:-1]))} and {sizes[-1]} outputs, but --hidden is "
            f"{','.join(map(str, cfg.hidden))}; pass --hidden {','.join(map(str, sizes[:-1]))}")
    for (w, b), (w0, b0) in zip(params, model.params, strict=True):
        w[...], b[...] = w0, b0
    log(f"starting from {cfg.init} (model {model.version})")
    return model


def _users(cfg: Config, users, log) -> tuple:
    """(the users' examples to train on, those held out), both None without any."""
    if users is None or not len(users):
        return None, None
    mine, held = user_data.split(users, cfg.user_holdout)
    if not len(mine):
        raise idx.DataError(f"all {len(users)} of your examples fell in the held-out part; "
                            "add more, or lower --user-holdout")
    log(f"your examples: {len(mine)} to train on ({cfg.user_share:.0%} of each batch), "
        f"{len(held)} held out")
    return mine, held


def _split(cfg: Config, n: int, rng):
    """(indices to train on, indices to validate on or None), by cfg.val_split."""
    n_val = round(cfg.val_split * n)
    if not n_val:
        return np.arange(n), None
    order = rng.permutation(n)
    return order[:-n_val], order[-n_val:]


def _outlier_pools(cfg: Config, digits: np.ndarray, log, *, validating: bool):
    """(non-digits to train on (M, 784) or None, others to validate on (V, 784) or None),
    made by generators of their own seeded by cfg.seed: the same on every --resume."""
    pools = []
    for wanted, n, stream in ((cfg.outliers, POOL, 1), (validating, VALIDATION_OUTLIERS, 2)):
        if not wanted:
            pools.append(None)
            continue
        log(f"making {n} non-digits (outlier exposure, trainer/data/outliers.py)")
        made = outliers.pool(n, np.random.default_rng([cfg.seed, stream]), digits)
        pools.append(inference.as_inputs(made))
    return tuple(pools)


def _epoch(cfg: Config, model, data, state: run_state.RunState, epoch: int, *,
           stop: StopFlag,
           work: Path, log) -> None:
    """Train one epoch, validate, log, append the metrics row and write the checkpoint."""
    params, opt, rng = model
    train_xy, val_xy, pool, users = data
    t0 = time.perf_counter()
    tr_loss, tr_acc = run_epoch(cfg, params, opt, train_xy, rng, epoch=epoch, stop=stop,
                                outlier_pool=pool, users=users)
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
                    run_state.meta(cfg, state, rng))


def _early_stopping(cfg, state: run_state.RunState, params, val_loss) -> None:
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
