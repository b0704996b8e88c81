"""Geometric measurements from the 468-point mesh that approximate facial action units (FACS).

Why geometry and not a learned AU model: nothing may be downloaded, FER2013 has no AU labels,
and a researcher can check a distance between named points against the video. Each measure is
computed in a face-aligned frame (pose-normalised) and in units of the inter-ocular distance
(scale-normalised), so that head turns and distance to the camera change it little; the
batch output and the live app then subtract the face's own neutral baseline.

Face frame: origin between the outer eye corners; x along the eye line (towards the person's
left), y from forehead to chin, z away from the camera. "Up" below is towards the forehead.
Landmark numbers are MediaPipe's canonical face-mesh indices ("right" = the person's right).

| measure (column) | FACS | landmarks | grows when |
|---|---|---|---|
| `au1_inner_brow_raise` | AU1 | inner brows 107, 66 / 336, 296 over inner eye corners 133 / 362 | inner brows rise |
| `au2_outer_brow_raise` | AU2 | outer brows 70, 105 / 300, 334 over outer eye corners 33 / 263 | outer brows rise |
| `au4_brow_lower` | AU4 | minus the mean height of both brows (5 points each) over the eye corners, minus the inner-brow gap 107-336 | brows lower and draw together |
| `au5_upper_lid_raise` | AU5 | upper lids 159, 158, 160 / 386, 385, 387 over the eye-corner line | upper lids rise |
| `au43_eye_closure` | AU43 | minus the eye aspect ratio: lid gaps 159-145, 158-153, 160-144 / 386-374, 385-380, 387-373 over eye widths 33-133 / 263-362 | eyes close (blinks) |
| `au6_cheek_raise` | AU6 | cheeks 205 / 425 over lower lids 145 / 374 (both negative; less so when raised) | cheeks rise |
| `au12_lip_corner_pull` | AU12 | mouth corners 61 / 291 over the upper-lip centre 0, plus the widening of the mouth 61-291 | corners pulled up and out (smile) |
| `au15_lip_corner_depress` | AU15 | lip centre (13+14)/2 over the mouth corners 61 / 291 | corners pulled down |
| `au20_lip_stretch` | AU20 | mouth width 61-291 | lips stretched sideways |
| `au25_lips_part` | AU25 | inner-lip gap 13-14 | lips part |
| `au26_jaw_drop` | AU26 | nose tip 1 to chin 152 | jaw drops |
| `au9_nose_wrinkle` | AU9 | nose wings 98 / 327 over inner eye corners 133 / 362 (negative; less so when wrinkled) | nose wings rise |
| `yaw`, `pitch`, `roll` | head pose | the face frame above | degrees; yaw > 0 turned to image right, pitch > 0 looking up, roll > 0 tilted clockwise |
"""

from __future__ import annotations

import numpy as np

from ..labels import BLENDSHAPE_NAMES, MEASURE_NAMES, SIDED_ACTIONS, SIDES
from .landmarks import LEFT_IRIS, RIGHT_IRIS

R_EYE_OUT, R_EYE_IN, L_EYE_OUT, L_EYE_IN = 33, 133, 263, 362
R_UPPER_LID, R_LOWER_LID = (159, 158, 160), (145, 153, 144)
L_UPPER_LID, L_LOWER_LID = (386, 385, 387), (374, 380, 373)
R_BROW, L_BROW = (70, 63, 105, 66, 107), (300, 293, 334, 296, 336)
R_BROW_INNER, L_BROW_INNER = (107, 66), (336, 296)
R_BROW_OUTER, L_BROW_OUTER = (70, 105), (300, 334)
MOUTH_R, MOUTH_L, UPPER_LIP, UPPER_LIP_IN, LOWER_LIP_IN = 61, 291, 0, 13, 14
NOSE_TIP, CHIN, FOREHEAD, R_NOSE_WING, L_NOSE_WING, R_CHEEK, L_CHEEK = 1, 152, 10, 98, 327, 205, 425
# The nose's ridge, from between the eyes to the tip: the midline the sides are measured from.
# Neither the eyes nor the mouth move it, where the middle of the eye corners (the frame's origin)
# shifts when one eye closes and would move both mouth corners' distances to the midline.
NOSE_RIDGE = (168, 6, 197, 195, 5, 4, 1)
# Pairs of points on the face's outline, (left, right): at the cheekbones and at the temples.
FACE_WIDTH = ((454, 234), (356, 127))

