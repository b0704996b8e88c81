"""emotion.temporal.events: micro events, movements and episodes on signals with known answers."""

import numpy as np

from emotion.labels import EMOTIONS
from emotion.temporal.events import Baseline, detect_episodes, detect_events


def test_event_detector_on_a_known_signal():
    names = ("au12_lip_corner_pull", "motion_mouth")
    times = np.arange(100) / 25
    signals = np.zeros((100, 2))
    signals[:, 0] = np.random.default_rng(0).normal(0, 0.002, 100)  # landmark jitter
    signals[50:55, 0] += 0.1  # a 0.2 s lip-corner pull
    signals[80:100, 0] += 0.1  # a 0.8 s one: a movement, not a micro event
    events = detect_events(3, times, signals, Baseline.of(signals, names), names)
    assert [(e.kind, e.onset_s, e.offset_s, e.regions) for e in events] == [
        ("micro", 2.0, 2.16, "mouth"), ("movement", 3.2, 3.96, "mouth")]
    assert events[0].emotion == "happy" and events[0].face_id == 3


def test_jitter_alone_is_no_event():
    names = ("au12_lip_corner_pull", "motion_mouth")
    signals = np.random.default_rng(1).normal(0, 0.002, (200, 2))
    assert detect_events(1, np.arange(200) / 25, signals, Baseline.of(signals, names), names) == []


def test_an_episode_is_a_sustained_change_of_the_top_emotion():
    times = np.arange(100) / 10
    smoothed = np.tile(np.eye(7)[EMOTIONS.index("neutral")] * 0.9 + 0.1 / 7, (100, 1))
    smoothed[30:60] = np.eye(7)[EMOTIONS.index("surprise")] * 0.8 + 0.2 / 7  # 3 s of surprise
    smoothed[80:81] = np.eye(7)[EMOTIONS.index("happy")]  # one frame: too short for an episode
    episodes = detect_episodes(2, times, smoothed)
    assert [(e.kind, e.emotion, e.onset_s, e.offset_s) for e in episodes] == [("episode", "surprise", 3.0, 5.9)]


def test_a_blink_is_found_while_the_eyes_change_level_and_a_long_closure_is_not_a_blink():
    """The eye-closure level moves by 0.25 for seconds (she looks down, then up), which hides a
    blink from the face's baseline; against the running median the blink stands out. A 1 s
    closure is a movement, not a blink."""
    names = ("au43_eye_closure", "au43_eye_closure_left", "au43_eye_closure_right")
    times = np.arange(250) / 25
    level = np.where(times < 4, -0.05, -0.3)  # eyes low (looking down), then open wide
    jitter = np.random.default_rng(2).normal(0, 0.004, (250, 3))
    signals = level[:, None] + jitter
    signals[150:153, :] += 0.12  # a 0.12 s blink of both eyes at 6 s
    signals[200:203, 1] += 0.12  # a left-eye wink at 8 s
    signals[200:203, 0] += 0.06
    signals[100:125, :] += 0.2  # a 1 s closure at 4 s
    baseline = Baseline.of(signals, names)
    blinks = [e for e in detect_events(1, times, signals, baseline, names) if e.kind == "micro"]
    assert [(e.onset_s, e.offset_s, e.regions, e.side) for e in blinks] == [(6.0, 6.08, "eyes", "both"), (8.0, 8.08, "eyes", "left")]
    assert all(e.signals.startswith("au43_eye_closure") for e in blinks)
    assert baseline.z(signals, names)[150:153].max() < 4  # hidden from the face's baseline
