"""Per-face signals over time: smoothed probabilities, regional motion, baselines, events.

One `FaceDynamics` follows all tracked faces of one video (batch) or one webcam session (app).
It keeps, per face, a compact history of the signals events are found in (about 90 bytes per
face and frame, never the frames themselves), so that a whole video's baseline and events can
be computed at the end, or a live session's over a sliding window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .actions import ACTION_NAMES, MEASURE_NAMES
from .labels import EMOTIONS
from .events import SIGNAL_NAMES, Baseline, Event, detect_episodes, detect_events
from .motion import MOTION_NAMES, aligned_crop, region_motion
from .tracking import ProbabilitySmoother
from .types import FaceResult

MAX_MOTION_GAP_S = 0.5
NEUTRAL_MIN_FRAMES = 10  # flow between frames further apart than this means nothing
_ACTION_IDX = [MEASURE_NAMES.index(n) for n in ACTION_NAMES]


@dataclass(frozen=True)
class FaceSignals:
    """One face in one frame."""

    face_id: int
    smoothed: np.ndarray  # (7,) probabilities after temporal smoothing
    measures: np.ndarray  # (15,) raw actions + pose (NaN without landmarks)
    motion: np.ndarray  # (3,) brows, eyes, mouth energy (NaN on a face's first frame)


@dataclass
class _History:
    times: list = field(default_factory=list)
    signals: list = field(default_factory=list)  # SIGNAL_NAMES order, float32
    measures: list = field(default_factory=list)
    smoothed: list = field(default_factory=list)
    last_crop: np.ndarray | None = None
    last_time: float | None = None


class FaceDynamics:
    """`window_s`: keep only the last this-many seconds per face (live use); None keeps all."""

    def __init__(self, half_life_s: float = 0.3, motion: bool = True, window_s: float | None = None):
        self.smoother = ProbabilitySmoother(half_life_s)
        self.motion, self.window_s = motion, window_s
        self.history: dict[int, _History] = {}

    def update(self, time_s: float, gray: np.ndarray | None, faces: list[FaceResult], ids: list[int]) -> list[FaceSignals]:
        out = []
        for face, face_id in zip(faces, ids):
            h = self.history.setdefault(face_id, _History())
            smoothed = self.smoother.update(face_id, face.probabilities, time_s)
            measures = np.full(len(MEASURE_NAMES), np.nan, np.float32) if face.actions is None else face.actions
            motion = np.full(len(MOTION_NAMES), np.nan, np.float32)
            if self.motion and gray is not None and face.landmarks is not None:
                crop = aligned_crop(gray, face.landmarks)
                if h.last_crop is not None and 0 < time_s - h.last_time <= MAX_MOTION_GAP_S:
                    motion = region_motion(h.last_crop, crop, time_s - h.last_time)
                h.last_crop, h.last_time = crop, time_s
            h.times.append(time_s)
            h.signals.append(np.concatenate([measures[_ACTION_IDX], motion, face.probabilities]).astype(np.float32))
            h.measures.append(measures)
            h.smoothed.append(np.asarray(smoothed, np.float32))
            if self.window_s is not None:
                while h.times and time_s - h.times[0] > self.window_s:
                    for seq in (h.times, h.signals, h.measures, h.smoothed):
                        seq.pop(0)
            out.append(FaceSignals(face_id, smoothed, measures, motion))
        return out

    def probability_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, face ids, raw probabilities (n, 7)): one row per face and analysed frame."""
        times, ids, probs = [], [], []
        for face_id, h in self.history.items():
            times += h.times
            ids += [face_id] * len(h.times)
            probs += [row[-len(EMOTIONS):] for row in h.signals]
        return np.array(times, np.float64), np.array(ids, np.int64), np.array(probs, np.float32).reshape(-1, len(EMOTIONS))

    def baseline(self, face_id: int) -> Baseline:
        h = self.history[face_id]
        return Baseline.of(np.array(h.signals).reshape(-1, len(SIGNAL_NAMES)))

    def measure_baseline(self, face_id: int) -> tuple[np.ndarray, str]:
        """The face's neutral reference for the action and pose measurements, and where it
        came from: the median over the frames the CNN (smoothed) calls neutral when there are
        enough of them (at least NEUTRAL_MIN_FRAMES and a tenth of the face's frames), else the
        median over all its frames (someone who smiles throughout has no neutral frames)."""
        h = self.history[face_id]
        values = np.array(h.measures, np.float64).reshape(-1, len(MEASURE_NAMES))
        if not len(values) or np.isnan(values).all():
            return np.full(len(MEASURE_NAMES), np.nan), "no measurements"
        neutral = np.array(h.smoothed).reshape(-1, len(EMOTIONS)).argmax(axis=1) == EMOTIONS.index("neutral")
        neutral &= ~np.isnan(values).all(axis=1)
        if neutral.sum() >= max(NEUTRAL_MIN_FRAMES, 0.1 * len(values)):
            return np.nanmedian(values[neutral], axis=0), f"median of {int(neutral.sum())} neutral frames"
        return np.nanmedian(values, axis=0), f"median of all {len(values)} frames (too few neutral ones)"

    def events(self, baselines: dict[int, Baseline] | None = None, episodes: bool = True) -> list[Event]:
        """All faces' micro events, movements and (optionally) episodes, by onset time."""
        found = []
        for face_id, h in self.history.items():
            if len(h.times) < 2:
                continue
            baseline = (baselines or {}).get(face_id) or self.baseline(face_id)
            found += detect_events(face_id, np.array(h.times), np.array(h.signals), baseline)
            if episodes:
                found += detect_episodes(face_id, np.array(h.times), np.array(h.smoothed))
        return sorted(found, key=lambda e: (e.onset_s, e.face_id))


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
