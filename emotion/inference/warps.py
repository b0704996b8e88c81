"""Synthetic facial actions on a real face, for validating the measurements: the face's own mesh
says where an action moves the skin, and a smooth local warp moves it there by a known amount.

Each action moves some landmarks of one side (or both) by a displacement given in the face's
frame (`outward` away from the midline, `up` towards the forehead) and in inter-ocular
distances at intensity 1; the warp falls off as a Gaussian of RADIUS inter-ocular distances
around the nearest of them, so the rest of the face stays as it was. Intensity 0 is the face
itself. The irises can be moved the same way, by fractions of the eye's width.

Two rules keep a warp to its action (`reach` measures it; the validation reports it):
- the falloffs of one side's landmarks combine by their maximum, not their sum, so the content at
  each landmark moves by exactly the stated displacement (summed, the five overlapping blobs of a
  brow moved it three times as far and dragged the upper lid and the outer eye corner further
  than the brow itself);
- the face frame's anchors (outer eye corners, forehead, chin, the outline at the cheekbones and
  temples) are held in place: a warp that moved them would change every measure at once (the eye
  corners also stay put in a real face when the lid closes).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..labels import SIDED_ACTIONS
from . import actions as a
from .landmarks import LEFT_IRIS, RIGHT_IRIS

RADIUS = 0.1


@dataclass(frozen=True)
class ActionWarp:
    left: tuple[int, ...]  # landmarks moved on the person's left side
    right: tuple[int, ...]
    outward: float  # displacement at intensity 1, inter-ocular distances
    up: float
    radius: float = RADIUS
    frees: tuple[int, ...] = ()  # face-frame anchors this action moves (the chin, for a jaw drop): not held


# The brows' lower edges (the mesh's upper brow points are a.R_BROW / a.L_BROW), outer to inner:
# a brow warp moves both edges, so the whole brow moves with a falloff small enough to leave
# the eye alone.
R_BROW_LOWER, L_BROW_LOWER = (46, 53, 52, 65, 55), (276, 283, 282, 295, 285)

# The lower lip's middle, the chin and the jaw line, on each side (outer lower lip 17 and 14, the
# inner lower lip, belong to both).
JAW_LEFT, JAW_RIGHT = (14, 17, 314, 405, a.CHIN, 377, 400, 378), (14, 17, 84, 181, a.CHIN, 148, 176, 149)

# What each measured action does to the face (FACS), as landmark displacements at full intensity.
# Radii: each action's structure moves as a whole, with a falloff that stops short of the next
# structure (the eye below a brow, the lower lid above a cheek).
WARPS = {
    "au1_inner_brow_raise": ActionWarp(a.L_BROW_INNER + L_BROW_LOWER[3:], a.R_BROW_INNER + R_BROW_LOWER[3:], 0.0, 0.08, 0.1),
    "au2_outer_brow_raise": ActionWarp(a.L_BROW_OUTER + L_BROW_LOWER[:2], a.R_BROW_OUTER + R_BROW_LOWER[:2], 0.0, 0.08, 0.1),
    "au4_brow_lower": ActionWarp(a.L_BROW + L_BROW_LOWER, a.R_BROW + R_BROW_LOWER, -0.03, -0.06, 0.1),
    "au5_upper_lid_raise": ActionWarp(a.L_UPPER_LID, a.R_UPPER_LID, 0.0, 0.025, 0.05),
    "au43_eye_closure": ActionWarp(a.L_UPPER_LID, a.R_UPPER_LID, 0.0, -0.06, 0.06),
    "au6_cheek_raise": ActionWarp((a.L_CHEEK,), (a.R_CHEEK,), 0.0, 0.08, 0.1),
    "au12_lip_corner_pull": ActionWarp((a.MOUTH_L,), (a.MOUTH_R,), 0.03, 0.05, 0.12),
    "au15_lip_corner_depress": ActionWarp((a.MOUTH_L,), (a.MOUTH_R,), 0.0, -0.06, 0.12),
    "au20_lip_stretch": ActionWarp((a.MOUTH_L,), (a.MOUTH_R,), 0.06, 0.0, 0.12),
    "au9_nose_wrinkle": ActionWarp((a.L_NOSE_WING,), (a.R_NOSE_WING,), 0.0, 0.06, 0.15),
    # The jaw and the lower lip go down together (the mouth's inside cannot be drawn: the lips
    # part as stretched skin); the chin moves with them, so it is not held.
    "au26_jaw_drop": ActionWarp(JAW_LEFT, JAW_RIGHT, 0.0, -0.12, 0.15, frees=(a.CHIN,)),
}


def side_sets(action: str) -> tuple[tuple[str, ...], ...]:
    """The sides an action can be warped on: left, right and both; both only for an action of
    the midline (the jaw), whose one side would share its middle points with the other."""
    return (("left",), ("right",), ("left", "right")) if action in SIDED_ACTIONS else (("left", "right"),)


def _axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Image-plane unit vectors towards the person's left and towards the forehead, the
    inter-ocular distance in pixels, and the midpoint between the eyes."""
    left = points[a.L_EYE_OUT, :2] - points[a.R_EYE_OUT, :2]
    iod = float(np.linalg.norm(left))
    left = left / iod
    up = np.array([left[1], -left[0]])  # the eye line turned a quarter towards the forehead
    if np.dot(up, points[a.FOREHEAD, :2] - points[a.CHIN, :2]) < 0:
        up = -up
    return left, up, iod, (points[a.L_EYE_OUT, :2] + points[a.R_EYE_OUT, :2]) / 2


