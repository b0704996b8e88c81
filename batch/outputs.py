"""The files written for each video, each one under a temporary name until it is complete."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion.actions import ACTION_NAMES, MEASURE_NAMES, POSE_NAMES
from emotion.events import EVENT_COLUMNS
from emotion.labels import EMOTIONS
from emotion.motion import MOTION_NAMES

SMOOTH_COLUMNS = [f"smooth_{e}" for e in EMOTIONS]
CSV_COLUMNS = ["video", "frame", "time_s", "face_id", "x", "y", "w", "h", "det_score", *EMOTIONS, "emotion", "confidence",
               *SMOOTH_COLUMNS, *ACTION_NAMES, *MOTION_NAMES, *POSE_NAMES]
EVENTS_COLUMNS = ["video", *EVENT_COLUMNS]
NO_FACE = "no_face"
_FACE_ID = CSV_COLUMNS.index("face_id")
_EMOTION = CSV_COLUMNS.index("emotion")
_FIRST_ACTION = CSV_COLUMNS.index(ACTION_NAMES[0])


@dataclass(frozen=True)
class OutputPaths:
    video: Path
    timeline: Path
    summary: Path
    chart: Path
    events: Path

    @staticmethod
    def for_video(source: Path, out_dir: Path) -> "OutputPaths":
        stem = source.stem
        return OutputPaths(out_dir / f"{stem}.annotated.mp4", out_dir / f"{stem}.timeline.csv",
                           out_dir / f"{stem}.summary.json", out_dir / f"{stem}.timeline.png",
                           out_dir / f"{stem}.events.csv")

    def required(self, with_video: bool) -> list[Path]:
        return [self.timeline, self.events, self.summary, self.chart] + ([self.video] if with_video else [])

    def complete(self, with_video: bool) -> bool:
        return all(p.exists() and p.stat().st_size > 0 for p in self.required(with_video))


def temporary(path: Path) -> Path:
    """Hidden name in the same folder (so the final rename is atomic), keeping the extension."""
    return path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")


def publish(tmp: Path, final: Path) -> None:
    os.replace(tmp, final)


def _num(value: float, digits: int) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


class TimelineWriter:
    """Streams rows to a temporary draft CSV while the video plays. The action columns can only
    be made baseline-relative once the whole video is seen, so `publish(baselines)` streams the
    draft once more into the final file, subtracting each face's baseline, and renames it."""

    def __init__(self, final: Path, video_name: str):
        self.final, self.video_name = final, video_name
        self.draft = final.with_name(f".{final.stem}.{os.getpid()}.partial.draft{final.suffix}")
        self.tmp = temporary(final)
        self._fh = self.draft.open("w", newline="")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(CSV_COLUMNS)

    def frame(self, index: int, time_s: float, faces, face_ids, signals=None) -> None:
        t = f"{time_s:.3f}"
        if not faces:
            row = [self.video_name, index, t] + [""] * (len(CSV_COLUMNS) - 3)
            row[_EMOTION] = NO_FACE
            self._csv.writerow(row)
            return
        for k, (face, face_id) in enumerate(zip(faces, face_ids)):
            x, y, w, h = face.box
            sig = signals[k] if signals else None
            smooth = [f"{p:.4f}" for p in sig.smoothed] if sig else [""] * len(EMOTIONS)
            measures = sig.measures if sig is not None else np.full(len(MEASURE_NAMES), np.nan)
            motion = sig.motion if sig is not None else np.full(len(MOTION_NAMES), np.nan)
            self._csv.writerow([self.video_name, index, t, face_id, x, y, w, h, f"{face.det_score:.3f}",
                                *[f"{p:.4f}" for p in face.probabilities], face.emotion, f"{face.confidence:.4f}",
                                *smooth, *[_num(v, 5) for v in measures[: len(ACTION_NAMES)]],
                                *[_num(v, 3) for v in motion], *[_num(v, 2) for v in measures[len(ACTION_NAMES) :]]])

    def publish(self, baselines: dict[int, np.ndarray] | None = None) -> None:
        """`baselines`: per face id, the MEASURE_NAMES medians to subtract from the actions."""
        self._fh.close()
        with self.draft.open(newline="") as src, self.tmp.open("w", newline="") as dst:
            reader, writer = csv.reader(src), csv.writer(dst)
            writer.writerow(next(reader))
            for row in reader:
                base = (baselines or {}).get(int(row[_FACE_ID])) if row[_FACE_ID] else None
                if base is not None:
                    for k in range(len(ACTION_NAMES)):
                        cell = row[_FIRST_ACTION + k]
                        if cell and np.isfinite(base[k]):
                            row[_FIRST_ACTION + k] = f"{float(cell) - base[k]:.4f}"
                writer.writerow(row)
        self.draft.unlink()
        publish(self.tmp, self.final)

    def discard(self) -> None:
        self._fh.close()
        self.draft.unlink(missing_ok=True)
        self.tmp.unlink(missing_ok=True)


def write_events(final: Path, video_name: str, events) -> None:
    tmp = temporary(final)
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, EVENTS_COLUMNS)
        writer.writeheader()
        for event in events:
            writer.writerow({"video": video_name, **event.as_row()})
    publish(tmp, final)


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

    def build(self, video: str, info, frames_total: int, stride: int, seconds: float,
              baselines: dict | None = None, events: list | None = None, baseline_sources: dict | None = None) -> dict:
        faces = {}
        events = events or []
        for face_id, s in sorted(self.faces.items()):
            base = (baselines or {}).get(face_id)
            own = [e for e in events if e.face_id == face_id]
            faces[str(face_id)] = {
                "first_s": round(s["first_s"], 3), "last_s": round(s["last_s"], 3), "frames_analysed": s["frames"],
                "share_of_time_by_emotion": {e: round(float(v / s["frames"]), 4) for e, v in zip(EMOTIONS, s["top"])},
                "mean_probabilities": {e: round(float(v / s["frames"]), 4) for e, v in zip(EMOTIONS, s["prob_sum"])},
                "dominant_emotion": EMOTIONS[int(np.argmax(s["top"]))],
                # The neutral reference the CSV's action columns are relative to (raw = CSV + this).
                "action_baseline": None if base is None else {n: (round(float(v), 5) if np.isfinite(v) else None)
                                                               for n, v in zip(MEASURE_NAMES, base)},
                "action_baseline_from": (baseline_sources or {}).get(face_id),
                "events": {k: sum(e.kind == k for e in own) for k in ("micro", "movement", "episode")},
            }
        return {
            "video": video, "duration_s": round(info.duration_s, 3), "width": info.width, "height": info.height,
            "frame_rate": round(float(info.frame_rate), 4), "variable_frame_rate": info.variable_frame_rate,
            "frames_total": frames_total, "frames_analysed": self.frames, "stride": stride,
            "share_of_frames_without_face": round(self.no_face_frames / self.frames, 4) if self.frames else None,
            "faces": faces, "events": len(events), "processing_seconds": round(seconds, 2),
        }


def write_json(final: Path, data: dict) -> None:
    tmp = temporary(final)
    tmp.write_text(json.dumps(data, indent=2))
    publish(tmp, final)
