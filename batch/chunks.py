"""Long recordings in time chunks: one video's analysis spread over workers, stitched into the
outputs of an unchunked run.

The expensive part of a video is the per-frame analysis (detection, the CNN, the face mesh,
motion energy); what follows (tracking, smoothing, baselines, events, people, the files) is
cheap and needs the whole video in order. So a chunk analyses its own time range, starting a
few seconds earlier (OVERLAP_S: detection cadence, followed small faces and motion are warmed
up by then), and writes what it found for the frames it owns to an atomic file; the final
pass (`video.process_video` with those files) decodes the video once more, takes each analysed
frame's faces from its chunk instead of analysing it, and runs everything else as an unchunked
run does. Track and person ids, events across seams, baselines and summaries are therefore
those of the whole video; the annotated video is written once, with the source's audio.

Where a chunked run can differ from an unchunked one: only in what the analysis of a chunk's
first owned frames depends on from before its warm-up (the scan schedule of windows for small
faces, which adapts to what earlier scans found); benchmarks/long_video.py measures it.

A chunk file holds numbers the timeline holds anyway (boxes, probabilities, measurements,
blendshapes, motion), never face descriptors or pixels; the folder goes once the video's
outputs are complete. A rerun redoes only the chunks whose files are missing.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion.io.files import atomic_path
from emotion.io.video import VideoInfo, frame_start, read_frames
from emotion.labels import MEASURE_NAMES, MOTION_NAMES, NUM_CLASSES
from emotion.types import FaceResult

OVERLAP_S = 3.0
BLENDSHAPES = 52
KEYPOINTS = 6


@dataclass(frozen=True)
class Chunk:
    number: int
    first: int  # the first frame it owns
    end: int  # one past the last frame it owns
    warm: int  # the frame its analysis starts from (OVERLAP_S before `first`)
    start_s: float  # owned time range, from the video's first frame
    end_s: float

    @property
    def label(self) -> str:
        return f"{self.start_s:.1f}-{self.end_s:.1f} s"


def plan(info: VideoInfo, chunk_seconds: float, overlap_s: float = OVERLAP_S) -> list[Chunk]:
    """The video's frames cut into time ranges of `chunk_seconds` (the last one may be shorter)."""
    times = np.asarray(info.frame_times, np.float64)
    n = len(times)
    count = max(1, math.ceil((times[-1] + 1e-9) / chunk_seconds)) if n else 1
    bounds = sorted({int(np.searchsorted(times, k * chunk_seconds)) for k in range(count)} | {n})
    chunks = []
    for number, (first, end) in enumerate(zip(bounds[:-1], bounds[1:])):
        warm = int(np.searchsorted(times, times[first] - overlap_s))
        end_s = float(times[end]) if end < n else info.duration_s
        chunks.append(Chunk(number, first, end, warm, float(times[first]), end_s))
    return chunks


def chunk_folder(out_dir: Path, source: Path) -> Path:
    return out_dir / f".{source.stem}.chunks"


def chunk_file(folder: Path, chunk: Chunk) -> Path:
    return folder / f"{chunk.number:05d}.npz"


def analyse_chunk(source: Path, info: VideoInfo, chunk: Chunk, analyzer, out_file: Path, stride: int = 1,
                  detect_every: int = 2) -> Path:
    """Analyse the chunk's frames (from its warm-up frame on) and write what it found for the
    frames it owns to `out_file`, atomically."""
    from emotion.inference.frames import analyze_frames
    from emotion.temporal.stream import FaceStream

    stream = FaceStream()  # its own ids: only the motion energy, which follows a face from frame to frame, is kept
    frames = read_frames(source, start=frame_start(source, info, chunk.warm))
    records = _Records()
    try:
        # Read a little past the end too: a last owned frame between two detected ones takes its
        # faces from the next detected frame, as in a whole run.
        analysed = analyze_frames(analyzer, _until(frames, chunk.end + stride * detect_every), stride, detect_every)
        for frame, faces, gray in analysed:
            if faces is None:
                continue
            tracked = stream.step(frame.time_s, faces, gray)
            if chunk.first <= frame.index < chunk.end:
                records.add(frame.index, tracked)
    finally:
        frames.close()
    with atomic_path(out_file) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **records.arrays(analysed.interpolated_between(chunk.first, chunk.end)))
    return out_file


def _until(frames, end: int):
    for frame in frames:
        if frame.index >= end:
            return
        yield frame


