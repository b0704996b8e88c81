"""Synthetic facial actions on a real face, for validating the measurements: the face's own mesh
says where an action moves the skin, and a smooth local warp moves it there by a known amount.

Each action moves some landmarks of one side (or both) by a displacement given in the face's
frame (`outward` away from the midline, `up` towards the forehead) and in inter-ocular
distances at intensity 1; the warp falls off as a Gaussian of RADIUS inter-ocular distances
around each landmark, so the rest of the face stays as it was. Intensity 0 is the face itself.
The irises can be moved the same way, by fractions of the eye's width.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

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


# What each measured action does to the face (FACS), as landmark displacements at full intensity.
# Radii: a brow, a cheek or a nose wing moves as a whole (smaller blobs only smudge it), a lid
# as a thin band that must not drag the brow along.
WARPS = {
    "au1_inner_brow_raise": ActionWarp(a.L_BROW_INNER, a.R_BROW_INNER, 0.0, 0.08, 0.2),
    "au2_outer_brow_raise": ActionWarp(a.L_BROW_OUTER, a.R_BROW_OUTER, 0.0, 0.08, 0.2),
    "au4_brow_lower": ActionWarp(a.L_BROW, a.R_BROW, -0.03, -0.06, 0.2),
    "au5_upper_lid_raise": ActionWarp(a.L_UPPER_LID, a.R_UPPER_LID, 0.0, 0.025, 0.05),
    "au43_eye_closure": ActionWarp(a.L_UPPER_LID, a.R_UPPER_LID, 0.0, -0.06, 0.06),
    "au6_cheek_raise": ActionWarp((a.L_CHEEK,), (a.R_CHEEK,), 0.0, 0.08, 0.2),
    "au12_lip_corner_pull": ActionWarp((a.MOUTH_L,), (a.MOUTH_R,), 0.03, 0.05, 0.12),
    "au15_lip_corner_depress": ActionWarp((a.MOUTH_L,), (a.MOUTH_R,), 0.0, -0.06, 0.12),
    "au20_lip_stretch": ActionWarp((a.MOUTH_L,), (a.MOUTH_R,), 0.06, 0.0, 0.12),
    "au9_nose_wrinkle": ActionWarp((a.L_NOSE_WING,), (a.R_NOSE_WING,), 0.0, 0.06, 0.15),
}


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


def displace(image: np.ndarray, moves: list[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    """Warp `image` so the content at each centre (x, y) moves by its vector, with a Gaussian
    falloff of the given radius (pixels). Backward mapping: each output pixel samples the input
    at itself minus the local displacement."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = np.zeros_like(xs), np.zeros_like(xs)
    for (cx, cy), (vx, vy), radius in moves:
        weight = np.exp(-((xs - cx - vx) ** 2 + (ys - cy - vy) ** 2) / (2 * radius**2))
        dx += vx * weight
        dy += vy * weight
    return cv2.remap(image, xs - dx, ys - dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def apply_action(image: np.ndarray, points: np.ndarray, action: str, intensity: float, sides=("left", "right")) -> np.ndarray:
    """`image` with `action` at `intensity` (0..1 and beyond) on the given sides of the face whose
    mesh is `points` (image pixels)."""
    warp = WARPS[action]
    left_dir, up_dir, iod, centre = _axes(points)
    moves = []
    for side in sides:
        for index in (warp.left if side == "left" else warp.right):
            p = points[index, :2]
            outward = left_dir if side == "left" else -left_dir
            vector = intensity * iod * (warp.outward * outward + warp.up * up_dir)
            moves.append((p, vector, warp.radius * iod))
    return displace(image, moves) if moves and intensity else image.copy()


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
