"""Bad inputs fail with an error that names the problem; huge images still work."""

import numpy as np
import pytest

from emotion import EmotionAnalyzer, ImageInputError, load_image


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer()


@pytest.mark.parametrize("bad, message", [
    (None, "no image was given"),
    (np.zeros((0, 0, 3), np.uint8), "empty image"),
    (np.zeros((64, 64, 3), np.float32), "expected 8-bit pixels"),
    (np.zeros((64, 64, 2), np.uint8), "expected shape"),
    (np.zeros((2, 64, 64, 3), np.uint8), "expected shape"),
])
def test_bad_arrays_are_refused_with_a_clear_message(analyzer, bad, message):
    with pytest.raises(ImageInputError, match=message):
        analyzer.analyze(bad)


def test_text_file_is_not_an_image(analyzer, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a picture")
    with pytest.raises(ImageInputError, match=r"notes\.jpg: not a readable image \(a photo in JPEG, PNG"):
        analyzer.analyze(str(text))


def test_missing_and_empty_paths(tmp_path):
    with pytest.raises(ImageInputError, match=r"missing\.png: no such file"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageInputError, match=r"empty\.png: empty file"):
        load_image(tmp_path / "empty.png")
    with pytest.raises(ImageInputError, match="is a folder"):
        load_image(tmp_path)


def test_huge_image_works(analyzer, astronaut):
    import cv2

    # A 24-megapixel portrait: the subject fills the frame's height, as in a camera photo.
    canvas = np.full((4000, 6000, 3), 200, np.uint8)
    canvas[:, 1000:5000] = cv2.resize(astronaut, (4000, 4000))
    faces = analyzer.analyze(canvas)
    assert len(faces) == 1
    x, y, w, h = faces[0].box
    assert 2000 < x + w / 2 < 4000 and 300 < y + h / 2 < 2000 and w > 500


@pytest.mark.parametrize("command", [
    ["emotion.commands.evaluate", "--data", "unused", "--model", "{missing}"],
    ["emotion.commands.visualize", "{image}", "--model", "{missing}"],
    ["emotion.commands.export", "{missing}"],
])
def test_commands_name_a_missing_model_in_one_line_and_exit_2(command, astronaut, tmp_path):
    import subprocess
    import sys

    import cv2

    from helpers import ROOT

    image = tmp_path / "face.png"
    cv2.imwrite(str(image), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    args = [a.format(missing=tmp_path / "nope.tflite", image=image) for a in command]
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "nope.tflite: model file not found" in proc.stderr and "Traceback" not in proc.stderr
