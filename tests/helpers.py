"""Paths and data builders the tests share (imported as `helpers`; fixtures live in conftest)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EMOTION_SHARED", ROOT.parent / "shared"))
FER_ARCHIVE = SHARED / "datasets" / "fer2013-images.tar.xz"
MEDIA = SHARED / "media"


def run_batch(*args, timeout: float = 900) -> subprocess.CompletedProcess:
    """`python -m batch ARGS --quiet` from the project folder, its output captured."""
    return subprocess.run([sys.executable, "-m", "batch", *map(str, args), "--quiet"], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def read_csv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def write_tiny_fer(root: Path, per_class: dict[str, int], seed: int = 0, prefixes: bool = True) -> Path:
    """A miniature FER2013 in the Kaggle layout: train/<emotion>/Training_*.jpg and test/...
    Each class gets a distinct, learnable pattern (a bright band at a class-specific row) plus noise."""
    from emotion.labels import EMOTIONS

    rng = np.random.default_rng(seed)
    n = 0
    for split, count in per_class.items():
        top = "train" if split == "Training" else "test"
        for k, emotion in enumerate(EMOTIONS):
            folder = root / top / emotion
            folder.mkdir(parents=True, exist_ok=True)
            for _ in range(count):
                n += 1
                img = rng.integers(0, 60, (48, 48), dtype=np.uint8)
                img[4 + 6 * k : 8 + 6 * k] = 220
                name = f"{split}_{n}.jpg" if prefixes else f"img_{n}.jpg"
                cv2.imwrite(str(folder / name), img)
    return root


def tiny_fer_rows(per_class: dict[str, int], seed: int = 0):
    """The same miniature data as fer2013.csv rows (emotion, pixels, Usage)."""
    rng = np.random.default_rng(seed)
    for usage, count in per_class.items():
        for k in range(7):
            for _ in range(count):
                img = rng.integers(0, 60, (48, 48), dtype=np.uint8)
                img[4 + 6 * k : 8 + 6 * k] = 220
                yield {"emotion": k, "pixels": " ".join(map(str, img.ravel())), "Usage": usage}
