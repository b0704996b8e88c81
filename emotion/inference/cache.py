"""The one explicit cache of loaded models and detectors.

Loading a Keras model or a TFLite interpreter takes seconds, so every front end asks here
instead of loading its own; `clear()` empties it (tests, or after replacing a model file).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from ..io.model_files import default_model_path
from .classifier import EmotionClassifier
from .detectors import create_detector
from ..config import DEFAULT_LANDMARKER

_lock = threading.Lock()


@lru_cache(maxsize=8)
def _classifier(path: str, flip_tta: bool) -> EmotionClassifier:
    return EmotionClassifier.from_path(path, flip_tta=flip_tta)


@lru_cache(maxsize=8)
def _detector(name: str, min_face: int | None):
    return create_detector(name, min_face=min_face)


@lru_cache(maxsize=2)
def _mesh_model(kind: str):
    from .mesh_models import create_mesh_model

    return create_mesh_model(kind)


@lru_cache(maxsize=1)
def _embedder():
    from .embedder import FaceEmbedder

    return FaceEmbedder()


def get_embedder():
    """The face descriptor network (emotion.inference.embedder), loaded once."""
    with _lock:
        return _embedder()


def get_mesh_model(kind: str = DEFAULT_LANDMARKER):
    """The face mesh for facial actions: "v2" (Face Mesh V2 + blendshapes) or "v1" (the
    468-point mesh + the iris model)."""
    with _lock:
        return _mesh_model(kind)


def get_classifier(path: str | Path | None = None, flip_tta: bool = True) -> EmotionClassifier:
    with _lock:
        return _classifier(str(Path(path or default_model_path()).resolve()), flip_tta)


def get_detector(name: str, min_face: int | None = None):
    with _lock:
        return _detector(name, min_face)


def clear() -> None:
    with _lock:
        _classifier.cache_clear()
        _detector.cache_clear()
        _mesh_model.cache_clear()
        _embedder.cache_clear()
