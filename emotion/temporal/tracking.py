"""Stable face ids across frames: greedy IoU matching with a centre-distance fallback.

Faces in interview and webcam video move little between analysed frames, so a box-overlap
tracker is enough and costs microseconds; a face unseen for `max_missing_s` gets a new id
when it comes back (a person who left is not assumed to be the same one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..types import box_iou


@dataclass
class _Track:
    face_id: int
    box: np.ndarray  # xyxy
    last_seen_s: float


@dataclass
class FaceTracker:
    min_iou: float = 0.2
    max_centre_shift: float = 0.6  # in box sides, when boxes no longer overlap enough
    max_missing_s: float = 1.0
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 1

    def update(self, xyxy: np.ndarray, time_s: float) -> list[int]:
        """Ids for this frame's boxes (n, 4), in the same order."""
        self._tracks = [t for t in self._tracks if time_s - t.last_seen_s <= self.max_missing_s]
        ids = [0] * len(xyxy)
        if len(xyxy) and self._tracks:
            known = np.stack([t.box for t in self._tracks])
            scores = np.stack([box_iou(box, known) for box in xyxy])  # (new, known)
            shift = np.stack([_centre_shift(box, known) for box in xyxy])
            scores = np.where((scores < self.min_iou) & (shift < self.max_centre_shift), 0.01 * (1 - shift / self.max_centre_shift), scores)
            scores[(scores < self.min_iou) & (shift >= self.max_centre_shift)] = 0
            while scores.size and scores.max() > 0:
                i, j = np.unravel_index(np.argmax(scores), scores.shape)
                ids[i] = self._tracks[j].face_id
                self._tracks[j].box, self._tracks[j].last_seen_s = xyxy[i].copy(), time_s
                scores[i, :], scores[:, j] = 0, 0
        for i, box in enumerate(xyxy):
            if ids[i] == 0:
                ids[i] = self._next_id
                self._tracks.append(_Track(self._next_id, box.copy(), time_s))
                self._next_id += 1
        return ids


def _centre_shift(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    centre = (box[:2] + box[2:]) / 2
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    side = np.maximum(box[2:] - box[:2], 1).max()
    return np.linalg.norm(centres - centre, axis=1) / side
