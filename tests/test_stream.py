"""emotion.temporal.stream.FaceStream: the per-frame step batch and live share (ids, smoothing, events)."""

import numpy as np

from emotion.labels import EMOTIONS
from emotion.temporal.stream import FaceStream
from emotion.types import FaceResult


def face(x, emotion, score=0.9):
    p = np.full(7, 0.02, np.float32)
    p[EMOTIONS.index(emotion)] = 1 - 0.02 * 6
    return FaceResult(np.float32([x, 50, x + 100, 150]), score, p)


def test_faces_get_ids_and_their_probabilities_are_smoothed_apart():
    stream = FaceStream(half_life_s=0.5)
    for k in range(10):
        out = stream.step(k * 0.1, [face(0, "happy"), face(300, "sad")])
    assert [t.face_id for t in out] == [1, 2]
    switched = stream.step(1.0, [face(0, "sad"), face(300, "sad")])
    happy, sad = EMOTIONS.index("happy"), EMOTIONS.index("sad")
    assert switched[0].smoothed[happy] > switched[0].smoothed[sad]  # one frame does not flip a smoothed face
    assert switched[1].smoothed[sad] > 0.8
    assert np.array_equal(switched[0].face.probabilities, face(0, "sad").probabilities)  # the raw frame is kept


def test_a_sustained_change_becomes_an_episode_of_that_face():
    stream = FaceStream(half_life_s=0.3)
    for k in range(100):
        stream.step(k * 0.1, [face(0, "surprise" if 30 <= k < 60 else "neutral")])
    episodes = [e for e in stream.dynamics.events() if e.kind == "episode"]
    assert len(episodes) == 1 and episodes[0].emotion == "surprise" and episodes[0].face_id == 1
    assert 2.9 <= episodes[0].onset_s <= 3.5 and 5.8 <= episodes[0].offset_s <= 6.4
