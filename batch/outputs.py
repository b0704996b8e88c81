"""The files written for each video, each one under a temporary name until it is complete."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion.inference.actions import looking_at_camera
from emotion.inference.analyzer import MIN_FACE_FOR_ACTIONS
from emotion.io.files import partial_path, publish
from emotion.labels import (BLENDSHAPE_COLUMNS, EMOTIONS, EVENT_KINDS, EVENTS_CSV_COLUMNS, GAZE_NAMES, MEASURE_NAMES, MOTION_NAMES, NO_FACE,
                            POSE_NAMES, RELATIVE_NAMES, SMOOTH_COLUMNS, TIMELINE_COLUMNS)
from emotion.temporal.baseline import AsymmetryTally, relative_to
from emotion.temporal.people import TRANSIENT_RULE, People
from emotion.labels import valence

TURNED_DEG = 30.0  # head pose beyond this (yaw or pitch) is reported as a quality flag
POSE_INDEX = [MEASURE_NAMES.index(n) for n in POSE_NAMES]
GAZE_INDEX = [MEASURE_NAMES.index(n) for n in GAZE_NAMES]


@dataclass(frozen=True)
class OutputPaths:
    video: Path
    timeline: Path
    summary: Path
    chart: Path
    events: Path
    report: Path
    eaf: Path  # ELAN; its time series files (NAME.P1.timeseries.csv, NAME_tsconf.xml) lie beside it

    @staticmethod
    def for_video(source: Path, out_dir: Path) -> "OutputPaths":
        stem = source.stem
        return OutputPaths(out_dir / f"{stem}.annotated.mp4", out_dir / f"{stem}.timeline.csv",
                           out_dir / f"{stem}.summary.json", out_dir / f"{stem}.timeline.png",
                           out_dir / f"{stem}.events.csv", out_dir / f"{stem}.report.html", out_dir / f"{stem}.eaf")

    def required(self, with_video: bool) -> list[Path]:
        return [self.timeline, self.events, self.eaf, self.summary, self.chart, self.report] + ([self.video] if with_video else [])

    def elan_companions(self) -> list[Path]:
        """The time series files ELAN reads beside the .eaf (written by batch.elan)."""
        stem = self.eaf.name.removesuffix(".eaf")
        return sorted(self.eaf.parent.glob(f"{stem}.P*.timeseries.csv")) + sorted(self.eaf.parent.glob(f"{stem}_tsconf.xml"))

    def complete(self, with_video: bool) -> bool:
        return all(p.exists() and p.stat().st_size > 0 for p in self.required(with_video))


def _num(value: float, digits: int) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def timeline_row(video: str, index: int, time_s: float, tracked=None) -> dict[str, str]:
    """One NAME.timeline.csv row: a tracked face, or (tracked=None) a frame without a face. The
    actions are still raw here; `TimelineWriter.finish` makes them baseline-relative."""
    row = {"video": video, "frame": index, "time_s": f"{time_s:.3f}"}
    if tracked is None:
        return {**row, "emotion": NO_FACE}
    face = tracked.face
    x, y, w, h = face.box
    m = dict(zip(MEASURE_NAMES, tracked.measures))
    looking = looking_at_camera(m["gaze_yaw"], m["gaze_pitch"])
    return {**row, "face_id": tracked.face_id, "x": x, "y": y, "w": w, "h": h, "det_score": f"{face.det_score:.3f}",
            **{e: f"{p:.4f}" for e, p in zip(EMOTIONS, face.probabilities)},
            "emotion": face.emotion, "confidence": f"{face.confidence:.4f}", "valence": f"{valence(face.probabilities):.4f}",
            **{c: f"{p:.4f}" for c, p in zip(SMOOTH_COLUMNS, tracked.smoothed)}, "smooth_valence": f"{valence(tracked.smoothed):.4f}",
            **{n: _num(m[n], 5) for n in RELATIVE_NAMES},
            **{n: _num(v, 3) for n, v in zip(MOTION_NAMES, tracked.motion)},
            **{n: _num(m[n], 2) for n in POSE_NAMES + GAZE_NAMES},
            "looking_at_camera": "" if looking is None else int(looking),
            **({} if face.blendshapes is None else {c: f"{v:.4f}" for c, v in zip(BLENDSHAPE_COLUMNS, face.blendshapes)})}


class TimelineWriter:
    """Streams rows to a temporary draft CSV while the video plays. The action columns can only
    be made baseline-relative once the whole video is seen, so `publish(baselines)` streams the
    draft once more into the final file, subtracting each face's baseline, and renames it."""

    def __init__(self, final: Path, video_name: str):
        self.final, self.video_name = final, video_name
        self.draft = partial_path(final, kind="draft")
        self.tmp = partial_path(final)
        self._fh = self.draft.open("w", newline="")
        self._csv = csv.DictWriter(self._fh, TIMELINE_COLUMNS)
        self._csv.writeheader()

    def frame(self, index: int, time_s: float, tracked: list) -> None:
        """Rows for one analysed frame: one per tracked face, or one `no_face` row."""
        for face in tracked or [None]:
            self._csv.writerow(timeline_row(self.video_name, index, time_s, face))

    def finish(self, baselines: dict[int, np.ndarray] | None = None, people: People | None = None) -> dict[int, dict]:
        """Stream the draft once more into the final file's partial name, each face's actions made
        relative to its baseline (`baselines`: per face id, the MEASURE_NAMES medians), each
        frame's asymmetry computed from them, and each row's person and transient mark
        (`people`, known only once the video is seen). Returns per face the asymmetry tallies the
        summary reports; `publish` then puts the file in place."""
        self._fh.close()
        tallies: dict[int, AsymmetryTally] = {}
        with self.draft.open(newline="") as src, self.tmp.open("w", newline="") as dst:
            reader, writer = csv.DictReader(src), csv.DictWriter(dst, TIMELINE_COLUMNS)
            writer.writeheader()
            for row in reader:
                if row["face_id"] and people is not None:
                    person = people.person_of.get(int(row["face_id"]))
                    row["person_id"] = "" if person is None else person
                    row["transient"] = int(int(row["face_id"]) in people.transient)
                base = (baselines or {}).get(int(row["face_id"])) if row["face_id"] else None
                if base is not None:
                    relative = relative_to({n: float(row[n]) if row[n] else None for n in RELATIVE_NAMES},
                                           dict(zip(MEASURE_NAMES, base)))
                    row.update({n: f"{v:.4f}" for n, v in relative.items()})
                    index = tallies.setdefault(int(row["face_id"]), AsymmetryTally()).add(relative)
                    row["asymmetry"] = "" if index is None else f"{index:.3f}"
                writer.writerow(row)
        self.draft.unlink()
        return tallies

    def publish(self) -> None:
        publish(self.tmp, self.final)

    def discard(self) -> None:
        self._fh.close()
        self.draft.unlink(missing_ok=True)
        self.tmp.unlink(missing_ok=True)


