"""The pair network's run: touching pairs and non-pairs of MNIST training digits
(trainer/data/numbers/touching.py) -> the trainer's own loop (loop.py, nn/) -> attached to an
existing artifact beside its digit network (store.attach_pair), which stays as it was.

The digits are the training split's: the first VALIDATION_FROM for the pairs trained
on, the rest for the pairs the accuracy and the temperature are measured on. So the
digit network can be retrained on its own, and the pair network attached again after.
"""

import dataclasses
import time

import numpy as np

from trainer.artifact import inference, pair, store
from trainer.data import idx
from trainer.data.numbers import touching
from trainer.eval import calibrate
from trainer.nn import network, optim
from trainer.run import number
from trainer.run.config import Config
from trainer.run.loop import StopFlag, run_epoch

VALIDATION_FROM = 55000  # training digits from this index on make the validation pairs
NON_PAIRS = 0.5  # non-pairs per pair
OUTLIERS = 4000  # the trainer's non-digits the 'outlier' non-pairs are drawn from


@dataclasses.dataclass(frozen=True)
class PairConfig:
    pairs: int = 60000  # pairs trained on (and NON_PAIRS as many non-pairs)
    validation: int = 4000  # pairs validated on
    hidden: tuple[int, ...] = (512,)
    epochs: int = 12
    lr: float = 1e-3
    batch_size: int = 128
    seed: int = 0


def data(cfg: PairConfig, digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
         log) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """((x (N, 1568) float32 0..1, y (N,)) to train on, the same to validate on)."""
    pool = touching.outlier_pool(OUTLIERS, rng, digits[:VALIDATION_FROM])
    out = []
    for n, part in ((cfg.pairs, slice(0, VALIDATION_FROM)),
                    (cfg.validation, slice(VALIDATION_FROM, None))):
        log(f"making {n} pairs and {round(NON_PAIRS * n)} non-pairs")
        x, y = touching.pairs(n, rng, digits[part], labels[part])
        none = touching.non_pairs(round(NON_PAIRS * n), rng, digits[part], pool)
        x = inference.as_inputs(np.concatenate([x, none]))
        out.append((x, np.concatenate([y, np.full(len(none), pair.NOT_A_PAIR, np.intp)])))
    return tuple(out)


def train(cfg: PairConfig, model_dir, data_dir, *, log=print) -> dict:
    """Train the pair network per `cfg` on the MNIST training split in `data_dir`,
    calibrate the number's confidence with it and `model_dir`'s digit network, and
    attach both to that artifact; returns the new manifest."""
    store.load(model_dir)  # refuse a bad artifact before the work, not after
    digits, labels, _ = idx.load_split(data_dir, "train", True, "mnist")
    rng = np.random.default_rng(cfg.seed)
    train_xy, val_xy = data(cfg, digits, labels, rng, log)
    params = _fitted(cfg, train_xy, rng, log)
    logits = inference.dense_logits(params, val_xy[0])
    temperature = calibrate.temperature(logits, val_xy[1])
    metrics = {"validation_accuracy": float(np.mean(logits.argmax(axis=1) == val_xy[1])),
               "validation_pairs": cfg.validation}
    log(f"pair network: validation accuracy {metrics['validation_accuracy']:.4f}, "
        f"temperature {temperature:.3f}")
    fields = {"temperature": temperature, "metrics": metrics,
              "training": {**dataclasses.asdict(cfg), "hidden": list(cfg.hidden)}}
    return attach(model_dir, params, fields, (digits, labels), log)


def attach(model_dir, params, fields: dict, training: tuple, log=print) -> dict:
    """Attach the pair network `params` (with its manifest `fields`) to the artifact in
    `model_dir`, with the number's confidence calibrated anew on numbers of the
    `training` digits (uint8 (N, 28, 28), labels (N,)) from VALIDATION_FROM on."""
    digits, labels = training
    model = store.load(model_dir)
    model = dataclasses.replace(model, pair=params,
                                manifest={**model.manifest, "pair": fields})
    log(f"calibrating the number's confidence on {number.NUMBERS} numbers of training "
        "digits")
    raw, right = number.readings(model, digits[VALIDATION_FROM:], labels[VALIDATION_FROM:],
                                 number.NUMBERS, np.random.default_rng(number.SEED))
    fitted = number.fit(raw, right)
    log(f"numbers read right: {right.mean():.3f}; map {fitted}")
    return store.attach_pair(model_dir, params, **{
        **fields, "number_confidence": {**fitted, "numbers": number.NUMBERS,
                                        "right": float(right.mean())}})


def attach_from(model_dir, source_dir, data_dir, *, log=print) -> dict:
    """The pair network of the artifact in `source_dir`, attached to `model_dir`'s (after
    the digit network was retrained, say), its number confidence calibrated anew."""
    source = store.load(source_dir)
    if source.pair is None:
        raise store.ArtifactError(f"{source_dir}: no pair network in its model.json "
                                  "(field pair); train one with `python -m trainer pair`")
    digits, labels, _ = idx.load_split(data_dir, "train", True, "mnist")
    fields = {k: v for k, v in source.manifest["pair"].items()
              if k not in ("layers", "input", "labels", "weights_sha256", "number_confidence")}
    return attach(model_dir, source.pair, fields, (digits, labels), log)


def _fitted(cfg: PairConfig, train_xy, rng, log):
    """The pair network trained on train_xy by the trainer's own loop."""
    params = network.init([pair.PIXELS, *cfg.hidden, len(pair.LABELS)], rng)
    loop_cfg = Config(hidden=cfg.hidden, optimizer="adam", lr=cfg.lr, epochs=cfg.epochs,
                      batch_size=cfg.batch_size, lr_schedule="cosine", seed=cfg.seed)
    opt = optim.make(loop_cfg.optimizer, network.flatten(params), loop_cfg.momentum)
    with StopFlag() as stop:
        for epoch in range(1, cfg.epochs + 1):
            t0 = time.perf_counter()
            loss, acc = run_epoch(loop_cfg, params, opt, train_xy, rng, epoch=epoch,
                                  stop=stop, outlier_pool=None)
            log(f"pair epoch {epoch}/{cfg.epochs} loss {loss:.4f} acc {acc:.4f} "
                f"{time.perf_counter() - t0:.1f}s")
            if stop.requested:
                raise KeyboardInterrupt
    return [(w.astype(np.float32), b.astype(np.float32)) for w, b in params]
