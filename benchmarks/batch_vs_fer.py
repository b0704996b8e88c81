"""python -m batch against the `fer` package's Video.analyze, side by side on one real clip.

    python benchmarks/batch_vs_fer.py [--clip ../shared/media/WolfgangLanger_Pexels.mp4]
                                      [--fer-python /tmp/ferenv/bin/python] [--runs 3]

`fer` is not a project dependency: install it for this benchmark only, in its own environment
that reuses this one's packages (a .pth file naming them; `--system-site-packages` would show
the base Python's packages, not those of a virtual environment):

    python -m venv /tmp/ferenv
    python -c "import site; print(site.getsitepackages()[0])" > /tmp/ferenv/lib/python3.11/site-packages/outer.pth
    /tmp/ferenv/bin/pip install --no-deps fer

Each tool runs as a fresh process (imports and model loading included: what a user waits for);
medians of --runs runs. Also reported: frames/s of the analysis alone (decode + detect +
classify, no video encoding) for this project, and ffmpeg alone decoding + re-encoding the clip.
Writes benchmarks/results/batch_vs_fer.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

FER_SCRIPT = r"""
import sys, time, cv2
cv2.waitKey = lambda *a, **k: -1          # fer calls waitKey even on headless OpenCV
cv2.imshow = lambda *a, **k: None
t0 = time.perf_counter()
from fer.fer import FER
from fer.classes import Video
detector = FER()                          # its default: Haar cascade + bundled mini-Xception
video = Video(sys.argv[1], outdir=sys.argv[2])
t1 = time.perf_counter()
video.analyze(detector, display=False)
print("ANALYZE_SECONDS", time.perf_counter() - t1)
"""


def timed(cmd: list[str], env=None, cwd: Path = ROOT) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start, proc.stdout + proc.stderr


def analysis_fps(clip: Path, actions: bool = True) -> float:
    """Frames/s through decode + detect + classify (+ actions) (+ CSV), no encoding, model loaded."""
    from batch import process_video
    from emotion import EmotionAnalyzer

    analyzer = EmotionAnalyzer()
    with tempfile.TemporaryDirectory() as out:
        process_video(clip, out, analyzer, write_video=False, progress=False, actions=actions, overwrite=True)  # warm-up
        start = time.perf_counter()
        result = process_video(clip, out, analyzer, write_video=False, progress=False, actions=actions, overwrite=True)
        return result.summary["frames_total"] / (time.perf_counter() - start)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clip", type=Path, default=ROOT.parent / "shared" / "media" / "WolfgangLanger_Pexels.mp4")
    p.add_argument("--fer-python", default="/tmp/ferenv/bin/python")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    from emotion.io.video import ffmpeg_exe, probe

    frames = probe(args.clip).frame_count
    load = os.getloadavg()[0]
    rows: dict[str, list[float]] = {"ffmpeg decode + x264 encode": [], "python -m batch (this project)": [],
                                    "python -m batch --face-mesh v1 (the older mesh + iris passes)": [],
                                    "python -m batch --detect-every 1 (detect every frame)": [],
                                    "python -m batch --no-people (no face descriptors)": [],
                                    "python -m batch --no-video": [], "python -m batch --no-actions": [],
                                    "python -m batch --no-actions --no-video": [], "fer Video.analyze": []}
    fer_analysis = []
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for run in range(args.runs):
            rows["ffmpeg decode + x264 encode"].append(timed([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(args.clip),
                                                              "-c:v", "libx264", "-preset", "veryfast", str(work / "ff.mp4")])[0])
            rows["python -m batch (this project)"].append(timed([sys.executable, "-m", "batch", str(args.clip), "--out",
                                                                 str(work / f"b{run}"), "--quiet"])[0])
            rows["python -m batch --face-mesh v1 (the older mesh + iris passes)"].append(timed(
                [sys.executable, "-m", "batch", str(args.clip), "--out", str(work / f"v{run}"), "--quiet", "--face-mesh", "v1"])[0])
            rows["python -m batch --detect-every 1 (detect every frame)"].append(timed(
                [sys.executable, "-m", "batch", str(args.clip), "--out", str(work / f"d{run}"), "--quiet", "--detect-every", "1"])[0])
            rows["python -m batch --no-people (no face descriptors)"].append(timed(
                [sys.executable, "-m", "batch", str(args.clip), "--out", str(work / f"p{run}"), "--quiet", "--no-people"])[0])
            rows["python -m batch --no-video"].append(timed([sys.executable, "-m", "batch", str(args.clip), "--out",
                                                             str(work / f"n{run}"), "--quiet", "--no-video"])[0])
            rows["python -m batch --no-actions"].append(timed([sys.executable, "-m", "batch", str(args.clip), "--out",
                                                               str(work / f"a{run}"), "--quiet", "--no-actions"])[0])
            rows["python -m batch --no-actions --no-video"].append(timed(
                [sys.executable, "-m", "batch", str(args.clip), "--out", str(work / f"an{run}"), "--quiet", "--no-actions",
                 "--no-video"])[0])
            if shutil.which(args.fer_python) or Path(args.fer_python).exists():
                # fer writes data.csv into its working folder: keep that out of the project.
                seconds, out = timed([args.fer_python, "-c", FER_SCRIPT, str(args.clip.resolve()), str(work / f"f{run}")],
                                     env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=work)
                rows["fer Video.analyze"].append(seconds)
                fer_analysis.append(float(out.split("ANALYZE_SECONDS")[1].split()[0]))
    fps, fps_plain = analysis_fps(args.clip), analysis_fps(args.clip, actions=False)
    grep_cpu = subprocess.run(["grep", "-c", "avx512_bf16", "/proc/cpuinfo"], capture_output=True, text=True).stdout.strip()
    cpu = "AVX-512 BF16 (Zen 4)" if grep_cpu not in ("", "0") else "AVX2 only"
    med = {k: float(np.median(v)) for k, v in rows.items() if v}
    base = med.get("fer Video.analyze")
    table = ["| what | whole process, median s | runs | vs fer |", "|---|---|---|---|"]
    for k, v in med.items():
        table.append(f"| {k} | {v:.2f} | {len(rows[k])} | {'%.1fx faster' % (base / v) if base and k != 'fer Video.analyze' else ''} |")
    lines = [f"Analysis alone (decode + detect + classify + facial actions + CSV, model loaded): this project {fps:.0f} frames/s; "
             f"{fps_plain:.0f} frames/s with --no-actions"]
    if fer_analysis:
        lines.append(f"fer's own analyze() call: {frames / float(np.median(fer_analysis)):.1f} frames/s")
    header = (f"# python -m batch vs fer\n\nClip: `{args.clip.name}` ({frames} frames). Machine: {platform.machine()}, "
              f"{len(os.sched_getaffinity(0))} cores, {cpu}; load average before the run {load:.2f}. Command: "
              f"`python benchmarks/batch_vs_fer.py --runs {args.runs}`.\n\n")
    text = header + "\n".join(table) + "\n\n" + "\n".join(f"- {x}" for x in lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch_vs_fer.md").write_text(text)
    (args.out / "batch_vs_fer.json").write_text(json.dumps({"runs": rows, "median": med, "analysis_fps": fps, "analysis_fps_no_actions": fps_plain,
                                                            "fer_analysis_s": fer_analysis}, indent=2))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
