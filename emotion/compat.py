"""The seed project's two helper classes, on top of the shared analyzer.

`FacialExpressionModel` reloads a saved model (a `.keras` file, or the seed's JSON +
`.weights.h5` pair) and classifies one face; `VideoCamera` turns a live source into annotated
frames. The names and methods follow the seed so that its scripts keep working.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

from .draw.annotate import annotate
from .errors import VideoError
from .inference.analyzer import EmotionAnalyzer
from .inference.classifier import EmotionClassifier
from .config import DEFAULT_DETECTOR
from .io.image import to_rgb
from .labels import EMOTIONS


class FacialExpressionModel:
    """Reload a saved model and ask it about one face crop (gray or colour, any size)."""

    EMOTIONS_LIST = list(EMOTIONS)

    def __init__(self, model_file: str | Path, weights_file: str | Path | None = None, flip_tta: bool = True):
        self.classifier = EmotionClassifier.from_path(model_file, weights_file, flip_tta=flip_tta)

    def predict_probabilities(self, face: np.ndarray) -> dict[str, float]:
        probs = self.classifier.predict(face)[0]
        return {e: float(p) for e, p in zip(EMOTIONS, probs)}

    def predict_emotion(self, face: np.ndarray) -> str:
        probs = self.predict_probabilities(face)
        return max(probs, key=probs.get)


class VideoCamera:
    """Annotated frames from a webcam index, an open `cv2.VideoCapture`, or any iterable of
    frames. Iterating yields RGB frames; `get_frame()` returns the next one as JPEG bytes
    (what the seed's Flask page streamed). Frames from OpenCV sources are BGR; pass
    `bgr=False` for an iterable of RGB frames."""

    def __init__(self, source: int | str | cv2.VideoCapture | Iterable[np.ndarray] = 0,
                 analyzer: EmotionAnalyzer | None = None, detector: str = DEFAULT_DETECTOR, bgr: bool | None = None):
        self.analyzer = analyzer or EmotionAnalyzer(detector)
        self._capture = None
        if isinstance(source, (int, str)):
            source = cv2.VideoCapture(source)
        if isinstance(source, cv2.VideoCapture):
            if not source.isOpened():
                raise VideoError("video source could not be opened (no camera at that index, or an unreadable file)")
            self._capture = source
            self._frames = self._read_capture()
            self.bgr = True if bgr is None else bgr
        else:
            self._frames = iter(source)
            self.bgr = False if bgr is None else bgr
        self.last_faces = []

    def _read_capture(self) -> Iterator[np.ndarray]:
        while True:
            ok, frame = self._capture.read()
            if not ok:
                return
            yield frame

    def __iter__(self) -> Iterator[np.ndarray]:
        for frame in self._frames:
            rgb = to_rgb(np.asarray(frame), bgr=self.bgr, name="video frame")
            self.last_faces = self.analyzer.analyze(rgb)
            yield annotate(rgb, self.last_faces)

    def get_frame(self) -> bytes | None:
        """The next annotated frame as JPEG bytes, or None when the source has ended."""
        frame = next(iter(self), None)
        if frame is None:
            return None
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        return jpeg.tobytes() if ok else None

    def release(self) -> None:
        if self._capture is not None:
            self._capture.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __del__(self):
        self.release()
