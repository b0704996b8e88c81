"""Study results in one place: `study.csv` (one row per video and face, metadata joined) and
`report.html` (every video with its status and quality flags, then groups compared), built from
the per-video summaries after every run.

Built from the summaries on disk, not from what this run processed, so a rerun that skips
finished videos (or a Ray run) still covers the whole folder. Group statistics: each
observation is one face of one video that was seen in at least MAIN_FACE_SHARE of the video's
analysed frames (the participant, not a face that walked past); per group the mean and its 95%
confidence interval (Student's t, n - 1 degrees of freedom; none for a group of one), shown
within the range the measure can take (shares 0..1, rates from 0).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np

from emotion.draw import charts
from emotion.io.files import write_text_atomic
from emotion.labels import ACTION_NAMES, EMOTIONS, EVENT_KINDS

from .metadata import Matched, Metadata
from .report import data_uri, flags
from .study_people import session_warnings
from .templates import render

MAIN_FACE_SHARE = 0.1
MAIN_ACTIONS = ("au1_inner_brow_raise", "au4_brow_lower", "au6_cheek_raise", "au12_lip_corner_pull",
                "au15_lip_corner_depress", "au25_lips_part")
# Student's t, two-sided 95%, for 1..30 degrees of freedom; 1.96 beyond.
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
FACE_COLUMNS = ("face_id", "person_id", "duration_s", "frames_analysed", "face_frames", "first_s", "last_s",
                *(f"share_{e}" for e in EMOTIONS), *(f"mean_p_{e}" for e in EMOTIONS), "mean_valence",
                *(f"events_per_min_{k}" for k in EVENT_KINDS), *(f"mean_{a}" for a in ACTION_NAMES),
                "mean_detector_confidence", "share_head_turned", "share_too_small_for_actions", "share_looking_at_camera",
                "mean_abs_asymmetry", "transient_tracks")


def mean_ci(values: list[float]) -> tuple[float, float, int]:
    """(mean, 95% confidence half-width, n) of the finite values; half-width NaN below n = 2."""
    v = np.array([x for x in values if x is not None and np.isfinite(x)], np.float64)
    if not len(v):
        return math.nan, math.nan, 0
    if len(v) < 2:
        return float(v[0]), math.nan, 1
    t = T975[len(v) - 2] if len(v) - 1 <= len(T975) else 1.96
    return float(v.mean()), float(t * v.std(ddof=1) / math.sqrt(len(v))), len(v)


def load_summary(row: dict) -> dict | None:
    path = row.get("summary")
    if not path or not Path(path).exists():
        return None
    return json.loads(Path(path).read_text())


def face_rows(summary: dict) -> list[dict]:
    """The study.csv fields of each face of one video (one empty-faced row if it had none); transient
    tracks are not faces here, each row says how many the video had."""
    out = []
    for fid, f in summary["faces"].items():
        minutes = f["frames_analysed"] / max(summary["frames_analysed"], 1) * summary["duration_s"] / 60
        acts = f.get("mean_actions_relative") or {}
        out.append({"face_id": int(fid), "person_id": _blank_none(f.get("person_id")), "duration_s": summary["duration_s"], "frames_analysed": summary["frames_analysed"],
                    "face_frames": f["frames_analysed"], "first_s": f["first_s"], "last_s": f["last_s"],
                    **{f"share_{e}": f["share_of_time_by_emotion"][e] for e in EMOTIONS},
                    **{f"mean_p_{e}": f["mean_probabilities"][e] for e in EMOTIONS},
                    "mean_valence": _blank_none(f.get("mean_valence")),
                    **{f"events_per_min_{k}": round(f["events"][k] / minutes, 4) if minutes > 0 else "" for k in EVENT_KINDS},
                    **{f"mean_{a}": "" if acts.get(a) is None else acts[a] for a in ACTION_NAMES},
                    "mean_detector_confidence": f.get("mean_detector_confidence", ""),
                    "share_head_turned": "" if f.get("share_of_frames_head_turned") is None else f["share_of_frames_head_turned"],
                    "share_too_small_for_actions": "" if f.get("share_of_frames_too_small_for_actions") is None
                    else f["share_of_frames_too_small_for_actions"],
                    "share_looking_at_camera": "" if f.get("share_of_frames_looking_at_camera") is None
                    else f["share_of_frames_looking_at_camera"],
                    "mean_abs_asymmetry": _blank_none((f.get("asymmetry") or {}).get("mean_abs_asymmetry"))})
    transient = _blank_none((summary.get("transient_tracks") or {}).get("count"))
    out = out or [{"face_id": "", "duration_s": summary["duration_s"], "frames_analysed": summary["frames_analysed"]}]
    return [{**row, "transient_tracks": transient} for row in out]


def _blank_none(value):
    return "" if value is None else value


def study_rows(index_rows: list[dict], metadata: Metadata | None, matched: Matched | None, name_of,
               label_of: dict | None = None) -> list[dict]:
    """One row per video and face, metadata joined; videos without a summary (failed) are left
    out here (report.html lists them with their reasons). `label_of`: (video input, person_id)
    -> study person (with --people)."""
    rows = []
    for r in sorted(index_rows, key=lambda r: r["input"]):
        summary = load_summary(r) if r["status"] != "failed" else None
        if summary is None:
            continue
        video = Path(r["input"])
        meta = (matched.by_video.get(video) if matched else None) or {}
        for face in face_rows(summary):
            person = (r["input"], face.get("person_id")) if face.get("person_id") != "" else None
            rows.append({"video": name_of(video), "input": r["input"], "status": r["status"],
                         **{c: meta.get(c, "") for c in (metadata.columns if metadata else ())}, **face,
                         **({"study_person": (label_of or {}).get(person, "")} if label_of is not None else {})})
    return rows


def write_study_csv(path: Path, rows: list[dict], metadata: Metadata | None, people: bool = False) -> Path:
    columns = ["video", "input", "status", *(metadata.columns if metadata else ()), *FACE_COLUMNS[:2],
               *(["study_person"] if people else []), *FACE_COLUMNS[2:]]
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return write_text_atomic(path, text.getvalue())


def main_faces(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("face_id") != "" and r.get("face_frames", 0) >= MAIN_FACE_SHARE * r["frames_analysed"]]


def compare(rows: list[dict], column: str) -> dict:
    """Per group value of `column`: n and mean/CI of the shares, event rates and main actions;
    plus the three charts as data URIs."""
    observed = [r for r in main_faces(rows) if r.get(column, "") != ""]
    groups = sorted({r[column] for r in observed})
    # Each measure with the range it can take: intervals are shown within it.
    measures = {"share of time in each emotion": ([f"share_{e}" for e in EMOTIONS], list(EMOTIONS), "share of frames", (0, 1)),
                "valence (happy minus the strongest negative emotion, mean)": (["mean_valence"], ["valence"], "-1..1", (-1, 1)),
                "events per minute": ([f"events_per_min_{k}" for k in EVENT_KINDS], list(EVENT_KINDS), "events per minute",
                                      (0, math.inf)),
                "facial actions (mean, relative to each face's baseline)":
                    ([f"mean_{a}" for a in MAIN_ACTIONS], [a.split("_", 1)[0].upper() for a in MAIN_ACTIONS],
                     "AU1, AU4, AU6: blendshape 0..1; the rest: inter-ocular units",
                     None)}
    sections = []
    for title, (keys, labels, unit, bounds) in measures.items():
        stats = {g: [mean_ci([r[k] if r[k] != "" else None for r in observed if r[column] == g]) for k in keys] for g in groups}
        series = {label: ([stats[g][i][0] for g in groups], [stats[g][i][1] for g in groups]) for i, label in enumerate(labels)}
        fig = charts.group_means_figure([f"{column} = {g}" for g in groups], series, f"{title}, by {column}", unit, bounds)
        table = [{"group": g, "n": max((s[2] for s in stats[g]), default=0),
                  "cells": [_cell(*s[:2], percent=title.startswith("share"), bounds=bounds) for s in stats[g]]} for g in groups]
        sections.append({"title": title, "labels": labels, "chart": data_uri(charts.figure_png(fig)), "rows": table})
    return {"column": column, "groups": groups, "n": len(observed), "sections": sections}


def _cell(mean: float, half: float, percent: bool, bounds: tuple[float, float] | None = None) -> str:
    """"mean [low, high]", the interval kept within `bounds` (a small group's t-interval of a
    share can otherwise run from -112% to 131%)."""
    if not np.isfinite(mean):
        return ""
    scale, unit, digits = (100, "%", 1) if percent else (1, "", 3)
    text = f"{mean * scale:.{digits}f}{unit}"
    if not np.isfinite(half):
        return text
    low, high = mean - half, mean + half
    if bounds:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return text + f" [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"


def write_run_outputs(out_dir: Path, index_rows: list[dict], metadata: Metadata | None, matched: Matched | None,
                      group_by: list[str] | None, name_of, command: str, people=None) -> tuple[Path, Path]:
    """study.csv and report.html for everything the output folder holds. `people`: the study's
    people and (video input, person_id) -> label (study_people.study_people), with --people."""
    found, label_of = people if people is not None else ([], None)
    rows = study_rows(index_rows, metadata, matched, name_of, label_of)
    study = write_study_csv(out_dir / "study.csv", rows, metadata, people is not None)
    warnings = matched.warnings() if matched else []
    if people is not None and matched is not None and "participant" in metadata.columns:
        main = {r["input"]: _main_person(load_summary(r)) for r in index_rows if r["status"] != "failed"}
        participant_of = {str(v): meta.get("participant", "") for v, meta in matched.by_video.items()}
        warnings += session_warnings(label_of, {v: p for v, p in main.items() if p is not None}, participant_of)
    columns = metadata.group_columns(group_by) if metadata else []
    videos = []
    for r in sorted(index_rows, key=lambda r: r["input"]):
        summary = load_summary(r) if r["status"] != "failed" else None
        video = Path(r["input"])
        report = Path(r["summary"]).with_name(Path(r["summary"]).name.replace(".summary.json", ".report.html")) if summary else None
        meta = (matched.by_video.get(video) if matched else None) or {}
        videos.append({"name": name_of(video), "status": r["status"], "reason": r["reason"],
                       "href": report.relative_to(out_dir).as_posix() if report and report.exists() else None,
                       "duration": summary["duration_s"] if summary else None, "faces": len(summary["faces"]) if summary else None,
                       "flags": flags(summary) if summary else [], "meta": [meta.get(c, "") for c in (metadata.columns if metadata else ())]})
    problems = [v for v in videos if v["status"] in ("failed", "partial")]
    html = render("run_report.html.j2", videos=videos, problems=problems, metadata=metadata,
                  warnings=warnings, comparisons=[compare(rows, c) for c in columns],
                  main_share=MAIN_FACE_SHARE, command=command,
                  study_people=[(p.label, [(name_of(Path(v)), pid) for v, pid in p.members]) for p in found] if people is not None else None,
                  counts={s: sum(v["status"] == s for v in videos) for s in ("ok", "skipped", "partial", "failed")})
    return study, write_text_atomic(out_dir / "report.html", html)


def _main_person(summary: dict | None) -> int | None:
    """The person seen in the most analysed frames of a video."""
    people = (summary or {}).get("people") or {}
    return int(max(people, key=lambda p: people[p]["frames_analysed"])) if people else None
