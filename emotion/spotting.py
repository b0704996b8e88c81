"""Planted events on real faces and how to score a detector against them, in the manner of the
micro-expression spotting challenges (MEGC): a detected event matches a planted one when their
intervals overlap with an IoU of at least 0.5.

A clip is one still of a real face, animated: facial actions are planted at known times,
durations and intensities by the project's warps (`inference.warps`: the face's own mesh says
where an action moves the skin), and the whole frame may move rigidly (in-plane turn, zoom, pan),
change its lighting, carry camera noise and go through H.264, as real video does. Null clips have
no plant: every event found in them is false. `benchmarks/event_spotting.py` runs hundreds of
such clips through the batch's own analysis; the tests plant single events the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from .inference.warps import action_moves, displace

BOTH = ("left", "right")
NEGATIVE = ("angry", "disgust", "fear", "sad")
IOU_MIN = 0.5


@dataclass(frozen=True)
class PlantKind:
    """What is planted: actions with their sides, the region an event should name, the side it
    should name (the person's), and the emotion a correct label gives (None: no expectation)."""

    name: str
    actions: tuple[tuple[str, tuple[str, ...]], ...]
    region: str
    side: str
    emotion: str | None
    blink: bool = False  # a blink's durations (0.1-0.4 s)


KINDS = {k.name: k for k in (
    PlantKind("smile", (("au12_lip_corner_pull", BOTH),), "mouth", "both", "happy"),
    PlantKind("smile left", (("au12_lip_corner_pull", ("left",)),), "mouth", "left", "happy"),
    PlantKind("smile right", (("au12_lip_corner_pull", ("right",)),), "mouth", "right", "happy"),
    PlantKind("brow raise", (("au1_inner_brow_raise", BOTH), ("au2_outer_brow_raise", BOTH)), "brows", "both", "surprise"),
    PlantKind("brow lowering", (("au4_brow_lower", BOTH),), "brows", "both", "angry"),
    PlantKind("lip-corner depression", (("au15_lip_corner_depress", BOTH),), "mouth", "both", "sad"),
    PlantKind("lip stretch", (("au20_lip_stretch", BOTH),), "mouth", "both", "fear"),
    PlantKind("jaw drop", (("au26_jaw_drop", BOTH),), "mouth", "both", "surprise"),
    PlantKind("blink", (("au43_eye_closure", BOTH),), "eyes", "both", None, blink=True),
    PlantKind("wink left", (("au43_eye_closure", ("left",)),), "eyes", "left", None, blink=True),
    PlantKind("wink right", (("au43_eye_closure", ("right",)),), "eyes", "right", None, blink=True),
)}


@dataclass(frozen=True)
class Plant:
    kind: str
    onset_s: float
    duration_s: float
    intensity: float

    @property
    def offset_s(self) -> float:
        return self.onset_s + self.duration_s

    @property
    def apex_s(self) -> float:
        return self.onset_s + self.duration_s / 2

    @property
    def micro(self) -> bool:
        return self.duration_s <= 0.5 + 1e-9

    def level(self, t: float) -> float:
        """The action's intensity at time t: a trapezoid, rising over the first 30% of the
        duration, held, falling over the last 30%."""
        x = (t - self.onset_s) / self.duration_s
        if x <= 0 or x >= 1:
            return 0.0
        return self.intensity * min(1.0, x / 0.3, (1 - x) / 0.3)


@dataclass(frozen=True)
class Camera:
    """What happens to the whole frame: an in-plane turn (degrees), zoom (fraction) and pan
    (fraction of the frame), each a slow sine of its own frequency; a lighting swing (gain
    fraction); camera noise (gray levels); H.264 quality (CRF)."""

    turn: float = 0.0
    zoom: float = 0.0
    pan: float = 0.0
    light: float = 0.0
    noise: float = 2.0
    crf: int = 23

    def transform(self, t: float, centre: tuple[float, float], size: tuple[int, int]) -> np.ndarray | None:
        if not (self.turn or self.zoom or self.pan):
            return None
        angle = self.turn * math.sin(2 * math.pi * 0.29 * t + 0.3)
        scale = 1 + self.zoom * math.sin(2 * math.pi * 0.17 * t + 1.1)
        m = cv2.getRotationMatrix2D(centre, angle, scale)
        m[0, 2] += self.pan * size[0] * math.sin(2 * math.pi * 0.13 * t + 2.0)
        m[1, 2] += 0.5 * self.pan * size[1] * math.sin(2 * math.pi * 0.21 * t + 0.7)
        return m

    def gain(self, t: float) -> float:
        return 1 + self.light * math.sin(2 * math.pi * 0.4 * t + 0.5)


@dataclass(frozen=True)
class Clip:
    name: str
    face: str
    plants: tuple[Plant, ...]
    camera: Camera = field(default_factory=Camera)
    seconds: float = 12.0
    fps: int = 25
    seed: int = 0


def planted_frame(still: np.ndarray, points: np.ndarray, plants: tuple[Plant, ...], t: float, cache: dict) -> np.ndarray:
    """The still with every plant active at time t applied at its level (levels rounded to
    0.02, so that a clip renders each distinct warp once)."""
    active = [(p, round(p.level(t) / 0.02) * 0.02) for p in plants if p.level(t) > 0]
    key = tuple((p.kind, level) for p, level in active if level > 0)
    if key not in cache:
        moves, holds = [], []
        for kind, level in key:
            for action, sides in KINDS[kind].actions:
                m, holds = action_moves(points, action, level, sides)
                moves += m
        cache[key] = displace(still, moves, holds) if moves else still
    return cache[key]


def render(clip: Clip, still: np.ndarray, points: np.ndarray, path: Path) -> Path:
    """Write `clip` (the RGB `still`, whose mesh is `points`) as H.264 at clip.camera.crf."""
    from .io.encode import VideoWriter

    h, w = still.shape[:2]
    centre = tuple(float(v) for v in points[:, :2].mean(axis=0))
    # A keyframe every 2 s, as webcam and streaming recorders write them: with x264's default of
    # 10 s, a perfectly still picture kept traces of a planted smile for seconds (skipped blocks).
    writer = VideoWriter(path, w, h, Fraction(clip.fps), crf=clip.camera.crf, keyframe_every=2 * clip.fps)
    cache: dict = {}
    cv2.setRNGSeed(clip.seed)  # the camera noise, drawn by OpenCV (ten times faster than NumPy's here)
    noise = np.empty((h, w, 3), np.float32)
    try:
        for i in range(int(round(clip.seconds * clip.fps))):
            t = i / clip.fps
            frame = planted_frame(still, points, clip.plants, t, cache)
            m = clip.camera.transform(t, centre, (w, h))
            if m is not None:
                frame = cv2.warpAffine(frame, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            cv2.randn(noise, 0.0, float(clip.camera.noise))
            shot = cv2.scaleAdd(frame.astype(np.float32), clip.camera.gain(t), noise)
            writer.write(np.clip(shot, 0, 255, out=shot).astype(np.uint8))
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return path


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def event_interval(event) -> tuple[float, float]:
    """An event's interval: from its onset for its duration (which counts its last frame whole)."""
    return event.onset_s, event.onset_s + event.duration_s


def match(plants: tuple[Plant, ...], events: list) -> list[tuple[Plant, object | None]]:
    """Each plant with the event that matches it (IoU >= IOU_MIN, best first, one to one), or None."""
    pairs = sorted(((iou((p.onset_s, p.offset_s), event_interval(e)), i, j) for i, p in enumerate(plants)
                    for j, e in enumerate(events)), reverse=True)
    found: dict[int, int] = {}
    used: set[int] = set()
    for score, i, j in pairs:
        if score >= IOU_MIN and i not in found and j not in used:
            found[i] = j
            used.add(j)
    return [(p, events[found[i]] if i in found else None) for i, p in enumerate(plants)]