# Typical neutral mouth width in inter-ocular units (MediaPipe's canonical face), so that the
# width term of AU12 is a change, not an absolute size.
NEUTRAL_MOUTH_WIDTH = 0.55


def face_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(rotation with the face axes as columns, origin, inter-ocular distance) from a mesh.

    The across axis follows the face's outline at the cheekbones and temples (FACE_WIDTH), not
    the eye corners: a closing eye pulls its outer corner down (by 0.03 inter-ocular distances
    on the test faces), which turned the whole frame by about 2 degrees and moved both mouth
    corners, so that one eye's closure read as a lopsided smile."""
    p = points.astype(np.float64)
    iod = float(np.linalg.norm(p[L_EYE_OUT] - p[R_EYE_OUT]))
    ex = sum((p[left] - p[right]) / max(float(np.linalg.norm(p[left] - p[right])), 1e-9) for left, right in FACE_WIDTH)
    ex = ex / max(float(np.linalg.norm(ex)), 1e-9)
    down = p[CHIN] - p[FOREHEAD]
    ey = down - (down @ ex) * ex
    ey = ey / max(np.linalg.norm(ey), 1e-9)
    ez = np.cross(ex, ey)
    return np.stack([ex, ey, ez], axis=1), (p[L_EYE_OUT] + p[R_EYE_OUT]) / 2, max(iod, 1e-9)


