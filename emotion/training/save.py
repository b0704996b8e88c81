"""Writing models: inference-only `.keras` files, the seed's JSON + weights pair, ensemble
manifests and TFLite exports (float16, float32, dynamic-range or int8), each atomically.

The read side is `emotion.io.model_files`; only training, export and ensemble building write.
Shipped files keep their weights as float16 on disk, which halves their size for git; the
accuracy loss is measured, not assumed (see models/README.md).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import h5py
import numpy as np

from ..errors import UsageError
from ..io.files import atomic_path, write_json_atomic
from ..io.model_files import ENSEMBLE_SUFFIX, EnsembleManifest, check_file, is_ensemble

WEIGHTS_SUFFIX = ".weights.h5"


def _halve_h5(path: Path) -> None:
    """Rewrite an HDF5 weights file with every float32 array stored as float16. The file is
    copied rather than edited in place, because HDF5 never gives back the space of deleted data."""
    tmp = path.with_name(path.name + ".half")
    with h5py.File(path, "r") as src, h5py.File(tmp, "w") as dst:
        dst.attrs.update(src.attrs)

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                dst.require_group(name).attrs.update(obj.attrs)
                return
            data = obj[()]
            if obj.dtype == np.float32:
                data = data.astype(np.float16)
            dst.create_dataset(name, data=data).attrs.update(obj.attrs)

        src.visititems(copy)
    os.replace(tmp, path)


def save_keras(model, path: str | Path, float16: bool = True) -> Path:
    """Save an inference-only `.keras` file (no optimizer state), atomically."""
    with atomic_path(path) as tmp:
        _save_without_optimizer(model, tmp)
        if float16:
            _halve_keras_zip(tmp)
    return Path(path)


def _save_without_optimizer(model, tmp: Path) -> None:
    import keras

    fresh = keras.models.clone_model(model)
    fresh.set_weights(model.get_weights())
    fresh.save(tmp)


def _halve_keras_zip(path: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with zipfile.ZipFile(path) as zf:
            zf.extractall(work)
            names = zf.namelist()
        _halve_h5(work / "model.weights.h5")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in names:
                zf.write(work / name, name)


def save_json_pair(model, json_path: str | Path, weights_path: str | Path, float16: bool = True) -> tuple[Path, Path]:
    """The seed's format: architecture JSON next to a `.weights.h5` file, both written atomically."""
    json_path, weights_path = Path(json_path), Path(weights_path)
    if not weights_path.name.endswith(WEIGHTS_SUFFIX):
        raise UsageError(f"{weights_path}: Keras 3 weight files must end in {WEIGHTS_SUFFIX}")
    # The weights are published first, so that a JSON file on disk always has its weights.
    with atomic_path(json_path) as tmp_json, atomic_path(weights_path, suffix=WEIGHTS_SUFFIX) as tmp_weights:
        tmp_json.write_text(model.to_json(indent=1))
        model.save_weights(tmp_weights)
        if float16:
            _halve_h5(tmp_weights)
    return json_path, weights_path


def write_ensemble(path: str | Path, members: list[str | Path], weights: list[float]) -> Path:
    """Write a manifest whose member paths are relative to its own folder, so the folder can move."""
    path = Path(path)
    if not is_ensemble(path):
        raise UsageError(f"{path}: an ensemble manifest's name must end in {ENSEMBLE_SUFFIX}")
    for member in members:
        check_file(Path(member), "ensemble member")
    total = float(sum(weights))
    if total <= 0:
        raise UsageError(f"ensemble weights must not all be zero, got {list(weights)}")
    rel = [os.path.relpath(Path(m).resolve(), path.parent.resolve()) for m in members]
    manifest = EnsembleManifest(tuple(rel), tuple(round(w / total, 6) for w in weights))
    return write_json_atomic(path, {"members": list(manifest.members), "weights": list(manifest.weights)})


QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")


def export_tflite(model, path: str | Path, float16: bool = True, quantize: str | None = None,
                  representative: np.ndarray | None = None) -> Path:
    """Convert a Keras model to a TFLite file for fast CPU inference without TensorFlow. Needs
    the TensorFlow backend for the conversion itself.

    quantize: float16 (weights stored as float16, float32 compute; the default), float32,
    dynamic (int8 weights, activations quantized on the fly) or int8 (weights and activations
    int8, calibrated on `representative`: a few hundred real faces, (n, 48, 48, 1) 0..255;
    input and output stay float32 so callers do not change)."""
    import tensorflow as tf

    quantize = quantize or ("float16" if float16 else "float32")
    if quantize not in QUANTIZATIONS:
        raise UsageError(f"quantize must be one of {QUANTIZATIONS}, not {quantize!r}")
    options: dict = {}
    if quantize != "float32":
        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        options["target_spec"] = {"supported_types": [tf.float16]}
    if quantize == "int8":
        if representative is None or not len(representative):
            raise UsageError("int8 quantization needs representative faces to calibrate on")
        faces = np.asarray(representative, np.float32)

        def samples():
            for face in faces:
                yield [face[None]]

        options["representative_dataset"] = samples
    with atomic_path(path) as tmp:
        model.export(str(tmp), format="litert", verbose=False, **options)
    return Path(path)
