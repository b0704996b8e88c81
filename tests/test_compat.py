"""emotion.compat: the seed's API (VideoCamera over frames or a file, FacialExpressionModel)."""

import numpy as np

from emotion import VideoCamera


def test_video_camera_annotates_an_iterable_of_frames(astronaut):
    import cv2

    frames = [astronaut, np.roll(astronaut, 40, axis=1), cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)]
    camera = VideoCamera(iter(frames))
    out = list(camera)
    assert len(out) == 3
    for src, annotated in zip(frames, out):
        assert annotated.shape[:2] == src.shape[:2] and annotated.shape[2] == 3
        assert (annotated != (src if src.ndim == 3 else cv2.cvtColor(src, cv2.COLOR_GRAY2RGB))).any()
    assert len(camera.last_faces) == 1 and camera.last_faces[0].emotion == "happy"


def test_video_camera_reads_a_real_video_file_and_serves_jpeg(astronaut, tmp_path):
    import cv2

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (512, 512))
    for _ in range(3):
        writer.write(cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    writer.release()
    with VideoCamera(str(path)) as camera:
        jpeg = camera.get_frame()
        assert jpeg[:2] == b"\xff\xd8"
        assert camera.last_faces[0].emotion == "happy"
