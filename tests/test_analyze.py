"""The shipped default model and detector on real photographs."""

import numpy as np
import pytest

from emotion import EMOTIONS, EmotionAnalyzer, FaceResult, analyze_image


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer()  # shipped default model, default detector


def test_astronaut_is_one_happy_face(analyzer, astronaut):
    faces = analyzer.analyze(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert face.emotion == "happy", face.as_dict()
    assert face.probabilities.shape == (7,)
    assert np.isclose(face.probabilities.sum(), 1.0, atol=1e-5)
    x, y, w, h = face.box
    assert 150 < x + w / 2 < 300 and 60 < y + h / 2 < 200  # Eileen Collins' face, upper middle
    assert 0.5 < face.det_score <= 1.0


@pytest.mark.parametrize("name", ["coffee", "chelsea"])
def test_no_face_in_coffee_or_cat(analyzer, name):
    from skimage import data

    assert analyzer.analyze(getattr(data, name)()) == []


@pytest.mark.parametrize("detector", ["haar", "blazeface-short"])
def test_other_detectors_find_the_astronaut(detector, astronaut):
    faces = EmotionAnalyzer(detector).analyze(astronaut)
    assert len(faces) == 1 and faces[0].emotion == "happy"


def test_every_input_form_gives_the_same_faces(analyzer, astronaut, tmp_path):
    import cv2

    rgb = analyzer.analyze(astronaut)[0]
    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    from_path = analyze_image(str(path))[0]
    from_bgr = analyzer.analyze(astronaut[..., ::-1].copy(), bgr=True)[0]
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    from_rgba = analyzer.analyze(rgba)[0]
    for other in (from_path, from_bgr, from_rgba):
        assert other.box == rgb.box
        np.testing.assert_allclose(other.probabilities, rgb.probabilities, atol=1e-4)
    gray = analyzer.analyze(cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY))
    assert len(gray) == 1 and gray[0].emotion == "happy"


def test_batch_call_matches_single_calls(analyzer, astronaut):
    from skimage import data

    frames = [astronaut, data.coffee(), np.ascontiguousarray(astronaut[:, ::-1])]
    batched = analyzer.analyze_batch(frames)
    assert [len(f) for f in batched] == [1, 0, 1]
    for frame, faces in zip(frames, batched):
        single = analyzer.analyze(frame)
        np.testing.assert_allclose(faces[0].probabilities, single[0].probabilities, atol=1e-4) if faces else None


def test_result_as_dict_is_json_ready(analyzer, astronaut):
    import json

    d = json.loads(json.dumps(analyzer.analyze(astronaut)[0].as_dict()))
    assert list(d["probabilities"]) == list(EMOTIONS)
    assert d["emotion"] == "happy" and set(d["box"]) == {"x", "y", "w", "h"}
    assert isinstance(analyzer.analyze(astronaut)[0], FaceResult)


def test_lanes_match_the_analyzer_they_come_from(analyzer, astronaut):
    """A video lane is a one-thread copy of its analyzer; a twin made with actions on must get
    lanes of its own (not the lanes of the analyzer it was copied from)."""
    plain_lane = analyzer.lane()
    with_actions = analyzer.with_actions(True)
    actions_lane = with_actions.lane()
    assert actions_lane is not plain_lane and actions_lane.measures_actions and not plain_lane.measures_actions
    assert analyzer.lane() is plain_lane  # one lane per thread, kept
    face = actions_lane.analyze(astronaut)[0]
    np.testing.assert_allclose(face.probabilities, analyzer.analyze(astronaut)[0].probabilities, atol=1e-4)
    assert face.measures is not None and np.isfinite(face.measures).any()  # the actions lane measured
