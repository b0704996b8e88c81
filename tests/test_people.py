"""People, not tracks (emotion.temporal.people, emotion.inference.embedder): tracks of one person
joined through gaps, never two faces seen at once, one-frame detections transient; on clips
built from the astronaut portrait with real ffmpeg, the shipped descriptor model and the batch."""

import subprocess

import cv2
import numpy as np
import pytest
from skimage import data

from batch import process_video
from emotion.inference.embedder import FaceEmbedder, distance
from emotion.inference.analyzer import EmotionAnalyzer
from emotion.io.video import ffmpeg_exe
from emotion.temporal.people import TrackRecord, link
from helpers import MEDIA, read_csv, run_batch

GRAY = 90


def encode(path, frames, fps):
    """An H.264 file of RGB frames (all one size), through the ffmpeg imageio-ffmpeg ships."""
    h, w = frames[0].shape[:2]
    proc = subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                             "-s", f"{w}x{h}", "-framerate", str(fps), "-i", "pipe:0", "-c:v", "libx264", "-pix_fmt",
                             "yuv420p", str(path)], stdin=subprocess.PIPE)
    for frame in frames:
        proc.stdin.write(np.ascontiguousarray(frame).tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    return path


def canvas_with(faces_at, width=640, height=360, side=170):
    """A gray frame with the astronaut's head pasted at each x position of `faces_at`."""
    portrait = cv2.resize(data.astronaut()[0:300, 100:400], (side, side))
    frame = np.full((height, width, 3), GRAY, np.uint8)
    for x in faces_at:
        frame[60 : 60 + side, x : x + side] = portrait
    return frame



@pytest.fixture(scope="module")
def gap_run(tmp_path_factory):
    """The face for 1.5 s, gone for 2.5 s (well over the tracker's 1 s), back for 1.5 s; in the
    gap, one frame (2.4 s, a frame the whole-frame detection runs on) with the face elsewhere: a
    one-frame detection."""
    fps = 10
    frames = [canvas_with([200])] * 15 + [canvas_with([])] * 9 + [canvas_with([400])] + [canvas_with([])] * 15 \
        + [canvas_with([220])] * 15
    clip = encode(tmp_path_factory.mktemp("src") / "gap.mp4", frames, fps)
    out = tmp_path_factory.mktemp("out")
    return process_video(clip, out, write_video=False, progress=False), out


@pytest.mark.slow
def test_a_gap_keeps_one_person_and_a_one_frame_face_is_transient(gap_run):
    result, _ = gap_run
    rows = [r for r in read_csv(result.outputs.timeline) if r["face_id"]]
    tracks = {}
    for r in rows:
        tracks.setdefault(int(r["face_id"]), []).append(r)
    assert len(tracks) == 3  # before the gap, the one-frame face, after the gap
    first, flash, last = (tracks[k] for k in sorted(tracks))
    assert len(flash) == 1 and flash[0]["transient"] == "1" and flash[0]["person_id"] == ""
    assert {r["person_id"] for r in first} == {r["person_id"] for r in last} == {"1"}
    assert {r["transient"] for r in first + last} == {"0"}
    summary = result.summary
    assert list(summary["people"]) == ["1"] and summary["people"]["1"]["face_ids"] == [min(tracks), max(tracks)]
    assert str(sorted(tracks)[1]) not in summary["faces"]
    assert summary["transient_tracks"] == {"count": 1, "face_ids": [sorted(tracks)[1]], "frames": 1,
                                           "rule": summary["transient_tracks"]["rule"]}
    events = read_csv(result.outputs.events)
    assert all(e["face_id"] != str(sorted(tracks)[1]) for e in events)
    assert "1 person" in result.outputs.report.read_text()


@pytest.mark.slow
def test_nothing_about_faces_descriptors_is_written(gap_run):
    result, out = gap_run
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in result.outputs.required(with_video=False) + result.outputs.elan_companions())
    text = "".join(p.read_text() for p in [result.outputs.summary, result.outputs.timeline, result.outputs.eaf,
                                          *result.outputs.elan_companions()])
    assert "descriptor" not in text and "embedding" not in text


@pytest.mark.slow
def test_two_faces_seen_at_once_stay_two_people(tmp_path):
    """The same face twice in one frame (the strongest temptation to merge) stays two people, and
    each keeps its own number through a gap."""
    frames = [canvas_with([40, 420])] * 12 + [canvas_with([])] * 15 + [canvas_with([40, 420])] * 12
    result = process_video(encode(tmp_path / "twins.mp4", frames, 10), tmp_path / "out", write_video=False, progress=False)
    rows = [r for r in read_csv(result.outputs.timeline) if r["face_id"]]
    by_frame = {}
    for r in rows:
        by_frame.setdefault(r["frame"], []).append(r["person_id"])
    assert all(len(set(ids)) == len(ids) == 2 for ids in by_frame.values())
    assert len(result.summary["people"]) == 2 and len(result.summary["faces"]) == 4


def test_descriptors_are_unit_vectors_that_match_the_same_face():
    image = data.astronaut()
    face = EmotionAnalyzer().analyze(image)[0]
    embedder = FaceEmbedder(threads=1)
    a = embedder.embed(image, face.xyxy, face.keypoints[:2])
    shifted = np.roll(image, (7, -5), axis=(0, 1))
    b = embedder.embed(shifted, face.xyxy + np.float32([-5, 7, -5, 7]), face.keypoints[:2] + np.float32([-5, 7]))
    flipped = embedder.embed(np.ascontiguousarray(image[::-1]), face.xyxy, None)  # upside down: not a face like it
    assert a.shape == (128,) and abs(np.linalg.norm(a) - 1) < 1e-5
    assert distance(a, b) < 0.1 < 0.4 < distance(a, flipped)


