"""NAME.eaf: a video's people, emotions, events and blinks as tiers of ELAN (the Max Planck
Institute's annotation tool, where researchers code recorded interviews), with chosen timeline
columns as time series that plot under the video.

Written with the standard library's XML in EAF 3.0 (pympi-ling, the one Python library for
EAF, writes the older 2.8 format; tests read every file back with it and compare every
annotation). Per person (P1, P2, ...): `P1 emotion` (runs of the smoothed top emotion lasting at
least MIN_RUN_S), `P1 events` (micro-expressions and movements: kind, regions, side, label) and
`P1 blinks` (blinks and winks). Times are milliseconds on the frames' own timestamps, so a
variable frame rate is followed. The media descriptors name the source video by a relative URL
(the output folder can move with it) and the annotated video beside the .eaf.

The time series are ELAN's linked CSV files, one per person (NAME.P1.timeseries.csv: time in
seconds, then the seven smoothed probabilities, the smoothed valence and three actions relative
to the face's baseline), described by NAME_tsconf.xml. ELAN reads the CSV through that file's
absolute path: after moving the folder, ELAN asks for the new place of the files once.
"""

from __future__ import annotations

import csv
import io
import mimetypes
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from emotion.io.files import write_text_atomic
from emotion.labels import EMOTIONS, MEASURE_NAMES
from emotion.labels import valence

MIN_RUN_S = 0.5
SERIES_ACTIONS = ("au12_lip_corner_pull", "au4_brow_lower", "au43_eye_closure")
SERIES = (*EMOTIONS, "valence", *SERIES_ACTIONS)
UNITS = {**{e: "probability" for e in EMOTIONS}, "valence": "-1..1", **{a: "inter-ocular or blendshape units" for a in SERIES_ACTIONS}}
RANGES = {**{e: (0.0, 1.0) for e in EMOTIONS}, "valence": (-1.0, 1.0), **{a: (-0.3, 0.3) for a in SERIES_ACTIONS}}
COLOURS = {"angry": "200,40,40", "disgust": "120,150,40", "fear": "130,60,160", "happy": "230,170,0", "sad": "40,90,200",
           "surprise": "220,60,150", "neutral": "120,120,120", "valence": "0,0,0", "au12_lip_corner_pull": "230,120,0",
           "au4_brow_lower": "90,60,30", "au43_eye_closure": "0,140,140"}


@dataclass
class PersonSeries:
    """One person's frames and events, as the .eaf and its time series need them."""

    label: str  # P1, P2, ...
    times: np.ndarray  # (n,) seconds, the analysed frames
    smoothed: np.ndarray  # (n, 7) smoothed probabilities
    valence: np.ndarray  # (n,) of the smoothed probabilities
    actions: dict[str, np.ndarray] = field(default_factory=dict)  # SERIES_ACTIONS, baseline-relative (NaN: not measured)
    events: list = field(default_factory=list)  # micro events and movements (emotion.temporal.events.Event)


def people_series(dynamics, people, baselines: dict, events: list) -> list[PersonSeries]:
    """Each person's frames (all their tracks, in time order) and events, from a video's
    FaceDynamics, its People (transient tracks left out) and each face's action baseline."""
    out = []
    labels = {p: f"P{p}" for p in people.person_ids}
    for person_id, label in labels.items():
        parts = [(*dynamics.frames(f), baselines.get(f)) for f in people.tracks_of(person_id) if f in dynamics.face_ids]
        if not parts:
            continue
        times = np.concatenate([p[0] for p in parts])
        order = np.argsort(times, kind="stable")
        smoothed = np.concatenate([p[1] for p in parts])[order]
        actions = {}
        for name in SERIES_ACTIONS:
            j = MEASURE_NAMES.index(name)
            actions[name] = np.concatenate([p[2][:, j] - (p[3][j] if p[3] is not None else np.nan) for p in parts])[order]
        out.append(PersonSeries(label, times[order], smoothed, valence(smoothed), actions,
                                [e for e in events if e.kind in ("micro", "movement") and e.person_id == person_id]))
    return out


