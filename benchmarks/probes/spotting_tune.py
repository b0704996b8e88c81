"""Probe: the event detector's settings against the clips of one event_spotting run, without
rendering or analysing them again (`python benchmarks/event_spotting.py --keep DIR` keeps each
clip's timeline and plants).

    python -m benchmarks.probes.spotting_tune DIR

Rebuilds each face's signals from its timeline (the action columns are baseline-relative there,
which z-scores do not mind), runs `detect_events` under each variant and prints recall,
precision and F1 at intensity >= 0.5 and false events a minute on the null clips.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from emotion.labels import EMOTIONS, PROB_NAMES, SIGNAL_NAMES
from emotion.spotting import KINDS, Plant, match
from emotion.temporal import events as ev


def load(folder: Path):
    for meta in sorted(folder.glob("*.json")):
        clip = json.loads(meta.read_text())
        with open(folder / f"{meta.stem}.timeline.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        faces = {}
        for r in rows:
            if r["face_id"]:
                faces.setdefault(int(r["face_id"]), []).append(r)
        series = {}
        for face_id, fr in faces.items():
            times = np.array([float(r["time_s"]) for r in fr])

            def col(name):
                if name in PROB_NAMES:
                    name = name.removeprefix("p_")
                return np.array([float(r[name]) if r.get(name) not in ("", None) else np.nan for r in fr])

            signals = np.stack([col(n) for n in SIGNAL_NAMES], axis=1)
            smoothed = np.stack([col(f"smooth_{e}") for e in EMOTIONS], axis=1)
            series[face_id] = (times, signals, smoothed)
        yield clip, series


def baseline_of(signals, smoothed):
    neutral = smoothed.argmax(axis=1) == EMOTIONS.index("neutral")
    neutral &= ~np.isnan(signals[:, 0])
    if neutral.sum() >= max(10, 0.1 * len(signals)):
        return ev.Baseline.of(signals[neutral])
    return ev.Baseline.of(signals)


def evaluate(clips):
    planted = found = false = 0
    null_false, null_minutes = 0, 0.0
    labels = sides = regions = 0
    labelled = one_sided = 0
    onset_err = []
    for clip, series in clips:
        plants = tuple(Plant(**p) for p in clip["plants"])
        events = []
        for face_id, (times, signals, smoothed) in series.items():
            sig = ev.smoothed(times, signals)  # as FaceDynamics.series gives them
            events += [e for e in ev.detect_events(face_id, times, sig, baseline_of(sig, smoothed))]
        if not plants:
            null_false += len(events)
            null_minutes += clip["seconds"] / 60
            continue
        matched = match(plants, events)
        used = {id(e) for _, e in matched if e is not None}
        false += len([e for e in events if id(e) not in used])
        for p, e in matched:
            if p.intensity < 0.5:
                continue
            planted += 1
            if e is None:
                continue
            found += 1
            onset_err.append(abs(e.onset_s - p.onset_s) * clip["fps"])
            kind = KINDS[p.kind]
            regions += e.regions.split("+")[0] == kind.region
            if kind.side != "both":
                one_sided += 1
                sides += e.side == kind.side
            if kind.emotion:
                labelled += 1
                labels += e.emotion == kind.emotion
    recall = found / max(planted, 1)
    precision = found / max(found + false, 1)
    f1 = 2 * recall * precision / max(recall + precision, 1e-9)
    return (f"recall {recall:.2f} precision {precision:.2f} F1 {f1:.2f} | null {null_false / max(null_minutes, 1e-9):.2f}/min | "
            f"onset {np.median(onset_err) if onset_err else float('nan'):.1f} | side {sides / max(one_sided, 1):.2f} "
            f"region {regions / max(found, 1):.2f} label {labels / max(labelled, 1):.2f}")


def main() -> int:
    clips = list(load(Path(sys.argv[1])))
    base = dict(ev.FLOOR)
    for high, low in ((4.0, 2.0), (3.5, 2.0)):
        for scale in (1.0, 0.7):
            ev.HIGH, ev.LOW = high, low
            ev.FLOOR.update({n: v * scale for n, v in base.items()})
            print(f"HIGH {high} LOW {low} floor x{scale} (of the shipped): {evaluate(clips)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
