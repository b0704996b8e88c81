"""Value types that flow between the parts: detectors -> classifier -> tracker -> sinks.

`Detections` is what a detector finds in one image; `FaceResult` is one classified face (its
`face_id` is set once a tracker has seen it); `TrackedFace` is a face after the temporal step
(smoothing, motion), which is what every sink (annotated video, CSV timeline, summary, live
tables) consumes. Boxes stay float `xyxy` all the way; the integer `box` (x, y, w, h) is only
how they are written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .labels import EMOTIONS, MEASURE_NAMES


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one xyxy box with each of (n, 4) xyxy boxes."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
    return inter / np.maximum(area(box) + area(boxes) - inter, 1e-9)


def xyxy_to_xywh(xyxy: np.ndarray) -> np.ndarray:
    """(n, 4) float corners -> (n, 4) integer x, y, width, height (corners rounded first, so
    that a box and its neighbour share their edge)."""
    x0, y0, x1, y1 = np.round(np.asarray(xyxy, np.float64).reshape(-1, 4)).astype(np.int64).T
    return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)


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
        return xyxy_to_xywh(self.xyxy)

    @staticmethod
    def concat(parts: list["Detections"]) -> "Detections":
        parts = [p for p in parts if len(p)]
        if not parts:
            return Detections.empty()
        kp = None if any(p.keypoints is None for p in parts) else np.concatenate([p.keypoints for p in parts])
        return Detections(np.concatenate([p.xyxy for p in parts]), np.concatenate([p.scores for p in parts]), kp)

    def shifted(self, dx: float, dy: float) -> "Detections":
        """The same faces in the coordinates of an image this one was cut from at (dx, dy)."""
        kp = None if self.keypoints is None else self.keypoints + np.float32([dx, dy])
        return Detections(self.xyxy + np.float32([dx, dy, dx, dy]), self.scores, kp)

    @property
    def sides(self) -> np.ndarray:
        """(n,) the shorter side of each box in pixels."""
        return np.minimum(self.xyxy[:, 2] - self.xyxy[:, 0], self.xyxy[:, 3] - self.xyxy[:, 1])

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

    xyxy: np.ndarray = field(repr=False)  # (4,) float32 pixel corners
    det_score: float
    probabilities: np.ndarray = field(repr=False)  # (7,) float32 in FER2013 order, sums to 1
    keypoints: np.ndarray | None = field(default=None, repr=False)
    # With EmotionAnalyzer(actions=True): the 468-point mesh (x, y, z in pixels) and the raw
    # action/pose measurements in MEASURE_NAMES order (not baseline-relative).
    landmarks: np.ndarray | None = field(default=None, repr=False)
    measures: np.ndarray | None = field(default=None, repr=False)
    face_id: int | None = None  # set by a tracker (video, live); None for a still image
    # With actions from Face Mesh V2: the 52 Blendshape V2 coefficients 0..1 (BLENDSHAPE_NAMES order).
    blendshapes: np.ndarray | None = field(default=None, repr=False)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """x, y, width, height in whole pixels."""
        return tuple(int(v) for v in xyxy_to_xywh(self.xyxy)[0])

    @property
    def emotion(self) -> str:
        return EMOTIONS[int(np.argmax(self.probabilities))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.probabilities))

    def as_dict(self) -> dict:
        """JSON-ready form (used by the app's API and the batch outputs). The measurements keep
        the key "actions" that the HTTP API has always used."""
        x, y, w, h = self.box
        return {
            **({} if self.face_id is None else {"face_id": self.face_id}),
            "box": {"x": x, "y": y, "w": w, "h": h},
            "det_score": round(float(self.det_score), 4),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "probabilities": {e: round(float(p), 4) for e, p in zip(EMOTIONS, self.probabilities)},
            **({} if self.measures is None else {"actions": self.measure_dict()}),
        }

    def measure_dict(self) -> dict[str, float]:
        return {} if self.measures is None else {n: round(float(v), 4) for n, v in zip(MEASURE_NAMES, self.measures)}


@dataclass(frozen=True)
class TrackedFace:
    """One face in one frame after the temporal step: the classified face (with its face id),
    its probabilities smoothed over time and its motion energy since the previous frame."""

    face: FaceResult
    smoothed: np.ndarray = field(repr=False)  # (7,) probabilities after temporal smoothing
    motion: np.ndarray = field(repr=False)  # (3,) brows, eyes, mouth energy (NaN when not measured)

    @property
    def face_id(self) -> int:
        return self.face.face_id

    @property
    def measures(self) -> np.ndarray:
        """(15,) raw actions + pose; NaN when the face was not measured."""
        m = self.face.measures
        return np.full(len(MEASURE_NAMES), np.nan, np.float32) if m is None else m
