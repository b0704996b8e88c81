"""The one explicit cache of loaded models and detectors.

Loading a Keras model or a TFLite interpreter takes seconds, so every front end asks here
instead of loading its own; `clear()` empties it (tests, or after replacing a model file).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from .classifier import EmotionClassifier
from .detectors import create_detector

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The TFLite export of the default model is what runs; default.keras is its source of truth.
DEFAULT_MODEL = PROJECT_ROOT / "models" / "default.tflite"
_lock = threading.Lock()


def default_model_path() -> Path:
    """models/default.tflite, unless the EMOTION_MODEL environment variable names another file."""
    return Path(os.environ.get("EMOTION_MODEL") or DEFAULT_MODEL)


@lru_cache(maxsize=8)
def _classifier(path: str, flip_tta: bool) -> EmotionClassifier:
    return EmotionClassifier.from_path(path, flip_tta=flip_tta)


@lru_cache(maxsize=8)
def _detector(name: str):
    return create_detector(name)


@lru_cache(maxsize=1)
def _mesh_model():
    from .landmarks import FaceMeshModel

    return FaceMeshModel()


def get_mesh_model():
    with _lock:
        return _mesh_model()


def get_classifier(path: str | Path | None = None, flip_tta: bool = True) -> EmotionClassifier:
    with _lock:
        return _classifier(str(Path(path or default_model_path()).resolve()), flip_tta)


def get_detector(name: str):
    with _lock:
        return _detector(name)


def clear() -> None:
    with _lock:
        _classifier.cache_clear()
        _detector.cache_clear()
        _mesh_model.cache_clear()
