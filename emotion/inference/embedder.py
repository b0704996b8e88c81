"""Face descriptors: 128 numbers per face from dlib's ResNet face recognition network (ported to
TFLite by emotion/training/face_api_port.py; provenance in models/face_embedder/README.md), so
that tracks of one person can be linked through gaps and across videos.

Faces are aligned as dlib aligns them for this network: a 150x150 chip turned so the eyes are
level, centred 0.524 eye distances below the eyes' midpoint, 1.445 eye distances wide (dlib's
chip with its default padding of 0.25). The eye points come from the detector (BlazeFace's
first two keypoints); without them (Haar) the chip is the box's square, unturned.

Descriptors are unit vectors here: dlib's "same person below 0.6" is a Euclidean distance on
raw descriptors whose norms are close to 1; on unit vectors the distance is monotone in the
cosine and does not drift with a descriptor's length. Descriptors are biometric data: the
library keeps them in memory and writes them nowhere unless a caller does.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from functools import lru_cache

from ..io.model_files import MODELS_DIR, verified_file
from .runtime import tflite_interpreter

EMBEDDER_DIR = MODELS_DIR / "face_embedder"
EMBEDDER_FILE = "face_recognition.tflite"
SHA256 = "53a1167fef304e3c77f2b5b59e55df6559ceaa1bc363b768f1d8037c71124d46"
CHIP = 150
CHIP_BELOW_EYES, CHIP_WIDTH = 0.524, 2 * 0.963365 * 1.5


def chip_transform(box_xyxy: np.ndarray, eyes: np.ndarray | None) -> np.ndarray:
    """2x3 affine matrix from image pixels to the 150x150 chip. `eyes`: the person's right eye,
    then left eye, or None."""
    if eyes is None:
        x0, y0, x1, y1 = (float(v) for v in box_xyxy)
        side = max(x1 - x0, y1 - y0)
        centre, angle = np.array([(x0 + x1) / 2, (y0 + y1) / 2]), 0.0
    else:
        right, left = np.asarray(eyes, np.float64)
        across = left - right
        side = CHIP_WIDTH * float(np.linalg.norm(across))
        centre = (left + right) / 2 + CHIP_BELOW_EYES * np.array([-across[1], across[0]])
        angle = float(np.degrees(np.arctan2(across[1], across[0])))
    m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, CHIP / max(side, 1e-6))
    m[:, 2] += np.array([CHIP / 2, CHIP / 2]) - centre
    return m


@lru_cache(maxsize=None)
def model_path() -> Path:
    return verified_file(EMBEDDER_DIR / EMBEDDER_FILE, SHA256)


class FaceEmbedder:
    """One interpreter, guarded by a lock (interpreters are not thread-safe)."""

    def __init__(self, threads: int | None = None):
        self._net = tflite_interpreter(model_path(), threads)
        self._input = self._net.get_input_details()[0]["index"]
        self._output = self._net.get_output_details()[0]["index"]
        self._lock = threading.Lock()

    def chip(self, image_rgb: np.ndarray, box_xyxy: np.ndarray, eyes: np.ndarray | None = None) -> np.ndarray:
        """The aligned 150x150 RGB face the network sees."""
        return cv2.warpAffine(image_rgb, chip_transform(box_xyxy, eyes), (CHIP, CHIP), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)

    def embed(self, image_rgb: np.ndarray, box_xyxy: np.ndarray, eyes: np.ndarray | None = None) -> np.ndarray:
        """(128,) float32 unit vector describing the face in `box_xyxy` of an RGB uint8 image."""
        chip = self.chip(image_rgb, box_xyxy, eyes).astype(np.float32)[None]
        with self._lock:
            self._net.set_tensor(self._input, chip)
            self._net.invoke()
            v = self._net.get_tensor(self._output).ravel().astype(np.float32)
        return v / max(float(np.linalg.norm(v)), 1e-9)

    def embed_face(self, image_rgb: np.ndarray, face) -> np.ndarray:
        """The descriptor of a detected face (a FaceResult), aligned on its eyes when the detector
        gave keypoints (BlazeFace), else on its box (Haar)."""
        return self.embed(image_rgb, face.xyxy, None if face.keypoints is None else face.keypoints[:2])


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two unit descriptors (0 same face, 2 opposite)."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
