"""Every face in wide frames: BlazeFace over a pyramid of overlapping windows.

BlazeFace sees the image letterboxed to 192x192 and finds a face once it spans about 18 of those
pixels (measured on a real face at known sizes: 18 px and up 4 of 4 placements, 12-16 px 3 of 4,
10 px 1 of 4, 8 px none). In a 1920-pixel frame that is a face of about 180 px: a classroom or a
video-call gallery loses everyone. So, for the smallest face wanted (`min_face`), the frame is
also cut into windows small enough that such a face spans MODEL_MIN_PX of the model's input,
each window run through the model, and the boxes mapped back. MODEL_MIN_PX is 24, not 18: with
20, mosaics of 40-px faces in 1920x1080 were found 86%; with 24, 99.7% (benchmarks/detectors.py).

Levels: the finest windows are responsible for faces from `min_face` to LEVEL_RATIO times that;
each next level has windows LEVEL_RATIO times larger, until a window would cover the frame, where
the whole-frame pass (as before) takes every face above. Windows of a level overlap by the
largest face that level is responsible for, so each such face lies whole inside some window;
boxes touching a window's inner edge (cut faces) and boxes too large for the level are dropped,
and the rest are merged across windows and levels with BlazeFace's weighted suppression.

`StreamDetector` makes this affordable on video: the whole frame every frame (large faces, and
faces that walk in, as before), the windows of every level every `scan_every_s`, and in between
only the windows that hold a small face already found (re-scanned at once in full if one is
lost), so a 640x360 interview costs what it cost before and a gallery keeps every face.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...config import DEFAULT_MIN_FACE
from ...types import Detections, box_iou
from .blazeface import BlazeFaceDetector, weighted_nms

MODEL_MIN_PX = 24
LEVEL_RATIO = 3
EDGE_MARGIN = 2  # pixels: a box this close to a window's inner edge is a cut face
# In windows, candidates down to WINDOW_MIN_SCORE are considered (small faces score lower than
# large ones: 0.48 for one 40-px face that scores 0.79 seen larger); those below VERIFY_BELOW
# must be confirmed (at the model's own threshold) by a second look at a window centred on them,
# where the face spans VERIFY_PX model pixels. Without that check, a window threshold of 0.5 let a
# false face through on no_face.mp4, and text on the astronaut's mission patch scored 0.64 in a
# 24-megapixel photo.
WINDOW_MIN_SCORE = 0.3
VERIFY_BELOW = 0.8
VERIFY_PX = 64


@dataclass(frozen=True)
class Level:
    windows: tuple[tuple[int, int, int, int], ...]  # x0, y0, x1, y1
    max_side: float | None  # faces larger than this belong to a coarser level (None: the whole frame)


def _starts(length: int, window: int, stride: int) -> list[int]:
    if window >= length:
        return [0]
    starts = list(range(0, length - window, stride)) + [length - window]
    return sorted(set(starts))


@lru_cache(maxsize=64)
def plan(width: int, height: int, min_face: int, input_size: int = 192) -> tuple[Level, ...]:
    """The windows of every level for a frame size, finest first, the whole frame last."""
    levels, smallest, longest = [], float(min_face), max(width, height)
    while True:
        window = math.ceil(input_size * smallest / MODEL_MIN_PX)
        if window >= longest or smallest >= longest:
            break
        largest = LEVEL_RATIO * smallest
        stride = max(int(window - largest), 1)
        # Windows reach past the frame's edges by a margin (seen as black): a face touching the
        # frame's edge is then not also at the window's edge, where the model scores faces low.
        pad = int(largest / 2)

        def starts(length: int) -> list[int]:
            return [s - pad for s in _starts(length + 2 * pad, window, stride)]

        windows = tuple((x, y, x + min(window, width + 2 * pad), y + min(window, height + 2 * pad))
                        for y in starts(height) for x in starts(width))
        levels.append(Level(windows, largest))
        smallest = largest
    levels.append(Level(((0, 0, width, height),), None))
    return tuple(levels)


class TiledDetector:
    """A BlazeFace detector that finds faces down to `min_face` pixels anywhere in the frame.
    Stateless: stills (photos, the image tab, `analyze_image`) run every level every time."""

    def __init__(self, base: BlazeFaceDetector, min_face: int = DEFAULT_MIN_FACE):
        if min_face < 8:
            raise ValueError(f"min_face must be at least 8 pixels, got {min_face}")
        self.base, self.min_face, self.name = base, int(min_face), base.name
        self.input_size = base.spec.input_size
        self.min_score = base.min_score

    def levels(self, image: np.ndarray) -> tuple[Level, ...]:
        return plan(image.shape[1], image.shape[0], self.min_face, self.input_size)

    def detect_windows(self, image: np.ndarray, level: Level, windows=None) -> Detections:
        """Faces found in some windows of one level (all of them by default), in frame pixels."""
        if level.max_side is None:
            return self.base.detect(image)
        h, w = image.shape[:2]
        found = []
        for x0, y0, x1, y1 in level.windows if windows is None else windows:
            d = self.base.detect(_crop(image, x0, y0, x1, y1), min_score=WINDOW_MIN_SCORE)
            if not len(d):
                continue
            b = d.xyxy
            inner = ((b[:, 0] > EDGE_MARGIN) | (x0 <= 0)) & ((b[:, 1] > EDGE_MARGIN) | (y0 <= 0)) \
                & ((b[:, 2] < x1 - x0 - EDGE_MARGIN) | (x1 >= w)) & ((b[:, 3] < y1 - y0 - EDGE_MARGIN) | (y1 >= h))
            found.append(d[inner & (d.sides <= 1.2 * level.max_side)].shifted(x0, y0).clipped(w, h))
        return self._confirmed(image, Detections.concat(found))

    def _confirmed(self, image: np.ndarray, found: Detections) -> Detections:
        """Keep sure candidates; look again at the unsure ones from a window centred on each."""
        unsure = np.flatnonzero(found.scores < VERIFY_BELOW) if len(found) else []
        keep = np.ones(len(found), bool)
        for i in unsure:
            x0, y0, x1, y1 = found.xyxy[i]
            half = max(x1 - x0, y1 - y0) * self.input_size / VERIFY_PX / 2
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            a0, b0 = int(max(cx - half, 0)), int(max(cy - half, 0))
            a1, b1 = int(min(cx + half, image.shape[1])), int(min(cy + half, image.shape[0]))
            second = self.base.detect(image[b0:b1, a0:a1]).shifted(a0, b0)
            keep[i] = bool(len(second)) and box_iou(found.xyxy[i], second.xyxy).max() > 0.3
        return found[keep] if len(found) else found

    def detect(self, image: np.ndarray) -> Detections:
        levels = self.levels(image)
        return merge(self.detect_windows(image, levels[-1]), [self.detect_windows(image, level) for level in levels[:-1]])


def _crop(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """image[y0:y1, x0:x1], with the part outside the image black."""
    h, w = image.shape[:2]
    inside = image[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
    if x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h:
        return inside
    out = np.zeros((y1 - y0, x1 - x0, image.shape[2]), image.dtype)
    out[max(-y0, 0) : max(-y0, 0) + inside.shape[0], max(-x0, 0) : max(-x0, 0) + inside.shape[1]] = inside
    return out


def merge(whole: Detections, parts: list[Detections], iou_threshold: float = 0.3) -> Detections:
    """One box per face. A face the whole-frame pass found keeps exactly that box (so large faces
    are boxed as they always were, frame after frame); the windows add the faces it missed, their
    overlapping boxes from several windows and levels averaged by score."""
    found = Detections.concat(parts)
    if len(found) and len(whole):
        found = found[np.array([box_iou(b, whole.xyxy).max() <= iou_threshold for b in found.xyxy])]
    if len(found) > 1 and found.keypoints is not None:
        found = Detections(*weighted_nms(found.xyxy, found.scores, found.keypoints, iou_threshold))
    return Detections.concat([whole, found])


class StreamDetector:
    """Detection for one video or webcam stream (never shared between streams): the whole frame
    every frame; every level's windows every `scan_every_s` of stream time; in between, the
    windows holding the small faces (those only windows find) of the previous frame. While the
    scans keep finding no small face, the interval doubles up to `max_scan_every_s` (an interview
    at 640x360 then pays about 1% for the scans instead of 4%); a scan that finds one resets it."""

    def __init__(self, tiled: TiledDetector, scan_every_s: float = 1.0, max_scan_every_s: float = 4.0):
        self.tiled, self.scan_every_s, self.max_scan_every_s = tiled, scan_every_s, max_scan_every_s
        self.name = tiled.name
        self._interval = scan_every_s
        self._last_scan: float | None = None
        self._small = Detections.empty()
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray, time_s: float, whole: Detections | None = None) -> Detections:
        """The frame's faces. `whole`: its whole-frame pass when already computed elsewhere (that
        pass depends on the frame alone, so video code runs it on worker threads ahead of time;
        the windows depend on the previous frames and run here, in frame order)."""
        levels = self.tiled.levels(image)
        whole = self.tiled.detect_windows(image, levels[-1]) if whole is None else whole
        if len(levels) == 1:
            return whole
        with self._lock:
            due = self._last_scan is None or not 0 <= time_s - self._last_scan < self._interval
            small = self._scan(image, levels) if due else self._follow(image, levels)
            found = merge(whole, [small])
            self._small = found[len(whole):]  # the faces only windows see
            if due:
                self._last_scan = time_s
                self._interval = self.scan_every_s if len(self._small) else min(2 * self._interval, self.max_scan_every_s)
            return found

    def _scan(self, image: np.ndarray, levels) -> Detections:
        return Detections.concat([self.tiled.detect_windows(image, level) for level in levels[:-1]])

    def _follow(self, image: np.ndarray, levels) -> Detections:
        """Re-run only the windows containing a known small face's centre; if any of those faces is
        not found again (it moved, or left), scan every window of this frame instead."""
        if not len(self._small):
            return Detections.empty()
        centres = (self._small.xyxy[:, :2] + self._small.xyxy[:, 2:]) / 2
        parts = []
        for level in levels[:-1]:
            windows = [w for w in level.windows
                       if ((centres[:, 0] >= w[0]) & (centres[:, 0] < w[2]) & (centres[:, 1] >= w[1]) & (centres[:, 1] < w[3])).any()]
            if windows:
                parts.append(self.tiled.detect_windows(image, level, windows))
        found = Detections.concat(parts)
        kept = all(len(found) and box_iou(b, found.xyxy).max() > 0.3 for b in self._small.xyxy)
        return found if kept else self._scan(image, levels)
