"""process_video: one recorded video in, its annotated video, CSV timeline, summary and chart out.

Frames stream from ffmpeg through the analyzer to the sinks; faces of up to `batch_frames`
frames are classified in one CNN call. Nothing appears under a final name until it is complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from emotion import EmotionAnalyzer
from emotion.annotate import annotate
from emotion.dynamics import FaceDynamics, to_gray
from emotion.tracking import FaceTracker
from emotion.video_io import Frame, VideoWriter, probe, read_frames

from .chart import timeline_chart
from .outputs import OutputPaths, SummaryBuilder, TimelineWriter, publish, temporary, write_events, write_json

BATCH_PIXELS = 32 * 1920 * 1080  # frames buffered for one CNN call, bounded by pixels (4K: 8 frames)


@dataclass(frozen=True)
class VideoResult:
    source: Path
    outputs: OutputPaths
    summary: dict
    skipped: bool = False


def process_video(path: str | Path, out_dir: str | Path, analyzer: EmotionAnalyzer | None = None, stride: int = 1,
                  write_video: bool = True, overwrite: bool = True, progress: bool = True,
                  detector: str = "blazeface", model: str | Path | None = None, actions: bool = True) -> VideoResult:
    """Analyse every `stride`-th frame of `path`; write NAME.annotated.mp4 (unless
    `write_video=False`), NAME.timeline.csv, NAME.events.csv, NAME.summary.json and
    NAME.timeline.png to `out_dir`. `actions=False` skips landmarks, action measurements and
    motion energy (their CSV columns stay empty) for the fastest runs.
    Raises `emotion.video_io.VideoError` (naming the file) for input that is not a usable video."""
    source, out_dir = Path(path), Path(out_dir)
    if stride < 1:
        raise ValueError("stride must be >= 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = OutputPaths.for_video(source, out_dir)
    if not overwrite and outputs.complete(write_video):
        import json

        return VideoResult(source, outputs, json.loads(outputs.summary.read_text()), skipped=True)
    analyzer = analyzer or EmotionAnalyzer(detector, model)
    if actions != (analyzer.mesh_model is not None):
        analyzer = analyzer.with_actions(actions)
    info = probe(source)
    started = time.perf_counter()

    timeline = TimelineWriter(outputs.timeline, source.name)
    video_tmp = temporary(outputs.video)
    writer = VideoWriter(video_tmp, info.width, info.height, info.frame_rate, audio_from=info,
                         frame_times=info.frame_times if info.variable_frame_rate else None) if write_video else None
    tracker, summary, dynamics = FaceTracker(), SummaryBuilder(), FaceDynamics(motion=actions)
    empty_t = []
    last_faces, last_ids, frames_seen = [], [], 0
    pending: list[Frame] = []

    def flush():
        nonlocal last_faces, last_ids
        analysed = [f for f in pending if f.index % stride == 0]
        results = analyzer.analyze_batch([f.rgb for f in analysed]) if analysed else []
        by_index = {f.index: r for f, r in zip(analysed, results)}
        for frame in pending:
            if frame.index in by_index:
                faces = by_index[frame.index]
                ids = tracker.update(np.array([[x, y, x + w, y + h] for x, y, w, h in (f.box for f in faces)], np.float32).reshape(-1, 4), frame.time_s)
                signals = dynamics.update(frame.time_s, to_gray(frame.rgb) if actions and faces else None, faces, ids)
                timeline.frame(frame.index, frame.time_s, faces, ids, signals)
                summary.add(frame.time_s, faces, ids)
                if not faces:
                    empty_t.append(frame.time_s)
                last_faces, last_ids = faces, ids
            if writer is not None:  # frames between analysed ones carry the last result forward
                writer.write(annotate(frame.rgb, last_faces, last_ids))
        pending.clear()

    bar = tqdm(total=info.frame_count, desc=source.name[:40], unit="frame", disable=not progress, leave=False)
    try:
        for frame in read_frames(source):
            pending.append(frame)
            frames_seen += 1
            bar.update(1)
            if sum(f.rgb.size for f in pending) // 3 >= BATCH_PIXELS:
                flush()
        flush()
        if writer is not None:
            writer.close()
        seconds = time.perf_counter() - started
        measured = {face_id: dynamics.measure_baseline(face_id) for face_id in dynamics.history} if actions else {}
        baselines = {face_id: values for face_id, (values, _) in measured.items()}
        origins = {face_id: origin for face_id, (_, origin) in measured.items()}
        events = dynamics.events()
        data = summary.build(source.name, info, frames_seen, stride, seconds, baselines, events, origins)
        chart_tmp = temporary(outputs.chart)
        timeline_chart(*dynamics.probability_rows(), np.array(empty_t),
                       f"{source.name}: emotion probabilities over time", chart_tmp, events)
        # Publish: the video first, the summary last, so a complete summary implies the rest.
        if writer is not None:
            publish(video_tmp, outputs.video)
        timeline.publish(baselines)
        write_events(outputs.events, source.name, events)
        publish(chart_tmp, outputs.chart)
        write_json(outputs.summary, data)
        return VideoResult(source, outputs, data)
    except BaseException:
        timeline.discard()
        if writer is not None:
            writer.abort()
        video_tmp.unlink(missing_ok=True)
        temporary(outputs.chart).unlink(missing_ok=True)
        temporary(outputs.events).unlink(missing_ok=True)
        raise
    finally:
        bar.close()
