"""The defaults every front end shares (app, batch, visualize, the Python API), declared once.

Why one place: a default written in two command lines drifts apart. Modules that implement a
setting import its default from here; `emotion.options` turns them into command-line options.
"""

from __future__ import annotations

# The environment variable naming the emotion model every command loads instead of models/default.tflite.
MODEL_ENV = "EMOTION_MODEL"
# Face detector: BlazeFace (full range), tiled for small faces.
DEFAULT_DETECTOR = "blazeface"
DETECTOR_NAMES = ("blazeface", "blazeface-short", "haar")
# The smallest face (box side, pixels) the default detector looks for anywhere in the frame.
DEFAULT_MIN_FACE = 40
# Video: the whole-frame detection runs on every this-many analysed frames; frames between take
# their neighbours' faces where those agree. 3 lost a face on one frame of face_noface.mov.
DETECT_EVERY = 2
# The face mesh facial actions are measured from: Face Mesh V2 + blendshapes ("v2") or the older
# 468-point mesh ("v1", kept for comparisons).
LANDMARKERS = ("v2", "v1")
DEFAULT_LANDMARKER = LANDMARKERS[0]
# Images (and video frames) larger than this many pixels are refused before they are decoded: a
# 519 KB PNG can hold 13000 x 13000 pixels, 1.2 GB and a minute of decoding. 50 megapixels is a
# large camera photo; a 4K video frame is 8.3.
DEFAULT_MAX_PIXELS = 50_000_000
