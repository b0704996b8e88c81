"""Frames in, analysed frames out in order, with the work spread over both cores.

Per frame the analysis is: gray conversion and the whole-frame detection (depend on the frame
alone), the detection's windows (depend on the previous frames: small faces are followed), then
crops, classification and the face mesh (depend on the frame and its detections). The first and
last parts run on two worker threads ("lanes", each with interpreters of its own: LiteRT
releases the GIL while it computes), a few frames ahead of the caller; the middle part runs in
frame order on the caller's thread, as does everything the caller does with the results
(tracking, the CSV, annotating, piping frames to the encoder), which overlaps the lanes' work
instead of waiting for it. Memory stays bounded: at most LOOKAHEAD frames are in flight.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from emotion.inference.analyzer import EmotionAnalyzer
from emotion.io.image import to_gray
from emotion.io.video import Frame
from emotion.types import FaceResult

LANES = 2
LOOKAHEAD = 8


@dataclass
class _InFlight:
    frame: Frame
    first: Future | None  # (gray, whole-frame detections); None: a frame the stride skips
    second: Future | None = None  # the frame's FaceResults
    gray: np.ndarray | None = None


class FramePipeline:
    def __init__(self, analyzer: EmotionAnalyzer, stride: int = 1, lanes: int = LANES, lookahead: int = LOOKAHEAD):
        self.analyzer, self.stride, self.lanes, self.lookahead = analyzer, stride, lanes, lookahead
        self.detection = analyzer.stream_detector()  # this stream's detection state

    def run(self, frames: Iterable[Frame]) -> Iterator[tuple[Frame, list[FaceResult] | None, np.ndarray | None]]:
        """(frame, its faces or None when the stride skips it, its gray image or None), in order."""
        queue: deque[_InFlight] = deque()
        with ThreadPoolExecutor(self.lanes, thread_name_prefix="lane") as pool:
            try:
                for frame in frames:
                    analysed = frame.index % self.stride == 0
                    queue.append(_InFlight(frame, pool.submit(self._first, frame) if analysed else None))
                    self._advance(queue, pool)
                    while len(queue) > self.lookahead:
                        yield self._pop(queue, pool)
                while queue:
                    yield self._pop(queue, pool)
            finally:
                for item in queue:  # an error upstream: do not leave work behind
                    for future in (item.first, item.second):
                        if future is not None:
                            future.cancel()

    def _first(self, frame: Frame):
        lane = self.analyzer.lane()
        return to_gray(frame.rgb), lane.detect_whole(frame.rgb)

    def _second(self, frame: Frame, gray: np.ndarray, detections) -> list[FaceResult]:
        return self.analyzer.lane().classify([frame.rgb], [detections], [gray])[0]

    def _detect(self, item: _InFlight, pool: ThreadPoolExecutor) -> None:
        """The frame-order step: finish the detection and hand the faces to a lane."""
        item.gray, whole = item.first.result()
        detections = self.analyzer.detect(item.frame.rgb, self.detection, item.frame.time_s, whole)
        item.second = pool.submit(self._second, item.frame, item.gray, detections)

    def _advance(self, queue: deque[_InFlight], pool: ThreadPoolExecutor) -> None:
        """Start the second stage of every frame whose first stage is done, in frame order."""
        for item in queue:
            if item.first is None or item.second is not None:
                continue
            if not item.first.done():
                return
            self._detect(item, pool)

    def _pop(self, queue: deque[_InFlight], pool: ThreadPoolExecutor):
        item = queue.popleft()
        if item.first is None:
            return item.frame, None, None
        if item.second is None:
            self._detect(item, pool)
        return item.frame, item.second.result(), item.gray
