"""process_video: one recorded video in, its annotated video, CSV timeline, events, summary and
chart out.

Frames stream from ffmpeg through the analysis (`emotion.inference.frames.analyze_frames`: two
lanes working a few frames ahead) and the temporal step (`FaceStream`, the same code the live webcam uses) to
the sinks. Nothing appears under a final name until it is complete.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from emotion.draw.annotate import annotate
from emotion.draw.charts import figure_png
from emotion.draw.timeline import timeline_figure
from emotion.inference import cache
from emotion.inference.analyzer import EmotionAnalyzer
from emotion.inference.frames import analyze_frames
from emotion.config import DEFAULT_DETECTOR, DETECT_EVERY
from emotion.io.files import partial_path, publish, write_bytes_atomic, write_json_atomic, write_text_atomic
from emotion.io.encode import VideoWriter
from emotion.io.video import check_frame_size, completeness, probe, read_frames
from emotion.temporal.events import Event
from emotion.temporal.people import TrackBook
from emotion.temporal.stream import FaceStream

from .chunks import ChunkedAnalysis, encode_annotated
from .elan import people_series, write_elan
from .outputs import OutputPaths, SummaryBuilder, TimelineWriter, write_events
from .provenance import run_info
from .report import apex_thumbnails, render_video_report


@dataclass(frozen=True)
class VideoResult:
    source: Path
    outputs: OutputPaths
    summary: dict
    skipped: bool = False
    events: list[Event] = field(default_factory=list)  # empty when skipped (read NAME.events.csv)

    @property
    def partial(self) -> bool:
        """The input was cut short or damaged: the outputs cover only what could be decoded."""
        return self.summary.get("input", {}).get("status") == "partial"


def process_video(path: str | Path, out_dir: str | Path, analyzer: EmotionAnalyzer | None = None, stride: int = 1,
                  write_video: bool = True, overwrite: bool = False, progress: bool = True,
                  detector: str = DEFAULT_DETECTOR, model: str | Path | None = None, actions: bool = True,
                  command: str | None = None, detect_every: int = DETECT_EVERY, link_people: bool = True,
                  chunks: ChunkedAnalysis | None = None) -> VideoResult:
    """Analyse every `stride`-th frame of `path`; write NAME.annotated.mp4 (unless
    `write_video=False`), NAME.timeline.csv, NAME.events.csv, NAME.summary.json and
    NAME.timeline.png to `out_dir`. Outputs that are already complete are kept and the video is
    skipped unless `overwrite`. `actions=False` skips landmarks, action measurements and motion
    energy (their CSV columns stay empty) for the fastest runs.
    `command` is recorded in the summary and the report (what produced them). `detect_every`:
    the whole-frame face detection runs on every this-many analysed frames, the frames between
    take their neighbours' faces where those agree (1: detect on every frame; see `emotion.inference.frames`).
    `link_people`: join the tracks of one person into a `person_id` by face descriptors (tracks
    too short to be a person are marked transient either way; see emotion.temporal.people).
    `chunks`: the video's analysis already done in time chunks (batch.chunks); the frames are then
    decoded for the outputs only, and chunks without a file make the input `partial`.
    Raises `emotion.VideoError` (naming the file) for input that is not a usable video."""
    source, out_dir = Path(path), Path(out_dir)
    if stride < 1:
        raise ValueError("stride must be >= 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = OutputPaths.for_video(source, out_dir)
    if not overwrite and outputs.complete(write_video):
        return VideoResult(source, outputs, json.loads(outputs.summary.read_text()), skipped=True)
    analyzer = analyzer or EmotionAnalyzer(detector, model)
    check_frame_size(source, analyzer.max_pixels)  # before any model is loaded or frame decoded
    analyzer = analyzer.with_actions(actions)
    info = probe(source)
    started = time.perf_counter()

    timeline = TimelineWriter(outputs.timeline, source.name)
    video_tmp = partial_path(outputs.video)
    # A chunked run's annotated video is encoded in segments, in parallel, once the faces to draw are
    # known (constant frame rates; a variable-rate source keeps one encode that follows its timing).
    segmented = chunks is not None and write_video and not info.variable_frame_rate
    drawn: dict[int, list] = {}
    writer = VideoWriter(video_tmp, info.width, info.height, info.frame_rate, audio_from=info,
                         frame_times=info.frame_times if info.variable_frame_rate else None) if write_video and not segmented else None
    stream, summary = FaceStream(), SummaryBuilder()
    book = TrackBook(cache.get_embedder() if link_people else None)
    empty_t, analysed_times, analysed_indices, problems = [], [], [], []
    last_faces, frames_seen, last_time = [], 0, None

    # The bar counts frames as they come out of the analysis (and into the outputs), not as read.
    bar = tqdm(total=info.frame_count, desc=source.name[:40], unit="frame", disable=not progress, leave=False)
    try:
        if chunks is None:
            analysed = analyze_frames(analyzer, read_frames(source, problems=problems), stride, detect_every)
            steps = ((frame, faces, gray, None) for frame, faces, gray in analysed)
        else:
            analysed, steps = chunks, chunks.replay(read_frames(source, problems=problems))
        for frame, faces, gray, motion in steps:
            frames_seen, last_time = frames_seen + 1, frame.time_s
            if faces is not None:
                tracked = stream.step(frame.time_s, faces, gray, motion)
                analysed_times.append(frame.time_s)
                analysed_indices.append(frame.index)
                timeline.frame(frame.index, frame.time_s, tracked)
                summary.add(frame.time_s, tracked)
                book.observe(frame.time_s, tracked, frame.rgb)
                if not tracked:
                    empty_t.append(frame.time_s)
                last_faces = [t.face for t in tracked]
            if writer is not None:  # frames between analysed ones carry the last result forward
                writer.write(annotate(frame.rgb, last_faces))
            elif segmented:
                drawn[frame.index] = last_faces
            bar.update(1)
        if writer is not None:
            writer.close()
        if segmented:
            encode_annotated(source, info, chunks.chunks, drawn, video_tmp)
        seconds = time.perf_counter() - started
        dynamics = stream.dynamics
        measured = {face_id: dynamics.measure_baseline(face_id) for face_id in dynamics.face_ids} if analyzer.measures_actions else {}
        baselines = {face_id: values for face_id, (values, _) in measured.items()}
        origins = {face_id: origin for face_id, (_, origin) in measured.items()}
        people = book.link()
        events = [replace(e, person_id=people.person_of.get(e.face_id)) for e in dynamics.events()
                  if e.face_id not in people.transient]
        asymmetries = timeline.finish(baselines, people)
        data = summary.build(source.name, info, frames_seen, stride, seconds, baselines, events, origins,
                             analyzer.measures_actions, run_info(analyzer, command or f"process_video({source.name!r})", stride, detect_every,
                                                                             analysed.frames_interpolated),
                             asymmetries, people)
        data["input"] = completeness(info, frames_seen, last_time, problems)
        if chunks is not None and chunks.missing:
            data["input"] = {**data["input"], "status": "partial", "missing_time_ranges_s": [[c.start_s, c.end_s] for c in chunks.missing],
                             "reason": "; ".join(filter(None, [data["input"].get("reason"), "not analysed (their chunks failed): "
                                                               + ", ".join(c.label for c in chunks.missing)]))}
        # The apexes' pictures need one more decoding pass (ffmpeg's work, in its own process): it
        # runs while the chart is drawn here.
        times = np.array(analysed_times)
        with ThreadPoolExecutor(1) as pool:
            thumbs = pool.submit(apex_thumbnails, source, events, lambda t: analysed_indices[int(np.argmin(np.abs(times - t)))],
                                 dynamics.box_at)
            chart = figure_png(timeline_figure(*dynamics.probability_rows(), np.array(empty_t),
                                               f"{source.name}: emotion probabilities over time", events), dpi=120)
            thumbs = thumbs.result()
        files = {"timeline CSV": outputs.timeline, "events CSV": outputs.events, "ELAN (.eaf)": outputs.eaf,
                 "summary": outputs.summary, **({"annotated video": outputs.video} if write_video else {})}
        report = render_video_report(data, events, chart, thumbs, files)
        # Publish: the video first, the summary last, so a complete summary implies the rest.
        if write_video:
            publish(video_tmp, outputs.video)
        timeline.publish()
        write_events(outputs.events, source.name, events)
        write_elan(outputs.eaf, source, outputs.video if write_video else None, people_series(dynamics, people, baselines, events))
        write_bytes_atomic(outputs.chart, chart)
        write_text_atomic(outputs.report, report)
        write_json_atomic(outputs.summary, data)
        return VideoResult(source, outputs, data, events=events)
    except BaseException:
        timeline.discard()
        if writer is not None:
            writer.abort()
        video_tmp.unlink(missing_ok=True)
        partial_path(outputs.events).unlink(missing_ok=True)
        raise
    finally:
        bar.close()
