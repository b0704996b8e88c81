"""emotion.temporal.motion: optical-flow motion energy per face region, on the real portrait."""

import numpy as np
import pytest

from emotion import EmotionAnalyzer
from emotion.temporal.motion import REGIONS, aligned_crop, region_motion


@pytest.fixture(scope="module")
def face(astronaut):
    found = EmotionAnalyzer(actions=True).analyze(astronaut)[0]
    return astronaut, found.landmarks


def gray(rgb):
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def test_a_still_face_has_no_motion_and_a_moved_mouth_has_mouth_motion(face):
    from emotion.inference.warps import apply_action

    rgb, points = face
    before = aligned_crop(gray(rgb), points)
    still = region_motion(before, aligned_crop(gray(rgb), points), dt=0.04)
    moved = region_motion(before, aligned_crop(gray(apply_action(rgb, points, "au12_lip_corner_pull", 1.0)), points), dt=0.04)
    mouth = list(REGIONS).index("mouth")
    assert still.max() < 0.05
    assert moved[mouth] > 10 * max(still[mouth], 0.01) and moved[mouth] == moved.max()


def test_motion_is_per_second(face):
    from emotion.inference.warps import apply_action

    rgb, points = face
    before = aligned_crop(gray(rgb), points)
    after = aligned_crop(gray(apply_action(rgb, points, "au12_lip_corner_pull", 1.0)), points)
    fast, slow = region_motion(before, after, 0.04), region_motion(before, after, 0.08)
    assert fast.max() > 0.1 and np.allclose(fast, 2 * slow, rtol=1e-4)
