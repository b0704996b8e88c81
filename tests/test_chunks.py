"""Long recordings in time chunks (batch.chunks, --chunk-seconds): the same outputs as a whole
run, ids and events across seams, resumable, and partial when a chunk is missing. On a clip of
the astronaut made with real ffmpeg, through the real batch command and the shipped models."""

import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from skimage import data

from emotion import EmotionAnalyzer
from emotion.inference.warps import apply_action
from emotion.io.video import ffmpeg_exe
from helpers import ROOT, read_csv, run_batch

pytestmark = pytest.mark.slow  # end to end: real videos through the batch

FPS, SECONDS, SEAM_S = 10, 25, 10.0


def make_clip(path):
    """25 s: the face throughout, smiling more from 9.5 to 10.6 s (an event across the seam at
    10 s of 10-second chunks), gone from 17 to 19.5 s (two tracks of one person)."""
    portrait = cv2.resize(data.astronaut()[0:300, 100:400], (240, 240))
    canvas = np.full((360, 480, 3), 90, np.uint8)
    canvas[60:300, 120:360] = portrait
    points = EmotionAnalyzer(actions=True).analyze(canvas)[0].landmarks
    smile = apply_action(canvas, points, "au12_lip_corner_pull", 2.0)
    empty = np.full_like(canvas, 90)
    proc = subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                             "-s", "480x360", "-framerate", str(FPS), "-i", "pipe:0", "-f", "lavfi", "-i",
                             f"sine=frequency=440:duration={SECONDS}", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                             "-shortest", str(path)], stdin=subprocess.PIPE)
    for k in range(FPS * SECONDS):
        t = k / FPS
        frame = smile if 9.5 <= t < 10.6 else empty if 17 <= t < 19.5 else canvas
        proc.stdin.write(np.ascontiguousarray(frame).tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    return path




@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("in")
    make_clip(folder / "long.mp4")
    out = tmp_path_factory.mktemp("out")
    whole = run_batch(folder, "--out", out / "whole")
    chunked = run_batch(folder, "--out", out / "chunked", "--chunk-seconds", SEAM_S, "--workers", "2")
    assert whole.returncode == 0 and chunked.returncode == 0, whole.stderr + chunked.stderr
    return folder, out


def test_a_chunked_run_gives_the_outputs_of_a_whole_run(runs):
    _, out = runs
    from benchmarks.compare_outputs import comparable_summary

    for name in ("long.timeline.csv", "long.events.csv"):
        assert (out / "chunked" / name).read_bytes() == (out / "whole" / name).read_bytes(), name
    assert comparable_summary(out / "chunked" / "long.summary.json") == comparable_summary(out / "whole" / "long.summary.json")
    assert not list((out / "chunked").glob(".*")), "chunk files or partial files left behind"


def test_the_annotated_video_is_encoded_in_segments_and_keeps_the_timing_and_the_audio(runs):
    from emotion.io.video import probe, read_frames

    _, out = runs
    whole, chunked = out / "whole" / "long.annotated.mp4", out / "chunked" / "long.annotated.mp4"
    a, b = probe(whole), probe(chunked)
    assert b.video_codec == "h264" and b.audio_codec == "aac" and a.frame_count == b.frame_count == FPS * SECONDS
    assert abs(a.duration_s - b.duration_s) < 1 / FPS
    frames_a, frames_b = list(read_frames(whole)), list(read_frames(chunked))
    assert [f.time_s for f in frames_a] == [f.time_s for f in frames_b]
    drift = [float(np.abs(x.rgb.astype(int) - y.rgb.astype(int)).mean()) for x, y in zip(frames_a, frames_b)]
    assert max(drift) < 3  # the same pictures, encoded in three pieces instead of one


def test_ids_and_events_continue_across_the_seams(runs):
    _, out = runs
    rows = [r for r in read_csv(out / "chunked" / "long.timeline.csv") if r["face_id"]]
    frames = sorted(int(r["frame"]) for r in rows)
    assert frames == sorted(set(frames)) and len(frames) == FPS * SECONDS - 25  # every face frame once
    assert {r["face_id"] for r in rows if float(r["time_s"]) < 17} == {"1"}  # one track through the seam at 10 s
    assert {r["person_id"] for r in rows} == {"1"}  # one person through the gap at 17-19.5 s, across the seam at 20 s
    across = [e for e in read_csv(out / "chunked" / "long.events.csv") if float(e["onset_s"]) < SEAM_S < float(e["offset_s"])]
    assert len(across) == 1 and "mouth" in across[0]["regions"]


def test_a_missing_chunk_leaves_the_video_partial_with_its_time_range(runs, tmp_path):
    """A chunk that failed (here: never run) is left out; the final pass reports its range."""
    from batch.jobs import Options, run_chunk, run_one, video_chunks

    folder, _ = runs
    options = Options(out_dir=tmp_path, chunk_seconds=SEAM_S, write_video=False)
    _, info, chunks, _ = video_chunks(folder / "long.mp4", tmp_path, options)
    for number in (0, 2):
        run_chunk(folder / "long.mp4", tmp_path, options, chunks[number], info)
    row = run_one(folder / "long.mp4", tmp_path, options, progress=False, chunks=chunks)
    summary = __import__("json").loads((tmp_path / "long.summary.json").read_text())
    assert row["status"] == "partial" and "10.0-20.0 s" in row["reason"]
    assert summary["input"]["missing_time_ranges_s"] == [[10.0, 20.0]]
    frames = {int(r["frame"]) for r in read_csv(tmp_path / "long.timeline.csv")}
    assert not frames & set(range(100, 200)) and 99 in frames and 200 in frames
    assert (tmp_path / ".long.chunks").is_dir()  # kept: a rerun redoes only the missing chunk


def test_an_interrupted_chunked_run_is_completed_by_a_rerun(runs, tmp_path):
    folder, out = runs
    target = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "batch", str(folder), "--out", str(target), "--chunk-seconds", str(SEAM_S),
                             "--no-video", "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks = target / ".long.chunks"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not list(chunks.glob("0000[0-9].npz")):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = {p.name: p.stat().st_mtime_ns for p in chunks.glob("*.npz")}
    assert kept and not (target / "long.timeline.csv").exists()
    again = run_batch(folder, "--out", target, "--chunk-seconds", SEAM_S, "--no-video")
    assert again.returncode == 0 and "done 1" in again.stdout, again.stderr
    assert (target / "long.timeline.csv").read_bytes() == (out / "whole" / "long.timeline.csv").read_bytes()
    assert not chunks.exists()


def test_a_killed_ray_worker_redoes_its_chunk(runs, tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-ray.txt)")
    folder, out = runs
    target = tmp_path / "ray"
    proc = subprocess.Popen([sys.executable, "-m", "batch", str(folder), "--out", str(target), "--engine", "ray", "--workers", "2",
                             "--chunk-seconds", str(SEAM_S), "--no-video", "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed, deadline = None, time.time() + 300
    while killed is None and time.time() < deadline and proc.poll() is None:
        found = subprocess.run(["pgrep", "-f", "ray::run_chunk"], capture_output=True, text=True).stdout.split()
        if found:
            os.kill(int(found[0]), signal.SIGKILL)
            killed = found[0]
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=600)
    assert killed, "no Ray worker was seen analysing a chunk (nothing to kill)"
    assert proc.returncode == 0 and "done 1, skipped 0, failed 0" in stdout, stderr[-3000:]
    assert (target / "long.timeline.csv").read_bytes() == (out / "whole" / "long.timeline.csv").read_bytes()
