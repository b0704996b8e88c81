"""One image loader for every entry point (emotion.io.image): the pixel budget from the header,
EXIF orientation, and every mode and bit depth handled the same way, for files and arrays."""

import subprocess
import sys

import numpy as np
import pytest

from benchmarks.hostile import make_inputs
from emotion import EmotionAnalyzer, ImageInputError, load_image
from helpers import ROOT


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("awkward"))


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer()


def test_a_decompression_bomb_is_refused_from_its_header(inputs):
    with pytest.raises(ImageInputError, match=r"bomb\.png: 13000 x 13000 pixels \(169 megapixels\) is more than the "
                                              r"50 megapixels allowed here; scale it down"):
        load_image(inputs["bomb"])
    with pytest.raises(ImageInputError, match=r"512 x 512 pixels \(0.3 megapixels\) is more than the 0.1 megapixels"):
        load_image(inputs["face"], max_pixels=100_000)
    assert load_image(inputs["face"], max_pixels=None).shape == (512, 512, 3)


def test_exif_orientation_is_applied(inputs, analyzer, astronaut):
    rgb = load_image(inputs["exif"])
    assert rgb.shape == astronaut.shape
    assert np.abs(rgb.astype(int) - astronaut).mean() < 4  # the JPEG's loss, not a turned picture
    upright, turned = analyzer.analyze(astronaut)[0], analyzer.analyze(str(inputs["exif"]))[0]
    assert turned.emotion == "happy" and np.abs(np.subtract(turned.box, upright.box)).max() <= 4


@pytest.mark.parametrize("kind", ["png16", "cmyk", "palette", "rgba", "gif"])
def test_every_mode_becomes_rgb_with_the_same_face(inputs, analyzer, astronaut, kind):
    rgb = load_image(inputs[kind])
    assert rgb.shape == astronaut.shape and rgb.dtype == np.uint8
    faces = analyzer.analyze(str(inputs[kind]))
    assert [f.emotion for f in faces] == ["happy"]


def test_sixteen_bits_keep_their_top_eight_in_files_and_arrays(inputs, astronaut):
    assert np.array_equal(load_image(inputs["png16"]), astronaut)  # written as value * 257
    assert np.array_equal(load_image(astronaut.astype(np.uint16) * 257), astronaut)


def test_transparency_is_shown_over_white_in_files_and_arrays(inputs):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 0
    assert (load_image(rgba) == 255).all()
    rgba[..., 3] = 255
    assert (load_image(rgba) == 0).all()
    half = load_image(inputs["rgba"])  # alpha 200 of 255 over white
    assert half.min() >= int(255 * 55 / 255) - 1


def test_visualize_takes_the_pixel_budget(inputs, tmp_path):
    out = subprocess.run([sys.executable, "-m", "emotion", "visualize", str(inputs["face"]), "--max-pixels", "0.1M",
                          "--out", str(tmp_path / "x.png")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "face.png: 512 x 512 pixels" in out.stderr and "more than the 0.1 megapixels" in out.stderr
