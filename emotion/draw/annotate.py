"""Drawing results on frames: a circle around each face, its emotion and confidence beside it.

Pure functions on RGB uint8 arrays (a copy is returned), so the same code serves stills,
the live webcam and video files.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import cv2
import numpy as np

from ..labels import EMOTION_COLORS_RGB
from ..types import FaceResult


def numbered(faces: Sequence[FaceResult]) -> list[FaceResult]:
    """The faces of a still image with ids 1, 2, ... so that picture, table and chart agree."""
    return [replace(face, face_id=i) for i, face in enumerate(faces, 1)]


def _label_for(face: FaceResult) -> str:
    prefix = f"#{face.face_id} " if face.face_id is not None else ""
    return f"{prefix}{face.emotion} {face.confidence * 100:.0f}%"


def annotate(image: np.ndarray, faces: Sequence[FaceResult]) -> np.ndarray:
    """Return a copy of `image` (RGB) with every face circled and labelled (with its id when
    it has one)."""
    out = np.ascontiguousarray(image).copy()
    h, w = out.shape[:2]
    thickness = max(2, round(max(h, w) / 400))
    font_scale = max(0.5, max(h, w) / 1200)
    for face in faces:
        x, y, bw, bh = face.box
        colour = EMOTION_COLORS_RGB[face.emotion]
        centre = (int(x + bw / 2), int(y + bh / 2))
        radius = int(max(bw, bh) * 0.62)
        cv2.circle(out, centre, radius, colour, thickness, cv2.LINE_AA)
        text = _label_for(face)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        # Beside the circle on the right when it fits, else on the left; clamped to the frame.
        tx = centre[0] + radius + 6 if centre[0] + radius + 6 + tw < w else centre[0] - radius - 6 - tw
        tx = int(np.clip(tx, 0, max(w - tw, 0)))
        ty = int(np.clip(centre[1] - radius // 2, th + 4, h - base - 2))
        cv2.rectangle(out, (tx - 3, ty - th - 4), (tx + tw + 3, ty + base + 2), (0, 0, 0), -1)
        cv2.putText(out, text, (tx, ty), cv2.FONT_HERSHEY_SIMPLEX, font_scale, colour, thickness, cv2.LINE_AA)
    return out
