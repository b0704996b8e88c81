"""Saving and loading models in the formats the project ships.

Two formats: the native `.keras` file, and the seed project's pair (architecture as JSON +
weights as `.weights.h5`). Shipped files keep their weights as float16 on disk, which halves
their size for git; Keras casts them back to each variable's float32 dtype when loading, so
inference runs in float32 and the accuracy loss is measured, not assumed (see models/README.md).
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np


class ModelFileError(ValueError):
    """A model path that cannot be loaded, with the reason."""


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


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp" + "".join(path.suffixes[-2:]), dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    return Path(tmp)


def write_json_atomic(path: str | Path, data) -> Path:
    """Write JSON so that a reader never sees half a file (model cards, manifests)."""
    path = Path(path)
    tmp = _atomic_target(path)
    try:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def save_keras(model, path: str | Path, float16: bool = True) -> Path:
    """Save an inference-only `.keras` file (no optimizer state), atomically."""
    path = Path(path)
    tmp = _atomic_target(path)
    try:
        _save_without_optimizer(model, tmp)
        if float16:
            _halve_keras_zip(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


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
    if not weights_path.name.endswith(".weights.h5"):
        raise ValueError(f"{weights_path}: Keras 3 weight files must end in .weights.h5")
    tmp_json = _atomic_target(json_path)
    tmp_weights = weights_path.with_name(f".{weights_path.name[:-len('.weights.h5')]}.{os.getpid()}.tmp.weights.h5")
    try:
        tmp_json.write_text(model.to_json(indent=1))
        model.save_weights(tmp_weights)
        if float16:
            _halve_h5(tmp_weights)
        os.replace(tmp_weights, weights_path)
        os.replace(tmp_json, json_path)
    finally:
        tmp_json.unlink(missing_ok=True)
        tmp_weights.unlink(missing_ok=True)
    return json_path, weights_path


def _check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise ModelFileError(f"{path}: {what} not found")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path}: {what} is an empty file")


def load_model(path: str | Path, weights: str | Path | None = None):
    """Load a `.keras` file, or a JSON architecture plus its `.weights.h5` file.

    For a JSON path without `weights`, the weights are looked up beside it
    (`NAME.json` -> `NAME.weights.h5`).
    """
    path = Path(path)
    if is_ensemble(path):
        raise ModelFileError(f"{path}: an ensemble manifest runs through EmotionClassifier.from_path, not as one Keras model")
    _check_file(path, "model file")
    import keras  # imported here: TFLite inference must not pay for importing a Keras backend

    if path.suffix == ".keras":
        try:
            return keras.models.load_model(path, compile=False)
        except Exception as exc:  # Keras raises many types for a damaged file
            raise ModelFileError(f"{path}: not a loadable .keras model ({exc.__class__.__name__}: {exc})") from exc
    if path.suffix == ".json":
        weights = Path(weights) if weights else path.with_name(path.stem + ".weights.h5")
        _check_file(weights, "weights file")
        try:
            model = keras.models.model_from_json(path.read_text())
            model.load_weights(weights)
        except Exception as exc:
            raise ModelFileError(f"{path} + {weights}: cannot be loaded ({exc.__class__.__name__}: {exc})") from exc
        return model
    raise ModelFileError(f"{path}: unsupported model format; use a .keras file or a .json + .weights.h5 pair")


ENSEMBLE_SUFFIX = ".ensemble.json"


@dataclass(frozen=True)
class EnsembleManifest:
    """Several shipped model files mixed into one model by weights. A manifest instead of one
    merged file, so that members already in `models/` are not stored twice."""

    members: tuple[str, ...]  # paths relative to the manifest's folder
    weights: tuple[float, ...]  # non-negative, summing to 1

    def __post_init__(self):
        if len(self.members) < 2 or len(self.members) != len(self.weights):
            raise ValueError(f"an ensemble needs two or more members and one weight each, got {len(self.members)} "
                             f"members and {len(self.weights)} weights")
        if min(self.weights) < 0 or abs(sum(self.weights) - 1) > 1e-4:
            raise ValueError(f"ensemble weights must be non-negative and sum to 1, got {list(self.weights)}")


def is_ensemble(path: str | Path) -> bool:
    return str(path).endswith(ENSEMBLE_SUFFIX)


def read_ensemble(path: str | Path) -> tuple[EnsembleManifest, list[Path]]:
    """The manifest and its members' resolved paths, each checked to exist."""
    path = Path(path)
    _check_file(path, "ensemble manifest")
    try:
        raw = json.loads(path.read_text())
        manifest = EnsembleManifest(tuple(raw["members"]), tuple(float(w) for w in raw["weights"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: not a valid ensemble manifest ({exc.__class__.__name__}: {exc})") from exc
    members = [path.parent / m for m in manifest.members]
    for member in members:
        _check_file(member, "ensemble member")
    return manifest, members


def write_ensemble(path: str | Path, members: list[str | Path], weights: list[float]) -> Path:
    """Write a manifest whose member paths are relative to its own folder, so the folder can move."""
    path = Path(path)
    if not is_ensemble(path):
        raise ValueError(f"{path}: an ensemble manifest's name must end in {ENSEMBLE_SUFFIX}")
    for member in members:
        _check_file(Path(member), "ensemble member")
    total = float(sum(weights))
    if total <= 0:
        raise ValueError(f"ensemble weights must not all be zero, got {list(weights)}")
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
        raise ValueError(f"quantize must be one of {QUANTIZATIONS}, not {quantize!r}")
    options: dict = {}
    if quantize != "float32":
        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        options["target_spec"] = {"supported_types": [tf.float16]}
    if quantize == "int8":
        if representative is None or not len(representative):
            raise ValueError("int8 quantization needs representative faces to calibrate on")
        faces = np.asarray(representative, np.float32)

        def samples():
            for face in faces:
                yield [face[None]]

        options["representative_dataset"] = samples
    path = Path(path)
    tmp = _atomic_target(path)
    try:
        model.export(str(tmp), format="litert", verbose=False, **options)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
