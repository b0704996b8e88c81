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
from ..io.model_files import is_ensemble, load_model, read_ensemble
from ..labels import FACE_SIZE, NUM_CLASSES
from .runtime import tflite_interpreter

MIRROR_INPUT = "gray48_mirror_tta"


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


class KerasRunner:
    """Runs a Keras model (any backend)."""

    def __init__(self, model):
        self.model = model
        self.input_shape = tuple(model.input_shape[1:])
        self.output_shape = tuple(model.output_shape[1:])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_on_batch(x), np.float32)


class TFLiteRunner:
    """Runs an exported `.tflite` model. Batches are padded up to a few fixed sizes so that each
    size's interpreter is allocated once and reused."""

    BUCKETS = (1, 2, 8, 32, 64, 128)

    def __init__(self, path: str | Path, threads: int | None = None):
        self.path, self.threads = Path(path), threads
        probe = tflite_interpreter(self.path, threads)
        self.input_shape = tuple(int(v) for v in probe.get_input_details()[0]["shape"][1:])
        # A graph exported with its own mirror-image averaging names its input so (see
        # emotion.training.convert.MIRROR_INPUT); the classifier then does not add it again.
        self.mirrors_itself = MIRROR_INPUT in probe.get_input_details()[0]["name"]
        self.output_shape = tuple(int(v) for v in probe.get_output_details()[0]["shape"][1:])
        self._by_size = {int(probe.get_input_details()[0]["shape"][0]): probe}

    def _interpreter(self, n: int):
        if n not in self._by_size:
            interpreter = tflite_interpreter(self.path, self.threads)
            interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], [n, *self.input_shape])
            interpreter.allocate_tensors()
            self._by_size[n] = interpreter
        return self._by_size[n]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        outputs = []
        for start in range(0, len(x), self.BUCKETS[-1]):
            part = x[start : start + self.BUCKETS[-1]]
            size = next(b for b in self.BUCKETS if b >= len(part))
            if size > len(part):
                part = np.concatenate([part, np.zeros((size - len(part), *part.shape[1:]), part.dtype)])
            it = self._interpreter(size)
            it.set_tensor(it.get_input_details()[0]["index"], np.ascontiguousarray(part, np.float32))
            it.invoke()
            outputs.append(it.get_tensor(it.get_output_details()[0]["index"])[: min(len(x) - start, self.BUCKETS[-1])].copy())
        return np.concatenate(outputs)


class EnsembleRunner:
    """Several runners on the same batch, their probabilities mixed by fixed weights."""

    def __init__(self, runners: list, weights: list[float]):
        self.runners, self.weights = runners, weights
        self.input_shape, self.output_shape = runners[0].input_shape, runners[0].output_shape

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return sum(w * runner(x) for runner, w in zip(self.runners, self.weights))


def make_runner(path: str | Path, weights: str | Path | None = None, threads: int | None = None):
    """A `.tflite` file runs on LiteRT; an `.ensemble.json` manifest runs its members (each
    by this rule); `.keras` and `.json` (+ weights) load through Keras."""
    path = Path(path)
    if is_ensemble(path):
        manifest, members = read_ensemble(path)
        used = [(m, w) for m, w in zip(members, manifest.weights) if w > 0]  # a zero weight is never loaded
        return EnsembleRunner([make_runner(m, threads=threads) for m, _ in used], [w for _, w in used])
    if path.suffix == ".tflite":
        if not path.exists():
            raise ModelFileError(f"{path}: model file not found")
        try:
            return TFLiteRunner(path, threads)
        except (ValueError, RuntimeError) as exc:
            raise ModelFileError(f"{path}: not a loadable TFLite model ({exc})") from exc
    return KerasRunner(load_model(path, weights))


class EmotionClassifier:
    """Wraps a model runner (Keras or TFLite); optionally averages each face with its mirror
    image (flip TTA). Thread-safe: the Gradio app calls it from several worker threads at once.
    """

    def __init__(self, model, flip_tta: bool = True, batch_size: int = 64, name: str = "model"):
        runner = model if isinstance(model, (KerasRunner, TFLiteRunner, EnsembleRunner)) else KerasRunner(model)
        if runner.input_shape != (FACE_SIZE, FACE_SIZE, 1) or runner.output_shape != (NUM_CLASSES,):
            raise ModelFileError(f"{name}: expected a (48, 48, 1) -> (7,) emotion model, got {runner.input_shape} -> {runner.output_shape}")
        self.runner = runner
        self.flip_tta = flip_tta
        self.batch_size = batch_size
        self.name = name
        self._lock = threading.Lock()

    @classmethod
    def from_path(cls, path: str | Path, weights: str | Path | None = None, threads: int | None = None,
                  **kwargs) -> "EmotionClassifier":
        return cls(make_runner(path, weights, threads), name=str(path), **kwargs)

    def predict(self, faces) -> np.ndarray:
        """Probabilities (n, 7) in FER2013 order for n faces (see `to_face_batch` for inputs)."""
        x = faces if isinstance(faces, np.ndarray) and faces.ndim == 4 else to_face_batch(faces)
        if len(x) == 0:
            return np.zeros((0, NUM_CLASSES), np.float32)
        x = x.astype(np.float32, copy=False)
        chunks = []
        mirror = self.flip_tta and not getattr(self.runner, "mirrors_itself", False)
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
