"""Face detectors side by side: speed per 640x480 frame on this machine, faces found on real
photos and video frames, false detections on face-free media.

    python benchmarks/detectors.py [--media ../shared/media] [--every 5]

Prints a table and writes benchmarks/results/detectors.{md,json}. `mtcnn` is measured too
when that package is installed (it is not a project dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emotion import create_detector, load_image  # noqa: E402
from emotion.io.video import read_frames  # noqa: E402
from emotion.types import Detections  # noqa: E402

FACE_VIDEOS = ["WolfgangLanger_Pexels.mp4", "single_face.mp4"]
NO_FACE = ["no_face.mp4", "free-mountain-vector-01.jpg"]


class MtcnnDetector:
    """Adapter for the `mtcnn` package, for comparison only."""

    name = "mtcnn"

    def __init__(self):
        from mtcnn import MTCNN

        self._m = MTCNN()

    def detect(self, image):
        found = [f for f in self._m.detect_faces(image) if f["confidence"] >= 0.9]
        if not found:
            return Detections.empty()
        xyxy = np.array([[f["box"][0], f["box"][1], f["box"][0] + f["box"][2], f["box"][1] + f["box"][3]] for f in found], np.float32)
        return Detections(xyxy, np.array([f["confidence"] for f in found], np.float32))


def time_per_frame(detector, frame, repeats: int = 30) -> float:
    detector.detect(frame)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        detector.detect(frame)
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1000


def frames_with_faces(detector, path: Path, every: int) -> tuple[int, int, int]:
    """(frames looked at, frames with >= 1 face, total faces)."""
    seen = hit = faces = 0
    for frame in read_frames(path):
        if frame.index % every:
            continue
        n = len(detector.detect(frame.rgb))
        seen, hit, faces = seen + 1, hit + (n > 0), faces + n
    return seen, hit, faces


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    p.add_argument("--every", type=int, default=5, help="look at every Nth video frame")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    load_before = os.getloadavg()[0]

    detectors = [create_detector(n) for n in ("blazeface", "blazeface-short", "haar")]
    try:
        detectors.append(MtcnnDetector())
    except ImportError:
        print("(mtcnn not installed: skipped)")
    # A real 640x480 frame: the portrait clip's first frame, padded to 4:3.
    first = next(read_frames(args.media / "WolfgangLanger_Pexels.mp4")).rgb
    frame = cv2.copyMakeBorder(first, 60, 60, 0, 0, cv2.BORDER_CONSTANT)
    assert frame.shape == (480, 640, 3)
    multi = load_image(args.media / "multi_face.jpg")
    single = load_image(args.media / "single_face.jpg")
    rows = []
    for det in detectors:
        row = {"detector": det.name, "ms_per_640x480_frame": round(time_per_frame(det, frame), 2),
               "multi_face.jpg (5 faces)": len(det.detect(multi)), "single_face.jpg (1 face)": len(det.detect(single))}
        for name in FACE_VIDEOS:
            seen, hit, _ = frames_with_faces(det, args.media / name, args.every)
            row[f"{name}: frames with a face"] = f"{hit}/{seen}"
        seen, hit, faces = frames_with_faces(det, args.media / "no_face.mp4", args.every)
        row["no_face.mp4: false faces"] = f"{faces} in {seen} frames"
        row["mountain drawing: false faces"] = len(det.detect(load_image(args.media / "free-mountain-vector-01.jpg")))
        rows.append(row)
        print(row, flush=True)

    cols = list(rows[0])
    table = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    table += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    header = (f"# Face detectors\n\nMachine: {platform.machine()}, {len(os.sched_getaffinity(0))} CPU cores; "
              f"`python benchmarks/detectors.py --every {args.every}`; times are medians of 30 runs on one real "
              f"640x480 frame. Load average before the run: {load_before:.2f} (anything near or above the core "
              f"count means another job shared the CPU and the times are inflated).\n\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "detectors.md").write_text(header + "\n".join(table) + "\n")
    (args.out / "detectors.json").write_text(json.dumps(rows, indent=2))
    print("\n" + "\n".join(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
