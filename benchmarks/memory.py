"""Peak memory of `python -m batch` against video length: it should stay flat.

    python benchmarks/memory.py [--durations 20,80,240] [--fps 25]

Frames are streamed from ffmpeg through the analyser into the encoder and the CSV, so a
ten-times-longer video must not need more memory. For each duration this builds a 640x360 clip
(the real astronaut portrait drifting across the frame, with a sine audio track) with the
ffmpeg that imageio-ffmpeg ships, runs the batch command on it as a fresh process, and samples
the resident memory of that process and of its ffmpeg children every 50 ms.
Writes benchmarks/results/memory.{md,json}.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from results_io import write_results  # noqa: E402  (benchmarks/ is the script folder)

ROOT = Path(__file__).resolve().parent.parent


def make_clip(path: Path, seconds: int, fps: int) -> Path:
    """A long clip from one real portrait: a still image panned by ffmpeg (cheap to build)."""
    import cv2
    from skimage import data

    from emotion.io.video import ffmpeg_exe

    still = path.with_suffix(".png")
    cv2.imwrite(str(still), cv2.cvtColor(cv2.resize(data.astronaut(), (300, 300)), cv2.COLOR_RGB2BGR))
    pan = f"overlay=x='(W-w)*(0.5+0.4*sin(2*PI*t/{max(seconds / 4, 1)}))':y=(H-h)/2"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"color=c=gray:s=640x360:r={fps}:d={seconds}",
                    "-loop", "1", "-framerate", str(fps), "-i", str(still),
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-filter_complex", f"[0:v][1:v]{pan}:shortest=1[v]", "-map", "[v]", "-map", "2:a",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-t", str(seconds), str(path)], check=True)
    return path


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory (MB) of a process, and of it plus all its descendants, from /proc."""
    def rss(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def children(p: int) -> list[int]:
        out = []
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                out += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
        return out

    own, total, todo = rss(pid), 0.0, [pid]
    while todo:
        p = todo.pop()
        total += rss(p)
        todo += children(p)
    return own, total


def measure(clip: Path, out_dir: Path) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "batch", str(clip), "--out", str(out_dir), "--quiet"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_own = peak_total = 0.0
    while proc.poll() is None:
        own, total = tree_rss_mb(proc.pid)
        peak_own, peak_total = max(peak_own, own), max(peak_total, total)
        time.sleep(0.05)
    if proc.returncode != 0:
        raise RuntimeError(f"batch failed on {clip}: {proc.stderr.read().decode()[-2000:]}")
    return {"seconds": time.perf_counter() - start, "peak_python_mb": peak_own, "peak_with_ffmpeg_mb": peak_total}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--durations", default="20,80,240", help="clip lengths in seconds (comma list)")
    ap.add_argument("--fps", type=int, default=25)
    args = ap.parse_args()
    durations = [int(d) for d in args.durations.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in durations:
            clip = make_clip(Path(tmp) / f"clip{seconds}.mp4", seconds, args.fps)
            result = measure(clip, Path(tmp) / f"out{seconds}")
            rows.append({"video_s": seconds, "frames": seconds * args.fps, **result})
            print(f"{seconds:>5} s video: peak {result['peak_python_mb']:.0f} MB python, "
                  f"{result['peak_with_ffmpeg_mb']:.0f} MB with ffmpeg, {result['seconds']:.1f} s", flush=True)
    growth = rows[-1]["peak_with_ffmpeg_mb"] / rows[0]["peak_with_ffmpeg_mb"]
    lines = [
        "# Peak memory of `python -m batch` against video length",
        "",
        f"640x360, {args.fps} frames/s, astronaut portrait panning, AAC audio; default detector and model; "
        f"{platform.machine()}, {os.cpu_count()} CPUs. Command: `python benchmarks/memory.py --durations {args.durations}`.",
        "",
        "| video length | frames | peak RSS, python | peak RSS, python + ffmpeg | wall time |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['video_s']} s | {r['frames']} | {r['peak_python_mb']:.0f} MB | {r['peak_with_ffmpeg_mb']:.0f} MB | "
              f"{r['seconds']:.1f} s |" for r in rows]
    lines += ["", f"{durations[-1] / durations[0]:.0f}x longer video: peak memory x{growth:.2f}."]
    write_results("memory", lines, {"rows": rows, "growth": growth})
    return 0 if np.isfinite(growth) else 1


if __name__ == "__main__":
    raise SystemExit(main())
