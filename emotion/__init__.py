"""Facial-emotion recognition: face detection, a FER2013-trained CNN, annotation and charts.

    from emotion import analyze_image
    for face in analyze_image("photo.jpg"):
        print(face.box, face.emotion, face.confidence)
"""

from .analyzer import EmotionAnalyzer, analyze_image
from .annotate import annotate
from .classifier import EmotionClassifier
from .detectors import DEFAULT_DETECTOR, DETECTOR_NAMES, create_detector
from .labels import EMOTIONS
from .media import ImageInputError, load_image
from .model_io import ModelFileError, load_model
from .stream import FacialExpressionModel, VideoCamera
from .types import Detections, FaceResult

__all__ = [
    "EMOTIONS", "DEFAULT_DETECTOR", "DETECTOR_NAMES", "Detections", "EmotionAnalyzer", "EmotionClassifier",
    "FaceResult", "FacialExpressionModel", "ImageInputError", "ModelFileError", "VideoCamera", "analyze_image",
    "annotate", "create_detector", "load_image", "load_model",
]