def test_link_never_joins_overlapping_tracks_and_keeps_transients_out():
    v = np.eye(128, dtype=np.float32)[0]
    tracks = [TrackRecord(1, 0.0, 2.0, frames=20, descriptors=[v]), TrackRecord(2, 1.0, 3.0, frames=20, descriptors=[v]),
              TrackRecord(3, 5.0, 6.0, frames=10, descriptors=[v]), TrackRecord(4, 7.0, 7.0, frames=1, descriptors=[v])]
    people = link(tracks)
    assert people.person_of[1] != people.person_of[2]
    assert people.person_of[3] in (people.person_of[1], people.person_of[2])
    assert people.person_of[4] is None and people.transient == {4}


@pytest.mark.skipif(not (MEDIA / "multi_face.jpg").exists(), reason="needs ../shared/media (different people)")
def test_different_people_are_far_apart():
    from emotion.io.image import load_image
    from emotion.temporal.people import MAX_DISTANCE

    image = load_image(MEDIA / "multi_face.jpg")
    embedder = FaceEmbedder(threads=1)
    vectors = [embedder.embed(image, f.xyxy, f.keypoints[:2]) for f in EmotionAnalyzer().analyze(image)]
    assert len(vectors) >= 5
    gaps = [distance(a, b) for i, a in enumerate(vectors) for b in vectors[i + 1 :]]
    assert min(gaps) > MAX_DISTANCE * 0.8 and np.median(gaps) > MAX_DISTANCE, [round(g, 2) for g in gaps]



@pytest.mark.slow
def test_people_across_a_study_match_two_halves_of_one_clip_and_take_gallery_names(tmp_path):
    frames = [canvas_with([120 + 4 * k]) for k in range(30)]
    inputs, gallery = tmp_path / "in", tmp_path / "gallery"
    inputs.mkdir(), gallery.mkdir()
    encode(inputs / "first half.mp4", frames[:15], 10)
    encode(inputs / "second half.mp4", frames[15:], 10)
    cv2.imwrite(str(gallery / "Astronaut.jpg"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    out = tmp_path / "out"
    done = run_batch(inputs, "--out", out, "--people", "--gallery", gallery, "--no-video")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "study.csv")
    assert [r["study_person"] for r in rows] == ["Astronaut", "Astronaut"]
    assert "People across videos" in (out / "report.html").read_text()
    assert sorted(p.name for p in out.iterdir() if p.suffix not in (".csv", ".json", ".html", ".png", ".eaf", ".xml")) == []


@pytest.mark.slow
def test_gallery_photo_without_a_face_is_a_clear_error(tmp_path):
    (tmp_path / "in").mkdir(), (tmp_path / "gallery").mkdir()
    encode(tmp_path / "in" / "a.mp4", [canvas_with([100])] * 10, 10)
    cv2.imwrite(str(tmp_path / "gallery" / "nobody.jpg"), np.full((200, 200, 3), GRAY, np.uint8))
    done = run_batch(tmp_path / "in", "--out", tmp_path / "out", "--people", "--gallery", tmp_path / "gallery", "--no-video")
    assert done.returncode != 0 and "nobody.jpg: no face found" in done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not (MEDIA / "WolfgangLanger_Pexels.mp4").exists(), reason="needs ../shared/media (two different people)")
def test_people_across_a_study_keep_two_different_faces_apart(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("single_face.mp4", "WolfgangLanger_Pexels.mp4"):
        (inputs / name).symlink_to(MEDIA / name)
    done = run_batch(inputs, "--out", tmp_path / "out", "--people", "--no-video")
    assert done.returncode == 0, done.stderr
    rows = read_csv(tmp_path / "out" / "study.csv")
    assert len(rows) == 2 and len({r["study_person"] for r in rows}) == 2


@pytest.mark.slow
def test_live_keeps_a_persons_label_through_an_occlusion_and_counts_time_from_the_start():
    """A webcam session whose clock starts at 4500 s (a monotonic clock): the face, 3 s of nothing
    (the tracker gives up after 1 s), the face again, calibrating for 2 s, then its brows raised
    for half a second."""
    from emotion.inference.warps import apply_action
    from emotion.live import LiveSession

    session, analyzer = LiveSession(), EmotionAnalyzer(actions=True)
    clock, labels = 4500.0, []
    face, empty = canvas_with([150], height=400, side=320), canvas_with([], height=400)
    points = analyzer.with_actions().analyze(face)[0].landmarks
    raised = apply_action(face, points, "au2_outer_brow_raise", 2.0)
    for k in range(20):
        labels.append(session.process(analyzer, face, now=clock + k * 0.1).face_ids)
    for k in range(30):
        session.process(analyzer, empty, now=clock + 2.0 + k * 0.1)
    for k in range(45):
        frame = raised if 25 <= k < 30 else face
        out = session.process(analyzer, frame, now=clock + 5.0 + k * 0.1)
        labels.append(out.face_ids)
    assert set(map(tuple, labels)) == {(1,)}
    assert [t.face_id for t in out.tracked] == [2]  # a second track, the same person
    assert out.events and all(7.0 <= e.onset_s <= 8.5 and e.person_id == 1 for e in out.events)
