"""The face detectors on real images, and the anchor decoding behind BlazeFace."""

import cv2
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


def face_cell(astronaut, face_px: int):
    """The astronaut's head scaled so her face box is `face_px` wide, and her face's centre in it."""
    x0, y0, x1, y1 = create_detector("blazeface").detect(astronaut).xyxy[0]
    side = x1 - x0
    left, top = max(x0 - 0.5 * side, 0), max(y0 - 0.6 * side, 0)
    crop = astronaut[int(top) : int(y1 + 0.5 * side), int(left) : int(x1 + 0.5 * side)]
    scale = face_px / side
    cell = cv2.resize(crop, (round(crop.shape[1] * scale), round(crop.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    return cell, (((x0 + x1) / 2 - left) * scale, ((y0 + y1) / 2 - top) * scale)


def face_mosaic(astronaut, face_px: int, width: int = 1920, height: int = 1080):
    """That head repeated over a width x height frame: every copy is real pixels at a known size.
    Returns the frame and the centre of every face."""
    cell, (cx, cy) = face_cell(astronaut, face_px)
    ch, cw = cell.shape[:2]
    frame = np.full((height, width, 3), 60, np.uint8)
    centres = []
    for y in range(0, height - ch + 1, ch):
        for x in range(0, width - cw + 1, cw):
            frame[y : y + ch, x : x + cw] = cell
            centres.append((x + cx, y + cy))
    return frame, np.array(centres)


@pytest.mark.parametrize("face_px", [40, 60, 100, 150])
def test_every_face_of_a_1080p_mosaic_is_found_down_to_40_pixels(face_px, astronaut):
    frame, centres = face_mosaic(astronaut, face_px)
    found = create_detector("blazeface").detect(frame)
    assert len(centres) >= 12
    boxes = found.xyxy
    for cx, cy in centres:
        inside = (boxes[:, 0] <= cx) & (cx <= boxes[:, 2]) & (boxes[:, 1] <= cy) & (cy <= boxes[:, 3])
        assert inside.sum() == 1, f"face at ({cx:.0f}, {cy:.0f}) found {inside.sum()} times"
    assert len(found) == len(centres)
    np.testing.assert_allclose(np.median(found.sides), face_px, rtol=0.25)


def test_the_whole_frame_pass_alone_misses_them(astronaut):
    """What the windows fix: the model on the whole 1080p frame finds none of the 60-px faces."""
    from emotion.inference.detectors.blazeface import BlazeFaceDetector

    frame, _ = face_mosaic(astronaut, 60)
    assert len(BlazeFaceDetector().detect(frame)) == 0


def test_no_false_faces_on_face_free_media(media):
    from skimage import data

    from emotion import load_image
    from emotion.io.video import read_frames

    detector = create_detector("blazeface")
    images = [load_image(media / "free-mountain-vector-01.jpg"), data.coffee(), data.chelsea()]
    images += [f.rgb for f in read_frames(media / "no_face.mp4") if f.index % 10 == 5]
    assert [len(detector.detect(image)) for image in images] == [0] * len(images)
    assert len(detector.detect(load_image(media / "multi_face.jpg"))) == 5


def test_windows_cover_every_face_size_with_overlap():
    from emotion.inference.detectors.tiling import LEVEL_RATIO, plan

    levels = plan(1920, 1080, 40)
    assert levels[-1].windows == ((0, 0, 1920, 1080),) and levels[-1].max_side is None
    assert levels[0].max_side == LEVEL_RATIO * 40
    for level in levels[:-1]:
        xs = sorted({w[0] for w in level.windows})
        width = level.windows[0][2] - level.windows[0][0]
        assert all(b - a <= width - level.max_side for a, b in zip(xs, xs[1:]))  # overlap >= the level's largest face
        assert min(w[0] for w in level.windows) < 0 and max(w[2] for w in level.windows) > 1920  # past the edges
    assert len(plan(640, 360, 640)) == 1  # a minimum face as large as the frame needs no windows
