"""The annotated video's encoder: what goes in comes back out, in colour and in frame count."""

from fractions import Fraction

import numpy as np
import pytest
from skimage import data

from emotion.io.encode import VideoWriter
from emotion.io.video import probe, read_frames

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data


@pytest.mark.parametrize("size", [(512, 384), (481, 361)], ids=["even (yuv420p pipe)", "odd (rgb24 pipe, padded)"])
def test_written_frames_come_back_with_their_colours(size, tmp_path):
    width, height = size
    frames = []
    for i in range(6):
        picture = np.roll(data.astronaut(), 4 * i, axis=1)[:height, :width].copy()
        picture[20:120, 20:220] = (255, 0, 0)  # flat saturated patches, like the annotations' labels
        picture[140:240, 20:220] = (0, 200, 0)
        frames.append(picture)
    path = tmp_path / "out.mp4"
    writer = VideoWriter(path, width, height, Fraction(10))
    for frame in frames:
        writer.write(frame)
    writer.close()
    assert probe(path).frame_count == len(frames) and probe(path).frame_rate == 10
    back = [f.rgb[:height, :width].astype(int) for f in read_frames(path)]
    assert len(back) == len(frames)
    for got, sent in zip(back, frames):
        error = np.abs(got - sent)
        # A wrong colour matrix, range or plane order shifts whole patches by tens of levels.
        assert error.mean() < 3.0
        assert np.abs(got[30:110, 30:210].mean((0, 1)) - (255, 0, 0)).max() < 6
        assert np.abs(got[150:230, 30:210].mean((0, 1)) - (0, 200, 0)).max() < 6


def test_a_frame_of_the_wrong_shape_is_refused(tmp_path):
    writer = VideoWriter(tmp_path / "out.mp4", 64, 48, Fraction(10))
    try:
        for frame in (np.zeros((48, 64), np.uint8), np.zeros((48, 64, 4), np.uint8), np.zeros((48, 66, 3), np.uint8)):
            with pytest.raises(ValueError, match="does not match the video size"):
                writer.write(frame)
        writer.write(np.zeros((48, 64, 3), np.uint8))
        writer.close()
    finally:
        writer.abort()
    assert probe(tmp_path / "out.mp4").frame_count == 1
