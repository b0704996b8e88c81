"""The app as strangers holding a `--share` link would try it: a real `python app.py`, raw HTTP
(and gradio_client), every endpoint of the API and of the UI (image, video, webcam). Each case
asserts the refusal (or the right answer) and that a normal request still answers afterwards.
The times and memory of each case are in benchmarks/results/hostile_inputs.md."""

import base64
import os

import pytest
from gradio_client import Client, handle_file

from app_server import running_app
from benchmarks.hostile import GradioHTTP, make_inputs
from emotion.web.guard import NOT_AN_UPLOAD

pytestmark = pytest.mark.slow  # a real server

PROMPT_S = 30  # a normal request answers within this, whatever came before (0.1 s on an idle 2-core machine)
STRIDE_RULE = "The stride must be a whole number from 1"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def server():
    with running_app("--max-file-size", "20mb") as (url, output, proc):
        work = next(line.split()[2] for line in output if line.startswith("temporary files:"))
        yield url, output, work


@pytest.fixture(scope="module")
def http(server):
    return GradioHTTP(server[0])


def answers_promptly(http, inputs):
    answer = http.call("analyze_image", http.upload(inputs["face"]), timeout=PROMPT_S)
    assert answer.ok and answer.value[0][0]["emotion"] == "happy", answer
    assert answer.seconds < PROMPT_S


def plain(message: str) -> bool:
    """No server path, no exception class name, no code."""
    return not any(bad in message for bad in ("/tmp", "/work", "Error:", "Traceback", "np.", "launch()"))


def server_paths(inputs, server, tmp_path):
    """Every way of pointing at a file the app never received."""
    uploads = os.path.join(server[2], "uploads")
    link = os.path.join(uploads, "planted", "link.png")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.lexists(link):
        os.symlink(inputs["secret"], link)
    secret = str(inputs["secret"])
    meta = {"_type": "gradio.FileData"}
    return {
        "no meta": {"path": secret},
        "with meta": {"path": secret, "meta": meta},
        "missing file": {"path": str(tmp_path / "nothing-here.png")},
        "a folder": {"path": "/etc"},
        "a text file": {"path": "/etc/hostname"},
        "relative with ..": {"path": os.path.relpath(secret, os.getcwd())},
        "dot-dot out of the uploads": {"path": os.path.join(uploads, "..", "..", os.path.relpath(secret, "/"))},
        "file= URL as the path": {"path": f"/gradio_api/file={secret}"},
        "http URL": {"path": None, "url": server[0] + f"gradio_api/file={secret}", "meta": meta},
        "file= URL": {"path": None, "url": f"file={secret}"},
        "symlink planted in the upload folder": {"path": link, "meta": meta},
        "a bare string": secret,
    }


@pytest.mark.parametrize("endpoint", ["analyze_image", "image", "live"])
def test_no_image_endpoint_opens_a_file_it_was_not_sent(server, http, inputs, tmp_path, endpoint):
    answers = {}
    for shape, payload in server_paths(inputs, server, tmp_path).items():
        answer = http.call(endpoint, payload, *([None] if endpoint == "live" else []))
        answers[shape] = answer
        assert not answer.ok, f"{endpoint} analysed {shape}"
    # One sentence for all of them: whether a path exists is not given away.
    assert {a.value for a in answers.values()} == {NOT_AN_UPLOAD}
    answers_promptly(http, inputs)


@pytest.mark.parametrize("endpoint", ["analyze_video", "video"])
def test_no_video_endpoint_opens_a_file_it_was_not_sent(server, http, inputs, tmp_path, endpoint):
    for payload in ({"path": str(inputs["clip"])}, {"path": str(inputs["clip"]), "meta": {"_type": "gradio.FileData"}},
                    {"video": {"path": str(inputs["clip"])}}, {"path": "/etc"}):
        answer = http.call(endpoint, payload, 1)
        assert not answer.ok and answer.value == NOT_AN_UPLOAD, (payload, answer)
    answers_promptly(http, inputs)


def test_gradio_client_cannot_name_a_server_file_either(server, inputs):
    client = Client(server[0], verbose=False)
    with pytest.raises(Exception, match="Only files uploaded to this app"):
        client.predict({"path": str(inputs["secret"])}, api_name="/analyze_image")
    assert client.predict(handle_file(str(inputs["face"])), api_name="/analyze_image")[0]["emotion"] == "happy"


