"""Smoothing of each tracked face's probabilities over time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ProbabilitySmoother:
    """Exponential moving average of each tracked face's probabilities over time.

    `half_life_s` is the age at which an observation's weight has halved; using time rather
    than a frame count keeps the smoothing the same at 5 or 30 frames per second.
    """

    half_life_s: float = 0.5
    _state: dict[int, tuple[np.ndarray, float]] = field(default_factory=dict)

    def update(self, face_id: int, probabilities: np.ndarray, time_s: float) -> np.ndarray:
        previous = self._state.get(face_id)
        if previous is None:
            smoothed = np.asarray(probabilities, np.float32)
        else:
            value, t0 = previous
            keep = 0.5 ** (max(time_s - t0, 0.0) / self.half_life_s)
            smoothed = keep * value + (1 - keep) * np.asarray(probabilities, np.float32)
        self._state[face_id] = (smoothed, time_s)
        return smoothed

    def forget_except(self, face_ids) -> None:
        self._state = {k: v for k, v in self._state.items() if k in set(face_ids)}
