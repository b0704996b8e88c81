"""Video in through the ffmpeg binary that imageio-ffmpeg ships (writing: `encode.py`).

Reading streams raw RGB frames with their real presentation timestamps (ffmpeg's `showinfo`
filter reports each frame's pts and size, so rotated and odd-sized videos need no guessing),
from the start or from any frame (frame-accurate seeking). Frames are never all held in memory.
"""

from __future__ import annotations

import io
import os
import queue
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..errors import VideoError
from .image import megapixels


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int  # as displayed (after rotation)
    height: int
    frame_count: int
    duration_s: float  # of the video stream
    frame_rate: Fraction  # average: frame_count / duration
    variable_frame_rate: bool
    video_codec: str
    rotation: int  # degrees of the display matrix (0, 90, 180, 270)
    audio_codec: str | None
    audio_start_s: float | None
    # Presentation times of the frames from the first one, in seconds (packet timestamps).
    frame_times: np.ndarray = field(default=None, repr=False, compare=False)
    declared_duration_s: float | None = None  # what the container's header says (all streams)


def _run(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([ffmpeg_exe(), "-hide_banner", *args], capture_output=True, text=True, timeout=timeout,
                          errors="replace")


def ffmpeg_reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith(" ")]
    interesting = [x for x in lines if re.search(r"invalid|error|not found|moov atom|no such|unknown|could not|failed", x, re.I)]
    return (interesting or lines or ["ffmpeg gave no reason"])[-1][:300]


VIDEO_SIZE = re.compile(r"Stream #\d+:\d+[^:]*: Video: (\w+)[^\n]*?, (\d{2,5})x(\d{2,5})")


def check_frame_size(path: str | Path, max_pixels: int | None) -> None:
    """Refuse a video whose frames hold more than `max_pixels`, from the container's header with
    no frame decoded (`-skip_frame all`: ffmpeg's stream probe otherwise decodes a frame, 266 MB
    for one 10000 x 10000 frame). Says nothing about files it cannot read: `probe` explains those."""
    if max_pixels is None or not Path(path).is_file():
        return
    found = VIDEO_SIZE.search(_run(["-skip_frame", "all", "-i", str(path)], timeout=60).stderr)
    if found and int(found.group(2)) * int(found.group(3)) > max_pixels:
        width, height = int(found.group(2)), int(found.group(3))
        raise VideoError(f"{path}: its frames are {width} x {height} pixels ({megapixels(width, height)}), more than "
                         f"the {megapixels(max_pixels, 1)} allowed here; scale it down and try again")


