"""A view bank: every training face rendered in K fixed augmented views, once, for training on a GPU.

Why: the augmentation (`augment.apply`, OpenCV per image, JPEG round trips included) renders
about 3,700 faces/s on one core, while a GPU trains vgg-s on tens of thousands a second. So on
a GPU the views are rendered ahead by every core (`render`), kept on the device as uint8 (K x
28,709 faces x 2,304 bytes: 74 MB a view), and each epoch shows every face in one randomly
chosen view, randomly mirrored, optionally mixed (mixup/cutmix): an epoch then costs no host
work at all. The views are drawn by the same `augment.sample`/`apply` as the CPU engine's, so
both engines train on the same distribution of inputs; a distillation teacher is scored on the
same bank, so its soft targets belong to exactly the pixels the student sees.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch
from tqdm.auto import tqdm

from . import augment
from .augment import AugmentConfig
from .engine import Trainer, _mix

_CHUNK = 2048
_faces: np.ndarray | None = None  # the training faces, handed once to each rendering process


def _keep_faces(images: np.ndarray) -> None:
    global _faces
    _faces = images


def _render_chunk(args) -> np.ndarray:
    index, views = args
    return augment.apply(_faces[index], views)


def render(images: np.ndarray, cfg: AugmentConfig, views: int, seed: int, workers: int | None = None,
           quiet: bool = False) -> np.ndarray:
    """(views, n, 48, 48) uint8: `views` augmented copies of every face, unmirrored (mirroring
    is drawn per epoch), rendered by `workers` processes (default: every core)."""
    n = len(images)
    params = augment.sample(views * n, cfg, np.random.default_rng(seed)).with_flip(np.zeros(views * n, bool))
    out = np.empty((views * n,) + images.shape[1:], np.uint8)
    starts = range(0, views * n, _CHUNK)
    jobs = ((np.arange(s, min(s + _CHUNK, views * n)) % n, params.take(slice(s, s + _CHUNK))) for s in starts)
    with ProcessPoolExecutor(workers or os.cpu_count(), initializer=_keep_faces, initargs=(images,)) as pool, \
            tqdm(total=views * n, desc="rendering views", unit="face", disable=quiet) as bar:
        for s, rendered in zip(starts, pool.map(_render_chunk, jobs)):
            out[s : s + len(rendered)] = rendered
            bar.update(len(rendered))
    return out.reshape((views, n) + images.shape[1:])


def as_input(faces: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """(n, 48, 48) float pixels -> the (n, 1, 48, 48) input the net trains on, in its memory order."""
    x = faces[:, None]
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def bank_epoch(trainer: Trainer, bank: torch.Tensor, targets: torch.Tensor, rng: np.random.Generator) -> float:
    """One epoch on the device: every face once, in one of its K views (chosen at random),
    mirrored with probability 1/2, the batch mixed as the recipe says. `bank` (K, n, 48, 48)
    uint8 and `targets` ((n, 7), or (K, n, 7) per view for distillation) live on the device.
    Returns the mean loss (read once, at the end: reading it every step would stall the GPU)."""
    device = bank.device
    k, n = bank.shape[:2]
    order = torch.from_numpy(rng.permutation(n)).to(device)
    picks = torch.from_numpy(rng.integers(0, k, n)).to(device)
    mirror = torch.from_numpy(rng.random(n) < 0.5).to(device)
    size, total, batches = trainer.recipe.batch_size, torch.zeros((), device=device), 0
    for start in range(0, n, size):
        idx = order[start : start + size]
        view = picks[idx]
        x = bank[view, idx].float()
        x = torch.where(mirror[idx, None, None], x.flip(-1), x)
        y = targets[view, idx] if targets.ndim == 3 else targets[idx]
        x, y = _mix(x, y, trainer.recipe.mixup, rng)
        total += trainer.step(as_input(x, trainer.recipe.channels_last), y)
        batches += 1
    return float(total) / max(batches, 1)
