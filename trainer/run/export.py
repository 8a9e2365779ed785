"""The end of a training run: the test-set scores, then the artifact with its manifest.

The manifest records the configuration, the scores, the epochs' metrics and the
SHA-256 of the data files; non-finite scores are never exported.
"""

import json
from pathlib import Path

import numpy as np

from trainer.artifact import inference, store
from trainer.artifact.integrity import METRICS_FILE
from trainer.data import idx
from trainer.eval import calibrate, scores
from trainer.run import compare
from trainer.run.loop import TrainError


def export(cfg, out, params, data, *, work: Path, state, validation=None,
           users=(None, None), init=None) -> dict:
    """Score `params` on the test split of data = (data_dir, training files' digests) and
    publish the artifact at `out`; returns the manifest. With validation = ((x, y),
    non-digits), the manifest gets the verdict chosen on them (trainer/eval/calibrate.py);
    without, an --init model's verdict is kept. users = (trained on, held out) and `init`
    (store.Model) add the side-by-side comparison (compare.py) as metrics "compare"."""
    data_dir, digests = data
    images, labels, test_digests = idx.load_split(data_dir, "test", cfg.verify, cfg.dataset)
    y = labels.astype(np.intp)
    x_test = inference.as_inputs(images)
    test_loss, pred = scores.loss_and_predicted(params, x_test, y)
    rows = [json.loads(line) for line in
            (work / METRICS_FILE).read_text(encoding="utf-8").splitlines() if line]
    metrics = {"test_accuracy": scores.accuracy(y, pred), "test_loss": test_loss,
               "per_class_accuracy": scores.per_class_accuracy(y, pred, params[-1][1].size),
               "epochs_run": state.epoch, "stopped_early": state.stopped_early,
               "train_seconds": round(sum(r["seconds"] for r in rows), 3)}
    if rows:
        metrics.update({k: rows[-1][k] for k in
                        ("train_loss", "train_accuracy", "val_loss", "val_accuracy")})
    if not all(v is None or np.isfinite(v) for v in _numbers(metrics)):
        raise TrainError(f"{out}: refusing to export non-finite metrics {metrics}; "
                         "lower --lr")
    fields = _verdict(cfg, params, validation, init)
    sha = {**digests, **test_digests}
    if users[0] is not None:
        sha["users"] = users[0].sha256()
        metrics["compare"] = _compare(params, fields, init, (x_test, y), users[1])
    return store.save(
        out, params, extras=[work / METRICS_FILE], name=f"{cfg.dataset}-mlp",
        labels=idx.LABELS[cfg.dataset], training=cfg.as_json(), metrics=metrics,
        data={"dataset": cfg.dataset, "verified": cfg.verify, "sha256": sha}, **fields)


def _verdict(cfg, params, validation, init) -> dict:
    """{"verdict": ...}: chosen on the validation data, else the --init model's, else {}."""
    if validation is not None:
        return {"verdict": calibrate.verdict(params, validation[0], validation[1], cfg.refuse)}
    if init is not None and "verdict" in init.manifest:
        return {"verdict": {**init.manifest["verdict"], "chosen_on": f"kept from {cfg.init}"}}
    return {}


def _compare(params, fields: dict, init, mnist: tuple, held) -> dict:
    """compare.side_by_side of the --init model (if any) and the new one."""
    verdict = fields.get("verdict")
    models = {} if init is None else {f"before ({init.version})": (init.params, init.verdict)}
    models["after"] = (params, None if verdict is None else inference.Verdict(
        verdict["rule"], verdict["threshold"], verdict["temperature"]))
    return compare.side_by_side(models, mnist, held)


def _numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, float):
        yield obj
