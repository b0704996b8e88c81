"""Image loading and validation: every entry point turns its input into one RGB uint8 array,
or raises an error that names the input and what is wrong with it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import ImageInputError


def load_image(source, bgr: bool = False, name: str | None = None) -> np.ndarray:
    """A path or an array -> (h, w, 3) RGB uint8.

    Arrays may be gray (h, w) or (h, w, 1), colour (h, w, 3) or with alpha (h, w, 4); colour
    arrays are taken as RGB unless `bgr=True` (OpenCV frames). Files are decoded by OpenCV.
    """
    if source is None:
        raise ImageInputError("image is None: pass a file path or an image array")
    if isinstance(source, (str, Path)):
        return _read_file(Path(source))
    if not isinstance(source, np.ndarray):
        try:
            source = np.asarray(source)  # e.g. a PIL image
        except Exception as exc:
            raise ImageInputError(f"{type(source).__name__} is not an image: pass a path or a NumPy array") from exc
    return to_rgb(source, bgr=bgr, name=name or "image array")


def _read_file(path: Path) -> np.ndarray:
    if not path.exists():
        raise ImageInputError(f"{path}: no such file")
    if path.is_dir():
        raise ImageInputError(f"{path}: is a folder, not an image file")
    data = np.fromfile(path, dtype=np.uint8)
    if data.size == 0:
        raise ImageInputError(f"{path}: empty file")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageInputError(f"{path}: not a readable image (OpenCV could not decode it)")
    return to_rgb(image, bgr=True, name=str(path))


def to_rgb(image: np.ndarray, bgr: bool = False, name: str = "image array") -> np.ndarray:
    """An array (gray, gray with a channel axis, RGB/BGR, RGBA/BGRA) -> (h, w, 3) RGB uint8."""
    if image.dtype != np.uint8:
        hint = " (16-bit: convert with (img >> 8).astype(np.uint8))" if image.dtype == np.uint16 else ""
        raise ImageInputError(f"{name}: expected 8-bit pixels (uint8), got {image.dtype}{hint}")
    if image.size == 0:
        raise ImageInputError(f"{name}: empty image, shape {image.shape}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ImageInputError(f"{name}: expected shape (h, w), (h, w, 3) or (h, w, 4), got {image.shape}")
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB if bgr else cv2.COLOR_RGBA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if bgr else np.ascontiguousarray(image)



def to_gray(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 -> gray uint8, computed once per frame and shared by the face crops and motion."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
