"""The real app on a free local port, driven over HTTP with gradio_client."""

import csv
import os
import signal
import threading
import time
import urllib.request
from pathlib import Path

import cv2
import pytest
from gradio_client import Client, handle_file

from app_server import running_app
from emotion.io.video import probe
from videos import make_video

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data


@pytest.fixture(scope="module")
def app():
    with running_app("--max-file-size", "5mb") as (url, output, proc):
        yield url


@pytest.fixture(scope="module")
def astronaut_png(astronaut, tmp_path_factory):
    path = tmp_path_factory.mktemp("img") / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    return path


def test_image_endpoint_finds_one_happy_face(app, astronaut_png):
    faces = Client(app, verbose=False).predict(handle_file(str(astronaut_png)), api_name="/analyze_image")
    assert len(faces) == 1 and faces[0]["emotion"] == "happy"
    assert abs(sum(faces[0]["probabilities"].values()) - 1) < 1e-3


def test_video_endpoint_returns_playable_h264_and_a_csv(app, tmp_path):
    clip = make_video(tmp_path / "clip.mp4", n=20)
    video, timeline, summary = Client(app, verbose=False).predict(handle_file(str(clip)), 1, api_name="/analyze_video")
    info = probe(video)
    assert info.video_codec == "h264" and info.frame_count == 20 and info.audio_codec == "aac"
    with open(timeline, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len({r["frame"] for r in rows}) == 20 and summary["frames_analysed"] == 20


def test_bad_uploads_get_a_message_and_the_server_keeps_serving(app, tmp_path, astronaut_png):
    client = Client(app, verbose=False)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(Exception, match="(?i)image"):
        client.predict(handle_file(str(text)), api_name="/analyze_image")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(Exception):
        client.predict(handle_file(str(empty)), 1, api_name="/analyze_video")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x17" * 5000)
    with pytest.raises(Exception):
        client.predict(handle_file(str(corrupt)), 1, api_name="/analyze_video")
    assert client.predict(handle_file(str(astronaut_png)), api_name="/analyze_image")[0]["emotion"] == "happy"


def test_oversized_upload_is_refused(app, tmp_path):
    big = tmp_path / "big.png"
    noise = (cv2.randu(cv2.UMat(2600, 2600, cv2.CV_8UC3), 0, 255)).get()
    cv2.imwrite(str(big), noise)
    assert big.stat().st_size > 5 * 1024 * 1024
    with pytest.raises(Exception, match="(?i)(size|large|413)"):
        Client(app, verbose=False).predict(handle_file(str(big)), api_name="/analyze_image")


def test_no_endpoint_reads_server_paths(app):
    client = Client(app, verbose=False)
    with pytest.raises(Exception):
        client.predict({"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, api_name="/analyze_image")
    with urllib.request.urlopen(app) as r:
        assert r.status == 200
    with pytest.raises(Exception):
        urllib.request.urlopen(app + "gradio_api/file=/etc/passwd")


def test_auth_refuses_strangers_and_admits_the_user(astronaut_png):
    with running_app(env={"EMOTION_APP_AUTH": "ann:s3cret-pass"}) as (url, output, proc):
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(handle_file(str(astronaut_png)), api_name="/analyze_image")
        with pytest.raises(Exception):
            Client(url, auth=("ann", "wrong"), verbose=False)
        faces = Client(url, auth=("ann", "s3cret-pass"), verbose=False).predict(
            handle_file(str(astronaut_png)), api_name="/analyze_image")
        assert faces[0]["emotion"] == "happy"


def test_share_without_internet_still_serves_locally():
    with running_app("--share") as (url, output, proc):
        assert any("public" in line and "--auth" in line for line in output), "".join(output)
        time.sleep(2)
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.status == 200
        assert proc.poll() is None


def test_a_flood_of_requests_is_refused_politely_and_the_server_survives(astronaut_png, tmp_path):
    clip = make_video(tmp_path / "clip.mp4", n=45)
    with running_app("--queue-size", "2") as (url, output, proc):
        results: list = []

        def call():
            try:
                Client(url, verbose=False).predict(handle_file(str(clip)), 1, api_name="/analyze_video")
                results.append("ok")
            except Exception as exc:  # noqa: BLE001 - the refusal is what is being tested
                results.append(str(exc))

        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        refused = [r for r in results if r != "ok"]
        assert len(results) == 8 and results.count("ok") >= 1
        assert refused and all("queue" in r.lower() and "full" in r.lower() for r in refused), results
        faces = Client(url, verbose=False).predict(handle_file(str(astronaut_png)), api_name="/analyze_image")
        assert faces[0]["emotion"] == "happy" and proc.poll() is None


def test_a_long_video_job_does_not_block_other_users(app, astronaut_png, tmp_path):
    """Video jobs have their own queue: a picture sent while a video is processed comes back first."""
    clip = make_video(tmp_path / "long.mp4", n=600, fps=15)
    finished: list[str] = []

    def video():
        Client(app, verbose=False).predict(handle_file(str(clip)), 1, api_name="/analyze_video")
        finished.append("video")

    worker = threading.Thread(target=video)
    worker.start()
    time.sleep(2)  # the video job is under way (it takes several seconds)
    faces = Client(app, verbose=False).predict(handle_file(str(astronaut_png)), api_name="/analyze_image")
    finished.append("image")
    worker.join(timeout=300)
    assert faces[0]["emotion"] == "happy"
    assert finished == ["image", "video"]


def test_a_huge_photo_is_analysed(app, astronaut, tmp_path):
    big = tmp_path / "camera-photo.jpg"
    canvas = cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR)
    canvas = cv2.copyMakeBorder(cv2.resize(canvas, (4000, 4000)), 0, 0, 1000, 1000, cv2.BORDER_CONSTANT, value=(200, 200, 200))
    cv2.imwrite(str(big), canvas, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert canvas.shape[:2] == (4000, 6000) and big.stat().st_size < 5 * 1024 * 1024
    faces = Client(app, verbose=False).predict(handle_file(str(big)), api_name="/analyze_image")
    assert len(faces) == 1 and faces[0]["box"]["w"] > 500


def test_sigterm_removes_uploads_and_job_files(astronaut_png, tmp_path):
    clip = make_video(tmp_path / "job.mp4", n=10, fps=10)
    with running_app() as (url, output, proc):
        work_dir = Path(next(line for line in output if line.startswith("temporary files:")).split()[2])
        client = Client(url, verbose=False)
        client.predict(handle_file(str(astronaut_png)), api_name="/analyze_image")
        client.predict(handle_file(str(clip)), 1, api_name="/analyze_video")
        kept = [p for p in work_dir.rglob("*") if p.is_file()]
        assert any(p.suffix == ".mp4" and "uploads" not in p.parts for p in kept)  # the job's output
        assert any(p.suffix == ".png" and "uploads" in p.parts for p in kept)  # the uploaded photo
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert not work_dir.exists()
