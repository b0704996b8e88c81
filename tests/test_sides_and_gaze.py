"""Left and right, asymmetry and gaze, validated so that a broken measurement fails: mirrored real
clips, graded warps of a real face, irises moved by known amounts."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from emotion import EmotionAnalyzer
from emotion.inference.warps import WARPS, action_moves, apply_action, moved_by, reach
from emotion.io.video import read_frames
from emotion.labels import GAZE_NAMES, MEASURE_NAMES, SIDE_NAMES
from emotion.temporal.asymmetry import asymmetry
from emotion.validation import dose_response, gaze_response, jitter, measures_of, mirror_report, mirrored

# The measurements that pass on this face (benchmarks/results/actions_validation.md has all of
# them): an eyelid, re-measured per eye by the iris model, and the mouth corners. The mesh barely
# follows a brow, a cheek or a nose wing moved alone, and moves both sides together, so those are
# reported there as failing, not asserted here.
ONE_SIDED = [("au43_eye_closure", "right"), ("au12_lip_corner_pull", "left"), ("au20_lip_stretch", "right"),
             ("au5_upper_lid_raise", "left")]
BOTH_SIDES = ["au12_lip_corner_pull", "au20_lip_stretch"]


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer(actions=True)


@pytest.fixture(scope="module")
def doses(analyzer, astronaut):
    actions = sorted({a for a, _ in ONE_SIDED} | set(BOTH_SIDES))
    return {(d.action, d.side): d for d in dose_response(analyzer, astronaut, jitter(analyzer, astronaut), actions)}


@pytest.mark.parametrize("action, side", ONE_SIDED)
def test_a_one_sided_warp_moves_that_side_only(doses, action, side):
    d = doses[(action, side)]
    assert d.rho >= 0.9, d
    assert d.subtle is not None, f"{action} {side}: never above 3x its jitter: {d}"
    assert abs(d.other_side) <= 0.5 * abs(d.change), d
    assert d.unrelated <= 0.5 * abs(d.change), d


@pytest.mark.parametrize("action", BOTH_SIDES)
def test_a_warp_of_both_sides_moves_the_combined_measure_monotonically(doses, action):
    d = doses[(action, "both")]
    assert d.rho >= 0.9 and d.change > 0 and d.subtle is not None, d
    assert d.unrelated <= 0.5 * abs(d.change), d


# The same checks on a second face, a neutral one (the astronaut smiles), another person filmed by
# another camera: what passes on both is the measure's behaviour, not one face's (the upper-lid
# raise passes on the astronaut only, so it is not asserted here; eye closure on both sides and on
# the left, and lip-corner pull on the right, pass on the second face only).
ON_BOTH_FACES = [(a, s) for a, s in ONE_SIDED if a != "au5_upper_lid_raise"] + [(a, "both") for a in BOTH_SIDES]


@pytest.mark.parametrize("action", sorted(WARPS))
def test_each_warp_moves_its_landmarks_by_the_stated_amount_and_nothing_it_must_not(analyzer, astronaut, action):
    """The instrument before the measures: a warp that moved the face frame's anchors or the
    other side would make a measure look bad (or good) for the warp's fault."""
    points = analyzer.analyze(astronaut)[0].landmarks
    for sides in (("left",), ("right",), ("left", "right")):
        assert reach(points, action, sides) <= 0.05, (action, sides)
    moves, holds = action_moves(points, action, 1.0, ("left",))
    (centres, vector, _), = moves
    moved = [moved_by(c, moves, holds) for c in centres]
    # Each landmark moves by the stated vector (less only near a held anchor), never more.
    assert max(np.linalg.norm(m) for m in moved) <= 1.01 * np.linalg.norm(vector)
    assert np.median([np.linalg.norm(m - vector) for m in moved]) <= 0.05 * np.linalg.norm(vector)


@pytest.fixture(scope="module")
def second_face_doses(analyzer, media):
    face = next(iter(read_frames(media / "single_face.mp4"))).rgb
    actions = sorted({a for a, _ in ON_BOTH_FACES})
    return {(d.action, d.side): d for d in dose_response(analyzer, face, jitter(analyzer, face), actions)}


