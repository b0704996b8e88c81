"""Every name the outputs use, in one place: the seven classes, the facial measurements, the
motion regions, the event signals and the columns of the CSV files.

Code that writes or reads a column refers to it by these names, never by position, so adding a
column is one edit here.
"""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NUM_CLASSES = len(EMOTIONS)
FACE_SIZE = 48  # side of the gray face crops every emotion model takes (FER2013's size)

# RGB colours chosen so that neighbouring emotions in a chart are easy to tell apart.
EMOTION_COLORS_RGB: dict[str, tuple[int, int, int]] = {
    "angry": (220, 50, 47),
    "disgust": (133, 153, 0),
    "fear": (108, 113, 196),
    "happy": (255, 191, 0),
    "sad": (38, 139, 210),
    "surprise": (211, 54, 130),
    "neutral": (147, 161, 161),
}

# Facial action measurements (see emotion/inference/actions.py for their landmarks) and head pose.
ACTION_NAMES: tuple[str, ...] = (
    "au1_inner_brow_raise", "au2_outer_brow_raise", "au4_brow_lower", "au5_upper_lid_raise", "au43_eye_closure",
    "au6_cheek_raise", "au12_lip_corner_pull", "au15_lip_corner_depress", "au20_lip_stretch", "au25_lips_part",
    "au26_jaw_drop", "au9_nose_wrinkle",
)
# Actions measured on each side of the face too (the person's left and right, not the image's).
SIDED_ACTIONS: tuple[str, ...] = (
    "au1_inner_brow_raise", "au2_outer_brow_raise", "au4_brow_lower", "au5_upper_lid_raise", "au43_eye_closure",
    "au6_cheek_raise", "au12_lip_corner_pull", "au15_lip_corner_depress", "au20_lip_stretch", "au9_nose_wrinkle",
)
SIDES: tuple[str, ...] = ("left", "right")
SIDE_NAMES: tuple[str, ...] = tuple(f"{a}_{side}" for a in SIDED_ACTIONS for side in SIDES)
POSE_NAMES: tuple[str, ...] = ("yaw", "pitch", "roll")
GAZE_NAMES: tuple[str, ...] = ("gaze_yaw", "gaze_pitch")
# What the mesh gives per face and frame, raw; the actions and their sides are reported relative
# to the face's baseline, pose and gaze as they are.
MEASURE_NAMES: tuple[str, ...] = ACTION_NAMES + SIDE_NAMES + POSE_NAMES + GAZE_NAMES
# Blendshape V2's 52 coefficients, in the model's order (MediaPipe's names; "Left"/"Right" are
# the person's sides; `_neutral` is the model's own and MediaPipe says to ignore it).
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff",
    "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel", "mouthLeft",
    "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
)
RELATIVE_NAMES: tuple[str, ...] = ACTION_NAMES + SIDE_NAMES

# Which face region each measurement belongs to (events name their regions this way).
REGION_OF: dict[str, str] = {
    "au1_inner_brow_raise": "brows", "au2_outer_brow_raise": "brows", "au4_brow_lower": "brows",
    "au5_upper_lid_raise": "eyes", "au43_eye_closure": "eyes", "au6_cheek_raise": "eyes",
    "au12_lip_corner_pull": "mouth", "au15_lip_corner_depress": "mouth", "au20_lip_stretch": "mouth",
    "au25_lips_part": "mouth", "au26_jaw_drop": "mouth", "au9_nose_wrinkle": "nose",
}
REGION_OF.update({f"{a}_{side}": REGION_OF[a] for a in SIDED_ACTIONS for side in SIDES})

# Optical-flow motion energy per face region.
MOTION_REGIONS: tuple[str, ...] = ("brows", "eyes", "mouth")
MOTION_NAMES: tuple[str, ...] = tuple(f"motion_{r}" for r in MOTION_REGIONS)

# The signals events are found in: actions, motion energy and the raw probabilities.
PROB_NAMES: tuple[str, ...] = tuple(f"p_{e}" for e in EMOTIONS)
SIGNAL_NAMES: tuple[str, ...] = ACTION_NAMES + SIDE_NAMES + MOTION_NAMES + PROB_NAMES
EVENT_KINDS: tuple[str, ...] = ("micro", "movement", "episode")

