"""Test videos made from the real astronaut portrait with the ffmpeg that imageio-ffmpeg ships."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np

from emotion.io.video import ffmpeg_exe


def astronaut_frames(n: int, width: int, height: int, face: int = 160, move: bool = True):
    from skimage import data

    portrait = cv2.resize(data.astronaut(), (int(face * 512 / 110), int(face * 512 / 110)))
    for i in range(n):
        canvas = np.full((height, width, 3), 90, np.uint8)
        x = int((width - portrait.shape[1]) * (0.2 + 0.6 * i / max(n - 1, 1))) if move else (width - portrait.shape[1]) // 2
        y = max((height - portrait.shape[0]) // 2, 0)
        ph, pw = min(portrait.shape[0], height - y), min(portrait.shape[1], width - max(x, 0))
        canvas[y : y + ph, max(x, 0) : max(x, 0) + pw] = portrait[:ph, :pw]
        if i % 10 >= 7:  # every tenth frame... three in ten: the face is gone (covered)
            canvas[:] = 90
        yield canvas


def make_video(path: Path, n: int = 30, fps: int = 15, width: int = 480, height: int = 360, audio: bool = True,
               audio_delay: float = 0.0, rotate: int = 0, gray: bool = False, move: bool = True,
               slow_after: int | None = None) -> Path:
    """With `slow_after`, the frames from that one on are three times as long as before (a
    variable frame rate, as phones record in low light). With `rotate`, frames are stored turned clockwise with display-rotation metadata that turns
    them back, as phones do: the video displays upright at width x height."""
    raw_w, raw_h = (height, width) if rotate in (90, 270) else (width, height)
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", f"{raw_w}x{raw_h}", "-framerate", str(fps), "-i", "pipe:0"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={n / fps}"]
        if audio_delay:
            args += ["-af", f"adelay={int(audio_delay * 1000)}:all=1"]
    if slow_after is not None:
        args += ["-vf", f"settb=1/90000,setpts='(N+2*max(N-{slow_after},0))/({fps}*TB)'",
                 "-fps_mode", "passthrough", "-enc_time_base:v", "1/90000"]
    args += ["-c:v", "libx264", "-pix_fmt", "gray" if gray else "yuv444p" if (width % 2 or height % 2) else "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"] if not audio_delay else ["-c:a", "aac"]
    tmp = path.with_name("raw-" + path.name) if rotate else path
    proc = subprocess.Popen(args + [str(tmp)], stdin=subprocess.PIPE)
    for frame in astronaut_frames(n, width, height, face=max(160, min(width, height) // 3), move=move):
        proc.stdin.write(np.ascontiguousarray(np.rot90(frame, k=-(rotate // 90))).tobytes())
    proc.stdin.close()
    assert proc.wait() == 0
    if rotate:
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-display_rotation", str(rotate),
                        "-i", str(tmp), "-c", "copy", str(path)], check=True)
        tmp.unlink()
    return path
