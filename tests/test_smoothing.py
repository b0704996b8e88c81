"""emotion.temporal.smoothing: an exponential average over time, not over frames."""

import numpy as np

from emotion.temporal.smoothing import ProbabilitySmoother

HAPPY, SAD = np.eye(7, dtype=np.float32)[3], np.eye(7, dtype=np.float32)[4]


def settled(fps: float, seconds: float) -> np.ndarray:
    smoother = ProbabilitySmoother(half_life_s=0.5)
    smoother.update(1, HAPPY, 0.0)
    out = None
    for k in range(1, int(round(seconds * fps)) + 1):
        out = smoother.update(1, SAD, k / fps)
    return out


def test_after_one_half_life_the_old_value_weighs_half():
    assert np.allclose(settled(fps=30, seconds=0.5)[3], 0.5, atol=1e-5)


def test_the_same_at_5_and_30_frames_per_second():
    assert np.allclose(settled(fps=5, seconds=1.0), settled(fps=30, seconds=1.0), atol=1e-5)


def test_faces_are_smoothed_apart_and_forgotten_on_request():
    smoother = ProbabilitySmoother()
    smoother.update(1, HAPPY, 0.0)
    assert np.array_equal(smoother.update(2, SAD, 0.1), SAD)
    smoother.forget_except([2])
    assert np.array_equal(smoother.update(1, SAD, 0.2), SAD)  # face 1 starts again