def emotion_runs(times: np.ndarray, smoothed: np.ndarray, min_s: float = MIN_RUN_S) -> list[tuple[float, float, str]]:
    """(start, end, emotion) of each run of the same smoothed top emotion lasting at least
    `min_s`; a run ends where the next frame begins (the last one, a frame's length later)."""
    if not len(times):
        return []
    top = np.argmax(smoothed, axis=1)
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.04
    ends = np.append(times[1:], times[-1] + step)
    runs, start = [], 0
    for i in range(1, len(times) + 1):
        if i == len(times) or top[i] != top[start] or times[i] - ends[i - 1] > 3 * step:
            if ends[i - 1] - times[start] >= min_s:
                runs.append((float(times[start]), float(ends[i - 1]), EMOTIONS[int(top[start])]))
            start = i
    return runs


def is_blink(event) -> bool:
    """A micro event of the eyes alone that is an eye closing: a blink, or a wink."""
    return event.kind == "micro" and event.regions == "eyes" and "au43_eye_closure" in event.signals


def event_value(event) -> str:
    """An event's annotation: kind, regions, side and label, e.g. "micro: mouth, right, happy"."""
    return f"{event.kind}: {event.regions or 'face'}, {event.side or 'both'}, {event.emotion}"


class _Document:
    """The EAF document as it is built: tiers of (start ms, end ms, value); equal times share a slot."""

    def __init__(self):
        self.tiers: list[tuple[str, list[tuple[int, int, str]]]] = []

    def tier(self, name: str, spans: list[tuple[float, float, str]]) -> None:
        """Annotations one after another: each starts no earlier than the previous one ends (ELAN
        keeps the annotations of a tier apart)."""
        out, last = [], 0
        for start, end, value in sorted(spans):
            a, b = max(int(round(start * 1000)), last), int(round(end * 1000))
            if b > a:
                out.append((a, b, value))
                last = b
        self.tiers.append((name, out))

    def xml(self, media: list[tuple[Path, str]], linked: list[tuple[Path, str]], eaf_dir: Path) -> str:
        root = ET.Element("ANNOTATION_DOCUMENT", {
            "AUTHOR": "emotion-toolkit", "DATE": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
            "FORMAT": "3.0", "VERSION": "3.0", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd"})
        header = ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
        for path, mime in media:
            ET.SubElement(header, "MEDIA_DESCRIPTOR", {"MEDIA_URL": path.resolve().as_uri(), "MIME_TYPE": mime,
                                                       "RELATIVE_MEDIA_URL": relative_url(path, eaf_dir)})
        for path, mime in linked:
            ET.SubElement(header, "LINKED_FILE_DESCRIPTOR", {"LINK_URL": path.resolve().as_uri(), "MIME_TYPE": mime,
                                                             "RELATIVE_LINK_URL": relative_url(path, eaf_dir)})
        count = sum(len(spans) for _, spans in self.tiers)
        ET.SubElement(header, "PROPERTY", {"NAME": "lastUsedAnnotationId"}).text = str(count)
        order = ET.SubElement(root, "TIME_ORDER")
        times = sorted({ms for _, spans in self.tiers for a, b, _ in spans for ms in (a, b)})
        slots = {ms: f"ts{i}" for i, ms in enumerate(times, start=1)}  # numbered in time order, as ELAN writes them
        for ms in times:
            ET.SubElement(order, "TIME_SLOT", {"TIME_SLOT_ID": slots[ms], "TIME_VALUE": str(ms)})
        n = 0
        for name, spans in self.tiers:
            tier = ET.SubElement(root, "TIER", {"LINGUISTIC_TYPE_REF": "default-lt", "TIER_ID": name})
            for a, b, value in spans:
                n += 1
                annotation = ET.SubElement(ET.SubElement(tier, "ANNOTATION"), "ALIGNABLE_ANNOTATION", {
                    "ANNOTATION_ID": f"a{n}", "TIME_SLOT_REF1": slots[a], "TIME_SLOT_REF2": slots[b]})
                ET.SubElement(annotation, "ANNOTATION_VALUE").text = value
        ET.SubElement(root, "LINGUISTIC_TYPE", {"GRAPHIC_REFERENCES": "false", "LINGUISTIC_TYPE_ID": "default-lt",
                                                "TIME_ALIGNABLE": "true"})
        for stereotype, description in CONSTRAINTS:
            ET.SubElement(root, "CONSTRAINT", {"DESCRIPTION": description, "STEREOTYPE": stereotype})
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ELAN's four standard constraints, as it writes them into every document.
CONSTRAINTS = (
    ("Time_Subdivision", "Time subdivision of parent annotation's time interval, no time gaps allowed within this interval"),
    ("Symbolic_Subdivision", "Symbolic subdivision of a parent annotation. Annotations refering to the same parent are ordered"),
    ("Symbolic_Association", "1-1 association with a parent annotation"),
    ("Included_In", "Time alignable annotations within the parent annotation's time interval, gaps are allowed"),
)


def relative_url(path: Path, base: Path) -> str:
    rel = Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    return rel if rel.startswith("../") else f"./{rel}"


def series_csv(person: PersonSeries) -> str:
    """The person's time series: time in seconds, then SERIES; frames without a value are left out."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time_s", *SERIES])
    for i, t in enumerate(person.times):
        values = [*person.smoothed[i], person.valence[i], *(person.actions.get(a, np.full(len(person.times), np.nan))[i]
                                                              for a in SERIES_ACTIONS)]
        writer.writerow([f"{t:.3f}", *("" if not np.isfinite(v) else f"{v:.4f}" for v in values)])
    return out.getvalue()


def tsconf(sources: list[tuple[str, Path]]) -> str:
    """ELAN's time series configuration: per (person, CSV) a track source, a track per column."""
    root = ET.Element("timeseries", {"date": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
                                     "version": "1.0"})
    for label, path in sources:
        source = ET.SubElement(root, "tracksource", {"sample-type": "Discontinuous Rate", "source-url": path.resolve().as_uri(),
                                                     "time-column": "0"})
        ET.SubElement(source, "property", {"key": "provider",
                                           "value": "mpi.eudico.client.annotator.timeseries.csv.CSVServiceProvider"})
        for column, name in enumerate(SERIES, start=1):
            track = ET.SubElement(source, "track", {"derivative": "0", "name": f"{label} {name}"})
            ET.SubElement(track, "property", {"key": "detect-range", "value": "false"})
            ET.SubElement(ET.SubElement(track, "sample-position"), "pos", {"col": str(column), "row": "0"})
            ET.SubElement(track, "description").text = f"{label}: {name}"
            ET.SubElement(track, "units").text = UNITS[name]
            low, high = RANGES[name]
            ET.SubElement(track, "range", {"max": str(high), "min": str(low)})
            ET.SubElement(track, "color").text = COLOURS[name]
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_elan(eaf: Path, source: Path, annotated: Path | None, people: list[PersonSeries]) -> list[Path]:
    """Write NAME.eaf, NAME_tsconf.xml and one NAME.P1.timeseries.csv per person (each atomically);
    returns the files written. Without anyone in the video, the tiers are there but empty."""
    folder, stem = eaf.parent, eaf.name.removesuffix(".eaf")
    doc = _Document()
    for person in people or [None]:
        prefix = f"{person.label} " if person is not None else ""
        runs = emotion_runs(person.times, person.smoothed) if person is not None else []
        events = person.events if person is not None else []
        doc.tier(f"{prefix}emotion", runs)
        doc.tier(f"{prefix}events", [(e.onset_s, e.onset_s + e.duration_s, event_value(e)) for e in events if not is_blink(e)])
        doc.tier(f"{prefix}blinks", [(e.onset_s, e.onset_s + e.duration_s, f"blink, {e.side or 'both'}")
                                     for e in events if is_blink(e)])
    csvs = [(p.label, folder / f"{stem}.{p.label}.timeseries.csv") for p in people]
    written = []
    for (label, path), person in zip(csvs, people):
        written.append(write_text_atomic(path, series_csv(person)))
    config = folder / f"{stem}_tsconf.xml"
    linked = [(path, "unknown") for _, path in csvs] + ([(config, "text/xml")] if csvs else [])
    if csvs:
        written.append(write_text_atomic(config, tsconf(csvs)))
    media = [(source, mimetypes.guess_type(source.name)[0] or "video/*")] + \
        ([(annotated, "video/mp4")] if annotated is not None else [])
    written.append(write_text_atomic(eaf, doc.xml(media, linked, folder)))
    return written
