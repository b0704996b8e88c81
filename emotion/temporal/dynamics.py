"""Per-face signals over time: smoothed probabilities, regional motion, baselines, events.

One `FaceDynamics` follows all tracked faces of one video (batch) or one webcam session (app).
It keeps, per face, a compact history of the signals events are found in (about 130 bytes per
face and frame, never the frames themselves), so that a whole video's baseline and events can
be computed at the end, or a live session's over a sliding window.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from ..labels import EMOTIONS, MEASURE_NAMES, MOTION_NAMES, RELATIVE_NAMES, SIGNAL_NAMES
from ..types import FaceResult, TrackedFace
from .events import Baseline, Event, detect_episodes, detect_events, smoothed
from .motion import aligned_crop, region_motion
from .smoothing import ProbabilitySmoother

MAX_MOTION_GAP_S = 0.5  # flow between frames further apart than this means nothing
NEUTRAL_MIN_FRAMES = 10
_ACTION_IDX = [MEASURE_NAMES.index(n) for n in RELATIVE_NAMES]  # the actions and their sides, as in SIGNAL_NAMES


@dataclass
class _History:
    """One face's series, one entry per analysed frame."""

    times: list = field(default_factory=list)
    measures: list = field(default_factory=list)  # (15,) raw actions + pose, NaN when not measured
    motion: list = field(default_factory=list)  # (3,)
    probs: list = field(default_factory=list)  # (7,) raw
    smoothed: list = field(default_factory=list)  # (7,)
    boxes: list = field(default_factory=list)  # (4,) xyxy, for pictures of moments (events' apexes)
    last_crop: np.ndarray | None = None
    last_time: float | None = None

    def append(self, time_s: float, tracked: TrackedFace) -> None:
        self.times.append(time_s)
        self.measures.append(tracked.measures)
        self.motion.append(tracked.motion)
        self.probs.append(np.asarray(tracked.face.probabilities, np.float32))
        self.smoothed.append(np.asarray(tracked.smoothed, np.float32))
        self.boxes.append(np.asarray(tracked.face.xyxy, np.float32))

    def drop_before(self, time_s: float) -> None:
        while self.times and self.times[0] < time_s:
            for series in (self.times, self.measures, self.motion, self.probs, self.smoothed, self.boxes):
                series.pop(0)

    def signals(self) -> np.ndarray:
        """(n, len(SIGNAL_NAMES)) float32: actions, motion energy, raw probabilities."""
        if not self.times:
            return np.zeros((0, len(SIGNAL_NAMES)), np.float32)
        return np.concatenate([np.array(self.measures)[:, _ACTION_IDX], np.array(self.motion), np.array(self.probs)],
                              axis=1).astype(np.float32)


