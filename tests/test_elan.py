"""Results where researchers work: NAME.eaf for ELAN (read back with pympi-ling, the Python
library for EAF) with its time series, and valence in the timeline, the summary and study.csv."""

import csv
import subprocess

import numpy as np
import pytest

from batch.elan import SERIES, is_blink
from emotion.io.video import ffmpeg_exe
from emotion.labels import EMOTIONS, valence
from emotion.spotting import Camera, Clip, Plant, render
from helpers import read_csv, run_batch
from videos import make_video

pytestmark = pytest.mark.slow  # real videos through the batch
pympi = pytest.importorskip("pympi", reason="pympi-ling reads the .eaf back (pip install -r requirements-test.txt)")
FPS = 25


@pytest.fixture(scope="module")
def planted(astronaut, tmp_path_factory):
    """A batch run on a clip of the astronaut with a smile, a blink and a lip stretch planted."""
    from emotion import EmotionAnalyzer

    folder = tmp_path_factory.mktemp("elan")
    points = EmotionAnalyzer(actions=True).analyze(astronaut)[0].landmarks
    plants = (Plant("smile right", 1.0, 0.6, 1.0), Plant("blink", 2.5, 0.24, 1.0), Plant("lip stretch", 3.5, 1.2, 1.0))
    (folder / "videos").mkdir()
    clip = render(Clip("planted", "astronaut", plants, Camera(), 6.0, FPS), astronaut, points, folder / "videos" / "planted.mp4")
    done = run_batch(clip, "--out", folder / "results")
    assert done.returncode == 0, done.stderr
    return folder / "results", clip


def annotations(eaf, tier):
    return sorted((a, b, value) for a, b, value, *_ in eaf.get_annotation_data_for_tier(tier))


def test_the_eaf_reads_back_with_every_event_and_a_tier_per_person(planted):
    results, clip = planted
    eaf = pympi.Elan.Eaf(str(results / "planted.eaf"))
    assert sorted(eaf.get_tier_names()) == ["P1 blinks", "P1 emotion", "P1 events"]
    events = [r for r in read_csv(results / "planted.events.csv") if r["kind"] in ("micro", "movement")]
    assert len(events) >= 2
    frame_ms = 1000 / FPS
    for row in events:
        tier = "P1 blinks" if row["regions"] == "eyes" and "au43_eye_closure" in row["signals"] and row["kind"] == "micro" \
            else "P1 events"
        start, end = float(row["onset_s"]) * 1000, (float(row["onset_s"]) + float(row["duration_s"])) * 1000
        match = [(a, b, v) for a, b, v in annotations(eaf, tier) if abs(a - start) <= frame_ms and abs(b - end) <= frame_ms]
        assert len(match) == 1, (row, annotations(eaf, tier))
        if tier == "P1 events":
            assert match[0][2] == f"{row['kind']}: {row['regions']}, {row['side']}, {row['emotion']}"
    # The emotion tier: runs of at least half a second, on the frames' own times.
    runs = annotations(eaf, "P1 emotion")
    assert runs and all(b - a >= 500 for a, b, _ in runs) and all(v in EMOTIONS for *_, v in runs)
    # The media: the source by a path relative to the .eaf, the annotated video beside it.
    media = eaf.media_descriptors
    assert [m["RELATIVE_MEDIA_URL"] for m in media] == ["../videos/planted.mp4", "./planted.annotated.mp4"]
    assert (results / media[0]["RELATIVE_MEDIA_URL"]).resolve() == clip.resolve()


