"""The face detectors on real images, and the anchor decoding behind BlazeFace."""

import numpy as np
import pytest

from emotion import DETECTOR_NAMES, create_detector
from emotion.inference.detectors.blazeface import FULL_RANGE, SHORT_RANGE, make_anchors


def test_anchor_counts_match_the_models():
    assert len(make_anchors(SHORT_RANGE)) == 896
    assert len(make_anchors(FULL_RANGE)) == 2304


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_each_detector_finds_the_astronaut_and_nothing_in_coffee(name, astronaut):
    from skimage import data

    detector = create_detector(name)
    found = detector.detect(astronaut)
    assert len(found) == 1
    x0, y0, x1, y1 = found.xyxy[0]
    assert 150 < (x0 + x1) / 2 < 300 and 60 < (y0 + y1) / 2 < 200
    assert len(detector.detect(data.coffee())) == 0


def test_blazeface_keypoints_lie_on_the_face(astronaut):
    found = create_detector("blazeface").detect(astronaut)
    (x0, _, x1, _), kp = found.xyxy[0], found.keypoints[0]
    right_eye, left_eye, nose, mouth = kp[:4]
    assert right_eye[0] < left_eye[0]  # the person's right eye is on the image's left
    assert max(right_eye[1], left_eye[1]) < nose[1] < mouth[1]
    assert (x0 <= kp[:4, 0]).all() and (kp[:4, 0] <= x1).all()


def test_boxes_follow_the_face_when_the_image_is_padded(astronaut):
    """Letterboxing must map back to the source pixels exactly, also for non-square frames."""
    detector = create_detector("blazeface")
    base = detector.detect(astronaut).xyxy[0]
    wide = np.zeros((512, 1024, 3), np.uint8)
    wide[:, 300:812] = astronaut
    moved = detector.detect(wide).xyxy[0] - [300, 0, 300, 0]
    # The face is seen at half the resolution in the wide frame, so only the mapping is exact.
    centre = lambda b: np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2])  # noqa: E731
    np.testing.assert_allclose(centre(moved), centre(base), atol=10)
    np.testing.assert_allclose(moved[2:] - moved[:2], base[2:] - base[:2], rtol=0.15)


def test_unknown_detector_is_named():
    with pytest.raises(ValueError, match="unknown detector 'yolo'"):
        create_detector("yolo")