class FaceDynamics:
    """`window_s`: keep only the last this-many seconds per face (live use); None keeps all.

    Motion energy is measured for faces that carry landmarks (the analyzer decides whether
    facial actions are on) when the frame's gray pixels are given."""

    def __init__(self, half_life_s: float = 0.3, window_s: float | None = None):
        self.smoother = ProbabilitySmoother(half_life_s)
        self.window_s = window_s
        self._history: dict[int, _History] = {}

    @property
    def face_ids(self) -> list[int]:
        return list(self._history)

    def update(self, time_s: float, gray: np.ndarray | None, faces: list[FaceResult],
               motion: list[np.ndarray] | None = None) -> list[TrackedFace]:
        """Faces of one frame, each with its `face_id` set -> the same faces, tracked. `motion`:
        each face's motion energy when it was measured elsewhere (then `gray` is None)."""
        out = []
        for k, face in enumerate(faces):
            h = self._history.setdefault(face.face_id, _History())
            smoothed = self.smoother.update(face.face_id, face.probabilities, time_s)
            motion_k = np.full(len(MOTION_NAMES), np.nan, np.float32) if motion is None else np.asarray(motion[k], np.float32)
            if gray is not None and face.landmarks is not None:
                crop = aligned_crop(gray, face.landmarks)
                if h.last_crop is not None and 0 < time_s - h.last_time <= MAX_MOTION_GAP_S:
                    motion_k = region_motion(h.last_crop, crop, time_s - h.last_time)
                h.last_crop, h.last_time = crop, time_s
            tracked = TrackedFace(face, smoothed, motion_k)
            h.append(time_s, tracked)
            if self.window_s is not None:
                h.drop_before(time_s - self.window_s)
            out.append(tracked)
        return out

    def first_seen(self, face_id: int) -> float:
        """Time of the face's oldest kept frame."""
        return self._history[face_id].times[0]

    def series(self, face_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(times, signals in SIGNAL_NAMES order) of one face, as events are found in them
        (averaged over events.SMOOTH_S)."""
        h = self._history[face_id]
        times = np.array(h.times, np.float64)
        return times, smoothed(times, h.signals())

    def frames(self, face_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, smoothed probabilities (n, 7), raw measures (n, MEASURE_NAMES)) of one face's
        analysed frames."""
        h = self._history[face_id]
        return (np.array(h.times, np.float64), np.array(h.smoothed, np.float64).reshape(-1, len(EMOTIONS)),
                np.array(h.measures, np.float64).reshape(-1, len(MEASURE_NAMES)))

    def box_at(self, face_id: int, time_s: float) -> np.ndarray | None:
        """The face's box (xyxy) in its analysed frame nearest to `time_s`."""
        h = self._history.get(face_id)
        if not h or not h.times:
            return None
        return h.boxes[int(np.argmin(np.abs(np.array(h.times) - time_s)))]

    def prune(self, present: list[int], now: float, max_absence_s: float) -> list[int]:
        """Live bookkeeping after a frame: faces not in it restart their smoothing when they come
        back; faces unseen for over `max_absence_s` are forgotten. Returns the forgotten ids."""
        self.smoother.forget_except(present)
        gone = [i for i, h in self._history.items() if i not in present and h.times[-1] < now - max_absence_s]
        for face_id in gone:
            del self._history[face_id]
        return gone

    def probability_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, face ids, raw probabilities (n, 7)): one row per face and analysed frame."""
        times, ids, probs = [], [], []
        for face_id, h in self._history.items():
            times += h.times
            ids += [face_id] * len(h.times)
            probs += h.probs
        return np.array(times, np.float64), np.array(ids, np.int64), np.array(probs, np.float32).reshape(-1, len(EMOTIONS))

    def baseline(self, face_id: int) -> Baseline:
        """What the face's events are departures from: its signals over the frames the CNN calls
        neutral when there are enough of them (`neutral_frames`), else over all its frames. So a
        clip that starts neutral and then smiles has one event, the smile; against the median
        of all frames (mostly the smile), the neutral start read as an event and was labelled."""
        _, signals = self.series(face_id)
        neutral = self.neutral_frames(face_id)
        return Baseline.of(signals[neutral] if neutral is not None else signals)

    def neutral_frames(self, face_id: int) -> np.ndarray | None:
        """Mask of the face's frames the smoothed CNN calls neutral (and that have measurements),
        when there are at least NEUTRAL_MIN_FRAMES of them and a tenth of the face's frames;
        None otherwise (someone who smiles throughout has no neutral frames)."""
        h = self._history[face_id]
        values = np.array(h.measures, np.float64).reshape(-1, len(MEASURE_NAMES))
        neutral = np.array(h.smoothed).reshape(-1, len(EMOTIONS)).argmax(axis=1) == EMOTIONS.index("neutral")
        neutral &= ~np.isnan(values).all(axis=1)
        return neutral if neutral.sum() >= max(NEUTRAL_MIN_FRAMES, 0.1 * len(values)) else None

    def measure_baseline(self, face_id: int) -> tuple[np.ndarray, str]:
        """The face's neutral reference for the action and pose measurements, and where it
        came from: the median over its neutral frames (`neutral_frames`), else the median over
        all its frames."""
        h = self._history[face_id]
        values = np.array(h.measures, np.float64).reshape(-1, len(MEASURE_NAMES))
        if not len(values) or np.isnan(values).all():
            return np.full(len(MEASURE_NAMES), np.nan), "no measurements"
        neutral = self.neutral_frames(face_id)
        with warnings.catch_warnings():  # a measure the mesh never produced stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            if neutral is not None:
                return np.nanmedian(values[neutral], axis=0), f"median of {int(neutral.sum())} neutral frames"
            return np.nanmedian(values, axis=0), f"median of all {len(values)} frames (too few neutral ones)"

    def events(self, baselines: dict[int, Baseline] | None = None, episodes: bool = True) -> list[Event]:
        """All faces' micro events, movements and (optionally) episodes, by onset time."""
        found = []
        for face_id, h in self._history.items():
            if len(h.times) < 2:
                continue
            baseline = (baselines or {}).get(face_id) or self.baseline(face_id)
            found += detect_events(face_id, *self.series(face_id), baseline)
            if episodes:
                found += detect_episodes(face_id, np.array(h.times), np.array(h.smoothed))
        return sorted(found, key=lambda e: (e.onset_s, e.face_id))


def with_smoothed_probabilities(tracked: list[TrackedFace]) -> list[FaceResult]:
    """The faces with their smoothed probabilities in place of the raw ones (what live shows)."""
    return [replace(t.face, probabilities=t.smoothed) for t in tracked]
