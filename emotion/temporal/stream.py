"""The per-frame temporal step, written once and used by batch videos and the live webcam alike.

    stream = FaceStream()
    for time_s, rgb in frames:
        gray = to_gray(rgb)
        faces = analyzer.analyze_batch([rgb], grays=[gray])[0]
        tracked = stream.step(time_s, faces, gray)     # face ids, smoothing, motion
    events = stream.dynamics.events()

Boxes go to the tracker as the float corners the detector produced; each face leaves with its
`face_id` set, its smoothed probabilities and its motion energy, as one `TrackedFace`, which is
what every sink takes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..types import FaceResult, TrackedFace
from .dynamics import FaceDynamics
from .tracking import FaceTracker


class FaceStream:
    """Tracker + dynamics for one video or one webcam session (never shared between sessions)."""

    def __init__(self, half_life_s: float = 0.3, window_s: float | None = None, tracker: FaceTracker | None = None):
        self.tracker = tracker or FaceTracker()
        self.dynamics = FaceDynamics(half_life_s, window_s=window_s)

    def step(self, time_s: float, faces: list[FaceResult], gray: np.ndarray | None = None,
             motion: list[np.ndarray] | None = None) -> list[TrackedFace]:
        """One analysed frame's faces -> the same faces with ids, smoothed probabilities and
        motion (measured when `gray` is given and the faces carry landmarks; or, for frames
        analysed elsewhere, such as a video's time chunks, given per face in `motion`)."""
        xyxy = np.array([f.xyxy for f in faces], np.float32).reshape(-1, 4)
        ids = self.tracker.update(xyxy, time_s)
        return self.dynamics.update(time_s, gray, [replace(f, face_id=i) for f, i in zip(faces, ids)], motion)
