"""emotion.temporal.baseline and .asymmetry: actions against a face's baseline, and which side led."""

import math

from emotion.temporal.baseline import AsymmetryTally, relative_to


def test_relative_to_subtracts_and_leaves_out_what_is_not_measured():
    values = {"au12_lip_corner_pull": 0.30, "au25_lips_part": math.nan, "au1_inner_brow_raise": None}
    baseline = {"au12_lip_corner_pull": 0.10, "au25_lips_part": 0.0, "au1_inner_brow_raise": 0.0}
    out = relative_to(values, baseline, names=tuple(values))
    assert out == {"au12_lip_corner_pull": 0.30 - 0.10}


def test_a_one_sided_smile_leads_from_its_side_and_still_faces_give_none():
    tally = AsymmetryTally()
    left = tally.add({"au12_lip_corner_pull_left": 0.10, "au12_lip_corner_pull_right": 0.0})
    right = tally.add({"au12_lip_corner_pull_left": 0.01, "au12_lip_corner_pull_right": 0.09})
    still = tally.add({"au12_lip_corner_pull_left": 0.005, "au12_lip_corner_pull_right": 0.004})
    assert left == 1.0 and right < -0.5 and still is None
    summary = tally.summary(frames=4)
    assert summary["frames_with_active_action"] == 2 and summary["share_of_frames_with_active_action"] == 0.5
    assert summary["share_left_led"] == summary["share_right_led"] == 0.5


def test_the_most_active_action_decides_the_frame():
    relative = {"au12_lip_corner_pull_left": 0.2, "au12_lip_corner_pull_right": 0.2,  # a broad smile, both sides
                "au20_lip_stretch_left": 0.05, "au20_lip_stretch_right": 0.0}  # a smaller one-sided stretch
    assert AsymmetryTally().add(relative) == 0.0
