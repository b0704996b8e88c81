"""Detector + classifier (+ face mesh): images in, one `FaceResult` per face out.

All faces of all images given to `analyze_batch` go through the CNN in one batched call, which
is what makes video processing fast: per-call overhead dominates single-face inference.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Iterable

import numpy as np

from ..io.image import load_image, to_gray
from ..labels import COLUMNS_FROM_BLENDSHAPES, NUM_CLASSES
from ..types import Detections, FaceResult
from . import cache
from .actions import measure as measure_actions
from ..config import DEFAULT_DETECTOR, DEFAULT_LANDMARKER, DEFAULT_MAX_PIXELS, DEFAULT_MIN_FACE
from .mesh_models import create_mesh_model
from .classifier import EmotionClassifier
from .crops import crop_faces
from .detectors import create_detector
from .detectors.tiling import StreamDetector, TiledDetector

# Below this box side (pixels) the mesh has too few pixels for eyelids and lip corners: such faces
# get emotions but no action measurements (their columns stay empty rather than holding noise).
MIN_FACE_FOR_ACTIONS = 56
# FER2013 faces are framed a little wider than detector boxes (forehead to chin, some
# hair): crops are squares of this many box sides around the box centre.
CROP_SCALE = {"haar": 1.0, "blazeface": 1.15, "blazeface-short": 1.15}


class EmotionAnalyzer:
    """Finds faces and classifies their emotion. Reusable and thread-safe; build it once.

    `min_face`: the smallest face (box side in pixels) the default detector looks for anywhere in
    the frame (default 40; smaller boxes it finds anyway are kept down to half of that).
    `actions=True` also runs the face mesh and measures facial actions and head pose (~4.5 ms per
    face) on faces of at least MIN_FACE_FOR_ACTIONS pixels: this is the one switch for "facial
    actions on"; motion energy and events follow it. `landmarker`: Face Mesh V2 with its
    blendshapes ("v2", the default) or the older mesh ("v1", for comparisons); `from_blendshapes`:
    the action columns read from the blendshapes (default emotion.labels.COLUMNS_FROM_BLENDSHAPES,
    the source that validated better per column; only with V2). `upright`: turn tilted faces
    upright on the detector's eye keypoints before the CNN (`crops.face_crop`). `max_pixels`: image
    files larger than this are refused before they are decoded (None: no limit)."""

    def __init__(self, detector: str | object = DEFAULT_DETECTOR, model: str | Path | EmotionClassifier | None = None,
                 flip_tta: bool = True, min_face: int = DEFAULT_MIN_FACE, actions: bool = False,
                 landmarker: str = DEFAULT_LANDMARKER, from_blendshapes: tuple[str, ...] | None = None,
                 upright: bool = True, max_pixels: int | None = DEFAULT_MAX_PIXELS):
        self.detector = cache.get_detector(detector, min_face) if isinstance(detector, str) else detector
        self.detector_name = detector if isinstance(detector, str) else None
        self.classifier = model if isinstance(model, EmotionClassifier) else cache.get_classifier(model, flip_tta)
        self.crop_scale = CROP_SCALE.get(getattr(self.detector, "name", ""), 1.0)
        self.upright = upright
        self.max_pixels = max_pixels
        self.min_face = min_face
        self.landmarker = landmarker
        # Action columns read from the blendshapes (V2 only); the rest from the mesh's geometry.
        self.from_blendshapes = (COLUMNS_FROM_BLENDSHAPES if from_blendshapes is None else tuple(from_blendshapes)) \
            if landmarker == "v2" else ()
        self.mesh_model = cache.get_mesh_model(landmarker) if actions else None
        self._lanes = threading.local()

    def lane(self) -> "EmotionAnalyzer":
        """This analyzer's twin for the calling thread, with interpreters of its own running one
        thread each. Video code runs frames on two such lanes at once: LiteRT releases the GIL
        while it computes, and two one-thread interpreters side by side did 1.9x the mesh
        inferences of one, 1.2x those of one two-thread interpreter, on this 2-core machine."""
        twin = getattr(self._lanes, "twin", None)
        if twin is None:
            twin = self._copy()
            if self.detector_name:
                twin.detector = create_detector(self.detector_name, min_face=self.min_face, threads=1)
            twin.classifier = self.classifier.reopened(threads=1)
            if self.mesh_model is not None:
                twin.mesh_model = create_mesh_model(self.landmarker, threads=1)
            self._lanes.twin = twin
        return twin

    def detect_whole(self, image: np.ndarray) -> Detections:
        """The whole-frame pass of the detection: depends on this frame alone."""
        base = getattr(self.detector, "base", None)
        return base.detect(image) if base is not None else self.detector.detect(image)

    @property
    def measures_actions(self) -> bool:
        return self.mesh_model is not None

    def with_actions(self, actions: bool = True) -> "EmotionAnalyzer":
        """The same detector and classifier, with landmarks and action measurements on or off."""
        if actions == self.measures_actions:
            return self
        twin = self._copy()
        twin.mesh_model = cache.get_mesh_model(self.landmarker) if actions else None
        return twin

    def _copy(self) -> "EmotionAnalyzer":
        """A shallow copy with lanes of its own (a twin must not hand out this analyzer's lanes)."""
        twin = copy.copy(self)
        twin._lanes = threading.local()
        return twin

    def stream_detector(self, scan_every_s: float = 1.0) -> StreamDetector | None:
        """Detection state for one video or webcam stream (see `tiling.StreamDetector`); None for
        detectors that look at the whole frame only."""
        return StreamDetector(self.detector, scan_every_s) if isinstance(self.detector, TiledDetector) else None

    def detect(self, image: np.ndarray, stream: StreamDetector | None = None, time_s: float = 0.0,
               whole: Detections | None = None) -> Detections:
        """Faces in one image; for a stream's frames, in frame order (`whole`: the frame's
        `detect_whole`, when it was computed ahead)."""
        if stream is not None:
            found = stream.detect(image, time_s, whole)
        else:
            found = whole if whole is not None and not isinstance(self.detector, TiledDetector) else self.detector.detect(image)
        return found[found.sides >= self.min_face / 2] if len(found) else found

    def analyze(self, image, bgr: bool = False) -> list[FaceResult]:
        """One image (path, or RGB/BGR/gray/RGBA uint8 array) -> one result per face."""
        return self.analyze_batch([image], bgr=bgr)[0]

    def analyze_batch(self, images: Iterable, bgr: bool = False, grays: list[np.ndarray] | None = None,
                      stream: StreamDetector | None = None, times: list[float] | None = None) -> list[list[FaceResult]]:
        """Many images -> per image, one result per face; one CNN call for all faces. `grays`:
        the images' gray versions when the caller already has them (video code shares them
        with motion measurement instead of converting every frame twice). Frames of a stream pass
        their `stream_detector()` and presentation `times`."""
        rgbs = [load_image(im, bgr=bgr, max_pixels=self.max_pixels) for im in images]
        times = times if times is not None else [0.0] * len(rgbs)
        detections = [self.detect(rgb, stream, t) for rgb, t in zip(rgbs, times)]
        return self.classify(rgbs, detections, grays)

    def classify(self, rgbs: list[np.ndarray], detections: list[Detections],
                 grays: list[np.ndarray] | None = None) -> list[list[FaceResult]]:
        """Classify already-detected faces (lets video code detect on some frames only)."""
        grays = grays or [to_gray(rgb) if len(det) else None for rgb, det in zip(rgbs, detections)]
        crops = [crop_faces(gray, det, self.crop_scale, self.upright) for gray, det in zip(grays, detections) if len(det)]
        probs = self.classifier.predict(np.concatenate(crops)) if crops else np.zeros((0, NUM_CLASSES), np.float32)
        results, k = [], 0
        for rgb, det in zip(rgbs, detections):
            faces = []
            for j in range(len(det)):
                kp = None if det.keypoints is None else det.keypoints[j]
                points = values = blendshapes = None
                if self.mesh_model is not None and det.sides[j] >= MIN_FACE_FOR_ACTIONS:
                    mesh = self.mesh_model.predict(rgb, det.xyxy[j], None if kp is None else kp[:2])
                    points, blendshapes = mesh.points, mesh.blendshapes
                    values = measure_actions(points, blendshapes, self.from_blendshapes)
                faces.append(FaceResult(det.xyxy[j], float(det.scores[j]), probs[k], kp, points, values,
                                        blendshapes=blendshapes))
                k += 1
            results.append(faces)
        return results


def analyze_image(image, detector: str = DEFAULT_DETECTOR, model: str | Path | None = None, bgr: bool = False) -> list[FaceResult]:
    """Convenience: analyse one image with cached default components."""
    return EmotionAnalyzer(detector, model).analyze(image, bgr=bgr)