def write_events(final: Path, video_name: str, events) -> Path:
    tmp = partial_path(final)
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, EVENTS_CSV_COLUMNS)
        writer.writeheader()
        for event in events:
            writer.writerow({"video": video_name, **event.as_row()})
    return publish(tmp, final)


class SummaryBuilder:
    """Accumulates per-face statistics while frames stream past, so no timeline is held."""

    def __init__(self):
        self.frames = 0
        self.no_face_frames = 0
        self.small_face_frames = 0  # frames with a face too small for action measurements
        self.faces: dict[int, dict] = {}

    def add(self, time_s: float, tracked) -> None:
        self.frames += 1
        if not tracked:
            self.no_face_frames += 1
        small = [min(t.face.box[2:]) < MIN_FACE_FOR_ACTIONS for t in tracked]
        self.small_face_frames += any(small)
        for t, too_small in zip(tracked, small):
            face = t.face
            s = self.faces.setdefault(t.face_id, {"first_s": time_s, "last_s": time_s, "frames": 0, "small": 0,
                                                  "top": np.zeros(len(EMOTIONS)), "prob_sum": np.zeros(len(EMOTIONS)),
                                                  "valence_sum": 0.0, "smooth_valence_sum": 0.0,
                                                  "det_sum": 0.0, "measured": 0, "turned": 0, "gazed": 0, "looking": 0,
                                                  "measure_sum": np.zeros(len(MEASURE_NAMES)),
                                                  "measure_n": np.zeros(len(MEASURE_NAMES))})
            s["last_s"] = time_s
            s["frames"] += 1
            s["small"] += too_small
            s["top"][int(np.argmax(face.probabilities))] += 1
            s["prob_sum"] += face.probabilities
            s["valence_sum"] += float(valence(face.probabilities))
            s["smooth_valence_sum"] += float(valence(t.smoothed))
            s["det_sum"] += face.det_score
            measures = t.measures
            known = np.isfinite(measures)
            s["measure_sum"][known] += measures[known]
            s["measure_n"] += known
            if known[POSE_INDEX].all():
                s["measured"] += 1
                s["turned"] += bool((np.abs(measures[POSE_INDEX[:2]]) > TURNED_DEG).any())
            looking = looking_at_camera(*measures[GAZE_INDEX])
            if looking is not None:
                s["gazed"] += 1
                s["looking"] += looking

    def build(self, video: str, info, frames_total: int, stride: int, seconds: float,
              baselines: dict | None = None, events: list | None = None, baseline_sources: dict | None = None,
              actions: bool = True, run: dict | None = None, asymmetries: dict[int, AsymmetryTally] | None = None,
              people: People | None = None) -> dict:
        faces = {}
        events = events or []
        transient = people.transient if people is not None else frozenset()
        for face_id, s in sorted(self.faces.items()):
            if face_id in transient:
                continue
            base = (baselines or {}).get(face_id)
            own = [e for e in events if e.face_id == face_id]
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_raw = s["measure_sum"] / s["measure_n"]
            relative = relative_to(dict(zip(MEASURE_NAMES, map(float, mean_raw))), dict(zip(MEASURE_NAMES, map(float, base)))) \
                if base is not None else {}
            faces[str(face_id)] = {
                "person_id": None if people is None else people.person_of.get(face_id),
                "first_s": round(s["first_s"], 3), "last_s": round(s["last_s"], 3), "frames_analysed": s["frames"],
                "share_of_time_by_emotion": {e: round(float(v / s["frames"]), 4) for e, v in zip(EMOTIONS, s["top"])},
                "mean_probabilities": {e: round(float(v / s["frames"]), 4) for e, v in zip(EMOTIONS, s["prob_sum"])},
                "dominant_emotion": EMOTIONS[int(np.argmax(s["top"]))],
                "mean_valence": round(s["valence_sum"] / s["frames"], 4),
                "mean_smooth_valence": round(s["smooth_valence_sum"] / s["frames"], 4),
                # The neutral reference the CSV's action columns are relative to (raw = CSV + this).
                "action_baseline": None if base is None else {n: (round(float(v), 5) if np.isfinite(v) else None)
                                                               for n, v in zip(MEASURE_NAMES, base)},
                "action_baseline_from": (baseline_sources or {}).get(face_id),
                "events": {k: sum(e.kind == k for e in own) for k in EVENT_KINDS},
                "share_of_frames_too_small_for_actions": round(s["small"] / s["frames"], 4) if actions else None,
                "mean_detector_confidence": round(s["det_sum"] / s["frames"], 4),
                # Head turned or tilted beyond TURNED_DEG (yaw or pitch), among frames with a pose.
                "share_of_frames_head_turned": round(s["turned"] / s["measured"], 4) if s["measured"] else None,
                # Mean of each action (and of each side) over the face's frames, relative to its
                # baseline (the CSV's columns).
                "mean_actions_relative": {n: round(relative[n], 5) if n in relative else None
                                          for n in MEASURE_NAMES if n in RELATIVE_NAMES},
                "share_of_frames_looking_at_camera": round(s["looking"] / s["gazed"], 4) if s["gazed"] else None,
                "asymmetry": (asymmetries[face_id].summary(s["frames"]) if face_id in (asymmetries or {}) else None)
                if actions else None,
            }
        return {
            "video": video, "duration_s": round(info.duration_s, 3), "width": info.width, "height": info.height,
            "frame_rate": round(float(info.frame_rate), 4), "variable_frame_rate": info.variable_frame_rate,
            "frames_total": frames_total, "frames_analysed": self.frames, "stride": stride,
            "share_of_frames_without_face": round(self.no_face_frames / self.frames, 4) if self.frames else None,
            # Faces smaller than this many pixels get emotions but no action measurements.
            "min_face_for_actions": MIN_FACE_FOR_ACTIONS,
            "share_of_frames_with_faces_too_small_for_actions": (round(self.small_face_frames / self.frames, 4)
                                                                  if self.frames and actions else None),
            "faces": faces, **self._people(people, faces), "events": len(events), "processing_seconds": round(seconds, 2),
            "head_turned_beyond_deg": TURNED_DEG,
            "run": run or {},
        }

    def _people(self, people: People | None, faces: dict) -> dict:
        """The summary's "people" (each with its tracks, time and emotions over all of them) and
        "transient_tracks" (left out of "faces": how many, and their frames)."""
        if people is None:
            return {}
        out = {}
        for person_id in people.person_ids:
            tracks = [self.faces[f] for f in people.tracks_of(person_id) if f in self.faces]
            frames = sum(t["frames"] for t in tracks)
            top, probs = sum(t["top"] for t in tracks), sum(t["prob_sum"] for t in tracks)
            out[str(person_id)] = {
                "face_ids": people.tracks_of(person_id), "first_s": round(min(t["first_s"] for t in tracks), 3),
                "last_s": round(max(t["last_s"] for t in tracks), 3), "frames_analysed": frames,
                "share_of_time_by_emotion": {e: round(float(v / frames), 4) for e, v in zip(EMOTIONS, top)},
                "mean_probabilities": {e: round(float(v / frames), 4) for e, v in zip(EMOTIONS, probs)},
                "dominant_emotion": EMOTIONS[int(np.argmax(top))],
                "mean_valence": round(sum(t["valence_sum"] for t in tracks) / frames, 4),
                "mean_smooth_valence": round(sum(t["smooth_valence_sum"] for t in tracks) / frames, 4),
                "events": {k: sum(faces[str(f)]["events"][k] for f in people.tracks_of(person_id)) for k in EVENT_KINDS}}
        gone = sorted(people.transient)
        return {"people": out, "transient_tracks": {"count": len(gone), "face_ids": gone, "rule": TRANSIENT_RULE,
                                                     "frames": sum(self.faces[f]["frames"] for f in gone if f in self.faces)}}
