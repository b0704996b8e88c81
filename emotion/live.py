"""One live stream's state (a webcam session): a facade over `FaceStream` that adds what only
live use needs: action measurements against a calibration window, recent finished events and
the frame rate.

Each browser session owns one `LiveSession`, so two people using the app never share state.
A face's first CALIBRATION_S seconds are its neutral baseline (the live counterpart of the
batch module's whole-video median); after that its actions are shown relative to it and brief
departures are reported as events once they have ended, with times in seconds from the start
of the stream. Faces are labelled by person (`people.LivePeople`): someone who turns away or
covers their face for a moment keeps their number.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from .draw.annotate import annotate
from .inference import cache
from .inference.analyzer import EmotionAnalyzer
from .inference.frames import FrameStream
from .io.image import load_image
from .inference.actions import looking_at_camera
from .labels import ACTION_NAMES, MEASURE_NAMES
from .temporal.asymmetry import asymmetry
from .temporal.baseline import relative_to
from .temporal.dynamics import with_smoothed_probabilities
from .temporal.events import Baseline, Event, detect_events
from .temporal.people import LivePeople
from .temporal.stream import FaceStream
from .types import FaceResult, TrackedFace

CALIBRATION_S = 2.0
WINDOW_S = 8.0
MAX_EVENTS = 8


@dataclass
class LiveFrame:
    annotated: np.ndarray
    faces: list[FaceResult]  # smoothed probabilities; face_id is the person's number (the label drawn)
    tracked: list[TrackedFace]  # raw probabilities as the CNN saw this frame, smoothed ones, motion
    fps: float
    # Per person number: actions relative to its baseline, asymmetry, gaze (degrees) and looking_at_camera
    # (1/0; NaN when the eyes are closed); None while calibrating, {} when not measured.
    actions: dict[int, dict[str, float] | None]
    events: list[Event]  # the most recent finished events, newest first; times from the stream's start

    @property
    def face_ids(self) -> list[int]:
        """The faces' labels (person numbers), in the order of `faces`."""
        return [f.face_id for f in self.faces]


@dataclass
class LiveSession:
    half_life_s: float = 0.5
    _times: deque = field(default_factory=lambda: deque(maxlen=30))
    _events: deque = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))
    _calibration: dict = field(default_factory=dict)  # face id -> (Baseline, measure medians)

    def __post_init__(self):
        self.stream = FaceStream(self.half_life_s, window_s=WINDOW_S)
        self._frames = None  # FrameStream: the analyzer's per-stream detection state, made on the first frame
        self._people = None  # LivePeople, made on the first frame
        self._start: float | None = None  # the first frame's time: event times count from it

    def process(self, analyzer: EmotionAnalyzer, frame, now: float | None = None) -> LiveFrame:
        now = time.monotonic() if now is None else now
        rgb = load_image(frame, name="webcam frame", max_pixels=analyzer.max_pixels)
        if self._frames is None or self._frames.analyzer is not analyzer:
            self._frames = FrameStream(analyzer)
        if self._people is None:
            self._people, self._start = LivePeople(cache.get_embedder()), now
        faces, gray = self._frames.analyze(rgb, now)
        tracked = self.stream.step(now, faces, gray)
        person = self._people.assign(now, tracked, rgb)
        smoothed = [replace(f, face_id=person[t.face_id]) for f, t in zip(with_smoothed_probabilities(tracked), tracked)]
        actions = {person[t.face_id]: self._relative_actions(t, now) for t in tracked}
        for face_id in self.stream.dynamics.prune([t.face_id for t in tracked], now, WINDOW_S):
            self._calibration.pop(face_id, None)
        self._times.append(now)
        span = self._times[-1] - self._times[0]
        fps = (len(self._times) - 1) / span if len(self._times) > 1 and span > 0 else 0.0
        return LiveFrame(annotate(rgb, smoothed), smoothed, tracked, fps, actions, list(self._events)[::-1])

    def _relative_actions(self, tracked: TrackedFace, now: float) -> dict[str, float] | None:
        dynamics, face_id = self.stream.dynamics, tracked.face_id
        if np.isnan(tracked.measures).all():
            return {}  # the analyzer measures no actions (or the mesh failed on this frame)
        if face_id not in self._calibration:
            if now - dynamics.first_seen(face_id) < CALIBRATION_S:
                return None
            self._calibration[face_id] = (dynamics.baseline(face_id), dynamics.measure_baseline(face_id)[0])
        baseline, medians = self._calibration[face_id]
        self._collect_events(face_id, baseline, now, self._people.person_id(face_id))
        values = dict(zip(MEASURE_NAMES, map(float, tracked.measures)))
        relative = relative_to(values, dict(zip(MEASURE_NAMES, medians)))
        index = asymmetry(relative)
        looking = looking_at_camera(values["gaze_yaw"], values["gaze_pitch"])
        return {**{n: relative.get(n, math.nan) for n in ACTION_NAMES}, "asymmetry": math.nan if index is None else index,
                "gaze_yaw": float(values["gaze_yaw"]), "gaze_pitch": float(values["gaze_pitch"]),
                "looking_at_camera": math.nan if looking is None else float(looking)}

    def _collect_events(self, face_id: int, baseline: Baseline, now: float, person_id: int | None) -> None:
        times, signals = self.stream.dynamics.series(face_id)
        seen = {(e.face_id, round(e.onset_s, 3)) for e in self._events}
        step = (times[-1] - times[0]) / max(len(times) - 1, 1)
        for event in detect_events(face_id, times - self._start, signals, baseline):
            ended = event.offset_s < now - self._start - 1.5 * step  # still going on: report it when it ends
            if ended and event.onset_s > times[0] - self._start and (face_id, round(event.onset_s, 3)) not in seen:
                self._events.append(replace(event, person_id=person_id))