class _Records:
    """Per owned analysed frame, its faces as flat arrays (what np.savez stores)."""

    def __init__(self):
        self.frames, self.face_frame = [], []
        self.xyxy, self.det, self.probs, self.keypoints, self.measures, self.blendshapes, self.motion = ([] for _ in range(7))

    def add(self, index: int, tracked) -> None:
        self.frames.append(index)
        for t in tracked:
            face = t.face
            self.face_frame.append(index)
            self.xyxy.append(face.xyxy)
            self.det.append(face.det_score)
            self.probs.append(face.probabilities)
            self.keypoints.append(np.full((KEYPOINTS, 2), np.nan, np.float32) if face.keypoints is None else face.keypoints)
            self.measures.append(np.full(len(MEASURE_NAMES), np.nan, np.float32) if face.measures is None else face.measures)
            self.blendshapes.append(np.full(BLENDSHAPES, np.nan, np.float32) if face.blendshapes is None else face.blendshapes)
            self.motion.append(t.motion)

    def arrays(self, interpolated: int) -> dict[str, np.ndarray]:
        def stack(rows, shape):
            return np.array(rows, np.float32).reshape(-1, *shape)

        return {"frames": np.array(self.frames, np.int64), "face_frame": np.array(self.face_frame, np.int64), "xyxy": stack(self.xyxy, (4,)),
                "det": np.array(self.det, np.float32), "probs": stack(self.probs, (NUM_CLASSES,)),
                "keypoints": stack(self.keypoints, (KEYPOINTS, 2)), "measures": stack(self.measures, (len(MEASURE_NAMES),)),
                "blendshapes": stack(self.blendshapes, (BLENDSHAPES,)), "motion": stack(self.motion, (len(MOTION_NAMES),)),
                "interpolated": np.array(interpolated, np.int64)}


@dataclass
class ChunkedAnalysis:
    """The analysis of a whole video from its chunk files: per analysed frame, its faces and
    their motion; `missing`: the chunks without a file (their frames count as not analysed)."""

    faces: dict[int, tuple[list[FaceResult], list[np.ndarray]]]
    missing: list[Chunk]
    frames_interpolated: int
    chunks: list[Chunk]

    @staticmethod
    def load(folder: Path, chunks: list[Chunk]) -> "ChunkedAnalysis":
        faces, missing, interpolated = {}, [], 0
        for chunk in chunks:
            path = chunk_file(folder, chunk)
            if not path.exists():
                missing.append(chunk)
                continue
            with np.load(path) as npz:
                data = {name: npz[name] for name in npz.files}  # each npz[name] reads the array from the file again
                interpolated += int(data["interpolated"])
                for index in data["frames"]:
                    faces[int(index)] = ([], [])
                for k, index in enumerate(data["face_frame"]):
                    face = FaceResult(data["xyxy"][k], float(data["det"][k]), data["probs"][k],
                                      _measured(data["keypoints"][k]), None, _measured(data["measures"][k]),
                                      blendshapes=_measured(data["blendshapes"][k]))
                    faces[int(index)][0].append(face)
                    faces[int(index)][1].append(data["motion"][k])
        return ChunkedAnalysis(faces, missing, interpolated, chunks)

    def replay(self, frames):
        """(frame, its faces or None when not analysed, None, their motion or None), in order."""
        for frame in frames:
            found = self.faces.get(frame.index)
            yield (frame, None, None, None) if found is None else (frame, found[0], None, found[1])


def _measured(values: np.ndarray) -> np.ndarray | None:
    """A stored row, or None where the face had none (stored as NaN)."""
    return None if np.isnan(values).all() else values


def encode_annotated(source: Path, info: VideoInfo, chunks: list[Chunk], drawn: dict[int, list], out: Path,
                     workers: int | None = None) -> Path:
    """The annotated video of a chunked run, encoded one segment per chunk in parallel (each
    decodes its frames again from a frame-accurate seek and draws `drawn[frame index]`, the faces
    the final pass decided) and joined without re-encoding, with the source's audio once."""
    from concurrent.futures import ThreadPoolExecutor

    from emotion.draw.annotate import annotate
    from emotion.io.files import partial_path
    from emotion.io.encode import VideoWriter, join_segments

    segments = [partial_path(out, kind=f"segment{c.number:05d}") for c in chunks]

    def one(chunk: Chunk, path: Path) -> None:
        writer = VideoWriter(path, info.width, info.height, info.frame_rate)
        frames = read_frames(source, start=frame_start(source, info, chunk.first))
        try:
            for frame in _until(frames, chunk.end):
                writer.write(annotate(frame.rgb, drawn.get(frame.index, [])))
            writer.close()
        except BaseException:
            writer.abort()
            raise
        finally:
            frames.close()

    try:
        with ThreadPoolExecutor(workers or min(len(chunks), os.cpu_count() or 1)) as pool:
            list(pool.map(one, chunks, segments))
        return join_segments(segments, out, audio_from=info)
    finally:
        for path in segments:
            path.unlink(missing_ok=True)

