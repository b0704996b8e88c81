"""The 48x48 gray crop the emotion CNN sees for each detected face: the one place where a
detection becomes the network's input, for every front end (app, batch, live, `analyze()`).

FER2013's faces are framed a little wider than detector boxes and are nearly upright. So the
crop is a square of `scale` box sides around the box centre and, when the detector gives eye
keypoints (BlazeFace does, Haar does not), it is turned so that the eyes are level: a head tilted
by 30 degrees cost the CNN several points on the robustness benchmark when the crop stayed
axis-aligned (benchmarks/results/robustness.md). Tilts under `MIN_TILT_DEG` are left alone:
turning costs a resampling, and the eye keypoints jitter by a few degrees from frame to frame.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..labels import FACE_SIZE
from ..types import Detections

MIN_TILT_DEG = 5.0
RIGHT_EYE, LEFT_EYE = 0, 1  # BlazeFace keypoint order (the person's right eye is on the image's left)


def tilt_degrees(keypoints: np.ndarray | None) -> float:
    """The head's roll in the image (degrees, positive: the person's left eye lower), from the
    two eye keypoints; 0 without keypoints."""
    if keypoints is None or len(keypoints) < 2:
        return 0.0
    (rx, ry), (lx, ly) = keypoints[RIGHT_EYE], keypoints[LEFT_EYE]
    return math.degrees(math.atan2(ly - ry, lx - rx))


def _square(gray: np.ndarray, cx: float, cy: float, side: float) -> np.ndarray:
    """An axis-aligned square of `side` pixels centred on (cx, cy), padded by edge replication
    where it leaves the image, so faces at the border keep their proportions."""
    h, w = gray.shape
    a0, b0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    a1, b1 = a0 + max(int(round(side)), 1), b0 + max(int(round(side)), 1)
    patch = gray[max(b0, 0) : min(b1, h), max(a0, 0) : min(a1, w)]
    if b0 < 0 or a0 < 0 or b1 > h or a1 > w:
        patch = cv2.copyMakeBorder(patch, max(-b0, 0), max(b1 - h, 0), max(-a0, 0), max(a1 - w, 0), cv2.BORDER_REPLICATE)
    return patch


def _resized(patch: np.ndarray, size: int) -> np.ndarray:
    interp = cv2.INTER_AREA if patch.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp)


def face_crop(gray: np.ndarray, xyxy, scale: float = 1.0, tilt: float = 0.0) -> np.ndarray:
    """(48, 48) uint8: the square of `scale` box sides around the box centre, turned by `tilt`
    degrees (the head's roll) so that the face comes out upright."""
    x0, y0, x1, y1 = (float(v) for v in xyxy)
    side = max(x1 - x0, y1 - y0) * scale
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if abs(tilt) < MIN_TILT_DEG:
        return _resized(_square(gray, cx, cy, side), FACE_SIZE)
    # The turned square fits in an axis-aligned one this much larger: cut that, bring it to the
    # net's scale (area-averaged, so a large face is not aliased), turn it, keep the centre.
    rad = math.radians(tilt)
    grow = abs(math.cos(rad)) + abs(math.sin(rad))
    size = int(math.ceil(FACE_SIZE * grow)) | 1
    big = _resized(_square(gray, cx, cy, side * size / FACE_SIZE), size)
    m = cv2.getRotationMatrix2D(((size - 1) / 2, (size - 1) / 2), tilt, 1.0)
    m[:, 2] -= (size - FACE_SIZE) / 2
    return cv2.warpAffine(big, m, (FACE_SIZE, FACE_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def crop_faces(gray: np.ndarray, detections: Detections, scale: float = 1.0, upright: bool = True) -> np.ndarray:
    """(n, 48, 48, 1) float32 crops of every detected face (see `face_crop`); `upright`: turn
    tilted faces upright on their eye keypoints, where the detector gives them."""
    out = np.empty((len(detections), FACE_SIZE, FACE_SIZE, 1), np.float32)
    for i, xyxy in enumerate(detections.xyxy):
        tilt = tilt_degrees(detections.keypoints[i]) if upright and detections.keypoints is not None else 0.0
        out[i, :, :, 0] = face_crop(gray, xyxy, scale, tilt)
    return out
