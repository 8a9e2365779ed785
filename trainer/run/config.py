"""Every hyperparameter of a training run, in one frozen dataclass.

The manifest records it (`as_json`), and --resume refuses a checkpoint made with
other values.
"""

import dataclasses

from trainer.data.augment import Distortion


@dataclasses.dataclass(frozen=True)
class Config:
    """Every hyperparameter; stored in the manifest and checked on --resume."""

    hidden: tuple[int, ...] = (512,)
    optimizer: str = "rmsprop"
    lr: float = 1e-3
    momentum: float = 0.9
    batch_size: int = 128
    epochs: int = 5
    weight_decay: float = 0.0
    dropout: float = 0.0
    lr_schedule: str = "constant"
    warmup: float = 0.0  # epochs of linear learning-rate warm-up
    lr_step: int = 10
    lr_gamma: float = 0.1
    val_split: float = 0.0
    patience: int = 0
    seed: int = 0
    train_limit: int = 0  # 0 = every training example; N = the first N (smoke runs)
    dataset: str = "mnist"
    verify: bool = True
    augment: tuple[str, ...] = ()  # distortions drawn afresh every epoch: affine, elastic
    rotate: float = Distortion.rotate
    scale: float = Distortion.scale
    shear: float = Distortion.shear
    shift: float = Distortion.shift
    elastic_alpha: float = Distortion.alpha
    elastic_sigma: float = Distortion.sigma
    outliers: float = 0.0  # non-digits added to each batch, as a fraction of its size
    outlier_weight: float = 0.5  # their loss's weight against the digits' (Hendrycks: 0.5)
    refuse: float = 0.005  # the share of validation digits the verdict may refuse
    init: str = ""  # a model directory to start from ("": random weights)
    user_share: float = 0.1  # the users' examples' share of each batch (when there are any)
    user_holdout: float = 0.2  # the share of the users' examples held out to score on

    def as_json(self) -> dict:
        return {**dataclasses.asdict(self), "hidden": list(self.hidden),
                "augment": list(self.augment)}

    def distortion(self) -> Distortion:
        return Distortion(kinds=self.augment, rotate=self.rotate, scale=self.scale,
                          shear=self.shear, shift=self.shift,
                          alpha=self.elastic_alpha, sigma=self.elastic_sigma)
