"""Value types that flow between detectors, the classifier, trackers and annotators."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .labels import EMOTIONS


@dataclass(frozen=True)
class Detections:
    """Faces found in one image, as parallel arrays (in the spirit of supervision's Detections).

    xyxy: (n, 4) float32 pixel corners; scores: (n,) detector confidence in 0..1;
    keypoints: (n, k, 2) float32 pixel points (BlazeFace: right eye, left eye, nose tip, mouth,
    right ear, left ear - "right" meaning the person's right) or None when the detector has none.
    """

    xyxy: np.ndarray
    scores: np.ndarray
    keypoints: np.ndarray | None = None

    @staticmethod
    def empty() -> "Detections":
        return Detections(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), None)

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, index) -> "Detections":
        index = np.atleast_1d(np.arange(len(self))[index])
        kp = None if self.keypoints is None else self.keypoints[index]
        return Detections(self.xyxy[index], self.scores[index], kp)

    @property
    def xywh(self) -> np.ndarray:
        """(n, 4) integer x, y, width, height, the form the CSV timelines use."""
        x0, y0, x1, y1 = np.round(self.xyxy).astype(np.int64).T
        return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)

    def scaled(self, factor: float) -> "Detections":
        kp = None if self.keypoints is None else self.keypoints * factor
        return Detections((self.xyxy * factor).astype(np.float32), self.scores, kp)

    def clipped(self, width: int, height: int) -> "Detections":
        """Boxes clipped to the image; boxes left with no area are dropped."""
        xyxy = self.xyxy.copy()
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height)
        keep = (xyxy[:, 2] - xyxy[:, 0] >= 2) & (xyxy[:, 3] - xyxy[:, 1] >= 2)
        kp = None if self.keypoints is None else self.keypoints[keep]
        return Detections(xyxy[keep], self.scores[keep], kp)


@dataclass(frozen=True)
class FaceResult:
    """One face: where it is, how sure the detector is, and the 7 emotion probabilities."""

    box: tuple[int, int, int, int]  # x, y, width, height in pixels
    det_score: float
    probabilities: np.ndarray = field(repr=False)  # (7,) float32 in FER2013 order, sums to 1
    keypoints: np.ndarray | None = field(default=None, repr=False)
    # With EmotionAnalyzer(actions=True): the 468-point mesh (x, y, z in pixels) and the raw
    # action/pose measurements in emotion.actions.MEASURE_NAMES order (not baseline-relative).
    landmarks: np.ndarray | None = field(default=None, repr=False)
    actions: np.ndarray | None = field(default=None, repr=False)

    @property
    def emotion(self) -> str:
        return EMOTIONS[int(np.argmax(self.probabilities))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.probabilities))

    def as_dict(self) -> dict:
        """JSON-ready form (used by the app's API and the batch outputs)."""
        x, y, w, h = self.box
        return {
            "box": {"x": x, "y": y, "w": w, "h": h},
            "det_score": round(float(self.det_score), 4),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "probabilities": {e: round(float(p), 4) for e, p in zip(EMOTIONS, self.probabilities)},
            **({} if self.actions is None else {"actions": self.action_dict()}),
        }

    def action_dict(self) -> dict[str, float]:
        from .actions import MEASURE_NAMES

        return {} if self.actions is None else {n: round(float(v), 4) for n, v in zip(MEASURE_NAMES, self.actions)}
