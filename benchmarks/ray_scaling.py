"""The local engine against --engine ray on this machine: wall time, videos per minute, and
what the Ray path costs per video.

    python benchmarks/ray_scaling.py [--copies 2]

Input: the shared clips (`../shared/media/*.mp4|mov`), each linked --copies times into one
folder. Each configuration is a fresh `python -m batch FOLDER --out ... --quiet` process with
the default options (annotated video, facial actions): local with 1 worker, local with
--workers 2, and Ray (a local instance started by the command) with 1 and 2 workers. Ray's
fixed start-up cost (ray.init + shutdown of a local instance) is timed on its own, so the
per-video overhead of the Ray path is (ray 1 worker - start-up - local 1 worker) / videos.
Writes benchmarks/results/ray_scaling.{md,json}.
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

from results_io import write_results  # noqa: E402  (benchmarks/ is the script folder)

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT.parent / "shared" / "media"


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return time.perf_counter() - start


def ray_startup() -> float:
    code = ("import time, ray; t = time.perf_counter(); ray.init(num_cpus=2, include_dashboard=False, "
            "logging_level='ERROR'); ray.get(ray.remote(lambda: 1).remote()); ray.shutdown(); print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--media", type=Path, default=MEDIA)
    args = ap.parse_args()
    clips = sorted(p for p in args.media.iterdir() if p.suffix.lower() in (".mp4", ".mov"))
    configs = {"local, 1 worker": [], "local, --workers 2": ["--workers", "2"],
               "ray (local instance), 1 worker": ["--engine", "ray", "--workers", "1"],
               "ray (local instance), --workers 2": ["--engine", "ray", "--workers", "2"]}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for clip in clips:
            for k in range(args.copies):
                os.symlink(clip, folder / f"{clip.stem}-{k}{clip.suffix}")
        videos = len(list(folder.iterdir()))
        startup = ray_startup()
        for name, extra in configs.items():
            seconds = timed([sys.executable, "-m", "batch", str(folder), "--out", str(Path(tmp) / name.replace(" ", "_")),
                             "--quiet", *extra])
            results[name] = {"seconds": round(seconds, 2), "videos_per_minute": round(videos / seconds * 60, 2)}
            print(f"{name}: {seconds:.1f} s", flush=True)
    local1 = results["local, 1 worker"]["seconds"]
    overhead = (results["ray (local instance), 1 worker"]["seconds"] - startup - local1) / videos
    lines = ["# Local engine vs --engine ray", "",
             f"{videos} videos ({len(clips)} shared clips x {args.copies}); default options (annotated video, facial "
             f"actions); {platform.machine()}, {os.cpu_count()} CPUs. Command: `python benchmarks/ray_scaling.py "
             f"--copies {args.copies}`.", "",
             "| configuration | wall time | videos / minute |", "|---|---:|---:|"]
    lines += [f"| {k} | {v['seconds']:.1f} s | {v['videos_per_minute']:.1f} |" for k, v in results.items()]
    lines += ["", f"Ray local-instance start-up and shutdown: {startup:.1f} s once per run; the Ray path's overhead "
              f"per video beyond that: {overhead:+.2f} s ({overhead / (local1 / videos) * 100:+.0f}% of the "
              f"{local1 / videos:.1f} s a video takes locally)."]
    write_results("ray_scaling", lines, {"videos": videos, "results": results, "ray_startup_s": startup,
                                         "ray_overhead_per_video_s": overhead})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
