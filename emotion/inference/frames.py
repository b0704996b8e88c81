"""The frame loop of video and webcam analysis: frames in, each frame's faces out, in order.

`analyze_frames` is the one call for a recorded video (batch, the app's video tab); a
`FrameStream` analyses a live stream one frame at a time (the webcam tab). Callers need nothing
from the analyzer's internals (lanes, whole-frame detection, interpolation between frames).

For a video, the work is spread over both cores.

Per frame the analysis is: gray conversion and the whole-frame detection (depend on the frame
alone), the detection's windows (depend on the previous frames: small faces are followed), then
crops, classification and the face mesh (depend on the frame and its detections). The first and
last parts run on two worker threads ("lanes", each with interpreters of its own: LiteRT
releases the GIL while it computes), a few frames ahead of the caller; the middle part runs in
frame order on the caller's thread, as does everything the caller does with the results
(tracking, the CSV, annotating, piping frames to the encoder), which overlaps the lanes' work
instead of waiting for it. Memory stays bounded: at most LOOKAHEAD frames are in flight.

With `detect_every=2` (the default of `python -m batch`), the whole-frame detection runs on every
other analysed frame; a frame between two detected ones takes their faces interpolated when the
two agree (`detectors.between`), and is detected itself when they do not. Waiting for the next
detected frame costs nothing: it is already in flight, a frame or two ahead.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Iterator

import cv2
import numpy as np

from ..config import DETECT_EVERY
from ..io.image import to_gray
from ..io.video import Frame
from ..types import Detections, FaceResult
from .analyzer import EmotionAnalyzer
from .detectors.between import between

LANES = 2
LOOKAHEAD = 8
MAX_DETECT_EVERY = LOOKAHEAD - 1  # the next detected frame must be in flight when a frame between needs it


@dataclass
class _InFlight:
    frame: Frame
    first: Future | None  # (gray, whole-frame detections or None between detected frames); None: a frame the stride skips
    detected: bool = True  # whether the first stage runs the whole-frame detection
    second: Future | None = None  # the frame's FaceResults
    gray: np.ndarray | None = None


class FramePipeline:
    """`detect_every`: run the whole-frame detection on every this-many analysed frames (1: all)."""

    def __init__(self, analyzer: EmotionAnalyzer, stride: int = 1, lanes: int = LANES, lookahead: int = LOOKAHEAD,
                 detect_every: int = 1):
        if detect_every < 1 or detect_every >= lookahead:
            raise ValueError(f"detect_every must be from 1 to {lookahead - 1}")
        self.analyzer, self.stride, self.lanes, self.lookahead = analyzer, stride, lanes, lookahead
        self.detect_every = detect_every
        self.detection = analyzer.stream_detector()  # this stream's detection state
        self.interpolated: list[int] = []  # indices of the frames whose faces came from their detected neighbours
        self._last_detected: tuple[float, Detections] | None = None  # (time, whole-frame faces)

    def run(self, frames: Iterable[Frame]) -> Iterator[tuple[Frame, list[FaceResult] | None, np.ndarray | None]]:
        """(frame, its faces or None when the stride skips it, its gray image or None), in order."""
        queue: deque[_InFlight] = deque()
        # The lanes are the parallelism: OpenCV's own thread pool, splitting each small resize or
        # warp over both cores, only added hand-offs (WolfgangLanger --no-video: 9.4 s instead of
        # 9.9 s, medians of 3 alternating runs). Restored when the stream ends. (The setting is
        # process-wide: streams run at once, as in the app, may leave it at 1, which is harmless.)
        opencv_threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        with ThreadPoolExecutor(self.lanes, thread_name_prefix="lane") as pool:
            try:
                for frame in frames:
                    queue.append(self._start(frame, pool))
                    self._advance(queue, pool)
                    while len(queue) > self.lookahead:
                        yield self._pop(queue, pool)
                while queue:
                    yield self._pop(queue, pool)
            finally:
                cv2.setNumThreads(opencv_threads)
                for item in queue:  # an error upstream: do not leave work behind
                    for future in (item.first, item.second):
                        if future is not None:
                            future.cancel()

    def _start(self, frame: Frame, pool: ThreadPoolExecutor) -> _InFlight:
        if frame.index % self.stride:
            return _InFlight(frame, None)
        # By the frame's place in the file, not in this stream: a video analysed in time chunks
        # detects on the same frames as when it is analysed whole.
        detected = (frame.index // self.stride) % self.detect_every == 0
        return _InFlight(frame, pool.submit(self._first, frame, detected), detected)

    def _first(self, frame: Frame, detected: bool = True):
        return to_gray(frame.rgb), self._whole(frame) if detected else None

    def _whole(self, frame: Frame) -> Detections:
        return self.analyzer.lane().detect_whole(frame.rgb)

    def _second(self, frame: Frame, gray: np.ndarray, detections) -> list[FaceResult]:
        return self.analyzer.lane().classify([frame.rgb], [detections], [gray])[0]

    def _detect(self, item: _InFlight, queue: deque[_InFlight], pool: ThreadPoolExecutor) -> None:
        """The frame-order step: finish the detection and hand the faces to a lane."""
        item.gray, whole = item.first.result()
        if item.detected:
            self._last_detected = (item.frame.time_s, whole)
        else:
            whole = self._between(item, queue, pool)
        detections = self.analyzer.detect(item.frame.rgb, self.detection, item.frame.time_s, whole)
        item.second = pool.submit(self._second, item.frame, item.gray, detections)

    def _between(self, item: _InFlight, queue: deque[_InFlight], pool: ThreadPoolExecutor) -> Detections:
        """Whole-frame faces of a frame that was not detected: interpolated from the detected frames
        on either side when they agree, else detected now."""
        following = _next_detected(item, queue)
        if self._last_detected is not None and following is not None:
            (t0, before), (_, after) = self._last_detected, following.first.result()
            t1 = following.frame.time_s
            found = between(before, after, (item.frame.time_s - t0) / (t1 - t0) if t1 > t0 else 0.0)
            if found is not None:
                self.interpolated.append(item.frame.index)
                return found
        return pool.submit(self._whole, item.frame).result()

    def _advance(self, queue: deque[_InFlight], pool: ThreadPoolExecutor) -> None:
        """Start the second stage of every frame whose first stage is done (and, for a frame
        between detected ones, the next detected frame's too), in frame order."""
        for item in queue:
            if item.first is None or item.second is not None:
                continue
            if not item.first.done():
                return
            if not item.detected:
                following = _next_detected(item, queue)
                if following is None or not following.first.done():
                    return
            self._detect(item, queue, pool)

    def _pop(self, queue: deque[_InFlight], pool: ThreadPoolExecutor):
        item = queue[0]
        if item.first is not None and item.second is None:
            self._detect(item, queue, pool)  # while still queued: a frame between looks ahead
        queue.popleft()
        if item.first is None:
            return item.frame, None, None
        return item.frame, item.second.result(), item.gray


class AnalysedFrames:
    """What `analyze_frames` returns: iterate it for (frame, its faces or None when the stride
    skips it, its gray image or None), in order; afterwards `frames_interpolated` says how many
    analysed frames took their faces from the detected frames on either side."""

    def __init__(self, pipeline: FramePipeline, frames: Iterable[Frame]):
        self._pipeline, self._frames = pipeline, frames

    def __iter__(self) -> Iterator[tuple[Frame, list[FaceResult] | None, np.ndarray | None]]:
        return self._pipeline.run(self._frames)

    @property
    def frames_interpolated(self) -> int:
        return len(self._pipeline.interpolated)

    def interpolated_between(self, first: int, end: int) -> int:
        """How many frames with indices in [first, end) took interpolated faces."""
        return sum(first <= i < end for i in self._pipeline.interpolated)


def analyze_frames(analyzer: EmotionAnalyzer, frames: Iterable[Frame], stride: int = 1,
                   detect_every: int = DETECT_EVERY) -> AnalysedFrames:
    """A recorded video's frames (emotion.io.video.read_frames) analysed in order, two lanes
    working a few frames ahead; see AnalysedFrames."""
    return AnalysedFrames(FramePipeline(analyzer, stride, detect_every=detect_every), frames)


class FrameStream:
    """A live stream (webcam) analysed one frame at a time as frames arrive: the detection
    follows the stream's small faces (the analyzer's stream detector) and each frame's gray
    image comes back for motion measurement."""

    def __init__(self, analyzer: EmotionAnalyzer):
        self.analyzer = analyzer
        self._detection = analyzer.stream_detector()

    def analyze(self, rgb: np.ndarray, time_s: float) -> tuple[list[FaceResult], np.ndarray]:
        gray = to_gray(rgb)
        return self.analyzer.analyze_batch([rgb], grays=[gray], stream=self._detection, times=[time_s])[0], gray


def _next_detected(item: _InFlight, queue: deque[_InFlight]) -> _InFlight | None:
    """The first frame after `item` in the queue that runs the whole-frame detection."""
    seen = False
    for other in queue:
        if seen and other.first is not None and other.detected:
            return other
        seen = seen or other is item
    return None
