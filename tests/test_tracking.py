"""emotion.temporal.tracking: stable ids from frame to frame, new ids after a long absence."""

import numpy as np

from emotion.temporal.tracking import FaceTracker


def box(x, y, side=100):
    return [x, y, x + side, y + side]


def test_ids_follow_their_boxes_whatever_the_order():
    tracker = FaceTracker()
    first = tracker.update(np.float32([box(0, 0), box(300, 0)]), 0.0)
    moved = tracker.update(np.float32([box(310, 5), box(8, 4)]), 0.1)  # listed the other way round, moved a little
    assert first == [1, 2] and moved == [2, 1]


def test_a_fast_face_keeps_its_id_by_its_centre_and_a_far_one_does_not():
    tracker = FaceTracker()
    tracker.update(np.float32([box(0, 0)]), 0.0)
    assert tracker.update(np.float32([box(50, 0)]), 0.1) == [1]  # IoU 0.33, centre half a box away
    assert tracker.update(np.float32([box(400, 0)]), 0.2) == [2]


def test_a_face_gone_longer_than_max_missing_gets_a_new_id():
    tracker = FaceTracker(max_missing_s=1.0)
    tracker.update(np.float32([box(0, 0)]), 0.0)
    assert tracker.update(np.zeros((0, 4), np.float32), 0.5) == []
    assert tracker.update(np.float32([box(0, 0)]), 0.9) == [1]
    assert tracker.update(np.float32([box(0, 0)]), 2.5) == [2]