def probe(path: str | Path) -> VideoInfo:
    """Stream facts from `ffmpeg -i` and the video packets' timestamps (read without decoding)."""
    path = Path(path)
    if not path.exists():
        raise VideoError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: empty file (0 bytes)")
    header = _run(["-i", str(path)]).stderr
    video = VIDEO_SIZE.search(header)
    audio = re.search(r"Stream #\d+:\d+[^:]*: Audio: (\w+)([^\n]*)", header)
    if not video and audio:
        raise VideoError(f"{path}: has no video stream (audio only: {audio.group(1)})")
    if not video:
        raise VideoError(f"{path}: not a video ({ffmpeg_reason(header)})")
    declared = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", header)
    declared_s = int(declared.group(1)) * 3600 + int(declared.group(2)) * 60 + float(declared.group(3)) if declared else None
    audio_start = None
    if audio:
        start = re.search(r"start (-?[\d.]+)", audio.group(2))
        audio_start = float(start.group(1)) if start else 0.0
    rotation = re.search(r"rotation of (-?[\d.]+) degrees", header)
    rot = int(round(float(rotation.group(1)))) % 360 if rotation else 0
    width, height = int(video.group(2)), int(video.group(3))
    if rot in (90, 270):
        width, height = height, width

    packets = _run(["-loglevel", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"])
    tb = re.search(r"#tb 0: (\d+)/(\d+)", packets.stdout)
    rows = [r.split(",") for r in packets.stdout.splitlines() if r and not r.startswith("#")]
    if not tb or not rows:
        raise VideoError(f"{path}: no readable video frames ({ffmpeg_reason(packets.stderr or header)})")
    timebase = Fraction(int(tb.group(1)), int(tb.group(2)))
    pts = np.array([int(r[2]) for r in rows], np.int64)
    durations = np.array([int(r[3]) for r in rows], np.int64)
    # An edit list (a clip cut without re-encoding) keeps the frames back to the previous keyframe
    # as packets with negative times, which decoders drop: so do we, or the clip would be longer
    # than what plays and the annotated video would drift from the source.
    shown = pts >= 0
    if shown.any() and not shown.all():
        pts, durations = pts[shown], durations[shown]
    pts = np.sort(pts)
    ticks = int(pts[-1] - pts[0] + max(int(np.median(durations)), 1))
    duration = float(ticks * timebase)
    rate = Fraction(len(pts)) / (ticks * timebase) if ticks > 0 else Fraction(25)
    steps = np.diff(pts)
    vfr = bool(len(steps) > 1 and (steps.max() - steps.min()) > 0.02 * np.median(steps))
    return VideoInfo(path, width, height, len(pts), duration, rate.limit_denominator(100000), vfr, video.group(1),
                     rot, audio.group(1) if audio else None, audio_start,
                     ((pts - pts[0]) * float(timebase)).astype(np.float64), declared_s)


@dataclass(frozen=True)
class Frame:
    index: int
    time_s: float  # presentation timestamp from the file
    rgb: np.ndarray  # (h, w, 3) uint8


DECODE_PROBLEM = re.compile(r"invalid|error|corrupt|partial file|missing picture|concealing|truncat", re.I)


def read_frames(path: str | Path, indices: Sequence[int] | None = None, problems: list[str] | None = None,
                start: tuple[int, float] | None = None) -> Iterator[Frame]:
    """Every frame, in presentation order, exactly once (no rate conversion), streamed. With
    `indices`, only those frames (still decoded in one pass, but only they are converted and
    piped: a report's thumbnails from an hour of video cost one decode, not one seek each).
    `problems` collects what the decoder complained about (damaged or truncated data).
    `start`: (index, time_s) of a frame to start from (frame-accurate seeking: ffmpeg jumps to
    the keyframe before it and decodes from there; the frames keep the file's own timestamps and
    their index in the whole file); see `frame_start`."""
    wanted = sorted(set(int(i) for i in indices)) if indices is not None else None
    if wanted == []:
        return
    filters, script = "showinfo", None
    if wanted is not None:
        fd, script = tempfile.mkstemp(prefix="select.", suffix=".txt")
        with os.fdopen(fd, "w") as fh:
            fh.write("select='" + "+".join(f"eq(n\\,{i})" for i in wanted) + "',showinfo")
    # Half a frame early: the first frame shown at or after that is the one asked for.
    seek = ["-ss", f"{max(start[1] - 0.0005, 0):.6f}", "-copyts"] if start is not None else []
    proc = subprocess.Popen(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *seek, "-i", str(path), "-map", "0:v:0",
         *(["-/filter:v", script] if script else ["-vf", filters]),
         "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    infos: queue.Queue = queue.Queue()
    tail: list[str] = []
    pattern = re.compile(rb"n:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:(-?[\d.e+-]+).*?\bs:(\d+)x(\d+)")

    def parse_stderr():
        # Buffered: line iteration over the unbuffered pipe reads one byte per system call (200,000
        # calls for a 472-frame clip's showinfo lines, each taking and releasing the GIL).
        for line in io.BufferedReader(proc.stderr, 1 << 16):
            m = pattern.search(line)
            if m:
                infos.put((int(m.group(1)), float(m.group(3)), int(m.group(4)), int(m.group(5))))
            else:
                text = line.decode(errors="replace")
                tail.append(text)
                del tail[:-40]
                if problems is not None and DECODE_PROBLEM.search(text) and len(problems) < 100:
                    problems.append(text.strip())
        infos.put(None)

    thread = threading.Thread(target=parse_stderr, daemon=True)
    thread.start()
    index, offset = 0, start[0] if start is not None else 0
    try:
        while True:
            info = infos.get()
            if info is None:
                break
            _, t, w, h = info
            data = _read_exact(proc.stdout, w * h * 3)
            if data is None:
                break
            if start is not None and index == 0 and abs(t - start[1]) > 0.001:
                raise VideoError(f"{path}: seeking to frame {start[0]} at {start[1]:.3f} s gave a frame at {t:.3f} s")
            yield Frame(offset + index if wanted is None else wanted[index], t, np.frombuffer(data, np.uint8).reshape(h, w, 3))
            index += 1
        proc.wait(timeout=60)
        if index == 0 and wanted is None:
            raise VideoError(f"{path}: no frame could be decoded ({ffmpeg_reason(''.join(tail))})")
    finally:
        if script:
            os.unlink(script)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        thread.join(timeout=5)
        proc.stderr.close()


def frame_start(path: str | Path, info: VideoInfo, index: int) -> tuple[int, float]:
    """(index, presentation time) of frame `index`, for `read_frames(start=...)`: the file's
    timestamps are the first decoded frame's time plus the packets' offsets from it (probe)."""
    if index == 0:
        return 0, 0.0
    first = next(iter(read_frames(path)))
    return index, first.time_s + float(info.frame_times[index])


def completeness(info: VideoInfo, frames: int, last_time_s: float | None, problems: list[str]) -> dict:
    """Whether the decoded video is all of what the file declares: {"status": "complete" or
    "partial", "reason", "decoder_problems"}. A file cut short (a copy interrupted, a recording
    that crashed) keeps a header that promises the whole duration; the frames stop early."""
    reasons = []
    decoded_s = (last_time_s or 0.0) + (1 / float(info.frame_rate) if frames else 0.0)
    declared = info.declared_duration_s
    if declared and frames and decoded_s < declared - max(1.0, 0.05 * declared):
        reasons.append(f"decoded {decoded_s:.1f} s of {declared:.1f} s declared")
    if frames < info.frame_count - max(2, 0.02 * info.frame_count):
        reasons.append(f"decoded {frames} of {info.frame_count} frames")
    if reasons and problems:
        said = re.sub(r"^(\[[^]]*\]\s*)+", "", problems[0])  # without ffmpeg's "[h264 @ 0x...]" prefixes
        reasons.append(f"the decoder said: {said[:160]}")
    return {"status": "partial" if reasons else "complete", "reason": "; ".join(reasons),
            "decoded_s": round(decoded_s, 3), "declared_s": declared, "decoder_problems": len(problems)}


def _read_exact(stream, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
