"""Shared fixtures. Real inputs only: scikit-image's photos, files the tests write themselves,
and the shared FER2013 archive and media when they are present (skipped with a reason if not)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from helpers import FER_ARCHIVE, MEDIA

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def fer_archive() -> Path:
    if not FER_ARCHIVE.exists():
        pytest.skip(f"FER2013 archive not found at {FER_ARCHIVE} (the shared datasets folder is absent)")
    return FER_ARCHIVE


@pytest.fixture(scope="session")
def media() -> Path:
    if not MEDIA.exists():
        pytest.skip(f"shared media folder not found at {MEDIA}")
    return MEDIA
