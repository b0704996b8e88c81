"""Image loading and validation: the one loader behind every entry point (the app's image tab and
API, `visualize`, `EmotionAnalyzer.analyze()`), so that a photo gives the same faces wherever it
is sent. Every input becomes one RGB uint8 array, or an error that names the input and says what
to do about it.

The same rules everywhere:
- the pixel count is read from the file's header and checked against `max_pixels` before any
  decoding (a 519 KB PNG can hold 13000 x 13000 pixels: 1.2 GB and a minute to decode);
- the EXIF orientation is applied (phones store photos sideways and say so in EXIF);
- 16-bit images keep their top 8 bits; CMYK, palette and other modes become RGB; transparent
  pixels are shown over white; of a multi-frame file (GIF, TIFF) the first frame is used.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..config import DEFAULT_MAX_PIXELS
from ..errors import ImageInputError


def load_image(source, bgr: bool = False, name: str | None = None, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """A path, a PIL image or an array -> (h, w, 3) RGB uint8.

    Arrays may be gray (h, w) or (h, w, 1), colour (h, w, 3) or with alpha (h, w, 4), 8- or
    16-bit; colour arrays are taken as RGB unless `bgr=True` (OpenCV frames). `name` is what
    errors call the input (default: the path). `max_pixels` (None: no limit) applies to files,
    before they are decoded.
    """
    if source is None:
        raise ImageInputError("no image was given: pass a file path or an image array")
    if isinstance(source, (str, Path)):
        return read_image_file(Path(source), name, max_pixels)
    if isinstance(source, Image.Image):
        return pil_to_rgb(source)
    if not isinstance(source, np.ndarray):
        try:
            source = np.asarray(source)
        except Exception as exc:
            raise ImageInputError(f"{type(source).__name__} is not an image: pass a path or a NumPy array") from exc
    return to_rgb(source, bgr=bgr, name=name or "image array")


def megapixels(width: int, height: int) -> str:
    return f"{width * height / 1e6:.0f} megapixels" if width * height >= 1e6 else f"{width * height / 1e6:.1f} megapixels"


def too_large(name: str, width: int, height: int, max_pixels: int) -> ImageInputError:
    return ImageInputError(f"{name}: {width} x {height} pixels ({megapixels(width, height)}) is more than the "
                           f"{megapixels(max_pixels, 1)} allowed here; scale it down and try again")


NOT_AN_IMAGE = "not a readable image (a photo in JPEG, PNG, WebP, BMP, GIF or TIFF works)"
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError)


@contextmanager
def _opened(path, name: str):
    """PIL's lazy open (the header only), with its own pixel limit turned into our message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                yield im
    except Image.DecompressionBombError as exc:
        raise ImageInputError(f"{name}: too many pixels to open safely; scale it down and try again") from exc


def check_header(source, name: str, max_pixels: int | None) -> None:
    """Refuse a file (a path or a file object) that is not a picture, or holds more than
    `max_pixels` pixels (None: no limit), from its header alone."""
    try:
        with _opened(source, name) as im:
            width, height = im.size
    except ImageInputError:
        raise
    except UNREADABLE as exc:
        raise ImageInputError(f"{name}: {NOT_AN_IMAGE}") from exc
    if max_pixels is not None and width * height > max_pixels:
        raise too_large(name, width, height, max_pixels)


def read_image_file(path: Path, name: str | None = None, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    name = name or str(path)
    if not path.exists():
        raise ImageInputError(f"{name}: no such file")
    if path.is_dir():
        raise ImageInputError(f"{name}: is a folder, not an image file")
    if path.stat().st_size == 0:
        raise ImageInputError(f"{name}: empty file")
    check_header(path, name, max_pixels)
    try:
        with _opened(path, name) as im:
            return pil_to_rgb(ImageOps.exif_transpose(im))
    except ImageInputError:
        raise
    except UNREADABLE as exc:
        raise ImageInputError(f"{name}: {NOT_AN_IMAGE}") from exc


def pil_to_rgb(im: Image.Image) -> np.ndarray:
    """A PIL image in any mode -> (h, w, 3) RGB uint8, by the module's rules."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        return to_rgb(np.asarray(im).astype(np.uint32, copy=False).clip(0, 65535).astype(np.uint16), name="image")
    if im.mode == "F":
        return to_rgb(np.clip(np.asarray(im), 0, 255).astype(np.uint8), name="image")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (im.mode == "P" and "transparency" in im.info):
        return on_white(np.asarray(im.convert("RGBA")))
    return np.ascontiguousarray(np.asarray(im.convert("RGB")))


def on_white(rgba: np.ndarray) -> np.ndarray:
    """(h, w, 4) uint8 RGBA -> (h, w, 3) RGB, transparent pixels shown over white."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    return (rgba[..., :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)


def to_rgb(image: np.ndarray, bgr: bool = False, name: str = "image array") -> np.ndarray:
    """An array (gray, gray with a channel axis, RGB/BGR, RGBA/BGRA; 8- or 16-bit) -> (h, w, 3) RGB uint8."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    if image.dtype != np.uint8:
        raise ImageInputError(f"{name}: expected 8-bit pixels (uint8, 0..255), got {image.dtype}")
    if image.size == 0:
        raise ImageInputError(f"{name}: empty image, shape {image.shape}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ImageInputError(f"{name}: expected shape (h, w), (h, w, 3) or (h, w, 4), got {image.shape}")
    if image.shape[2] == 4:
        rgba = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA) if bgr else image
        return on_white(rgba)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if bgr else np.ascontiguousarray(image)


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 -> gray uint8, computed once per frame and shared by the face crops and motion."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
