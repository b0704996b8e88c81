"""What real video does to a face, as small functions on one gray uint8 image.

One set of functions serves two callers, so that what the model is trained to withstand and
what it is measured against cannot drift apart: the training augmentation (`augment.apply`
draws random amounts of each) and the robustness benchmark (`benchmarks/robustness.py` applies
fixed amounts). Each returns a new uint8 image of the same size.
"""

from __future__ import annotations

import cv2
import numpy as np


def roll(img: np.ndarray, degrees: float, scale: float = 1.0, shift=(0.0, 0.0), border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """A head tilted in the image plane (turned about the centre, optionally zoomed and moved)."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), float(degrees), float(scale))
    m[:, 2] += np.asarray(shift, np.float64)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=border)


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Soft focus: a lens or webcam out of focus, or the scaler of a video pipeline."""
    return cv2.GaussianBlur(img, (0, 0), float(sigma))


def motion_blur(img: np.ndarray, length: float, angle_deg: float) -> np.ndarray:
    """A head or camera moving during the exposure: the image smeared along a line of `length`
    pixels at `angle_deg` (0: horizontal)."""
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = np.cos(np.radians(angle_deg)) * (length - 1) / 2, np.sin(np.radians(angle_deg)) * (length - 1) / 2
    cv2.line(kernel, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1, cv2.LINE_AA)
    kernel /= kernel.sum()
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REPLICATE)


def downscale(img: np.ndarray, side: int) -> np.ndarray:
    """A small face: seen at `side` pixels, then scaled back up to the net's input size."""
    h, w = img.shape[:2]
    small = cv2.resize(img, (int(side), int(side)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """A compressed recording or photo: one JPEG round trip at `quality` (1..100)."""
    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(img), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if ok else img


def tone(img: np.ndarray, gamma: float = 1.0, contrast: float = 1.0, offset: float = 0.0, gain: float = 1.0) -> np.ndarray:
    """Webcam exposure and light: gamma, contrast about mid-gray, an offset in gray levels,
    then an overall gain (a dim room: gain 0.4)."""
    levels = np.arange(256, dtype=np.float64)
    lut = 255.0 * (levels / 255.0) ** gamma
    lut = ((lut - 128.0) * contrast + 128.0 + offset) * gain
    return cv2.LUT(np.ascontiguousarray(img), np.clip(lut, 0, 255).astype(np.uint8))


def noise(img: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise: Gaussian, `std` gray levels."""
    return np.clip(img + rng.normal(0, std, img.shape), 0, 255).astype(np.uint8)


def erase(img: np.ndarray, y: int, x: int, h: int, w: int, fill) -> np.ndarray:
    """Part of the face hidden (a hand, a microphone, hair): the rectangle replaced by `fill`
    (a value, or an array of the rectangle's shape)."""
    out = np.array(img)
    out[y : y + h, x : x + w] = fill
    return out
