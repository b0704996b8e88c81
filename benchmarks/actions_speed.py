"""What facial action measurements cost: live webcam frames/s and batch time, with and without.

    python benchmarks/actions_speed.py [--clip ../shared/media/WolfgangLanger_Pexels.mp4] [--runs 3]

Live: the clip's frames (one real face) letterboxed to 640x480 go through `LiveSession.process`
(detection, CNN with flip TTA, tracking, smoothing, and with actions: Face Mesh V2, its
blendshapes, measurements, optical flow, calibration and online events; plus annotation), as
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
    """Median per face, one thread each (as the batch lanes run them), side by side on the same
    faces: the old 468-point mesh with both eyes re-measured by the iris model (three passes),
    Face Mesh V2 (one pass, irises included), the iris model's lids on V2's eyes (two passes),
    Blendshape V2 on its points, and measure() (the actions, their left and right values, head
    pose and gaze)."""
    from emotion import EmotionAnalyzer
    from emotion.inference.actions import measure
    from emotion.inference.eyes import EyeContourModel
    from emotion.inference.face_landmarker import FaceLandmarker
    from emotion.inference.mesh_models import create_mesh_model
    from emotion.labels import COLUMNS_FROM_BLENDSHAPES

    analyzer = EmotionAnalyzer()
    v1, v2 = create_mesh_model("v1", threads=1), FaceLandmarker(threads=1)
    lids = EyeContourModel(threads=1)
    times: dict[str, list[float]] = {"v1_mesh_and_irises_ms": [], "v2_mesh_ms": [], "iris_lids_ms": [], "v2_blendshapes_ms": [],
                                     "measure_ms": []}

    def timed(key, fn):
        start = time.perf_counter()
        out = fn()
        times[key].append((time.perf_counter() - start) * 1000)
        return out

    v2_mesh_only = FaceLandmarker(threads=1, blendshapes=False, iris_lids=False)
    for frame in frames[:200]:
        found = analyzer.detect(frame)
        if not len(found):
            continue
        box, eyes = found.xyxy[0], found.keypoints[0][:2]
        timed("v1_mesh_and_irises_ms", lambda: v1.predict(frame, box, eyes))
        p = timed("v2_mesh_ms", lambda: v2_mesh_only.predict(frame, box, eyes)).points
        b = timed("v2_blendshapes_ms", lambda: v2.blendshapes(p))
        timed("iris_lids_ms", lambda: lids.refine(frame, p))
        timed("measure_ms", lambda: measure(p, b, COLUMNS_FROM_BLENDSHAPES))
    return {k: float(np.median(v)) for k, v in times.items()}


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
              "", "Per face (median, one thread each, the same faces):", "",
              "| step | ms |", "|---|---:|",
              f"| old: 468-point mesh + both eyes re-measured by the iris model (3 passes) | {face['v1_mesh_and_irises_ms']:.2f} |",
              f"| shipped: Face Mesh V2 (1 pass, irises included) | {face['v2_mesh_ms']:.2f} |",
              f"| shipped: Blendshape V2 on its points | {face['v2_blendshapes_ms']:.2f} |",
              f"| shipped: both eyes' lids re-measured by the iris model (2 passes) | {face['iris_lids_ms']:.2f} |",
              f"| `measure()` (12 actions, 20 left/right values, head pose, gaze) | {face['measure_ms']:.2f} |"]
    write_results("actions_speed", lines, {"summary": summary, "runs": rows, "per_face": face})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