# The face frame's anchors (emotion.inference.actions.face_frame), held by every action warp: its
# displacement tapers to zero within HOLD of its radius around each.
ANCHORS = (a.R_EYE_OUT, a.L_EYE_OUT, a.FOREHEAD, a.CHIN, *(i for pair in a.FACE_WIDTH for i in pair))
HOLD = 0.5


def _field(xs, ys, moves, holds=()):
    """(dx, dy) at the points (xs, ys) (arrays or floats): each move (centres (k, 2), vector (2,),
    radius) weighted by the largest Gaussian of the distance to a centre's destination (centre +
    vector), so the content at a centre moves by exactly the vector and overlapping centres do
    not add up; times 1 minus the largest Gaussian around the held points (point, radius)."""
    dx, dy = 0.0, 0.0
    for centres, (vx, vy), radius in moves:
        weight = 0.0
        for cx, cy in np.reshape(centres, (-1, 2)):
            weight = np.maximum(weight, np.exp(-((xs - cx - vx) ** 2 + (ys - cy - vy) ** 2) / (2 * radius**2)))
        dx, dy = dx + vx * weight, dy + vy * weight
    held = 0.0
    for (hx, hy), radius in holds:
        held = np.maximum(held, np.exp(-((xs - hx) ** 2 + (ys - hy) ** 2) / (2 * radius**2)))
    return dx * (1 - held), dy * (1 - held)


def displace(image: np.ndarray, moves: list, holds=()) -> np.ndarray:
    """Warp `image` so the content at each move's centres moves by its vector and the held points
    stay (see `_field`). Backward mapping: each output pixel samples the input at itself minus
    the local displacement."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = _field(xs, ys, moves, holds)
    return cv2.remap(image, (xs - dx).astype(np.float32), (ys - dy).astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def action_moves(points: np.ndarray, action: str, intensity: float, sides=("left", "right")) -> tuple[list, list]:
    """(moves, holds) of `action` at `intensity` on `sides`, in pixels (see `_field`)."""
    warp = WARPS[action]
    left_dir, up_dir, iod, _ = _axes(points)
    moves = []
    for side in sides:
        outward = left_dir if side == "left" else -left_dir
        vector = intensity * iod * (warp.outward * outward + warp.up * up_dir)
        moves.append((points[list(warp.left if side == "left" else warp.right), :2], vector, warp.radius * iod))
    return moves, [(points[i, :2], HOLD * warp.radius * iod) for i in ANCHORS if i not in warp.frees]


def apply_action(image: np.ndarray, points: np.ndarray, action: str, intensity: float, sides=("left", "right")) -> np.ndarray:
    """`image` with `action` at `intensity` (0..1 and beyond) on the given sides of the face whose
    mesh is `points` (image pixels)."""
    moves, holds = action_moves(points, action, intensity, sides)
    return displace(image, moves, holds) if moves and intensity else image.copy()


def moved_by(p: np.ndarray, moves: list, holds=(), iterations: int = 5) -> np.ndarray:
    """How far a warp moves the content at `p`: the d with d = field(p + d) (the field is
    backward), by fixed-point iteration."""
    d = np.zeros(2)
    for _ in range(iterations):
        d = np.array(_field(*(p + d), moves, holds), dtype=np.float64)
    return d


def reach(points: np.ndarray, action: str, sides=("left", "right")) -> float:
    """The warp's purity: how far `action` at intensity 1 moves the face frame's anchors and, on
    one side, the other side's copies of its landmarks, as a fraction of its own displacement.
    (The anchors are held, so this is near 0 unless the hold breaks.)"""
    moves, holds = action_moves(points, action, 1.0, sides)
    warp = WARPS[action]
    others = () if len(sides) == 2 else (warp.right if sides[0] == "left" else warp.left)
    size = max(float(np.linalg.norm(v)) for _, v, _ in moves)
    held = tuple(i for i in ANCHORS if i not in warp.frees)
    return max(float(np.linalg.norm(moved_by(points[i, :2], moves, holds))) / size for i in (*held, *others))


def move_irises(image: np.ndarray, points: np.ndarray, right_fraction: float, up_fraction: float) -> np.ndarray:
    """Both irises moved towards the image's right by `right_fraction` of each eye's width, and
    up by `up_fraction` of it (a gaze turned that way, head still)."""
    moves = []
    for iris, out, inner in ((RIGHT_IRIS, a.R_EYE_OUT, a.R_EYE_IN), (LEFT_IRIS, a.L_EYE_OUT, a.L_EYE_IN)):
        width = float(np.linalg.norm(points[out, :2] - points[inner, :2]))
        radius = float(np.linalg.norm(points[iris + 1, :2] - points[iris, :2]))  # the iris's radius
        vector = np.array([right_fraction * width, -up_fraction * width])
        moves.append((points[iris, :2], vector, 0.9 * radius))
    return displace(image, moves)
