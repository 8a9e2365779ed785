"""The sides bench/train_vs_torch.py times: the trainer's loop, PyTorch, and the GEMM
floor (the trainer's command line and its update alone are bench/training/trainer_sides.py).

Each returns {"seconds": [per epoch], "test_accuracy", ...} for one process.
"""

import itertools
import math
import time

import numpy as np

from trainer.artifact import PIXELS, inference
from trainer.data import idx
from trainer.data.batches import minibatches
from trainer.data.fetch import default_data_dir
from trainer.eval import scores
from trainer.nn import network, optim
from trainer.nn.schedule import lr_at
from trainer.run.config import Config
from trainer.run.loop import StopFlag, run_epoch

# "default" is `python -m trainer train`, and "distorted" the same with
# `--augment affine,elastic`; "shipped" is the network, optimizer and distortions of
# `make model` (not its validation split nor its non-digits), over the bench's epochs.
CONFIGS = {
    "default": Config(),
    "distorted": Config(augment=("affine", "elastic")),
    "shipped": Config(hidden=(1024, 1024), optimizer="adam", warmup=1.0, lr_schedule="cosine",
                      augment=("affine", "elastic"), seed=1),
}


def mnist():
    directory = default_data_dir()
    (xtr, ytr), (xte, yte) = (idx.load(directory, split) for split in ("train", "test"))
    return (inference.as_inputs(xtr), ytr.astype(np.intp),
            inference.as_inputs(xte), yte.astype(np.intp))


def _until(result: dict, epoch: int, accuracy: float, target: float | None) -> bool:
    """Records the first epoch at `target`; True when the run may stop."""
    result["test_accuracy"] = accuracy
    if target is not None and accuracy >= target and "epoch_of_target" not in result:
        result["epoch_of_target"] = epoch
        result["seconds_to_target"] = round(sum(result["seconds"]), 2)
    return target is not None and "epoch_of_target" in result


def numpy_run(cfg: Config, target: float | None = None) -> dict:
    x, y, xte, yte = mnist()
    rng = np.random.default_rng(cfg.seed)
    params = network.init([PIXELS, *cfg.hidden, 10], rng)
    opt = optim.make(cfg.optimizer, network.flatten(params))
    result = {"seconds": []}
    with StopFlag() as stop:
        for epoch in range(1, cfg.epochs + 1):
            t0 = time.perf_counter()
            run_epoch(cfg, params, opt, (x, y), rng, epoch=epoch, stop=stop)
            result["seconds"].append(time.perf_counter() - t0)
            _, pred = scores.loss_and_predicted(params, xte, yte)
            if _until(result, epoch, scores.accuracy(yte, pred), target):
                break
    return result


def torch_run(cfg: Config, target: float | None = None) -> dict:
    import torch

    torch.manual_seed(cfg.seed)
    x, y, xte, yte = mnist()
    model = _torch_model(torch, cfg)
    opt = (torch.optim.RMSprop(model.parameters(), lr=cfg.lr, alpha=0.9, eps=1e-7)
           if cfg.optimizer == "rmsprop"
           else torch.optim.Adam(model.parameters(), lr=cfg.lr, eps=1e-7))
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    rng = np.random.default_rng(cfg.seed)
    steps = math.ceil(len(x) / cfg.batch_size)
    result = {"seconds": []}
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        for step, (xb, yb) in enumerate(_torch_batches(torch, cfg, (x, y), (tx, ty), rng)):
            for group in opt.param_groups:
                group["lr"] = lr_at(cfg, epoch, step, steps)
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        result["seconds"].append(time.perf_counter() - t0)
        model.eval()
        with torch.no_grad():
            accuracy = (model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
        if _until(result, epoch, float(accuracy), target):
            break
    result["threads"] = torch.get_num_threads()
    return result


def _torch_model(torch, cfg: Config):
    layers, sizes = [], [PIXELS, *cfg.hidden, 10]
    for i in range(len(sizes) - 1):
        if i > 0:
            layers += [torch.nn.ReLU(), torch.nn.Dropout(cfg.dropout)]
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    return torch.nn.Sequential(*layers)


def _torch_batches(torch, cfg: Config, xy, txy, rng):
    """Without distortions, PyTorch's own indexing; with them, the trainer's distorted
    batches (the same background threads), as tensors."""
    if cfg.augment:
        perm = rng.permutation(len(xy[0]))
        for xb, yb in minibatches(*xy, perm, batch_size=cfg.batch_size, rng=rng,
                                  distortion=cfg.distortion()):
            yield torch.from_numpy(xb), torch.from_numpy(yb)
        return
    tx, ty = txy
    perm = torch.randperm(len(tx))
    for start in range(0, len(tx), cfg.batch_size):
        idx = perm[start:start + cfg.batch_size]
        yield tx[idx], ty[idx]


def gemm_floor(cfg: Config, target: float | None = None) -> dict:
    """Seconds per epoch of only the matrix products training does, on preallocated
    float32 arrays: per step, each layer's forward product and weight gradient, and
    each hidden layer's delta."""
    sizes = [PIXELS, *cfg.hidden, 10]
    rng = np.random.default_rng(0)
    batches = [cfg.batch_size] * (60000 // cfg.batch_size)
    if 60000 % cfg.batch_size:
        batches.append(60000 % cfg.batch_size)
    ws = [rng.random((a, b), dtype=np.float32) for a, b in itertools.pairwise(sizes)]
    acts = {b: [rng.random((b, n), dtype=np.float32) for n in sizes] for b in set(batches)}
    grads = [np.empty_like(w) for w in ws]
    result = {"seconds": [], "test_accuracy": float("nan")}
    for _ in range(cfg.epochs):
        t0 = time.perf_counter()
        for b in batches:
            a = acts[b]
            for i, w in enumerate(ws):
                np.matmul(a[i], w, out=a[i + 1])
            for i in reversed(range(len(ws))):
                np.matmul(a[i].T, a[i + 1], out=grads[i])
                if i > 0:
                    np.matmul(a[i + 1], ws[i].T, out=a[i])
        result["seconds"].append(time.perf_counter() - t0)
    return result


