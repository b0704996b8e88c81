"""One live stream's state (a webcam session): face ids, smoothed probabilities, frame rate.

Each browser session owns one `LiveSession`, so two people using the app never share state.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from .analyzer import EmotionAnalyzer
from .annotate import annotate
from .media import load_image
from .tracking import FaceTracker, ProbabilitySmoother
from .types import FaceResult


@dataclass
class LiveFrame:
    annotated: np.ndarray
    faces: list[FaceResult]  # with smoothed probabilities
    raw: list[FaceResult]  # as the CNN saw this frame
    face_ids: list[int]
    fps: float


@dataclass
class LiveSession:
    half_life_s: float = 0.5
    tracker: FaceTracker = field(default_factory=FaceTracker)
    smoother: ProbabilitySmoother = field(default_factory=ProbabilitySmoother)
    _times: deque = field(default_factory=lambda: deque(maxlen=30))

    def __post_init__(self):
        self.smoother.half_life_s = self.half_life_s

    def process(self, analyzer: EmotionAnalyzer, frame, now: float | None = None) -> LiveFrame:
        now = time.monotonic() if now is None else now
        rgb = load_image(frame, name="webcam frame")
        raw = analyzer.analyze(rgb)
        boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in (f.box for f in raw)], np.float32).reshape(-1, 4)
        ids = self.tracker.update(boxes, now)
        smoothed = [replace(f, probabilities=self.smoother.update(i, f.probabilities, now)) for f, i in zip(raw, ids)]
        self.smoother.forget_except(ids)
        self._times.append(now)
        fps = (len(self._times) - 1) / (self._times[-1] - self._times[0]) if len(self._times) > 1 and self._times[-1] > self._times[0] else 0.0
        return LiveFrame(annotate(rgb, smoothed, ids), smoothed, raw, ids, fps)
