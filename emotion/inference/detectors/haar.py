"""The seed project's detector: OpenCV's frontal-face Haar cascade, detectMultiScale(gray, 1.3, 5).

Fast and dependency-free, but it misses turned faces and fires on textures; kept so results
can be compared with the seed's. Large images are searched at a reduced size (the cascade's
cost grows with the pixel count while faces in such images are large anyway).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ...errors import ModelFileError
from ...types import Detections


def _cascade_path() -> Path:
    base = getattr(getattr(cv2, "data", None), "haarcascades", None)
    path = Path(base or "") / "haarcascade_frontalface_default.xml"
    if not base or not path.exists():
        raise ModelFileError("this OpenCV wheel ships no Haar cascade files; install opencv-python-headless 4.x "
                           "(see requirements.txt)")
    return path


class HaarDetector:
    name = "haar"

    def __init__(self, scale_factor: float = 1.3, min_neighbors: int = 5, max_side: int = 1280, min_size: int = 24,
                 threads: int | None = None):  # threads: accepted like the others; OpenCV keeps its own pool
        if not hasattr(cv2, "CascadeClassifier"):
            raise ModelFileError("cv2.CascadeClassifier is missing (OpenCV 5 moved it to the contrib wheel)")
        self._cascade = cv2.CascadeClassifier(str(_cascade_path()))
        self.scale_factor, self.min_neighbors = scale_factor, min_neighbors
        self.max_side, self.min_size = max_side, min_size

    def detect(self, image: np.ndarray) -> Detections:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        factor = min(1.0, self.max_side / max(gray.shape))
        if factor < 1.0:
            gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        boxes, neighbours = self._cascade.detectMultiScale2(
            gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=(self.min_size, self.min_size))
        if len(boxes) == 0:
            return Detections.empty()
        boxes = np.asarray(boxes, np.float32)
        xyxy = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1) / factor
        # The cascade gives no probability; the number of merged neighbour windows is its
        # evidence. n / (n + min_neighbors) maps it into 0.5..1 for accepted faces.
        n = np.asarray(neighbours, np.float32).reshape(-1)
        return Detections(xyxy.astype(np.float32), n / (n + self.min_neighbors), None)
