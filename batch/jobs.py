"""One video as a job: the options a run was given, and `run_one`, which turns a video into its
outputs and one index.csv row. Both engines (local processes and Ray tasks) import this module
and nothing imports them back, so there is no import circle and no callback between them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from emotion.config import DEFAULT_DETECTOR, DEFAULT_LANDMARKER, DEFAULT_MAX_PIXELS, DEFAULT_MIN_FACE, DETECT_EVERY

from .outputs import OutputPaths

# With --engine ray and no --chunk-seconds: videos longer than this are cut into chunks of AUTO_CHUNK_S,
# so one long recording spreads over the cluster (a 90-minute lecture: 18 chunks) while a study of
# short clips keeps one task per video.
AUTO_CHUNK_AFTER_S, AUTO_CHUNK_S = 600.0, 300.0

INDEX_COLUMNS = ["input", "status", "reason", "duration_s", "frames_analysed", "seconds", "video", "timeline", "events", "eaf",
                 "summary", "chart", "report"]


@dataclass(frozen=True)
class Options:
    out_dir: Path
    stride: int = 1
    detect_every: int = DETECT_EVERY
    detector: str = DEFAULT_DETECTOR
    min_face: int = DEFAULT_MIN_FACE
    max_pixels: int | None = DEFAULT_MAX_PIXELS  # larger video frames are refused from the header
    model: str | None = None
    overwrite: bool = False
    write_video: bool = True
    actions: bool = True
    face_mesh: str = DEFAULT_LANDMARKER  # v2: Face Mesh V2 + blendshapes; v1: the older 468-point mesh (comparisons)
    link_people: bool = True  # join one person's tracks by face descriptors (emotion.temporal.people)
    study_people: bool = False  # --people: match people across the run's videos (batch.study_people)
    gallery: Path | None = None  # --gallery: NAME.jpg reference photos naming the study's people
    chunk_seconds: float | None = None  # --chunk-seconds: long videos analysed in time chunks (batch.chunks)
    chunk_after_s: float = 0.0  # only videos longer than this are cut (the automatic choice under Ray)
    workers: int = 1
    engine: str = "local"  # local | ray
    ray_address: str | None = None
    quiet: bool = False
    command: str = "python -m batch"  # as typed, recorded in every summary and report


def index_row(video: Path, status: str, reason: str = "", outputs: OutputPaths | None = None, summary: dict | None = None,
              seconds: float | None = None, with_video: bool = True) -> dict:
    """A row of index.csv; a failed video lists no outputs."""
    summary = summary or {}
    listed = outputs is not None and status != "failed"
    return {"input": str(video), "status": status, "reason": reason, "duration_s": summary.get("duration_s", ""),
            "frames_analysed": summary.get("frames_analysed", ""), "seconds": "" if seconds is None else round(seconds, 2),
            "video": str(outputs.video) if listed and with_video else "",
            "timeline": str(outputs.timeline) if listed else "",
            "events": str(outputs.events) if listed else "",
            "eaf": str(outputs.eaf) if listed else "",
            "summary": str(outputs.summary) if listed else "",
            "chart": str(outputs.chart) if listed else "",
            "report": str(outputs.report) if listed else ""}


def failed_row(video: Path, reason: str, seconds: float | None = None) -> dict:
    return index_row(video, "failed", reason.replace("\n", " "), seconds=seconds)


def analyzer_for(options: Options):
    from emotion.inference.analyzer import EmotionAnalyzer

    return EmotionAnalyzer(options.detector, options.model, min_face=options.min_face,  # models are cached per process
                           landmarker=options.face_mesh, max_pixels=options.max_pixels).with_actions(options.actions)


def video_chunks(video: Path, out_dir: Path, options: Options):
    """(its outputs are complete, its VideoInfo, its chunks, their folder) for a video the run
    cuts in time."""
    from emotion.io.video import check_frame_size, probe

    from .chunks import chunk_folder, plan

    done = not options.overwrite and OutputPaths.for_video(video, out_dir).complete(options.write_video)
    if not done:
        check_frame_size(video, options.max_pixels)
    info = None if done else probe(video)
    return done, info, ([] if done else plan(info, options.chunk_seconds)), chunk_folder(out_dir, video)


def run_chunk(video: Path, out_dir: Path, options: Options, chunk, info) -> str:
    """Runs in a worker process or a Ray task: `chunk` (batch.chunks.Chunk) of `video` (its
    VideoInfo `info`) analysed into its file (skipped when the file is there from an earlier
    run). Raises on failure: the caller reports the chunk's time range as missing."""
    from .chunks import analyse_chunk, chunk_file, chunk_folder

    path = chunk_file(chunk_folder(out_dir, video), chunk)
    if not path.exists():
        analyse_chunk(video, info, chunk, analyzer_for(options), path, options.stride, options.detect_every)
    return str(path)


def run_one(video: Path, out_dir: Path, options: Options, progress: bool, chunks: list | None = None) -> dict:
    """Runs in the main process, a worker process or a Ray task; returns an index row and never
    raises for a bad video (one bad video must never stop the batch). `chunks`: the video's
    planned chunks (batch.chunks.plan) when its analysis is in their files (run_chunk); this is
    then the final pass, which removes them."""
    from .video import process_video

    started = time.perf_counter()
    try:
        analysis = None
        if chunks:
            import shutil

            from .chunks import ChunkedAnalysis, chunk_folder

            folder = chunk_folder(out_dir, video)
            analysis = ChunkedAnalysis.load(folder, chunks)
        result = process_video(video, out_dir, analyzer_for(options), stride=options.stride, write_video=options.write_video,
                               overwrite=options.overwrite, progress=progress, actions=options.actions,
                               command=options.command, detect_every=options.detect_every,
                               link_people=options.link_people, chunks=analysis)
        if analysis is not None and not analysis.missing:
            shutil.rmtree(folder, ignore_errors=True)
        status = "skipped" if result.skipped else "partial" if result.partial else "ok"
        reason = ("outputs already complete (use --overwrite to redo)" if result.skipped else
                  f"{video.name}: {result.summary['input']['reason']} (outputs cover what could be decoded)"
                  if result.partial else "")
        return index_row(video, status, reason, result.outputs, result.summary, time.perf_counter() - started,
                         options.write_video)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        reason = str(exc) if str(video) in str(exc) or video.name in str(exc) else f"{video.name}: {exc}"
        return failed_row(video, f"{exc.__class__.__name__}: {reason}", time.perf_counter() - started)
