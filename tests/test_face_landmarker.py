"""Face Mesh V2 and Blendshape V2 (models/face_landmarker): the bundled files load with no
network after their checksums are checked, and the blendshapes follow a brow moved on one side
of a real face, on that side, with left and right the person's (a mirrored clip swaps them)."""

import shutil

import numpy as np
import pytest

from emotion import EmotionAnalyzer
from emotion.errors import ModelFileError
from emotion.inference.face_landmarker import (BLENDSHAPES_FILE, LANDMARKER_DIR, MESH_FILE, FaceLandmarker,
                                               checked_model_path)
from emotion.inference.warps import apply_action
from emotion.labels import BLENDSHAPE_NAMES

INDEX = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer(actions=True)


def largest(analyzer, image):
    return max(analyzer.analyze(image), key=lambda f: f.box[2] * f.box[3])


def test_bundled_models_are_checked_and_a_damaged_copy_is_refused(tmp_path):
    for name in (MESH_FILE, BLENDSHAPES_FILE):
        assert checked_model_path(name).parent == LANDMARKER_DIR
        damaged = tmp_path / name
        shutil.copy(LANDMARKER_DIR / name, damaged)
        data = bytearray(damaged.read_bytes())
        data[len(data) // 2] ^= 0xFF
        damaged.write_bytes(bytes(data))
        with pytest.raises(ModelFileError, match="checksum"):
            checked_model_path(name, tmp_path)
    with pytest.raises(ModelFileError, match="missing"):
        checked_model_path(MESH_FILE, tmp_path / "nowhere")


def test_v2_gives_478_points_with_irises_and_52_blendshapes(analyzer, astronaut):
    face = largest(analyzer, astronaut)
    assert face.landmarks.shape == (478, 3) and face.blendshapes.shape == (52,)
    assert ((face.blendshapes >= 0) & (face.blendshapes <= 1)).all()
    x0, y0, x1, y1 = face.xyxy
    assert ((face.landmarks[:, 0] > x0 - 20) & (face.landmarks[:, 0] < x1 + 20)).all()
    # the astronaut smiles: both smile coefficients are high, the frown ones low
    assert face.blendshapes[INDEX["mouthSmileLeft"]] > 0.5 and face.blendshapes[INDEX["mouthSmileRight"]] > 0.5
    assert face.blendshapes[INDEX["mouthFrownLeft"]] < 0.1


def test_a_brow_raised_on_the_left_moves_the_left_blendshape_only(analyzer, astronaut):
    face = largest(analyzer, astronaut)
    before = face.blendshapes
    raised = largest(analyzer, apply_action(astronaut, face.landmarks, "au2_outer_brow_raise", 1.0, ("left",))).blendshapes
    left, right = (raised[INDEX[n]] - before[INDEX[n]] for n in ("browOuterUpLeft", "browOuterUpRight"))
    assert left > 0.2, f"browOuterUpLeft moved by {left:.3f}"
    assert abs(right) < 0.5 * left, f"browOuterUpRight moved by {right:.3f} against the left's {left:.3f}"
    # and the action column read from it (the shipped source) follows the same side
    measures = dict(zip(("left", "right"), (largest(analyzer, apply_action(astronaut, face.landmarks, "au2_outer_brow_raise",
                                                                               1.0, ("left",))).measure_dict()[f"au2_outer_brow_raise_{s}"]
                                              for s in ("left", "right"))))
    assert measures["left"] - face.measure_dict()["au2_outer_brow_raise_left"] > 0.2


def test_a_mirrored_clip_swaps_left_and_right_blendshapes(analyzer, astronaut):
    """A generated clip: the left outer brow raised step by step, then the same frames mirrored."""
    face = largest(analyzer, astronaut)
    frames = [apply_action(astronaut, face.landmarks, "au2_outer_brow_raise", t, ("left",)) for t in (0, 0.25, 0.5, 0.75, 1)]
    ours = np.array([largest(analyzer, f).blendshapes for f in frames])
    mirrored = np.array([largest(analyzer, np.ascontiguousarray(f[:, ::-1])).blendshapes for f in frames])
    left, right = INDEX["browOuterUpLeft"], INDEX["browOuterUpRight"]
    assert np.corrcoef(ours[:, left], mirrored[:, right])[0, 1] >= 0.9
    rise_right, rise_left = mirrored[-1, right] - mirrored[0, right], mirrored[-1, left] - mirrored[0, left]
    assert rise_right > 0.15 and abs(rise_left) < 0.5 * rise_right, (rise_right, rise_left)


def test_the_landmarker_runs_alone_on_a_box(astronaut):
    from emotion.inference.detectors import create_detector

    det = create_detector("blazeface").detect(astronaut)
    mesh = FaceLandmarker(threads=1).predict(astronaut, det.xyxy[0], det.keypoints[0][:2])
    assert mesh.presence > 0.9 and mesh.points.shape == (478, 3)


def test_the_lids_come_from_the_iris_model_and_nothing_else_changes(astronaut):
    """V2's own lids stay put under a half-closed eye on the astronaut; the iris model's replace
    them (the 14 lid points of each eye, corners kept), and every other point and the
    blendshapes, which the model computes from V2's own points, are V2's."""
    from emotion.inference.detectors import create_detector
    from emotion.inference.eyes import EYES

    det = create_detector("blazeface").detect(astronaut)
    box, eyes = det.xyxy[0], det.keypoints[0][:2]
    own, refined = (FaceLandmarker(threads=1, iris_lids=lids).predict(astronaut, box, eyes) for lids in (False, True))
    lids = sorted({i for outer, inner, _, indices in EYES for i in indices if i not in (outer, inner)})
    others = np.setdiff1d(np.arange(478), lids)
    assert len(lids) == 28
    np.testing.assert_array_equal(refined.points[others], own.points[others])
    np.testing.assert_array_equal(refined.blendshapes, own.blendshapes)
    moved = np.linalg.norm(refined.points[lids, :2] - own.points[lids, :2], axis=1)
    iod = np.linalg.norm(own.points[263, :2] - own.points[33, :2])
    assert 0 < np.median(moved) < 0.05 * iod  # the same lids, re-measured, not other points
