"""NAME.report.html: one video's results on one self-contained page (every picture embedded as a
data URI, no script, no font or stylesheet from the network), so it can be archived or mailed.

Rendered with Jinja2 templates (batch/templates/) with autoescaping on, from the values
process_video already holds: the summary, the events, the timeline chart and thumbnails of the
face at each event's apex, read back from the video in one decoding pass.
"""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np

from emotion.draw import charts
from emotion.io.video import read_frames
from emotion.labels import ACTION_NAMES, EMOTIONS, EVENT_KINDS

from .templates import render

MAX_THUMBNAILS = 300
THUMB = 64


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def face_thumbnail(rgb: np.ndarray, box: np.ndarray, margin: float = 0.25) -> str:
    """A 64x64 JPEG of the face in `box` (xyxy) with a margin, as a data URI."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    m = np.float32([[THUMB / side, 0, THUMB / 2 - cx * THUMB / side], [0, THUMB / side, THUMB / 2 - cy * THUMB / side]])
    crop = cv2.warpAffine(rgb, m, (THUMB, THUMB), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return data_uri(jpeg.tobytes(), "image/jpeg") if ok else ""


def apex_thumbnails(source: Path, events, frame_index_at, box_at) -> dict[int, str]:
    """Thumbnail data URIs keyed by event position, for the first MAX_THUMBNAILS events.
    `frame_index_at(t)`: the analysed frame index nearest t; `box_at(face_id, t)`: its box."""
    wanted = {}
    for k, event in enumerate(events[:MAX_THUMBNAILS]):
        box = box_at(event.face_id, event.apex_s)
        if box is not None:
            wanted.setdefault(frame_index_at(event.apex_s), []).append((k, box))
    thumbs = {}
    for frame in read_frames(source, sorted(wanted)):
        for k, box in wanted.get(frame.index, []):
            thumbs[k] = face_thumbnail(frame.rgb, box)
    return thumbs


def quality_rows(summary: dict) -> list[tuple[str, str, str]]:
    """(check, value, level) rows: level ok / warn / bad."""
    rows = []
    no_face = summary.get("share_of_frames_without_face")
    if no_face is not None:
        share = 1 - no_face
        rows.append(("frames with a face", f"{share * 100:.0f}%", "ok" if share >= 0.9 else "warn" if share >= 0.5 else "bad"))
    for fid, face in summary["faces"].items():
        conf = face.get("mean_detector_confidence")
        if conf is not None:
            rows.append((f"face #{fid}: mean detector confidence", f"{conf:.2f}", "ok" if conf >= 0.7 else "warn"))
        turned = face.get("share_of_frames_head_turned")
        if turned is not None:
            rows.append((f"face #{fid}: head turned beyond {summary.get('head_turned_beyond_deg', 30):.0f}°",
                         f"{turned * 100:.0f}% of frames", "ok" if turned <= 0.1 else "warn"))
    small = summary.get("share_of_frames_with_faces_too_small_for_actions")
    if small:
        rows.append((f"faces under {summary.get('min_face_for_actions')} px (no action measurements)",
                     f"{small * 100:.0f}% of frames", "warn"))
    rows.append(("frame rate", "variable (frames kept at their own times)" if summary.get("variable_frame_rate") else "constant",
                 "warn" if summary.get("variable_frame_rate") else "ok"))
    status = summary.get("input", {})
    rows.append(("input", status.get("status", "complete") + (f": {status['reason']}" if status.get("reason") else ""),
                 "bad" if status.get("status") == "partial" else "ok"))
    return rows


def flags(summary: dict) -> list[dict]:
    """The short badges a run-level table shows for a video (also on top of its own report)."""
    out = []
    if summary.get("input", {}).get("status") == "partial":
        out.append({"text": "partial input", "level": "bad"})
    no_face = summary.get("share_of_frames_without_face")
    if no_face and no_face > 0.1:
        out.append({"text": f"no face in {no_face * 100:.0f}% of frames", "level": "warn" if no_face < 0.5 else "bad"})
    if summary.get("variable_frame_rate"):
        out.append({"text": "variable frame rate", "level": "warn"})
    if summary.get("share_of_frames_with_faces_too_small_for_actions"):
        out.append({"text": "small faces", "level": "warn"})
    if any((f.get("share_of_frames_head_turned") or 0) > 0.3 for f in summary["faces"].values()):
        out.append({"text": "head often turned", "level": "warn"})
    return out


def _actions_table(summary: dict) -> dict | None:
    faces = {fid: f for fid, f in summary["faces"].items()
             if f.get("mean_actions_relative") and any(v is not None for v in f["mean_actions_relative"].values())}
    if not faces:
        return None
    rows = [(name, [("" if f["mean_actions_relative"].get(name) is None else f"{f['mean_actions_relative'][name]:+.3f}")
                    for f in faces.values()]) for name in ACTION_NAMES]

    def share(value) -> str:
        return "" if value is None else f"{value * 100:.0f}%"

    asym = [f.get("asymmetry") or {} for f in faces.values()]
    rows += [("looking at the camera (share of frames with open eyes)", [share(f.get("share_of_frames_looking_at_camera"))
                                                                         for f in faces.values()]),
             ("asymmetry: mean |index| when an action is active", ["" if a.get("mean_abs_asymmetry") is None
                                                                    else f"{a['mean_abs_asymmetry']:.2f}" for a in asym]),
             ("frames led by the left side / the right side", [f"{share(a.get('share_left_led'))} / {share(a.get('share_right_led'))}"
                                                                if a.get("frames_with_active_action") else "" for a in asym])]
    return {"faces": list(faces), "rows": rows, "sources": [(fid, f.get("action_baseline_from")) for fid, f in faces.items()]}


def render_video_report(summary: dict, events, timeline_png: bytes, thumbs: dict[int, str], files: dict[str, Path]) -> str:
    shares = {f"face #{fid}": f["share_of_time_by_emotion"] for fid, f in summary["faces"].items()}
    counts = {fid: f["events"] for fid, f in summary["faces"].items() if any(f["events"].values())}
    shown = [{**e.as_row(), "thumb": thumbs.get(k)} for k, e in enumerate(events[:MAX_THUMBNAILS])]
    return render("video_report.html.j2", s=summary, emotions=EMOTIONS, kinds=EVENT_KINDS, flags=flags(summary),
                  timeline_png=data_uri(timeline_png),
                  share_png=data_uri(charts.figure_png(charts.share_of_time_figure(shares))) if shares else None,
                  event_counts=counts, events=shown, events_cut=max(len(events) - MAX_THUMBNAILS, 0),
                  actions=_actions_table(summary), quality=quality_rows(summary),
                  files=[(label, path.name) for label, path in files.items()])