# NAME.timeline.csv: one row per analysed frame and face (a frame without a face: one row with
# emotion = NO_FACE and the face columns empty).
NO_FACE = "no_face"
SMOOTH_COLUMNS: tuple[str, ...] = tuple(f"smooth_{e}" for e in EMOTIONS)
ACTION_COLUMNS: tuple[str, ...] = tuple(c for a in ACTION_NAMES for c in ((a, f"{a}_left", f"{a}_right")
                                                                          if a in SIDED_ACTIONS else (a,)))
# Action columns taken from Blendshape V2's coefficients (0..1) instead of distances between mesh
# points (inter-ocular units), each the source that validated better in
# python benchmarks/actions_validation.py: under the dose-response the blendshapes follow the
# brows on each side, where the geometry of either mesh barely moves, and the upper lid; on
# FER2013 they separate surprise by jaw drop (jawOpen, AUC 0.77 against 0.52) and happy by cheek
# raise (cheekSquint, 0.67 against 0.57), which no warp moves in either source. V2's geometry does
# better for the mouth corners, lip stretch and nose wrinkle. browInnerUp has no sides, so AU1's
# sides stay geometric.
COLUMNS_FROM_BLENDSHAPES: tuple[str, ...] = (
    "au1_inner_brow_raise",
    "au2_outer_brow_raise", "au2_outer_brow_raise_left", "au2_outer_brow_raise_right",
    "au4_brow_lower", "au4_brow_lower_left", "au4_brow_lower_right",
    "au5_upper_lid_raise", "au5_upper_lid_raise_left", "au5_upper_lid_raise_right",
    "au6_cheek_raise", "au6_cheek_raise_left", "au6_cheek_raise_right",
    "au26_jaw_drop",
)
# The raw blendshapes (0..1, not baseline-relative), empty where actions were not measured.
BLENDSHAPE_COLUMNS: tuple[str, ...] = tuple(f"bs_{n}" for n in BLENDSHAPE_NAMES)
# valence: FaceReader's definition on the probabilities, raw and smoothed (emotion.labels.valence).
TIMELINE_COLUMNS: tuple[str, ...] = ("video", "frame", "time_s", "face_id", "person_id", "transient", "x", "y", "w", "h", "det_score", *EMOTIONS,
                                     "emotion", "confidence", "valence", *SMOOTH_COLUMNS, "smooth_valence", *ACTION_COLUMNS, "asymmetry",
                                     *MOTION_NAMES, *POSE_NAMES, *GAZE_NAMES, "looking_at_camera",
                                     *BLENDSHAPE_COLUMNS)
# NAME.events.csv: one row per event.
EVENT_COLUMNS: tuple[str, ...] = ("face_id", "person_id", "kind", "onset_s", "apex_s", "offset_s", "duration_s", "regions", "side",
                                  "signals", "magnitude", "emotion", "emotion_source", "cnn_emotion")
EVENTS_CSV_COLUMNS: tuple[str, ...] = ("video", *EVENT_COLUMNS)


def emotion_index(name: str) -> int:
    """Index of an emotion name; accepts the Kaggle folder spelling in any case."""
    key = name.strip().lower()
    if key not in EMOTIONS:
        raise ValueError(f"unknown emotion {name!r}; expected one of {', '.join(EMOTIONS)}")
    return EMOTIONS.index(key)


# Valence: one number per frame for how positive or negative the expression reads.
NEGATIVE_EMOTIONS: tuple[str, ...] = ("sad", "angry", "fear", "disgust")


def valence(probabilities):
    """FaceReader's (Noldus) valence on the classifier's calibrated probabilities, (..., 7) in
    FER2013 order -> (...) in -1..1: the intensity of happy minus that of the strongest of the
    four negative expressions (sad, angry, fear, disgust); 0 for a neutral or surprised face. A
    formula on what the CNN reads in the face, not a felt valence. There is no arousal beside
    it: FaceReader's arousal is built from action units that are not measured here or do not
    pass this project's validation (the cheek raise, the nose wrinkle and others;
    docs/actions.md), and an arousal from the probabilities alone would only restate them."""
    import numpy as np

    p = np.asarray(probabilities, np.float64)
    return p[..., EMOTIONS.index("happy")] - p[..., [EMOTIONS.index(e) for e in NEGATIVE_EMOTIONS]].max(axis=-1)
