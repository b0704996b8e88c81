"""Faces of a frame between two detected frames, when those two agree.

The whole-frame detection is the largest single cost of a video frame after the face mesh
(about 10 ms of 26 per face-frame on one core here). Between two frames a few hundredths of a
second apart, a face moves little: on the shared clips, boxes interpolated between detections two
frames apart overlap the detector's own boxes with a median IoU of 0.99 (the lowest 0.93). So
video code may detect on every other frame and fill the frames between, but only where the
two detected frames agree: the same number of faces, each matched one-to-one with an overlap of
at least MIN_IOU. Where they do not (a face comes, goes or moves fast), the frame between is
detected like any other, so no face is lost by the shortcut.
"""

from __future__ import annotations

import numpy as np

from ...types import Detections, box_iou

MIN_IOU = 0.5


def matching(a: Detections, b: Detections, min_iou: float = MIN_IOU) -> np.ndarray | None:
    """For each face of `a`, the index of the same face in `b`; None unless the two frames hold
    the same faces (same count, each pair the other's best match, overlapping by `min_iou`)."""
    if len(a) != len(b):
        return None
    if not len(a):
        return np.zeros(0, np.int64)
    ious = np.stack([box_iou(box, b.xyxy) for box in a.xyxy])
    order = ious.argmax(axis=1)
    mutual = ious.argmax(axis=0)[order] == np.arange(len(a))
    if not mutual.all() or ious[np.arange(len(a)), order].min() < min_iou:
        return None
    return order


def between(a: Detections, b: Detections, weight: float, min_iou: float = MIN_IOU) -> Detections | None:
    """The faces at `weight` (0: at `a`'s frame, 1: at `b`'s) of the way from `a` to `b`, boxes,
    keypoints and scores interpolated linearly; None when the two frames do not agree (detect
    that frame instead)."""
    order = matching(a, b, min_iou)
    if order is None:
        return None
    if not len(order):
        return Detections.empty()
    w = float(np.clip(weight, 0.0, 1.0))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return ((1 - w) * x + w * y[order]).astype(np.float32)

    keypoints = None if a.keypoints is None or b.keypoints is None else mix(a.keypoints, b.keypoints)
    return Detections(mix(a.xyxy, b.xyxy), mix(a.scores, b.scores), keypoints)
