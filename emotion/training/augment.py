"""Training-time augmentation in NumPy/OpenCV on 48x48 gray faces, in two steps: `sample` draws
each image's random parameters (a `Views` value), `apply` renders them.

Two steps, so that a distillation teacher can be run once on fixed views (a few augmented
copies of every face, cached with its answers) and the student can later be trained on exactly
those views. The photometric part imitates what real inputs do to a face and FER2013's web
crops do not show: webcam gain and gamma, blur, JPEG compression, sensor noise, a hand or
glasses over part of the face (random erasing); `VIDEO_AUGMENT` adds what recorded video brings
on top (a dim room, motion blur, small faces scaled up, heavy compression, a head tilted by up
to 30 degrees). The degradations themselves live in `degrade.py`, which the robustness benchmark
applies in fixed amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import degrade


@dataclass(frozen=True)
class AugmentConfig:
    flip: bool = True
    max_rotation_deg: float = 0.0
    max_scale: float = 0.0  # zoom in/out by up to this fraction
    max_shift: float = 0.0  # translate by up to this fraction of the side (a random crop, for 40-pixel views)
    erase_prob: float = 0.0  # probability of one random erased rectangle
    max_brightness: float = 0.0  # add up to +-this fraction of full scale
    max_contrast: float = 0.0  # multiply the deviation from mid-gray by 1 +- this
    max_gamma: float = 0.0  # gamma exp(+-this)
    blur_prob: float = 0.0  # Gaussian blur, sigma 0.3..max_blur
    jpeg_prob: float = 0.0  # JPEG round trip at quality min_jpeg..90
    max_noise: float = 0.0  # Gaussian noise, std up to this many gray levels
    max_blur: float = 1.2
    min_jpeg: int = 20
    dim_prob: float = 0.0  # a dim room: every level times 0.3..1
    down_prob: float = 0.0  # a small face: down to 14..36 pixels and back up
    motion_prob: float = 0.0  # motion blur along a line of 3..9 pixels, any direction


SEED_AUGMENT = AugmentConfig(flip=True)
# The photometric ranges are those of webcam video and compressed recordings; the geometric ones
# cover our detectors' framing (BlazeFace crops at 1.15x the box, Haar at 1x) and head roll.
REAL_AUGMENT = AugmentConfig(flip=True, max_rotation_deg=15, max_scale=0.15, max_shift=0.1, erase_prob=0.5,
                             max_brightness=0.15, max_contrast=0.3, max_gamma=0.3, blur_prob=0.2, jpeg_prob=0.3,
                             max_noise=6.0)
# Recorded video: soft focus, compression, small faces, dim rooms, moving heads, and a head
# tilted by up to 30 degrees; about a third of the views keep a clean picture.
VIDEO_AUGMENT = replace(REAL_AUGMENT, max_rotation_deg=30, erase_prob=0.4, blur_prob=0.35, max_blur=2.2, jpeg_prob=0.35,
                        min_jpeg=8, max_noise=8.0, dim_prob=0.2, down_prob=0.2, motion_prob=0.15)
AUGMENTS = {"seed": SEED_AUGMENT, "real": REAL_AUGMENT, "video": VIDEO_AUGMENT}


@dataclass(frozen=True)
class Views:
    """Per-image augmentation parameters for n images (every array has n rows)."""

    flip: np.ndarray  # bool
    angle: np.ndarray  # degrees
    scale: np.ndarray
    shift: np.ndarray  # (n, 2) pixels
    erase: np.ndarray  # (n, 4) y, x, h, w; h = 0: none
    gain: np.ndarray
    offset: np.ndarray  # gray levels
    gamma: np.ndarray
    blur: np.ndarray  # sigma, 0: none
    jpeg: np.ndarray  # quality, 0: none
    noise: np.ndarray  # std in gray levels
    seed: np.ndarray  # per image, for the noise and the erased patch's content
    dim: np.ndarray  # overall gain, 1: none
    down: np.ndarray  # side in pixels, 0: none
    motion: np.ndarray  # (n, 2) length in pixels (0: none) and direction in degrees

    def __len__(self) -> int:
        return len(self.flip)

    def take(self, index) -> "Views":
        return Views(**{k: v[index] for k, v in self.__dict__.items()})

    def with_flip(self, flip: np.ndarray) -> "Views":
        return replace(self, flip=flip)


def sample(n: int, cfg: AugmentConfig, rng: np.random.Generator, side: int = 48) -> Views:
    u = lambda limit: rng.uniform(-limit, limit, n)  # noqa: E731
    erase = np.zeros((n, 4), np.int64)
    chosen = rng.random(n) < cfg.erase_prob
    eh, ew = rng.integers(side // 8, side // 2, (2, n))
    erase[chosen] = np.stack([rng.integers(0, side - eh), rng.integers(0, side - ew), eh, ew], axis=1)[chosen]
    return Views(
        flip=(rng.random(n) < 0.5) if cfg.flip else np.zeros(n, bool),
        angle=u(cfg.max_rotation_deg), scale=1.0 + u(cfg.max_scale), shift=rng.uniform(-cfg.max_shift, cfg.max_shift, (n, 2)) * side,
        erase=erase, gain=1.0 + u(cfg.max_contrast), offset=u(cfg.max_brightness) * 255, gamma=np.exp(u(cfg.max_gamma)),
        blur=np.where(rng.random(n) < cfg.blur_prob, rng.uniform(0.3, cfg.max_blur, n), 0.0),
        jpeg=np.where(rng.random(n) < cfg.jpeg_prob, rng.integers(cfg.min_jpeg, 91, n), 0),
        noise=rng.uniform(0, cfg.max_noise, n), seed=rng.integers(0, 2**31, n),
        # drawn last, so that configurations without them render exactly as before
        dim=np.where(rng.random(n) < cfg.dim_prob, rng.uniform(0.3, 1.0, n), 1.0),
        down=np.where(rng.random(n) < cfg.down_prob, rng.integers(14, 37, n), 0),
        motion=np.stack([np.where(rng.random(n) < cfg.motion_prob, rng.uniform(3, 9, n), 0.0), rng.uniform(0, 180, n)], 1))


def apply(images: np.ndarray, views: Views) -> np.ndarray:
    """(n, h, w) uint8 -> (n, h, w) uint8, each image rendered with its own parameters."""
    out = np.empty_like(images)
    n, h, w = images.shape
    for i in range(n):
        img = images[i]
        if views.angle[i] or views.scale[i] != 1.0 or views.shift[i].any():
            img = degrade.roll(img, views.angle[i], views.scale[i], views.shift[i], border=degrade.cv2.BORDER_REFLECT_101)
        if views.flip[i]:
            img = img[:, ::-1]
        if views.gain[i] != 1.0 or views.offset[i] or views.gamma[i] != 1.0 or views.dim[i] != 1.0:
            img = degrade.tone(img, views.gamma[i], views.gain[i], views.offset[i], views.dim[i])
        if views.blur[i]:
            img = degrade.gaussian_blur(img, views.blur[i])
        if views.motion[i, 0]:
            img = degrade.motion_blur(img, views.motion[i, 0], views.motion[i, 1])
        if views.down[i]:
            img = degrade.downscale(img, views.down[i])
        if views.jpeg[i]:
            img = degrade.jpeg(img, views.jpeg[i])
        needs_rng = views.noise[i] > 0 or views.erase[i, 2] > 0
        rng = np.random.default_rng(int(views.seed[i])) if needs_rng else None
        if views.noise[i] > 0:
            img = degrade.noise(img, views.noise[i], rng)
        if views.erase[i, 2] > 0:
            y, x, eh, ew = (int(v) for v in views.erase[i])
            img = degrade.erase(img, y, x, eh, ew, rng.integers(0, 256, (eh, ew), dtype=np.uint8))
        out[i] = img
    return out


def augment_batch(images: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """(n, h, w) uint8 -> (n, h, w) uint8, each image randomly transformed."""
    return apply(images, sample(len(images), cfg, rng, images.shape[1]))
