"""Motion energy in face regions from dense optical flow between aligned face crops.

A movement can be too small or too brief to change the CNN's label and still be plain to a
human coder: a twitch of a lip corner, a flash of the brows. Optical flow sees it. Each face is
first warped to a canonical 64x64 crop (eyes and nose tip at fixed places), so head motion is
mostly removed; what alignment leaves of it (the three anchor points jitter, and a turn or zoom
between frames moves the whole crop) is an affine flow field over the whole face, which is
fitted to the flow and subtracted, twice (the second fit without the fifth of the pixels the
first explained worst, where the expression is). Subtracting only the median flow, as before,
removed the shift but not the turn or zoom: a still face only turned and zoomed read as motion
in every region. Energy is the 90th percentile of the remaining flow speed in a region, in
inter-ocular distances per second, which makes it independent of face size and frame rate.
(Motion energy is a timeline column and an event's supporting signal; it cannot make an event
on its own: emotion.temporal.events.)
"""

from __future__ import annotations

import cv2
import numpy as np

from ..labels import MOTION_REGIONS

CROP = 64
CANONICAL = np.float32([[20, 24], [44, 24], [32, 38]])  # right eye, left eye, nose tip
CANON_IOD = 24.0
# Rows and columns of each region of emotion.labels.MOTION_REGIONS in the aligned crop.
REGIONS = {"brows": (slice(6, 22), slice(8, 56)), "eyes": (slice(18, 32), slice(8, 56)),
           "mouth": (slice(40, 60), slice(14, 50))}
assert tuple(REGIONS) == MOTION_REGIONS


def anchor_points(mesh_points: np.ndarray) -> np.ndarray:
    """Eye centres and nose tip from a 468-point mesh (MediaPipe indices): points that an
    expression barely moves, so alignment does not cancel the movement being measured."""
    p = mesh_points[:, :2]
    return np.float32([(p[33] + p[133]) / 2, (p[263] + p[362]) / 2, p[1]])


def alignment(mesh_points: np.ndarray, scale: int = 1) -> np.ndarray:
    """(2, 3) similarity transform from the image to the aligned crop (`scale` times CROP wide)."""
    m, _ = cv2.estimateAffinePartial2D(anchor_points(mesh_points), CANONICAL * scale)
    return np.float32([[1, 0, 0], [0, 1, 0]]) if m is None else m


def aligned_crop(gray: np.ndarray, mesh_points: np.ndarray, scale: int = 1) -> np.ndarray:
    """(64, 64) uint8 face crop (times `scale`) with the eyes and mouth at canonical places."""
    return cv2.warpAffine(gray, alignment(mesh_points, scale), (CROP * scale, CROP * scale), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


_GRID = np.stack([*np.mgrid[0:CROP, 0:CROP][::-1].reshape(2, -1).astype(np.float64), np.ones(CROP * CROP)], axis=1)
_SAMPLE = np.flatnonzero((_GRID[:, 0] % 2 == 0) & (_GRID[:, 1] % 2 == 0))  # the fit looks at every other pixel: 4x cheaper, the same field


def without_rigid(flow: np.ndarray) -> np.ndarray:
    """The flow minus the affine field that best explains it (refitted without the worst-explained
    fifth of the pixels): what is left is what moved within the face."""
    f = flow.reshape(-1, 2).astype(np.float64)
    x, y = _GRID[_SAMPLE], f[_SAMPLE]
    coef = np.linalg.solve(x.T @ x, x.T @ y)  # least squares by the normal equations (3 x 3)
    residual = np.linalg.norm(y - x @ coef, axis=1)
    keep = residual <= np.partition(residual, int(0.8 * len(residual)))[int(0.8 * len(residual))]
    coef = np.linalg.solve(x[keep].T @ x[keep], x[keep].T @ y[keep])
    return (f - _GRID @ coef).reshape(flow.shape).astype(np.float32)


def region_motion(previous: np.ndarray, current: np.ndarray, dt: float) -> np.ndarray:
    """Motion energy per region (brows, eyes, mouth), inter-ocular distances per second."""
    flow = without_rigid(cv2.calcOpticalFlowFarneback(previous, current, None, 0.5, 2, 9, 3, 5, 1.1, 0))
    speed = np.linalg.norm(flow, axis=2) / CANON_IOD / max(dt, 1e-3)
    # The 90th percentile, not the mean: a twitch moves a small patch of a region. (np.partition
    # gives np.percentile's value, linear interpolation included, without a full sort.)
    return np.array([_percentile_90(speed[r]) for r in REGIONS.values()], np.float32)


def _percentile_90(values: np.ndarray) -> float:
    flat = values.ravel()
    position = 0.9 * (flat.size - 1)
    low = int(np.floor(position))
    part = np.partition(flat, [low, min(low + 1, flat.size - 1)])
    return float(part[low] + (position - low) * (part[min(low + 1, flat.size - 1)] - part[low]))
