"""Facial-emotion recognition: face detection, a FER2013-trained CNN, facial actions, tracking
over time, annotation and charts.

    from emotion import analyze_image
    for face in analyze_image("photo.jpg"):
        print(face.box, face.emotion, face.confidence)

The package is organised in wings (see README, "Code layout"): `io/` (images, video, model
files, atomic writes), `inference/` (detectors, classifier, mesh, analyzer), `temporal/` (tracking,
smoothing, motion, events, `FaceStream`), `draw/` (annotation, figures) and `training/`
(never imported by the app or batch). This module is the public surface.
"""

from .compat import FacialExpressionModel, VideoCamera
from .draw.annotate import annotate
from .errors import DatasetError, EmotionError, ImageInputError, ModelFileError, UsageError, VideoError
from .inference.analyzer import EmotionAnalyzer, analyze_image
from .inference.classifier import EmotionClassifier
from .config import DEFAULT_DETECTOR, DETECTOR_NAMES
from .inference.detectors import create_detector
from .io.image import load_image
from .io.model_files import load_model
from .labels import EMOTIONS
from .live import LiveSession
from .temporal.stream import FaceStream
from .types import Detections, FaceResult, TrackedFace

__all__ = [
    "EMOTIONS", "DEFAULT_DETECTOR", "DETECTOR_NAMES", "DatasetError", "Detections", "EmotionAnalyzer",
    "EmotionClassifier", "EmotionError", "FaceResult", "FaceStream", "FacialExpressionModel", "ImageInputError",
    "LiveSession", "ModelFileError", "TrackedFace", "UsageError", "VideoCamera", "VideoError", "analyze_image",
    "annotate", "create_detector", "load_image", "load_model",
]
