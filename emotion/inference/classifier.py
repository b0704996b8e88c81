"""The emotion CNN behind one small interface: gray 48x48 faces in, (n, 7) probabilities out.

Faces from many detections and many frames are stacked and sent through the network in
batches, because per-call overhead, not arithmetic, dominates single-face inference.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from ..errors import ImageInputError, ModelFileError
from ..labels import FACE_SIZE, NUM_CLASSES
from .runners import EnsembleRunner, KerasRunner, TFLiteRunner, open_runner


def to_face_batch(faces) -> np.ndarray:
    """Accept one face or many, gray or colour, any size; return (n, 48, 48, 1) float32 0..255."""
    # A 2-D array, or a 3-D one ending in 1/3/4 channels, is one face; other arrays are stacks.
    if isinstance(faces, np.ndarray) and (faces.ndim == 2 or (faces.ndim == 3 and faces.shape[-1] in (1, 3, 4))):
        faces = [faces]
    out = np.empty((len(faces), FACE_SIZE, FACE_SIZE, 1), np.float32)
    for i, face in enumerate(faces):
        face = np.asarray(face)
        if face.ndim == 3 and face.shape[-1] == 1:
            face = face[..., 0]
        if face.ndim == 3:
            face = cv2.cvtColor(face, cv2.COLOR_RGBA2GRAY if face.shape[-1] == 4 else cv2.COLOR_RGB2GRAY)
        if face.ndim != 2 or min(face.shape) == 0:
            raise ImageInputError(f"face {i}: expected a 2-D gray or HxWx3 colour crop, got shape {face.shape}")
        if face.shape != (FACE_SIZE, FACE_SIZE):
            face = cv2.resize(face, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
        out[i, :, :, 0] = face
    return out


class EmotionClassifier:
    """Wraps a model runner (`runners`: TFLite, ensemble or Keras); optionally averages each face
    with its mirror image (flip TTA) unless the graph does it itself. Thread-safe: the Gradio app
    calls it from several worker threads at once. `path`: the file it came from (None for a
    model object), which video lanes reopen with interpreters of their own."""

    def __init__(self, model, flip_tta: bool = True, batch_size: int = 64, name: str = "model",
                 path: Path | None = None, weights: Path | None = None):
        runner = model if isinstance(model, (KerasRunner, TFLiteRunner, EnsembleRunner)) else KerasRunner(model)
        if runner.input_shape != (FACE_SIZE, FACE_SIZE, 1) or runner.output_shape != (NUM_CLASSES,):
            raise ModelFileError(f"{name}: expected a (48, 48, 1) -> (7,) emotion model, got {runner.input_shape} -> {runner.output_shape}")
        self.runner = runner
        self.flip_tta = flip_tta
        self.batch_size = batch_size
        self.name = name
        self.path, self.weights = path, weights
        self._lock = threading.Lock()

    @classmethod
    def from_path(cls, path: str | Path, weights: str | Path | None = None, threads: int | None = None,
                  **kwargs) -> "EmotionClassifier":
        return cls(open_runner(path, weights, threads), name=str(path), path=Path(path), weights=weights, **kwargs)

    def reopened(self, threads: int | None = None) -> "EmotionClassifier":
        """The same model from its file, with runners of its own (a video lane's twin); itself
        when it did not come from a file."""
        if self.path is None:
            return self
        return EmotionClassifier.from_path(self.path, self.weights, threads, flip_tta=self.flip_tta,
                                           batch_size=self.batch_size)

    def predict(self, faces) -> np.ndarray:
        """Probabilities (n, 7) in FER2013 order for n faces (see `to_face_batch` for inputs)."""
        x = faces if isinstance(faces, np.ndarray) and faces.ndim == 4 else to_face_batch(faces)
        if len(x) == 0:
            return np.zeros((0, NUM_CLASSES), np.float32)
        x = x.astype(np.float32, copy=False)
        chunks = []
        mirror = self.flip_tta and not self.runner.mirrors_itself
        with self._lock:
            for start in range(0, len(x), self.batch_size):
                part = x[start : start + self.batch_size]
                if mirror:
                    p = self.runner(np.concatenate([part, part[:, :, ::-1]]))
                    chunks.append((p[: len(part)] + p[len(part) :]) / 2)
                else:
                    chunks.append(self.runner(part))
        probs = np.concatenate(chunks)
        return probs / probs.sum(axis=1, keepdims=True)
