"""Many videos: find them, skip finished ones, process the rest (in parallel worker processes
if asked), and keep index.csv up to date after every video so an interrupted run still says
what it finished. One bad video never stops the others."""

from __future__ import annotations

import csv
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from tqdm.auto import tqdm

from .outputs import OutputPaths, publish, temporary

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}
INDEX_COLUMNS = ["input", "status", "reason", "duration_s", "frames_analysed", "seconds", "video", "timeline", "events",
                 "summary", "chart"]


@dataclass(frozen=True)
class Options:
    out_dir: Path
    stride: int = 1
    detector: str = "blazeface"
    model: str | None = None
    overwrite: bool = False
    write_video: bool = True
    actions: bool = True
    workers: int = 1
    engine: str = "local"  # local | ray
    ray_address: str | None = None
    quiet: bool = False


@dataclass
class RunReport:
    rows: list[dict] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.rows)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def line(self) -> str:
        return f"done {self.count('ok')}, skipped {self.count('skipped')}, failed {self.count('failed')}"


def find_videos(inputs: list[Path], recursive: bool) -> list[Path]:
    """Files given explicitly are kept whatever their extension (so a wrong file is reported,
    not silently ignored); folders contribute files with a video extension."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            pattern = item.rglob("*") if recursive else item.iterdir()
            found += sorted(p for p in pattern if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith("."))
        else:
            found.append(item)
    return found


def default_out_dir(inputs: list[Path]) -> Path:
    first = inputs[0]
    return first.parent / f"{first.name}-emotions" if first.is_dir() else first.parent / "emotion-results"


def out_dir_for(video: Path, inputs: list[Path], out_dir: Path) -> Path:
    """Mirror sub-folders of an input folder, so same-named videos in different folders never collide."""
    for item in inputs:
        if item.is_dir() and item in video.parents:
            return out_dir / video.parent.relative_to(item)
    return out_dir


def _row(video: Path, status: str, reason: str = "", outputs: OutputPaths | None = None, summary: dict | None = None,
         seconds: float | None = None, with_video: bool = True) -> dict:
    summary = summary or {}
    return {"input": str(video), "status": status, "reason": reason, "duration_s": summary.get("duration_s", ""),
            "frames_analysed": summary.get("frames_analysed", ""), "seconds": "" if seconds is None else round(seconds, 2),
            "video": str(outputs.video) if outputs and with_video and status != "failed" else "",
            "timeline": str(outputs.timeline) if outputs and status != "failed" else "",
            "events": str(outputs.events) if outputs and status != "failed" else "",
            "summary": str(outputs.summary) if outputs and status != "failed" else "",
            "chart": str(outputs.chart) if outputs and status != "failed" else ""}


def _one(video: Path, out_dir: Path, options: Options, progress: bool) -> dict:
    """Runs in the main process or a worker; returns an index row, never raises for a bad video."""
    from emotion import EmotionAnalyzer

    from .video import process_video

    started = time.perf_counter()
    try:
        analyzer = EmotionAnalyzer(options.detector, options.model)  # cached per process
        result = process_video(video, out_dir, analyzer, stride=options.stride, write_video=options.write_video,
                               overwrite=options.overwrite, progress=progress, actions=options.actions)
        status = "skipped" if result.skipped else "ok"
        reason = "outputs already complete (use --overwrite to redo)" if result.skipped else ""
        return _row(video, status, reason, result.outputs, result.summary, time.perf_counter() - started, options.write_video)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # one bad video must never stop the batch
        reason = str(exc) if str(video) in str(exc) or video.name in str(exc) else f"{video.name}: {exc}"
        return _row(video, "failed", f"{exc.__class__.__name__}: {reason}".replace("\n", " "), seconds=time.perf_counter() - started)


def write_index(path: Path, rows: list[dict]) -> None:
    tmp = temporary(path)
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=INDEX_COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["input"]))
    publish(tmp, path)


def run(inputs: list[Path], options: Options, recursive: bool = False) -> RunReport:
    videos = find_videos(inputs, recursive)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    for stale in options.out_dir.rglob(".*.partial.*"):  # left by a run that was killed
        stale.unlink(missing_ok=True)
    index = options.out_dir / "index.csv"
    report = RunReport()
    bar = tqdm(total=len(videos), desc="videos", unit="video", disable=options.quiet)

    def record(row: dict) -> None:
        report.rows.append(row)
        write_index(index, report.rows)
        bar.update(1)
        if row["status"] == "failed":
            bar.write(f"failed: {row['reason']}")

    try:
        if options.engine == "ray":
            from .ray_engine import run_on_ray

            jobs = [(v, out_dir_for(v, inputs, options.out_dir)) for v in videos]
            run_on_ray(jobs, options, record, lambda video, reason: _row(video, "failed", reason))
            for stale in options.out_dir.rglob(".*.partial.*"):  # of workers that died mid-video
                stale.unlink(missing_ok=True)
        elif options.workers <= 1 or len(videos) <= 1:
            for video in videos:
                record(_one(video, out_dir_for(video, inputs, options.out_dir), options, progress=not options.quiet))
        else:
            # Spawned (not forked) workers: TensorFlow is not fork-safe. Each loads the model once.
            with ProcessPoolExecutor(options.workers, mp_context=get_context("spawn")) as pool:
                futures = [pool.submit(_one, v, out_dir_for(v, inputs, options.out_dir), options, False) for v in videos]
                for future in as_completed(futures):
                    record(future.result())
    finally:
        bar.close()
    return report


def env_threads_for(workers: int) -> None:
    """Split the cores between worker processes instead of letting each grab all of them
    (read by emotion.runtime, which runs the detector and the CNN; spawned workers inherit it)."""
    if workers > 1:
        os.environ.setdefault("EMOTION_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