def test_the_time_series_are_linked_and_hold_every_frame_of_the_person(planted):
    results, _ = planted
    eaf = pympi.Elan.Eaf(str(results / "planted.eaf"))
    linked = [d["RELATIVE_LINK_URL"] for d in eaf.linked_file_descriptors]
    assert linked == ["./planted.P1.timeseries.csv", "./planted_tsconf.xml"]
    with open(results / "planted.P1.timeseries.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["time_s", *SERIES]
    timeline = [r for r in read_csv(results / "planted.timeline.csv") if r["person_id"] == "1"]
    assert [r["time_s"] for r in rows] == [r["time_s"] for r in timeline]
    for series, row in zip(rows, timeline):
        assert float(series["happy"]) == pytest.approx(float(row["smooth_happy"]), abs=1e-4)
        assert float(series["valence"]) == pytest.approx(float(row["smooth_valence"]), abs=2e-4)
    config = (results / "planted_tsconf.xml").read_text()
    assert (results / "planted.P1.timeseries.csv").resolve().as_uri() in config and config.count("<track ") == len(SERIES)


def test_valence_is_the_formula_on_the_written_probabilities(planted):
    results, _ = planted
    rows = [r for r in read_csv(results / "planted.timeline.csv") if r["emotion"] != "no_face"]
    for row in rows:
        for prefix in ("", "smooth_"):
            probs = np.array([float(row[f"{prefix}{e}"]) for e in EMOTIONS])
            assert float(row[f"{prefix}valence"]) == pytest.approx(valence(probs), abs=2e-4)
    assert any(float(r["valence"]) > 0.5 for r in rows)  # the astronaut smiles
    summary = __import__("json").loads((results / "planted.summary.json").read_text())
    mean = np.mean([float(r["valence"]) for r in rows])
    assert summary["faces"]["1"]["mean_valence"] == pytest.approx(mean, abs=1e-3)
    assert summary["people"]["1"]["mean_valence"] == pytest.approx(mean, abs=1e-3)
    study = read_csv(results / "study.csv")
    assert float(study[0]["mean_valence"]) == pytest.approx(mean, abs=1e-3)
    assert "planted.eaf" in (results / "planted.report.html").read_text()
    assert read_csv(results / "index.csv")[0]["eaf"].endswith("planted.eaf")


def test_a_clip_without_faces_gives_a_valid_eaf_with_empty_tiers(tmp_path):
    video = tmp_path / "empty-room.mp4"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "color=c=gray:s=320x240:d=2:r=10",
                    "-pix_fmt", "yuv420p", str(video)], check=True)
    assert run_batch(video, "--out", tmp_path / "results").returncode == 0
    eaf = pympi.Elan.Eaf(str(tmp_path / "results" / "empty-room.eaf"))
    assert sorted(eaf.get_tier_names()) == ["blinks", "emotion", "events"]
    assert all(annotations(eaf, t) == [] for t in eaf.get_tier_names())
    assert eaf.linked_file_descriptors == []


def test_times_follow_a_variable_frame_rate(tmp_path):
    video = make_video(tmp_path / "phone.mp4", n=40, fps=10, slow_after=20, move=False)
    assert run_batch(video, "--out", tmp_path / "results").returncode == 0
    eaf = pympi.Elan.Eaf(str(tmp_path / "results" / "phone.eaf"))
    times = sorted({round(float(r["time_s"]) * 1000) for r in read_csv(tmp_path / "results" / "phone.timeline.csv")})
    for a, b, _ in annotations(eaf, "P1 emotion"):
        assert a in times  # each run starts on a frame's own time (the slow frames are 0.3 s apart)
    assert max(np.diff(times)) == pytest.approx(300, abs=1) and min(np.diff(times)) == pytest.approx(100, abs=1)


def test_blinks_are_told_apart_from_other_events():
    from emotion.temporal.events import Event

    blink = Event(1, "micro", 1.0, 1.1, 1.2, 0.24, "eyes", "both", "au43_eye_closure+au43_eye_closure_left", 9.0, "neutral", "neutral")
    assert is_blink(blink)
    assert not is_blink(Event(1, "micro", 1.0, 1.1, 1.2, 0.24, "mouth+eyes", "both", "au12_lip_corner_pull", 9.0, "happy", "happy"))
