"""The training recipes by name, and the precisions a run may ask for: plain data, kept apart
from the engine so that `python -m emotion train --help` can list them without PyTorch."""

from __future__ import annotations

from dataclasses import dataclass

from . import augment
from .augment import AugmentConfig


@dataclass(frozen=True)
class Recipe:
    arch: str
    epochs: int
    batch_size: int
    optimizer: str  # sgd (Nesterov momentum 0.9) | adam
    lr: float  # peak (onecycle) or starting (plateau) learning rate
    schedule: str  # onecycle | plateau (the seed's ReduceLROnPlateau on PublicTest loss)
    weight_decay: float  # on convolution and dense kernels only
    label_smoothing: float
    augment: AugmentConfig
    mixup: float = 0.0  # share of batches mixed: half of them by mixup, half by cutmix
    precision: str = "auto"  # bf16 (autocast) | fp32 | auto: bf16 where the hardware computes it natively
    channels_last: bool = True


RECIPES = {
    # The seed project: Adam 5e-4, batch 64, horizontal flips, ReduceLROnPlateau, 15 epochs.
    "seed": Recipe("seed", 15, 64, "adam", 5e-4, "plateau", 0.0, 0.0, augment.SEED_AUGMENT),
    # Ours: SGD + Nesterov, one-cycle, label smoothing, augmentation that imitates real inputs.
    "vgg-s": Recipe("vgg-s", 150, 128, "sgd", 0.1, "onecycle", 5e-4, 0.1, augment.REAL_AUGMENT),
    "vgg-m": Recipe("vgg-m", 120, 128, "sgd", 0.1, "onecycle", 5e-4, 0.1, augment.REAL_AUGMENT),
    "vgg-l": Recipe("vgg-l", 120, 128, "sgd", 0.1, "onecycle", 5e-4, 0.1, augment.REAL_AUGMENT, mixup=0.3),
    "vgg-d": Recipe("vgg-d", 120, 128, "sgd", 0.1, "onecycle", 5e-4, 0.1, augment.REAL_AUGMENT, mixup=0.5),
    "tiny": Recipe("tiny", 1, 64, "adam", 1e-3, "plateau", 0.0, 0.0, augment.SEED_AUGMENT),
}
PRECISIONS = ("auto", "bf16", "fp32")