@pytest.mark.parametrize("action, side", ON_BOTH_FACES)
def test_the_passing_warps_pass_on_a_second_face(second_face_doses, action, side):
    d = second_face_doses[(action, side)]
    assert d.passes() and d.change > 0, d


def test_gaze_follows_the_irises_with_the_right_signs(analyzer, astronaut):
    g = gaze_response(analyzer, astronaut)
    assert g["rho_yaw"] >= 0.9 and g["gaze_yaw"][-1] > g["gaze_yaw"][0]  # irises to the image's right: yaw > 0 that way
    assert g["rho_pitch"] >= 0.9 and g["gaze_pitch"][-1] > g["gaze_pitch"][0]  # irises up: pitch grows


def test_a_mirrored_smile_swaps_left_and_right(media, analyzer):
    frames = [f.rgb for f in read_frames(media / "single_face.mp4")]
    report = mirror_report(*mirrored(frames, analyzer))
    assert report["frames"] >= 60
    assert report["sided_pooled"] >= 0.9, report


def test_mirrored_head_turns_flip_yaw_and_gaze(media, analyzer):
    frames = [f.rgb for f in read_frames(media / "WolfgangLanger_Pexels.mp4") if f.index % 2 == 0]
    report = mirror_report(*mirrored(frames, analyzer))
    assert report["yaw"] <= -0.8 and report["gaze_yaw"] <= -0.8, report


def _asymmetry_after_warp(analyzer, face, action, side) -> tuple[float, float]:
    """The asymmetry index of `action` warped on `side` of `face`, and of the same in the mirror."""
    points = analyzer.analyze(face)[0].landmarks
    moved = apply_action(face, points, action, 1.0, (side,))  # the person's left is the image's right

    def index(base, image):
        a, b = measures_of(analyzer, base), measures_of(analyzer, image)
        return asymmetry({n: float(y - x) for n, x, y in zip(MEASURE_NAMES, a, b)})

    return index(face, moved), index(face[:, ::-1].copy(), moved[:, ::-1].copy())


def test_asymmetry_names_the_side_of_a_lip_corner_pull_and_flips_in_the_mirror(analyzer, astronaut):
    as_is, mirrored_ = _asymmetry_after_warp(analyzer, astronaut, "au12_lip_corner_pull", "left")
    assert as_is >= 0.5 and mirrored_ <= -0.5  # > 0: the person's left moved more


@pytest.mark.xfail(strict=True, reason="a lid lowered by 0.06 inter-ocular distances (half closed) does not always lead "
                   "the index: on the second face the left eye's closure gives -0.42, led by the right lip-corner pull the mesh moved "
                   "with it (-0.035 against eye closure's +0.085; the mirror image gives -0.99, right); with the earlier warps, "
                   "which closed the lid further, it passed")
def test_asymmetry_names_the_side_of_a_closing_eye_and_flips_in_the_mirror(analyzer, media):
    face = next(iter(read_frames(media / "single_face.mp4"))).rgb
    for side, sign in (("left", 1), ("right", -1)):
        as_is, mirrored_ = _asymmetry_after_warp(analyzer, face, "au43_eye_closure", side)
        assert sign * as_is >= 0.5 and sign * mirrored_ <= -0.5, (side, as_is, mirrored_)


def test_the_timeline_has_sides_asymmetry_and_gaze_and_the_camera_is_looked_at(media, tmp_path):
    from batch import process_video

    result = process_video(media / "single_face.mp4", tmp_path, progress=False, write_video=False)
    with open(result.outputs.timeline, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for name in (*SIDE_NAMES, "asymmetry", *GAZE_NAMES, "looking_at_camera"):
        assert name in rows[0], name
    assert all(r["au12_lip_corner_pull_left"] != "" for r in rows)
    face = result.summary["faces"]["1"]
    assert face["share_of_frames_looking_at_camera"] >= 0.9  # he faces the camera throughout
    assert 0 <= face["asymmetry"]["mean_abs_asymmetry"] <= 1
    assert {e.side for e in result.events} <= {"left", "right", "both", ""}
    looks = [float(r["looking_at_camera"]) for r in rows if r["looking_at_camera"] != ""]
    assert np.mean(looks) == pytest.approx(face["share_of_frames_looking_at_camera"], abs=1e-3)
