"""Many videos: find them, skip finished ones, process the rest (in parallel worker processes
if asked), and keep index.csv up to date after every video so an interrupted run still says
what it finished. One bad video never stops the others."""

from __future__ import annotations

import csv
import os
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from tqdm.auto import tqdm

from emotion.io.files import partial_path, publish, remove_partials

from .chunks import chunk_file
from .jobs import INDEX_COLUMNS, Options, failed_row, run_chunk, run_one, video_chunks
from .metadata import Metadata, match
from .study import write_run_outputs

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}


@dataclass
class RunReport:
    rows: list[dict] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.rows)

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was partial (a cut-short input must not pass unnoticed)."""
        return self.count("failed") == 0 and self.count("partial") == 0

    def line(self) -> str:
        partial = f", partial {self.count('partial')}" if self.count("partial") else ""
        return f"done {self.count('ok')}, skipped {self.count('skipped')}{partial}, failed {self.count('failed')}"


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
    return out_dir / relative_name(video, inputs).parent


def relative_name(video: Path, inputs: list[Path]) -> Path:
    """The video's path relative to the input folder it was found in (its name if given as a file)."""
    for item in inputs:
        if item.is_dir() and item in video.parents:
            return video.relative_to(item)
    return Path(video.name)


def write_index(path: Path, rows: list[dict]) -> None:
    tmp = partial_path(path)
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=INDEX_COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["input"]))
    publish(tmp, path)


def run(inputs: list[Path], options: Options, recursive: bool = False, metadata: Metadata | None = None,
        group_by: list[str] | None = None) -> RunReport:
    """Process every video, then rebuild the run-level outputs (study.csv, report.html) from every
    summary in the output folder. Metadata problems are raised before any video is processed."""
    videos = find_videos(inputs, recursive)
    matched = match(metadata, videos, lambda v: relative_name(v, inputs)) if metadata else None
    if metadata:
        metadata.group_columns(group_by)  # an unknown --group-by column fails now, not after the videos
    for warning in matched.warnings() if matched else []:
        print(f"warning: {warning}", file=sys.stderr)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    remove_partials(options.out_dir)  # left by a run that was killed
    index = options.out_dir / "index.csv"
    report = RunReport()
    bar = tqdm(total=len(videos), desc="videos", unit="video", disable=options.quiet)

    def record(row: dict) -> None:
        report.rows.append(row)
        write_index(index, report.rows)
        bar.update(1)
        if row["status"] in ("failed", "partial"):
            bar.write(f"{row['status']}: {row['reason']}")

    try:
        if options.engine == "ray":
            from .ray_engine import RayExecutor

            with RayExecutor(options) as executor:
                schedule(videos, inputs, options, record, executor, bar)
            remove_partials(options.out_dir)  # of workers that died mid-video
        elif options.workers <= 1 or (len(videos) <= 1 and not options.chunk_seconds):
            schedule(videos, inputs, options, record, InlineExecutor(), bar, progress=not options.quiet)
        else:
            # Spawned (not forked) workers: TensorFlow is not fork-safe. Each loads the model once.
            with ProcessPoolExecutor(options.workers, mp_context=get_context("spawn")) as pool:
                schedule(videos, inputs, options, record, pool, bar)
    finally:
        bar.close()
    people = None
    if options.study_people:
        from .study_people import study_people

        people = study_people(report.rows, options.gallery)
    write_run_outputs(options.out_dir, report.rows, metadata, matched, group_by,
                      lambda v: relative_name(v, inputs).as_posix(), options.command, people)
    return report


class InlineExecutor:
    """Runs each job at once in this process (one worker): the same interface as a process pool."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001  (handed to the caller like a pool would)
            future.set_exception(exc)
        return future


def schedule(videos: list[Path], inputs: list[Path], options: Options, record, executor, bar, progress: bool = False) -> None:
    """Every video as one job, or, for a video cut in time (`options.chunk_seconds`), one job per
    chunk without a file yet and then its final pass; each finished video goes to `record` as
    soon as it is done (so index.csv follows the run, also when the executor runs jobs at once).
    A chunk that fails is reported and its time range left out (the video is then `partial`)."""
    pending: dict[Future, tuple] = {}
    chunks_left: dict[Path, int] = {}
    plans: dict[Path, list] = {}

    def out(video: Path) -> Path:
        return out_dir_for(video, inputs, options.out_dir)

    def submit(tag: tuple, fn, *args) -> None:
        future = executor.submit(fn, *args)
        if future.done():
            finished(future, tag)
        else:
            pending[future] = tag

    def finished(future: Future, tag: tuple) -> None:
        kind, video, chunk = tag
        if kind == "chunk":
            try:
                future.result()
            except Exception as exc:  # noqa: BLE001  (a worker that died, or a decoding error)
                bar.write(f"{video.name}: the chunk {chunk.label} failed ({exc.__class__.__name__}: {exc}); "
                          "it is left out and the video reported partial (rerun to redo it)")
            chunks_left[video] -= 1
            if chunks_left[video] == 0:
                submit(("video", video, None), run_one, video, out(video), options, progress, plans[video])
            return
        try:
            record(future.result())
        except Exception as exc:  # noqa: BLE001  (its worker died more often than it is retried)
            record(failed_row(video, f"{video.name}: its worker died ({exc.__class__.__name__})"))

    for video in videos:
        info, chunks, folder = cut_in_time(video, out(video), options)
        todo = [c for c in chunks if not chunk_file(folder, c).exists()]
        if not chunks or not todo:
            submit(("video", video, None), run_one, video, out(video), options, progress, chunks or None)
            continue
        chunks_left[video], plans[video] = len(todo), chunks
        for chunk in todo:
            submit(("chunk", video, chunk), run_chunk, video, out(video), options, chunk, info)
    while pending:
        done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        for future in done:
            finished(future, pending.pop(future))


def cut_in_time(video: Path, out_dir: Path, options: Options) -> tuple[object, list, Path]:
    """The video's VideoInfo, the chunks it is analysed in (none: whole) and their folder. Only
    videos longer than one chunk are cut; a video whose outputs are complete is not cut again
    (it will be skipped)."""
    if not options.chunk_seconds:
        return None, [], out_dir
    try:
        done, info, chunks, folder = video_chunks(video, out_dir, options)
    except Exception:  # noqa: BLE001  (not a readable video: its whole job reports why)
        return None, [], out_dir
    long_enough = chunks and chunks[-1].end_s > options.chunk_after_s
    return info, ([] if done or len(chunks) < 2 or not long_enough else chunks), folder


def env_threads_for(workers: int) -> None:
    """Split the cores between worker processes instead of letting each grab all of them
    (read by emotion.inference.runtime, which runs the detector and the CNN; spawned workers inherit it)."""
    if workers > 1:
        os.environ.setdefault("EMOTION_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