def head_pose(rotation: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the face axes."""
    ex, ez = rotation[:, 0], rotation[:, 2]
    yaw = np.degrees(np.arctan2(-ez[0], ez[2]))
    pitch = np.degrees(np.arctan2(ez[1], ez[2]))
    roll = np.degrees(np.arctan2(ex[1], ex[0]))
    return float(yaw), float(pitch), float(roll)


def frontalise(points: np.ndarray) -> np.ndarray:
    """(468, 3) points in the face frame, in inter-ocular units, with y pointing up."""
    rotation, origin, iod = face_frame(points)
    q = (points.astype(np.float64) - origin) @ rotation / iod
    q[:, 1] *= -1.0
    return q


# Where an action column can come from besides the mesh's geometry: Blendshape V2's
# coefficients (face_landmarker.py), the person's (left, right). browInnerUp and jawOpen have
# no sides: both sides get the one value.
BLENDSHAPE_OF: dict[str, tuple[str, str]] = {
    "au1_inner_brow_raise": ("browInnerUp", "browInnerUp"),
    "au2_outer_brow_raise": ("browOuterUpLeft", "browOuterUpRight"),
    "au4_brow_lower": ("browDownLeft", "browDownRight"),
    "au5_upper_lid_raise": ("eyeWideLeft", "eyeWideRight"),
    "au43_eye_closure": ("eyeBlinkLeft", "eyeBlinkRight"),
    "au6_cheek_raise": ("cheekSquintLeft", "cheekSquintRight"),
    "au12_lip_corner_pull": ("mouthSmileLeft", "mouthSmileRight"),
    "au15_lip_corner_depress": ("mouthFrownLeft", "mouthFrownRight"),
    "au20_lip_stretch": ("mouthStretchLeft", "mouthStretchRight"),
    "au26_jaw_drop": ("jawOpen", "jawOpen"),
    "au9_nose_wrinkle": ("noseSneerLeft", "noseSneerRight"),
}
# Every action column that can come from a blendshape (the combined value and the sides).
BLENDSHAPE_SOURCED: tuple[str, ...] = tuple(c for a in BLENDSHAPE_OF for c in (
    (a, f"{a}_left", f"{a}_right") if a in SIDED_ACTIONS else (a,)))


def blendshape_values(blendshapes: np.ndarray, columns) -> dict[str, float]:
    """The action columns named in `columns` (an action: its combined value and both sides; or one
    side's column) from the 52 coefficients; the combined value is the mean of the sides."""
    coeff = dict(zip(BLENDSHAPE_NAMES, (float(v) for v in blendshapes)))
    out = {}
    for column in columns:
        action, _, side = column.rpartition("_") if column.endswith(("_left", "_right")) else (column, "", "")
        left, right = BLENDSHAPE_OF[action]
        out[column] = coeff[left] if side == "left" else coeff[right] if side == "right" else (coeff[left] + coeff[right]) / 2
    return out


def measure(points: np.ndarray, blendshapes: np.ndarray | None = None, from_blendshapes=()) -> np.ndarray:
    """A mesh -> the values of `emotion.labels.MEASURE_NAMES`, in that order (float32): the
    actions, each bilateral one per side, head pose, and gaze (NaN without iris points).
    `from_blendshapes`: the action columns taken from the 52 `blendshapes` instead of the
    geometry (see BLENDSHAPE_OF; the analyzer's choice, validated per column)."""
    q = frontalise(points)
    up = q[:, 1].tolist()  # plain floats: about 40 small means per face, each ~20x cheaper than np.mean's

    def h(idx) -> float:
        if isinstance(idx, (int, np.integer)):
            return up[idx]
        return sum(up[i] for i in idx) / len(idx)

    def aspect(upper, lower, a, b) -> float:
        gaps = [np.linalg.norm(q[u, :2] - q[lo, :2]) for u, lo in zip(upper, lower)]
        return float(np.mean(gaps) / max(np.linalg.norm(q[a, :2] - q[b, :2]), 1e-9))

    eye_corner_line = (h((R_EYE_OUT, R_EYE_IN)) + h((L_EYE_OUT, L_EYE_IN))) / 2
    brow_height = h(R_BROW + L_BROW) - eye_corner_line
    inner_gap = float(np.linalg.norm(q[R_BROW_INNER[1], :2] - q[L_BROW_INNER[1], :2]))
    mouth_width = float(np.linalg.norm(q[MOUTH_R, :2] - q[MOUTH_L, :2]))
    lip_centre = h((UPPER_LIP_IN, LOWER_LIP_IN))
    midline = sum(float(q[i, 0]) for i in NOSE_RIDGE) / len(NOSE_RIDGE)
    sides = {side: _side(q, h, aspect, lip_centre, midline, *points_of) for side, points_of in SIDE_POINTS.items()}
    combined = {
        "au1_inner_brow_raise": (sides["left"]["au1_inner_brow_raise"] + sides["right"]["au1_inner_brow_raise"]) / 2,
        "au2_outer_brow_raise": (sides["left"]["au2_outer_brow_raise"] + sides["right"]["au2_outer_brow_raise"]) / 2,
        "au4_brow_lower": -(brow_height + inner_gap) / 2,
        "au5_upper_lid_raise": (h(R_UPPER_LID) + h(L_UPPER_LID)) / 2 - eye_corner_line,
        "au43_eye_closure": (sides["left"]["au43_eye_closure"] + sides["right"]["au43_eye_closure"]) / 2,
        "au6_cheek_raise": (sides["left"]["au6_cheek_raise"] + sides["right"]["au6_cheek_raise"]) / 2,
        "au12_lip_corner_pull": h((MOUTH_R, MOUTH_L)) - h(UPPER_LIP) + (mouth_width - NEUTRAL_MOUTH_WIDTH),
        "au15_lip_corner_depress": lip_centre - h((MOUTH_R, MOUTH_L)),
        "au20_lip_stretch": mouth_width,
        "au25_lips_part": h(UPPER_LIP_IN) - h(LOWER_LIP_IN),
        "au26_jaw_drop": h(NOSE_TIP) - h(CHIN),
        "au9_nose_wrinkle": h((R_NOSE_WING, L_NOSE_WING)) - h((R_EYE_IN, L_EYE_IN)),
    }
    yaw, pitch, roll = head_pose(face_frame(points)[0])
    eyes_open = -combined["au43_eye_closure"] >= CLOSED_EYE_ASPECT
    eye_yaw, eye_pitch = eye_in_head(q) if len(points) > RIGHT_IRIS and eyes_open else (np.nan, np.nan)
    values = {**combined, **{f"{a}_{side}": sides[side][a] for side in SIDES for a in SIDED_ACTIONS},
              "yaw": yaw, "pitch": pitch, "roll": roll, "gaze_yaw": yaw + eye_yaw, "gaze_pitch": pitch + eye_pitch}
    if blendshapes is not None and from_blendshapes:
        values.update(blendshape_values(blendshapes, from_blendshapes))
    return np.array([values[n] for n in MEASURE_NAMES], np.float32)


# Per side: (outer eye corner, inner eye corner, upper lid, lower lid, brow, inner brow, outer brow,
# cheek, mouth corner, nose wing), the person's left and right.
SIDE_POINTS = {
    "left": (L_EYE_OUT, L_EYE_IN, L_UPPER_LID, L_LOWER_LID, L_BROW, L_BROW_INNER, L_BROW_OUTER, L_CHEEK, MOUTH_L, L_NOSE_WING),
    "right": (R_EYE_OUT, R_EYE_IN, R_UPPER_LID, R_LOWER_LID, R_BROW, R_BROW_INNER, R_BROW_OUTER, R_CHEEK, MOUTH_R, R_NOSE_WING),
}


def _side(q, h, aspect, lip_centre, midline, eye_out, eye_in, upper, lower, brow, brow_inner, brow_outer, cheek, corner, wing) -> dict:
    """One side's actions, defined like the combined ones but from that side's points; distances
    across the face become twice the distance to the midline (NOSE_RIDGE), so a symmetric face
    gives each side the combined value."""
    corner_line = h((eye_out, eye_in))
    half_width = abs(float(q[corner, 0]) - midline)
    return {
        "au1_inner_brow_raise": h(brow_inner) - h(eye_in),
        "au2_outer_brow_raise": h(brow_outer) - h(eye_out),
        "au4_brow_lower": -((h(brow) - corner_line) + 2 * abs(float(q[brow_inner[1], 0]) - midline)) / 2,
        "au5_upper_lid_raise": h(upper) - corner_line,
        "au43_eye_closure": -aspect(upper, lower, eye_out, eye_in),
        "au6_cheek_raise": h(cheek) - h(lower[0]),
        "au12_lip_corner_pull": h(corner) - h(UPPER_LIP) + (2 * half_width - NEUTRAL_MOUTH_WIDTH),
        "au15_lip_corner_depress": lip_centre - h(corner),
        "au20_lip_stretch": 2 * half_width,
        "au9_nose_wrinkle": h(wing) - h(eye_in),
    }


# Below this eye aspect ratio (lid gap over eye width; about 0.35 open) the eyes are closed and
# there is no gaze to measure.
CLOSED_EYE_ASPECT = 0.15
# Gaze within this angle of the camera's axis counts as looking at the camera: on single_face.mp4,
# where the person faces the camera, 96% of frames are within 10 degrees and all within 15.
LOOKING_AT_CAMERA_DEG = 15.0
# An eye's opening is about 30 mm wide and the eyeball's radius about 12 mm, so an iris displaced
# by a fraction f of the half-opening has turned by asin(f * 15 / 12).
EYE_GAIN = 15.0 / 12.0


def eye_in_head(q: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) of the eyes within the head, degrees, averaged over both eyes: each iris
    centre's offset from the middle of its eye corners, in half eye widths, in the face frame
    (so head roll and turn do not enter). Signs as head pose: yaw > 0 towards the image's right,
    pitch > 0 up."""
    offsets = []
    for out, inner, iris in ((R_EYE_OUT, R_EYE_IN, RIGHT_IRIS), (L_EYE_OUT, L_EYE_IN, LEFT_IRIS)):
        centre = (q[out, :2] + q[inner, :2]) / 2
        half = max(float(np.linalg.norm(q[out, :2] - q[inner, :2])) / 2, 1e-9)
        offsets.append((q[iris, :2] - centre) / half)
    fx, fy = np.mean(offsets, axis=0)
    return (float(np.degrees(np.arcsin(np.clip(EYE_GAIN * fx, -1, 1)))),
            float(np.degrees(np.arcsin(np.clip(EYE_GAIN * fy, -1, 1)))))


def looking_at_camera(gaze_yaw: float, gaze_pitch: float) -> bool | None:
    """Whether the gaze points within LOOKING_AT_CAMERA_DEG of the camera; None without a gaze."""
    if not (np.isfinite(gaze_yaw) and np.isfinite(gaze_pitch)):
        return None
    return bool(np.hypot(gaze_yaw, gaze_pitch) <= LOOKING_AT_CAMERA_DEG)
