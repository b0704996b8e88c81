"""python -m batch and batch.process_video on real video files through real ffmpeg."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT, read_csv, run_batch
from emotion.labels import EMOTIONS
from emotion.io.video import probe, read_frames
from videos import make_video

from batch import process_video
from emotion.labels import TIMELINE_COLUMNS

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data



@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("src") / "moving face.mp4", n=30, fps=15)


@pytest.fixture(scope="module")
def processed(clip, tmp_path_factory):
    return process_video(clip, tmp_path_factory.mktemp("out"), progress=False)


def test_annotated_video_matches_the_source(clip, processed):
    src, out = probe(clip), probe(processed.outputs.video)
    assert out.video_codec == "h264" and out.frame_count == src.frame_count == 30
    assert out.frame_rate == src.frame_rate and abs(out.duration_s - src.duration_s) < 1 / 15
    assert (out.width, out.height) == (src.width, src.height)
    assert out.audio_codec == "aac"
    with open(processed.outputs.video, "rb") as fh:  # +faststart: the index comes before the media data
        head = fh.read(4096)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_timeline_csv_schema_rows_and_face_ids(processed):
    rows = read_csv(processed.outputs.timeline)
    assert list(rows[0]) == list(TIMELINE_COLUMNS)
    assert sorted({int(r["frame"]) for r in rows}) == list(range(30))
    no_face = [r for r in rows if r["emotion"] == "no_face"]
    assert {int(r["frame"]) for r in no_face} == {i for i in range(30) if i % 10 >= 7}
    assert all(r["face_id"] == "" and r["x"] == "" for r in no_face)
    faces = [r for r in rows if r["emotion"] != "no_face"]
    assert len(faces) == 21 and {r["face_id"] for r in faces} == {"1"}
    for r in faces:
        assert abs(sum(float(r[e]) for e in EMOTIONS) - 1) < 2e-3
        assert r["emotion"] == max(EMOTIONS, key=lambda e: float(r[e]))
    assert [float(r["time_s"]) for r in rows[:3]] == [0.0, round(1 / 15, 3), round(2 / 15, 3)]
    assert sum(r["emotion"] == "happy" for r in faces) >= 0.8 * len(faces)


def test_summary_agrees_with_the_csv(processed):
    summary = json.loads(processed.outputs.summary.read_text())
    assert summary == processed.summary
    rows = read_csv(processed.outputs.timeline)
    assert summary["frames_analysed"] == len({r["frame"] for r in rows}) == 30
    assert summary["share_of_frames_without_face"] == pytest.approx(9 / 30, abs=1e-4)
    face = summary["faces"]["1"]
    assert face["frames_analysed"] == 21 and face["dominant_emotion"] == "happy"
    assert sum(face["share_of_time_by_emotion"].values()) == pytest.approx(1, abs=1e-3)
    assert processed.outputs.chart.stat().st_size > 10_000
    run = summary["run"]  # detection on every other frame, the frames between filled in where it is safe
    assert run["detect_every"] == 2 and 0 < run["frames_with_interpolated_faces"] < 15


def test_stride_analyses_fewer_frames_but_keeps_every_frame(clip, tmp_path):
    result = process_video(clip, tmp_path, stride=3, progress=False)
    rows = read_csv(result.outputs.timeline)
    assert sorted({int(r["frame"]) for r in rows}) == list(range(0, 30, 3))
    assert probe(result.outputs.video).frame_count == 30


@pytest.mark.parametrize("kind", ["no_audio", "odd_size", "rotated", "gray", "4k"])
def test_awkward_videos_are_processed(kind, tmp_path):
    kwargs = {"no_audio": dict(audio=False), "odd_size": dict(width=481, height=361),
              "rotated": dict(rotate=90, width=360, height=480), "gray": dict(gray=True),
              "4k": dict(width=3840, height=2160, n=6)}[kind]
    n = kwargs.pop("n", 20)
    src = make_video(tmp_path / f"{kind}.mp4", n=n, **kwargs)
    info = probe(src)
    result = process_video(src, tmp_path / "out", progress=False)
    out = probe(result.outputs.video)
    assert out.frame_count == n and out.rotation == 0
    assert out.width in (info.width, info.width + 1) and out.height in (info.height, info.height + 1)
    assert (out.audio_codec is None) == (kind == "no_audio")
    if kind == "rotated":
        assert (out.width, out.height) == (360, 480)  # displayed upright, as a phone shows it
    assert result.summary["faces"], "the face must be found in every variant"


def test_a_bad_file_is_reported_and_the_others_finish(clip, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.mp4").write_bytes(clip.read_bytes())
    (folder / "notes.mp4").write_text("not a video")
    (folder / "empty.mov").write_bytes(b"")
    (folder / "truncated.mp4").write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])
    (folder / "readme.txt").write_text("ignored: not a video extension")
    proc = run_batch(folder, "--out", tmp_path / "out")
    assert proc.returncode == 1
    assert "done 1, skipped 0, failed 3" in proc.stdout
    index = {Path(r["input"]).name: r for r in read_csv(tmp_path / "out" / "index.csv")}
    assert set(index) == {"good.mp4", "notes.mp4", "empty.mov", "truncated.mp4"}
    assert index["good.mp4"]["status"] == "ok" and Path(index["good.mp4"]["timeline"]).exists()
    assert "empty file" in index["empty.mov"]["reason"] and "not a video" in index["notes.mp4"]["reason"]
    assert index["truncated.mp4"]["status"] == "failed" and "truncated.mp4" in index["truncated.mp4"]["reason"]


def test_interrupted_run_leaves_no_partial_outputs_and_resumes(clip, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        make_video(folder / f"v{i}.mp4", n=45, fps=15)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "batch", str(folder), "--out", str(out), "--quiet"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not (out / "index.csv").exists():
        time.sleep(0.2)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = [r["input"] for r in read_csv(out / "index.csv") if r["status"] == "ok"]
    assert 1 <= len(finished) < 4, "the kill must land mid-batch for this test to mean anything"
    for i in range(4):
        finals = [out / f"v{i}.{ext}" for ext in ("annotated.mp4", "timeline.csv", "summary.json", "timeline.png")]
        assert all(f.exists() for f in finals) or not any(f.exists() for f in finals[:1] + finals[2:]), finals
    rerun = run_batch(folder, "--out", out)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    statuses = {Path(r["input"]).name: r["status"] for r in read_csv(out / "index.csv")}
    assert sum(s == "skipped" for s in statuses.values()) == len(finished)
    assert sum(s == "ok" for s in statuses.values()) == 4 - len(finished)
    assert not list(out.glob(".*partial*"))


def test_help_documents_options_and_outputs():
    proc = subprocess.run([sys.executable, "-m", "batch", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    for word in ("--stride", "--detect-every", "--recursive", "--no-video", "--workers", "--overwrite", "timeline.csv", "index.csv",
                 "no_face"):
        assert word in proc.stdout


def test_real_clip_with_late_hevc_audio(media, tmp_path):
    src = media / "face_noface.mov"
    result = process_video(src, tmp_path, progress=False)
    out, info = probe(result.outputs.video), probe(src)
    assert out.video_codec == "h264" and out.audio_codec == "aac"
    assert out.audio_start_s == pytest.approx(info.audio_start_s, abs=0.05)
    # A variable-rate phone clip (30 then 24 frames/s): every frame keeps its own time.
    assert info.variable_frame_rate
    assert [f.time_s for f in read_frames(result.outputs.video)] == pytest.approx(list(info.frame_times), abs=1e-3)
    rows = read_csv(result.outputs.timeline)
    assert len({r["frame"] for r in rows}) == 169
    assert any(r["emotion"] == "no_face" for r in rows) and any(r["emotion"] != "no_face" for r in rows)


def test_variable_frame_rate_keeps_every_frame_time(tmp_path):
    src = make_video(tmp_path / "vfr.mp4", n=30, fps=15, audio=False, slow_after=15)
    info = probe(src)
    assert info.variable_frame_rate and info.frame_count == 30
    result = process_video(src, tmp_path / "out", progress=False)
    source_times = [f.time_s for f in read_frames(src)]
    output_times = [f.time_s for f in read_frames(result.outputs.video)]
    assert source_times[16] - source_times[15] == pytest.approx(3 / 15, abs=1e-3)
    assert output_times == pytest.approx(source_times, abs=1e-3)
    csv_times = sorted({float(r["time_s"]) for r in read_csv(result.outputs.timeline)})
    assert csv_times == pytest.approx(source_times, abs=1e-3)


def test_real_portrait_clip_keeps_one_face_id(media, tmp_path):
    result = process_video(media / "WolfgangLanger_Pexels.mp4", tmp_path, progress=False, write_video=False)
    rows = read_csv(result.outputs.timeline)
    assert len({r["frame"] for r in rows}) == 472
    ids = {r["face_id"] for r in rows if r["face_id"]}
    assert ids == {"1"}
    assert not result.outputs.video.exists()


def test_parallel_workers_give_the_same_timelines(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        make_video(folder / f"w{i}.mp4", n=15, fps=15)
    serial = run_batch(folder, "--out", tmp_path / "serial", "--no-video")
    parallel = run_batch(folder, "--out", tmp_path / "parallel", "--no-video", "--workers", "2")
    assert serial.returncode == parallel.returncode == 0, parallel.stderr[-2000:]
    for i in range(2):
        a = read_csv(tmp_path / "serial" / f"w{i}.timeline.csv")
        b = read_csv(tmp_path / "parallel" / f"w{i}.timeline.csv")
        assert [r["emotion"] for r in a] == [r["emotion"] for r in b] and len(a) == 15
        for ra, rb in zip(a, b):
            assert all(abs(float(ra[e] or 0) - float(rb[e] or 0)) < 2e-3 for e in EMOTIONS)


def test_a_video_call_gallery_keeps_one_face_id_per_tile(astronaut, tmp_path):
    """A 1920x1080 recording of a 6x6 gallery (the astronaut in every tile, each moving a little):
    every tile's face is found in every frame, under one id of its own throughout."""
    import subprocess as sp

    import numpy as np

    from emotion.io.video import ffmpeg_exe
    from test_detectors import face_cell

    path, n = tmp_path / "gallery.mp4", 20
    proc = sp.Popen([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                     "-s", "1920x1080", "-framerate", "10", "-i", "pipe:0", "-c:v", "libx264", "-crf", "18",
                     "-pix_fmt", "yuv420p", str(path)], stdin=sp.PIPE)
    head, _ = face_cell(astronaut, 80)
    cell = np.full((180, 320, 3), 40, np.uint8)
    cell[: min(head.shape[0], 180), 80 : 80 + head.shape[1]] = head[:180]
    for i in range(n):
        frame = np.zeros((1080, 1920, 3), np.uint8)
        for r in range(6):
            for c in range(6):
                frame[r * 180 : (r + 1) * 180, c * 320 : (c + 1) * 320] = np.roll(cell, (i % 5) - 2, axis=1)
        proc.stdin.write(frame.tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    result = run_batch(path, "--out", tmp_path / "out", "--no-video")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = read_csv(tmp_path / "out" / "gallery.timeline.csv")
    assert len(rows) == 36 * n and all(r["face_id"] for r in rows)
    tile_ids: dict = {}
    for r in rows:
        tile = (int(float(r["y"]) + float(r["h"]) / 2) // 180, int(float(r["x"]) + float(r["w"]) / 2) // 320)
        tile_ids.setdefault(tile, set()).add(r["face_id"])
    assert len(tile_ids) == 36 and all(len(ids) == 1 for ids in tile_ids.values())
    assert len({next(iter(ids)) for ids in tile_ids.values()}) == 36


def _ffmpeg(*args):
    from emotion.io.video import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *map(str, args)], check=True)


