"""Detection on every other frame: faces between two detected frames are interpolated only when
those agree, and a video analysed that way loses no face the every-frame analysis finds."""

import numpy as np
import pytest

from emotion.inference.analyzer import EmotionAnalyzer
from emotion.inference.detectors import create_detector
from emotion.inference.detectors.between import between, matching
from emotion.io.video import read_frames
from emotion.types import Detections, box_iou
from videos import make_video

from emotion.inference.frames import analyze_frames

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data


def shifted(image: np.ndarray, dx: int) -> np.ndarray:
    return np.roll(image, dx, axis=1)


def test_between_follows_a_moving_face(astronaut):
    detector = create_detector("blazeface")
    before, after, middle = (detector.detect(shifted(astronaut, dx)) for dx in (0, 24, 12))
    assert len(before) == len(after) == len(middle) == 1
    found = between(before, after, 0.5)
    assert found is not None and len(found) == 1
    assert box_iou(found.xyxy[0], middle.xyxy)[0] > 0.9
    assert found.keypoints.shape == middle.keypoints.shape
    assert np.abs(found.keypoints - middle.keypoints).max() < 6  # pixels, in a 512-pixel photo
    assert between(before, after, 0.0).xyxy == pytest.approx(before.xyxy)
    assert between(before, after, 1.0).xyxy == pytest.approx(after.xyxy)


def test_frames_that_disagree_are_not_filled_in(astronaut):
    detector = create_detector("blazeface")
    face = detector.detect(astronaut)
    gone = detector.detect(np.full_like(astronaut, 90))
    assert len(face) == 1 and len(gone) == 0
    assert between(face, gone, 0.5) is None and between(gone, face, 0.5) is None
    far = Detections(face.xyxy + np.float32([300, 0, 300, 0]), face.scores, face.keypoints)
    assert matching(face, far) is None and between(face, far, 0.5) is None  # moved too far to be the same face
    assert len(between(gone, gone, 0.5)) == 0


def faces_per_frame(path, detect_every: int):
    analyzer = EmotionAnalyzer(actions=False)
    analysed = analyze_frames(analyzer, read_frames(path), detect_every=detect_every)
    boxes = [Detections(np.array([f.xyxy for f in faces], np.float32).reshape(-1, 4), np.ones(len(faces), np.float32))
             for _, faces, _ in analysed]
    return boxes, analysed.frames_interpolated


def test_a_video_detected_every_other_frame_loses_no_face(tmp_path):
    """The test clip's face moves across the frame and is covered on three frames in every ten:
    frames next to a covered one must be detected, not filled in, and keep their face."""
    clip = make_video(tmp_path / "moving.mp4", n=30, fps=15, audio=False)
    every, _ = faces_per_frame(clip, 1)
    other, interpolated = faces_per_frame(clip, 2)
    assert len(every) == len(other) == 30
    assert [len(d) for d in every] == [len(d) for d in other]
    assert sum(len(d) for d in every) == 21
    assert 5 <= interpolated < 15  # half the frames are between detected ones; those beside a covered frame are detected
    for a, b in zip(every, other):
        for box in a.xyxy:
            assert box_iou(box, b.xyxy).max() > 0.9
