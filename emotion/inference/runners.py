"""Model formats behind one small interface, the only place that knows them (ultralytics'
AutoBackend plays this part there): `open_runner(path)` picks the runner by the file's suffix,
and every runner says what it takes, what it gives and whether the graph averages each face with
its mirror image itself (a setting exported graphs carry in their input's name).

| suffix | runner | runs on |
|---|---|---|
| `.tflite` | TFLiteRunner | LiteRT (what the app and batch ship with) |
| `.ensemble.json` | EnsembleRunner | each member by this table, probabilities mixed by the manifest's weights |
| `.keras`, `.json` + `.weights.h5` | KerasRunner | Keras (training outputs, the seed model) |
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..io.model_files import is_ensemble, load_model, read_ensemble
from .runtime import tflite_interpreter

# An input named so belongs to a graph that averages each face with its mirror image itself
# (emotion.training.convert exports ensembles and flip-TTA nets this way).
MIRROR_INPUT = "gray48_mirror_tta"


class KerasRunner:
    """Runs a Keras model (any backend)."""

    def __init__(self, model):
        self.model = model
        self.input_shape = tuple(model.input_shape[1:])
        self.output_shape = tuple(model.output_shape[1:])
        self.mirrors_itself = MIRROR_INPUT in getattr(model.inputs[0], "name", "")

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
        self.mirrors_itself = False

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return sum(w * runner(x) for runner, w in zip(self.runners, self.weights))


def open_runner(path: str | Path, weights: str | Path | None = None, threads: int | None = None):
    """A `.tflite` file runs on LiteRT; an `.ensemble.json` manifest runs its members (each
    by this rule); `.keras` and `.json` (+ weights) load through Keras."""
    path = Path(path)
    if is_ensemble(path):
        manifest, members = read_ensemble(path)
        used = [(m, w) for m, w in zip(members, manifest.weights) if w > 0]  # a zero weight is never loaded
        return EnsembleRunner([open_runner(m, threads=threads) for m, _ in used], [w for _, w in used])
    if path.suffix == ".tflite":
        if not path.exists():
            raise ModelFileError(f"{path}: model file not found")
        try:
            return TFLiteRunner(path, threads)
        except (ValueError, RuntimeError) as exc:
            raise ModelFileError(f"{path}: not a loadable TFLite model ({exc})") from exc
    return KerasRunner(load_model(path, weights))