def test_a_truncated_recording_is_reported_partial_not_ok(tmp_path):
    """The first 40% of a file whose header declares 10 s: analysed as far as it goes, reported
    `partial` with how much was decoded, exit code 1, and said in the summary."""
    whole = make_video(tmp_path / "whole.mp4", n=150, fps=15)
    _ffmpeg("-i", whole, "-c", "copy", "-movflags", "+faststart", tmp_path / "fast.mp4")  # index first, as phones write
    folder = tmp_path / "in"
    folder.mkdir()
    data = (tmp_path / "fast.mp4").read_bytes()
    (folder / "cut.mp4").write_bytes(data[: int(len(data) * 0.4)])
    proc = run_batch(folder, "--out", tmp_path / "out", "--no-video")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "partial 1" in proc.stdout
    row = read_csv(tmp_path / "out" / "index.csv")[0]
    assert row["status"] == "partial" and "of 10.0 s declared" in row["reason"] and "cut.mp4" in row["reason"]
    summary = json.loads((tmp_path / "out" / "cut.summary.json").read_text())
    assert summary["input"]["status"] == "partial" and summary["input"]["decoded_s"] < 6
    assert (tmp_path / "out" / "cut.timeline.csv").exists() and "partial" in (tmp_path / "out" / "report.html").read_text()


