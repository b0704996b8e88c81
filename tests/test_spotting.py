"""Events on clips with known contents (emotion.spotting): the astronaut's face animated by the
project's warps, moved as a head moves, through H.264, analysed by the batch's own code."""

import pytest

from batch.video import process_video
from emotion.spotting import Camera, Clip, Plant, render

pytestmark = pytest.mark.slow  # real videos through the whole analysis

HEAD_MOTION = Camera(turn=10, zoom=0.15, pan=0.05, light=0.1, noise=2.0, crf=26)


@pytest.fixture(scope="module")
def astronaut_mesh(astronaut):
    from emotion import EmotionAnalyzer

    return EmotionAnalyzer(actions=True).analyze(astronaut)[0].landmarks


def events_of(clip: Clip, still, points, folder) -> list:
    result = process_video(render(clip, still, points, folder / f"{clip.name}.mp4"), folder / "out", write_video=False,
                           progress=False)
    return [e for e in result.events if e.kind in ("micro", "movement")]


def test_a_still_face_that_only_turns_zooms_and_pans_has_no_event(astronaut, astronaut_mesh, tmp_path):
    assert events_of(Clip("head-motion", "astronaut", (), HEAD_MOTION, 12.0), astronaut, astronaut_mesh, tmp_path) == []


def test_a_one_sided_smile_is_one_event_on_its_side_labelled_happy(astronaut, astronaut_mesh, tmp_path):
    plant = Plant("smile right", 2.0, 0.6, 1.0)
    events = events_of(Clip("smile-right", "astronaut", (plant,), Camera(), 5.0), astronaut, astronaut_mesh, tmp_path)
    assert len(events) == 1, events
    event = events[0]
    assert event.side == "right" and event.regions.split("+")[0] == "mouth"
    assert event.emotion == "happy" and event.emotion_source == "actions"
    assert abs(event.onset_s - plant.onset_s) <= 2 / 25 + 1e-6  # within two frames


def test_a_blink_is_one_micro_event_of_the_eyes(astronaut, astronaut_mesh, tmp_path):
    plant = Plant("blink", 2.0, 0.24, 1.0)
    events = events_of(Clip("blink", "astronaut", (plant,), Camera(), 5.0), astronaut, astronaut_mesh, tmp_path)
    assert [(e.kind, e.regions) for e in events] == [("micro", "eyes")], events
    assert abs(events[0].apex_s - plant.apex_s) <= 2 / 25 + 1e-6


def test_events_are_made_by_the_columns_no_other_emotions_action_raises(astronaut, media):
    """The crosstalk rows decide EVENT_ACTIONS: a column that rises by more than half its own warp's
    rise under another action's warp is either of the same FACS prototype (a brow raise lifts the
    lids too: surprise either way), or a pair `explained` resolves, or it is left out (the nose
    wrinkle, which rises with a smile)."""
    from emotion import EmotionAnalyzer
    from emotion.io.video import read_frames
    from emotion.temporal.events import EVENT_ACTIONS, EXPLAINED_PAIRS, PROTOTYPES
    from emotion.validation import crosstalk

    def family(a, b):
        return any(a in p and b in p for p in PROTOTYPES.values())

    analyzer = EmotionAnalyzer(actions=True)
    for face in (astronaut, next(iter(read_frames(media / "single_face.mp4"))).rgb):
        rows = crosstalk(analyzer, face)
        for column in EVENT_ACTIONS:
            for warp, row in rows.items():
                if warp != column and (row[column] or 0) > 0.5:
                    assert family(warp, column) or (warp, column) in EXPLAINED_PAIRS, (warp, column, row[column])
        assert any((rows[w]["au9_nose_wrinkle"] or 0) > 0.5 and not family(w, "au9_nose_wrinkle") for w in rows if w != "au9_nose_wrinkle")

