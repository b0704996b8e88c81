"""Batch processing of recorded videos (python -m batch); `process_video` is also the app's video tab."""

from .jobs import Options
from .runner import RunReport, run
from .video import VideoResult, process_video

__all__ = ["Options", "RunReport", "VideoResult", "process_video", "run"]
