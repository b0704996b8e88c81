"""Training-time augmentation in NumPy/OpenCV, applied per batch on the host.

Kept out of the Keras graph on purpose: the same code then runs under any backend, and it
avoids the Keras augmentation layers, which were seen to hang under JAX with bf16.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    flip: bool = True
    max_rotation_deg: float = 0.0
    max_scale: float = 0.0  # zoom in/out by up to this fraction
    max_shift: float = 0.0  # translate by up to this fraction of the side
    erase_prob: float = 0.0  # probability of one random erased rectangle


SEED_AUGMENT = AugmentConfig(flip=True)
STRONG_AUGMENT = AugmentConfig(flip=True, max_rotation_deg=12, max_scale=0.12, max_shift=0.1, erase_prob=0.5)
MEDIUM_AUGMENT = AugmentConfig(flip=True, max_rotation_deg=8, max_scale=0.08, max_shift=0.08, erase_prob=0.25)


def augment_batch(images: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """(n, h, w) uint8 -> (n, h, w) uint8, each image randomly transformed."""
    out = images.copy()
    n, h, w = images.shape
    if cfg.flip:
        flip = rng.random(n) < 0.5
        out[flip] = out[flip, :, ::-1]
    if cfg.max_rotation_deg or cfg.max_scale or cfg.max_shift:
        angles = rng.uniform(-cfg.max_rotation_deg, cfg.max_rotation_deg, n)
        scales = 1.0 + rng.uniform(-cfg.max_scale, cfg.max_scale, n)
        shifts = rng.uniform(-cfg.max_shift, cfg.max_shift, (n, 2)) * (w, h)
        for i in range(n):
            m = cv2.getRotationMatrix2D((w / 2, h / 2), angles[i], scales[i])
            m[:, 2] += shifts[i]
            out[i] = cv2.warpAffine(out[i], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    if cfg.erase_prob:
        for i in np.flatnonzero(rng.random(n) < cfg.erase_prob):
            eh, ew = rng.integers(h // 8, h // 2, 2)
            y, x = rng.integers(0, h - eh), rng.integers(0, w - ew)
            out[i, y : y + eh, x : x + ew] = rng.integers(0, 256, (eh, ew), dtype=np.uint8)
    return out