def test_a_clip_cut_without_re_encoding_keeps_picture_and_timeline_in_step(tmp_path):
    """`ffmpeg -ss 2 -i in.mp4 -t 4 -c copy`: an edit list hides the frames back to the last
    keyframe. The duration is the clip's, and the annotated video's frame times are the source's."""
    source = make_video(tmp_path / "long.mp4", n=150, fps=15)
    _ffmpeg("-ss", "2", "-i", source, "-t", "4", "-c", "copy", tmp_path / "trim.mp4")
    result = process_video(tmp_path / "trim.mp4", tmp_path / "out", progress=False)
    source_times = [f.time_s for f in read_frames(tmp_path / "trim.mp4")]
    output_times = [f.time_s for f in read_frames(result.outputs.video)]
    assert result.summary["duration_s"] == pytest.approx(source_times[-1] + 1 / 15, abs=0.002)  # what plays, not 6 s
    assert result.summary["duration_s"] < 4.5
    assert len(output_times) == len(source_times) == result.summary["frames_analysed"]
    assert output_times == pytest.approx(source_times, abs=0.002)
    csv_times = sorted({float(r["time_s"]) for r in read_csv(result.outputs.timeline)})
    assert csv_times == pytest.approx(source_times, abs=0.002)
    assert result.summary["input"]["status"] == "complete"


def test_an_audio_only_file_is_named_as_such(tmp_path):
    from emotion import VideoError

    source = make_video(tmp_path / "talk.mp4", n=30, fps=15)
    _ffmpeg("-i", source, "-vn", "-c:a", "copy", tmp_path / "voice.mp4")
    with pytest.raises(VideoError, match=r"voice\.mp4: has no video stream \(audio only"):
        process_video(tmp_path / "voice.mp4", tmp_path / "out", progress=False)


def test_detect_every_out_of_range_is_a_usage_error(clip, tmp_path):
    result = run_batch(clip, "--out", tmp_path / "out", "--detect-every", "0")
    assert result.returncode == 2 and "--detect-every must be from 1 to 7" in result.stderr
    assert not (tmp_path / "out").exists()
