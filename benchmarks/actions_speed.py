"""What facial action measurements cost: live webcam frames/s and batch time, with and without.

    python benchmarks/actions_speed.py [--clip ../shared/media/WolfgangLanger_Pexels.mp4] [--runs 3]

Live: the clip's frames (one real face) letterboxed to 640x480 go through `LiveSession.process`
(detection, CNN with flip TTA, tracking, smoothing, and with actions: the 468-point mesh, eyelid
refinement, measurements, optical flow, calibration and online events; plus annotation), as
the app's webcam tab does; median per-frame time over all frames. Batch: the whole
`python -m batch CLIP --no-video` process with and without `--no-actions`, medians of --runs.
Both variants run side by side in the same run. Writes benchmarks/results/actions_speed.{md,json}.
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

import cv2
import numpy as np

from results_io import write_results  # noqa: E402  (benchmarks/ is the script folder)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def letterbox(rgb: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    scale = min(width / rgb.shape[1], height / rgb.shape[0])
    small = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)))
    canvas = np.zeros((height, width, 3), np.uint8)
    y, x = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    canvas[y : y + small.shape[0], x : x + small.shape[1]] = small
    return canvas


def live_ms(frames: list[np.ndarray], actions: bool) -> np.ndarray:
    from emotion import EmotionAnalyzer
    from emotion.live import LiveSession

    analyzer = EmotionAnalyzer(actions=actions)
    session = LiveSession()
    session.process(analyzer, frames[0], now=0.0)  # warm-up
    times = []
    for i, frame in enumerate(frames):
        start = time.perf_counter()
        session.process(analyzer, frame, now=(i + 1) / 24)
        times.append(time.perf_counter() - start)
    return np.array(times) * 1000


def per_face_ms(frames: list[np.ndarray]) -> dict[str, float]:
    """Median per face: the mesh with both eyes refined by the iris model, and measure() (the
    actions, their left and right values, head pose and gaze)."""
    from emotion import EmotionAnalyzer
    from emotion.inference.actions import measure

    analyzer = EmotionAnalyzer()
    mesh, mesh_ms, measure_ms = analyzer.with_actions(True).mesh_model, [], []
    for frame in frames[:200]:
        found = analyzer.detect(frame)
        if not len(found):
            continue
        start = time.perf_counter()
        p = mesh.predict(frame, found.xyxy[0], found.keypoints[0][:2]).points
        mesh_ms.append(time.perf_counter() - start)
        start = time.perf_counter()
        measure(p)
        measure_ms.append(time.perf_counter() - start)
    return {"mesh_and_irises_ms": float(np.median(mesh_ms)) * 1000, "measure_ms": float(np.median(measure_ms)) * 1000}


def batch_seconds(clip: Path, actions: bool) -> float:
    with tempfile.TemporaryDirectory() as out:
        args = [sys.executable, "-m", "batch", str(clip), "--out", out, "--no-video", "--quiet"]
        start = time.perf_counter()
        subprocess.run(args + ([] if actions else ["--no-actions"]), cwd=ROOT, check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clip", type=Path, default=ROOT.parent / "shared" / "media" / "WolfgangLanger_Pexels.mp4")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from emotion.io.video import read_frames

    frames = [letterbox(f.rgb) for f in read_frames(args.clip)]
    rows = {}
    for actions in (False, True, False, True):  # interleaved, so drift in machine load hits both
        key = "with actions" if actions else "without actions"
        rows.setdefault(key, {"live_ms": [], "batch_s": []})
        rows[key]["live_ms"].append(float(np.median(live_ms(frames, actions))))
    for _ in range(args.runs):
        for actions in (False, True):
            rows["with actions" if actions else "without actions"]["batch_s"].append(batch_seconds(args.clip, actions))
    summary = {k: {"live_ms": float(np.median(v["live_ms"])), "live_fps": 1000 / float(np.median(v["live_ms"])),
                   "batch_s": float(np.median(v["batch_s"]))} for k, v in rows.items()}
    face = per_face_ms(frames)
    on, off = summary["with actions"], summary["without actions"]
    lines = [
        "# Cost of facial action measurements", "",
        f"Clip: `{args.clip.name}` ({len(frames)} frames, one face), letterboxed to 640x480 for the live path; "
        f"{platform.machine()}, {os.cpu_count()} CPUs. Command: `python benchmarks/actions_speed.py`.", "",
        "| | live: median ms/frame | live: frames/s | `python -m batch --no-video`, whole process |",
        "|---|---:|---:|---:|",
    ]
    for key, v in summary.items():
        lines.append(f"| {key} | {v['live_ms']:.1f} | {v['live_fps']:.1f} | {v['batch_s']:.2f} s |")
    lines += ["", f"Actions cost {on['live_ms'] - off['live_ms']:.1f} ms per live frame "
              f"({on['live_ms'] / off['live_ms']:.2f}x); live stays at {on['live_fps']:.0f} frames/s (target: 20). "
              f"Batch: {on['batch_s'] / off['batch_s']:.2f}x the time of `--no-actions`.",
              "", f"Per face (median): the 468-point mesh with both eyes re-measured by the iris model "
              f"{face['mesh_and_irises_ms']:.2f} ms; `measure()` (12 actions, their 20 left/right values, head pose, "
              f"gaze) {face['measure_ms']:.2f} ms."]
    write_results("actions_speed", lines, {"summary": summary, "runs": rows, "per_face": face})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
