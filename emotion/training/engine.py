"""The training engine: native PyTorch on the CPU (or a GPU when there is one), bf16 autocast and
channels-last memory, augmentation prepared on a second thread while the step runs.

Why not Keras: on this 2-core Zen 4 machine (avx512_bf16) one vgg-s training step ran at 154
images/s under Keras 3's PyTorch backend and 222 with mixed_bfloat16, against 438 for native
PyTorch with bf16 autocast and channels-last tensors (benchmarks/train_speed.py has the side-by-
side numbers). The architectures stay defined once (`nets.ArchSpec`); `convert` turns the
trained net into the TFLite file the app runs.

A run keeps one checkpoint in its work folder (model, optimizer, schedule, random state,
history, best PublicTest weights), rewritten atomically after every epoch: the same command
resumes an interrupted run where it stopped.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..errors import ModelFileError, UsageError
from ..io.files import atomic_path
from ..labels import NUM_CLASSES
from . import augment, nets, torch_nets
from .augment import Views
from .data import FerSplit
from .recipes import PRECISIONS, RECIPES, Recipe  # noqa: F401  (re-exported: the engine's callers name them here)




def native_bf16(device: str = "cpu") -> bool:
    """Whether `device` computes bf16 natively. On a CPU without AVX-512 BF16 or AMX, autocast
    emulates it: one vgg-s step took 11 s instead of 0.65 s in fp32 on an AVX2-only EPYC."""
    if torch.device(device).type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: str = "cpu") -> str:
    if precision not in PRECISIONS:
        raise UsageError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


@dataclass(frozen=True)
class Distillation:
    """Soft targets from a teacher (any model file the classifier loads, an ensemble manifest
    included), computed once on `views` fixed augmented copies of every training face and cached
    in the work folder. Each epoch the student sees, for each face, one of those views (with a
    random mirror: the teacher averages a face and its mirror image, so its answer holds for both)."""

    teacher: str
    alpha: float = 0.7  # weight of the teacher's distribution against the (smoothed) label
    temperature: float = 2.0  # > 1 softens the teacher, exposing its second choices
    views: int = 8


def soft_targets(teacher_probs: np.ndarray, labels: np.ndarray, d: Distillation, label_smoothing: float = 0.0) -> np.ndarray:
    """alpha * teacher distribution at temperature T + (1 - alpha) * (smoothed) one-hot label."""
    softened = np.power(np.clip(teacher_probs, 1e-8, 1.0), 1.0 / d.temperature)
    softened /= softened.sum(axis=1, keepdims=True)
    return (d.alpha * softened + (1 - d.alpha) * one_hot(labels, label_smoothing)).astype(np.float32)


def one_hot(labels: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    out = np.full((len(labels), NUM_CLASSES), smoothing / NUM_CLASSES, np.float32)
    out[np.arange(len(labels)), labels] += 1.0 - smoothing
    return out


def to_tensor(faces: np.ndarray, channels_last: bool = False) -> torch.Tensor:
    """(n, 48, 48) uint8 -> (n, 1, 48, 48) float32 tensor of pixels 0..255."""
    x = torch.from_numpy(np.ascontiguousarray(faces, np.float32)[:, None])
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def autocast(precision: str, device: str = "cpu"):
    return torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16")


def predict_logits(net: nn.Module, faces: np.ndarray, flip: bool = True, batch: int = 512,
                   precision: str = "fp32") -> np.ndarray:
    """(views, n, 7) float32 logits of the faces (and, with `flip`, of their mirror images),
    computed on whatever device the net is on."""
    net.eval()
    device = next(net.parameters()).device
    out = []
    with torch.inference_mode(), autocast(precision, device.type):
        for images in ([faces, faces[:, :, ::-1]] if flip else [faces]):
            out.append(np.concatenate([net(to_tensor(images[i : i + batch]).to(device)).float().cpu().numpy()
                                       for i in range(0, len(images), batch)]))
    return np.stack(out)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def flip_probabilities(net: nn.Module, faces: np.ndarray) -> np.ndarray:
    """What the shipped path computes (before calibration): softmax averaged over face and mirror."""
    return softmax(predict_logits(net, faces)).mean(axis=0)


def _param_groups(net: nn.Module, weight_decay: float) -> list[dict]:
    decay = [p for n, p in net.named_parameters() if p.ndim > 1]
    rest = [p for n, p in net.named_parameters() if p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


class Trainer:
    """One network and its optimizer, schedule and random state; `epoch` trains one pass."""

    def __init__(self, recipe: Recipe, steps_per_epoch: int, seed: int = 0, device: str = "cpu"):
        self.precision = resolve_precision(recipe.precision, device)
        torch.manual_seed(seed)
        self.recipe, self.device, self.steps_per_epoch = recipe, device, steps_per_epoch
        self.net = torch_nets.build(nets.spec(recipe.arch)).to(device)
        if recipe.channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        groups = _param_groups(self.net, recipe.weight_decay)
        if recipe.optimizer == "sgd":
            # One fused kernel per step on a GPU instead of several per parameter: there the
            # launches, not the arithmetic, bound a net this small.
            self.optimizer = torch.optim.SGD(groups, lr=recipe.lr, momentum=0.9, nesterov=True,
                                             fused=torch.device(device).type == "cuda")
        elif recipe.optimizer == "adam":
            self.optimizer = torch.optim.Adam(groups, lr=recipe.lr)
        else:
            raise UsageError(f"unknown optimizer {recipe.optimizer!r}")
        if recipe.schedule == "onecycle":
            self.schedule = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=recipe.lr, epochs=recipe.epochs,
                                                                steps_per_epoch=steps_per_epoch, pct_start=0.15,
                                                                div_factor=20, final_div_factor=200)
        elif recipe.schedule == "plateau":
            self.schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, factor=0.1, patience=2, min_lr=1e-5)
        else:
            raise UsageError(f"unknown schedule {recipe.schedule!r}")
        self.rng = np.random.default_rng(seed)

    def step(self, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """One optimisation step; returns the batch loss as a tensor on the device (reading it
        waits for the device, which a GPU loop should do once an epoch, not every step)."""
        self.net.train()
        with autocast(self.precision, torch.device(self.device).type):
            logits = self.net(x)
        loss = -(targets * torch.log_softmax(logits.float(), dim=1)).sum(dim=1).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.recipe.schedule == "onecycle":
            self.schedule.step()
        return loss.detach()

    def batches(self, split: FerSplit, targets: np.ndarray, views: Views | None = None) -> Iterator[tuple]:
        """One epoch of (input tensor, target tensor) pairs in a new random order, rendered on a
        background thread while the caller trains on the previous batch. `targets`: (n, 7) per
        face, or (views, n, 7) with `views` rendered ahead (distillation)."""
        order = self.rng.permutation(len(split))
        size = self.recipe.batch_size
        picks = self.rng.integers(0, targets.shape[0], len(split)) if targets.ndim == 3 else None
        seeds = self.rng.integers(0, 2**31, math.ceil(len(order) / size))
        out: queue.Queue = queue.Queue(maxsize=3)

        def produce():
            try:
                for b, start in enumerate(range(0, len(order), size)):
                    idx = order[start : start + size]
                    rng = np.random.default_rng(int(seeds[b]))
                    if picks is None:
                        v = augment.sample(len(idx), self.recipe.augment, rng)
                        y = targets[idx]
                    else:
                        v = views.take(picks[idx] * len(split) + idx).with_flip(rng.random(len(idx)) < 0.5)
                        y = targets[picks[idx], idx]
                    x = augment.apply(split.images[idx], v).astype(np.float32)
                    x, y = _mix(x, y, self.recipe.mixup, rng)
                    out.put((to_tensor(x, self.recipe.channels_last), torch.from_numpy(np.ascontiguousarray(y, np.float32))))
            except BaseException as exc:  # surfaced in the consumer
                out.put(exc)
            out.put(None)

        thread = threading.Thread(target=produce, daemon=True)
        thread.start()
        while (item := out.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
        thread.join()

    def epoch(self, split: FerSplit, targets: np.ndarray, views: Views | None = None, bar: tqdm | None = None) -> dict:
        started, losses, seen = time.perf_counter(), [], 0
        for x, y in self.batches(split, targets, views):
            losses.append(float(self.step(x.to(self.device), y.to(self.device))))
            seen += len(x)
            if bar is not None:
                bar.update(len(x))
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}", refresh=False)
        seconds = time.perf_counter() - started
        return {"loss": float(np.mean(losses)), "images_per_s": seen / seconds, "seconds": seconds}

    def state(self) -> dict:
        return {"model": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "rng": self.rng.bit_generator.state,
                "torch_rng": torch.get_rng_state()}

    def load_state(self, state: dict) -> None:
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])


def _mix(x, y, share: float, rng: np.random.Generator):
    """With probability `share`, mix the batch with a shuffled copy of itself: mixup (pixels and
    targets blended) or cutmix (a rectangle pasted, targets by area), half each. `x` (n, h, w)
    and `y` (n, 7) are NumPy arrays or tensors on any device: the same code mixes both."""
    if share <= 0 or rng.random() >= share:
        return x, y
    perm = rng.permutation(len(x))
    lam = float(rng.beta(1.0, 1.0))
    if rng.random() < 0.5:
        return lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm]
    side = x.shape[1]
    cut = int(round(side * math.sqrt(1 - lam)))
    cy, cx = rng.integers(0, side, 2)
    y0, y1, x0, x1 = max(cy - cut // 2, 0), min(cy + cut // 2, side), max(cx - cut // 2, 0), min(cx + cut // 2, side)
    mixed = x.copy() if isinstance(x, np.ndarray) else x.clone()
    mixed[:, y0:y1, x0:x1] = x[perm, y0:y1, x0:x1]
    kept = 1 - (y1 - y0) * (x1 - x0) / side**2
    return mixed, kept * y + (1 - kept) * y[perm]


def save_checkpoint(path: Path, payload: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_weights(path: str | Path, arch: str) -> dict:
    """The state dict of a trained net (NAME.pt, float16 or float32 on disk) of architecture `arch`."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: model file not found")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged file
        raise ModelFileError(f"{path}: not a loadable PyTorch checkpoint ({exc.__class__.__name__}: {exc})") from exc
    if saved.get("arch") != arch:
        raise ModelFileError(f"{path}: its architecture is {saved.get('arch')!r}, not --arch's {arch!r}")
    return {k: v.float() if v.is_floating_point() else v for k, v in saved["state_dict"].items()}


def save_weights(net: nn.Module, path: Path, half: bool = True) -> Path:
    """NAME.pt: the architecture's name and its weights (float16 on disk by default: half the
    size, and what `load_weights` turns back into float32)."""
    state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in net.state_dict().items()}
    save_checkpoint(path, {"arch": net.arch.name, "state_dict": state})
    return path


def recipe_dict(recipe: Recipe) -> dict:
    return {**asdict(recipe), "augment": asdict(recipe.augment)}
