"""One live stream's state (a webcam session): face ids, smoothed probabilities, action
measurements against a calibration window, recent events, frame rate.

Each browser session owns one `LiveSession`, so two people using the app never share state.
A face's first CALIBRATION_S seconds are its neutral baseline (the live counterpart of the
batch module's whole-video median); after that its actions are shown relative to it and brief
departures are reported as events once they have ended.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from .actions import ACTION_NAMES
from .analyzer import EmotionAnalyzer
from .annotate import annotate
from .dynamics import FaceDynamics, FaceSignals, to_gray
from .events import Baseline, Event, detect_events
from .media import load_image
from .tracking import FaceTracker
from .types import FaceResult

CALIBRATION_S = 2.0
WINDOW_S = 8.0
MAX_EVENTS = 8


@dataclass
class LiveFrame:
    annotated: np.ndarray
    faces: list[FaceResult]  # with smoothed probabilities
    raw: list[FaceResult]  # as the CNN saw this frame
    face_ids: list[int]
    fps: float
    signals: list[FaceSignals]
    # Per face: actions relative to its baseline; None while calibrating, {} when not measured.
    actions: dict[int, dict[str, float] | None]
    events: list[Event]  # the most recent finished events, newest first


@dataclass
class LiveSession:
    half_life_s: float = 0.5
    tracker: FaceTracker = field(default_factory=FaceTracker)
    _times: deque = field(default_factory=lambda: deque(maxlen=30))
    _events: deque = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))
    _calibration: dict = field(default_factory=dict)  # face id -> (Baseline, measure medians)

    def __post_init__(self):
        self.dynamics = FaceDynamics(self.half_life_s, window_s=WINDOW_S)

    def process(self, analyzer: EmotionAnalyzer, frame, now: float | None = None) -> LiveFrame:
        now = time.monotonic() if now is None else now
        rgb = load_image(frame, name="webcam frame")
        raw = analyzer.analyze(rgb)
        boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in (f.box for f in raw)], np.float32).reshape(-1, 4)
        ids = self.tracker.update(boxes, now)
        signals = self.dynamics.update(now, to_gray(rgb) if raw and raw[0].landmarks is not None else None, raw, ids)
        smoothed = [replace(f, probabilities=s.smoothed) for f, s in zip(raw, signals)]
        actions = {i: self._relative_actions(i, s, now) for i, s in zip(ids, signals)}
        self._forget_except(ids, now)
        self._times.append(now)
        fps = (len(self._times) - 1) / (self._times[-1] - self._times[0]) if len(self._times) > 1 and self._times[-1] > self._times[0] else 0.0
        return LiveFrame(annotate(rgb, smoothed, ids), smoothed, raw, ids, fps, signals, actions, list(self._events)[::-1])

    def _relative_actions(self, face_id: int, signal: FaceSignals, now: float) -> dict[str, float] | None:
        h = self.dynamics.history[face_id]
        if np.isnan(signal.measures).all():
            return {}  # the analyzer measures no actions (or the mesh failed on this frame)
        if face_id not in self._calibration:
            if now - h.times[0] < CALIBRATION_S:
                return None
            self._calibration[face_id] = (self.dynamics.baseline(face_id), self.dynamics.measure_baseline(face_id)[0])
        baseline, medians = self._calibration[face_id]
        self._collect_events(face_id, baseline, now)
        return {n: float(v - m) for n, v, m in zip(ACTION_NAMES, signal.measures, medians)}

    def _collect_events(self, face_id: int, baseline: Baseline, now: float) -> None:
        h = self.dynamics.history[face_id]
        seen = {(e.face_id, round(e.onset_s, 3)) for e in self._events}
        step = (h.times[-1] - h.times[0]) / max(len(h.times) - 1, 1)
        for event in detect_events(face_id, np.array(h.times), np.array(h.signals), baseline):
            ended = event.offset_s < now - 1.5 * step  # still going on: report it when it ends
            if ended and event.onset_s > h.times[0] and (face_id, round(event.onset_s, 3)) not in seen:
                self._events.append(event)

    def _forget_except(self, ids, now: float) -> None:
        self.dynamics.smoother.forget_except(ids)
        for face_id in [i for i, h in self.dynamics.history.items() if i not in ids and h.times[-1] < now - WINDOW_S]:
            del self.dynamics.history[face_id]
            self._calibration.pop(face_id, None)
