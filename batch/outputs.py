"""The files written for each video, each one under a temporary name until it is complete."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion.labels import EMOTIONS

CSV_COLUMNS = ["video", "frame", "time_s", "face_id", "x", "y", "w", "h", "det_score", *EMOTIONS, "emotion", "confidence"]
NO_FACE = "no_face"


@dataclass(frozen=True)
class OutputPaths:
    video: Path
    timeline: Path
    summary: Path
    chart: Path

    @staticmethod
    def for_video(source: Path, out_dir: Path) -> "OutputPaths":
        stem = source.stem
        return OutputPaths(out_dir / f"{stem}.annotated.mp4", out_dir / f"{stem}.timeline.csv",
                           out_dir / f"{stem}.summary.json", out_dir / f"{stem}.timeline.png")

    def required(self, with_video: bool) -> list[Path]:
        return [self.timeline, self.summary, self.chart] + ([self.video] if with_video else [])

    def complete(self, with_video: bool) -> bool:
        return all(p.exists() and p.stat().st_size > 0 for p in self.required(with_video))


def temporary(path: Path) -> Path:
    """Hidden name in the same folder (so the final rename is atomic), keeping the extension."""
    return path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")


def publish(tmp: Path, final: Path) -> None:
    os.replace(tmp, final)


class TimelineWriter:
    """Streams rows to a temporary CSV; `publish()` renames it once the video is done."""

    def __init__(self, final: Path, video_name: str):
        self.final, self.tmp, self.video_name = final, temporary(final), video_name
        self._fh = self.tmp.open("w", newline="")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(CSV_COLUMNS)

    def frame(self, index: int, time_s: float, faces, face_ids) -> None:
        t = f"{time_s:.3f}"
        if not faces:
            self._csv.writerow([self.video_name, index, t, "", "", "", "", "", "", *[""] * len(EMOTIONS), NO_FACE, ""])
            return
        for face, face_id in zip(faces, face_ids):
            x, y, w, h = face.box
            probs = [f"{p:.4f}" for p in face.probabilities]
            self._csv.writerow([self.video_name, index, t, face_id, x, y, w, h, f"{face.det_score:.3f}", *probs,
                                face.emotion, f"{face.confidence:.4f}"])

    def publish(self) -> None:
        self._fh.close()
        publish(self.tmp, self.final)

    def discard(self) -> None:
        self._fh.close()
        self.tmp.unlink(missing_ok=True)


class SummaryBuilder:
    """Accumulates per-face statistics while frames stream past, so no timeline is held."""

    def __init__(self):
        self.frames = 0
        self.no_face_frames = 0
        self.faces: dict[int, dict] = {}

    def add(self, time_s: float, faces, face_ids) -> None:
        self.frames += 1
        if not faces:
            self.no_face_frames += 1
        for face, face_id in zip(faces, face_ids):
            s = self.faces.setdefault(face_id, {"first_s": time_s, "last_s": time_s, "frames": 0,
                                                "top": np.zeros(len(EMOTIONS)), "prob_sum": np.zeros(len(EMOTIONS))})
            s["last_s"] = time_s
            s["frames"] += 1
            s["top"][int(np.argmax(face.probabilities))] += 1
            s["prob_sum"] += face.probabilities

    def build(self, video: str, info, frames_total: int, stride: int, seconds: float) -> dict:
        faces = {}
        for face_id, s in sorted(self.faces.items()):
            faces[str(face_id)] = {
                "first_s": round(s["first_s"], 3), "last_s": round(s["last_s"], 3), "frames_analysed": s["frames"],
                "share_of_time_by_emotion": {e: round(float(v / s["frames"]), 4) for e, v in zip(EMOTIONS, s["top"])},
                "mean_probabilities": {e: round(float(v / s["frames"]), 4) for e, v in zip(EMOTIONS, s["prob_sum"])},
                "dominant_emotion": EMOTIONS[int(np.argmax(s["top"]))],
            }
        return {
            "video": video, "duration_s": round(info.duration_s, 3), "width": info.width, "height": info.height,
            "frame_rate": round(float(info.frame_rate), 4), "variable_frame_rate": info.variable_frame_rate,
            "frames_total": frames_total, "frames_analysed": self.frames, "stride": stride,
            "share_of_frames_without_face": round(self.no_face_frames / self.frames, 4) if self.frames else None,
            "faces": faces, "processing_seconds": round(seconds, 2),
        }


def write_json(final: Path, data: dict) -> None:
    tmp = temporary(final)
    tmp.write_text(json.dumps(data, indent=2))
    publish(tmp, final)