@pytest.mark.parametrize("endpoint", ["analyze_image", "image"])
def test_a_decompression_bomb_is_refused_from_its_header(http, inputs, endpoint):
    assert inputs["bomb"].stat().st_size < 1_000_000
    answer = http.call(endpoint, http.upload(inputs["bomb"]))
    assert not answer.ok
    assert answer.value.startswith("bomb.png: 13000 x 13000 pixels (169 megapixels) is more than the 50 megapixels")
    assert plain(answer.value)
    answers_promptly(http, inputs)


def test_a_bomb_sent_inline_to_the_webcam_stream_is_refused(http, inputs):
    inline = "data:image/png;base64," + base64.b64encode(inputs["bomb"].read_bytes()).decode()
    answer = http.call("live", {"url": inline, "path": None}, None)
    assert not answer.ok and "13000 x 13000 pixels" in answer.value
    frame = "data:image/png;base64," + base64.b64encode(inputs["face"].read_bytes()).decode()
    assert http.call("live", {"url": frame, "path": None}, None).ok  # what the webcam sends still works
    answers_promptly(http, inputs)


def test_two_bombs_at_once_do_not_hold_up_a_normal_request(http, inputs):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        bombs = [pool.submit(http.call, "analyze_image", http.upload(inputs["bomb"])) for _ in range(2)]
        answers_promptly(http, inputs)
        assert all(not b.result().ok for b in bombs)


def test_a_video_of_huge_frames_is_refused_before_decoding(http, inputs):
    answer = http.call("analyze_video", http.upload(inputs["huge_video"]), 1)
    assert not answer.ok and answer.value.startswith("huge.mp4: its frames are 10000 x 10000 pixels")
    assert plain(answer.value)
    answers_promptly(http, inputs)


def test_exif_orientation_counts_over_the_api_as_in_the_tab(http, inputs):
    upright = http.call("analyze_image", http.upload(inputs["face"])).value[0][0]
    for endpoint in ("analyze_image", "image"):
        answer = http.call(endpoint, http.upload(inputs["exif"]))
        faces = answer.value[0] if endpoint == "analyze_image" else answer.value[3]
        assert len(faces) == 1 and faces[0]["emotion"] == "happy" and faces[0]["confidence"] > 0.9, (endpoint, faces)
        assert abs(faces[0]["box"]["x"] - upright["box"]["x"]) < 10 and abs(faces[0]["box"]["y"] - upright["box"]["y"]) < 10


@pytest.mark.parametrize("kind", ["png16", "cmyk", "palette", "rgba", "gif"])
def test_every_image_mode_is_analysed(http, inputs, kind):
    answer = http.call("analyze_image", http.upload(inputs[kind]))
    assert answer.ok and [f["emotion"] for f in answer.value[0]] == ["happy"], answer


def test_errors_are_plain_sentences(http, inputs):
    answer = http.call("analyze_image", http.upload(inputs["text"]))
    assert not answer.ok and answer.value.startswith("notes.png: not a readable image") and plain(answer.value)
    empty = inputs["text"].with_name("empty.mp4")
    empty.write_bytes(b"")
    answer = http.call("analyze_video", http.upload(empty), 1)
    assert not answer.ok and answer.value.startswith("empty.mp4: ") and plain(answer.value), answer


@pytest.mark.parametrize("endpoint", ["analyze_video", "video"])
def test_the_stride_is_checked_before_any_work_by_one_rule(server, http, inputs, endpoint):
    clip = http.upload(inputs["clip"])
    jobs = lambda: len([p for p in os.listdir(server[2]) if p.startswith("job-")])  # noqa: E731
    before = jobs()
    for stride in ("abc", 1e30, 2.5, 0, -1, "", True):
        answer = http.call(endpoint, clip, stride)
        assert not answer.ok and answer.value.startswith(STRIDE_RULE) and plain(answer.value), (stride, answer)
    assert jobs() == before  # refused before a job folder was made
    answer = http.call(endpoint, clip, "2")
    assert answer.ok
    summary = answer.value[2]
    assert summary["frames_analysed"] == 2  # 4 frames, every second one
    answers_promptly(http, inputs)


def test_the_start_message_names_the_apps_own_options(server):
    text = "".join(server[1])
    assert "--share" in text and "--auth" in text and "launch()" not in text and "share=True" not in text


def test_logged_in_users_cannot_open_server_files_either(inputs):
    with running_app("--auth", "ada:lovelace") as (url, output, proc):
        stranger = GradioHTTP(url)
        assert not stranger.call("analyze_image", {"path": str(inputs["secret"])}).ok
        user = GradioHTTP(url, auth=("ada", "lovelace"))
        answer = user.call("analyze_image", {"path": str(inputs["secret"])})
        assert not answer.ok and answer.value == NOT_AN_UPLOAD
        answers_promptly(user, inputs)
