"""The learning rate of every step: a linear warm-up, then constant, step or cosine."""

import math

SCHEDULES = ("constant", "step", "cosine")


def lr_at(cfg, epoch: int, step: int, steps_per_epoch: int) -> float:
    """Learning rate for batch `step` of 1-based `epoch` under `cfg` (a run.config.Config).

    A linear warm-up over the first `cfg.warmup` epochs, then constant, step decay
    or a cosine decay to 0 over the remaining steps.
    """
    t = (epoch - 1) * steps_per_epoch + step
    warm = cfg.warmup * steps_per_epoch
    if t < warm:
        return cfg.lr * (t + 1) / warm
    if cfg.lr_schedule == "step":
        return cfg.lr * cfg.lr_gamma ** ((epoch - 1) // cfg.lr_step)
    if cfg.lr_schedule == "cosine":
        progress = (t - warm) / (cfg.epochs * steps_per_epoch - warm)
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * progress))
    return cfg.lr
