"""Across a study (`python -m batch ... --people`): the people of every video matched into
study-level ids (P1, P2, ...), named from a gallery of reference photos when one is given.

Each video's people come from its timeline (person_id, boxes, frames): a few of each person's
frames, spread over their time, are decoded again, the face at the timeline's box is found
and described (emotion.inference.embedder), and the mean descriptor stands for the person. So
it works the same for videos processed now and videos a resumed run skipped, and nothing
biometric is stored: descriptors live in memory while the run's study outputs are written.
People of one video are never joined with each other (the video's own linking kept them
apart); across videos the closest pairs are joined first while within the linking threshold.
A gallery is a folder of NAME.jpg (or .png) photos of one face each; it stays local.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion.errors import UsageError
from emotion.inference import cache
from emotion.inference.analyzer import EmotionAnalyzer
from emotion.io.image import load_image
from emotion.io.video import read_frames
from emotion.temporal.people import MAX_DISTANCE, MIN_FACE_FOR_EMBEDDING, agglomerate, group_distance, mean_descriptor
from emotion.types import box_iou

PER_PERSON = 6
GALLERY_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class StudyPerson:
    label: str  # P1, P2, ... or the gallery name
    members: tuple[tuple[str, int], ...]  # (video input, person_id)


def describe_people(video: Path, timeline: Path, analyzer, embedder, per_person: int = PER_PERSON) -> dict[int, np.ndarray]:
    """person_id -> mean descriptor, from up to `per_person` of the person's frames (spread over
    their rows) in `video`, each face found again at its timeline box."""
    with open(timeline, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("person_id")]
    wanted: dict[int, list[tuple[int, np.ndarray]]] = {}
    for person_id in sorted({int(r["person_id"]) for r in rows}):
        own = [r for r in rows if int(r["person_id"]) == person_id and min(int(r["w"]), int(r["h"])) >= MIN_FACE_FOR_EMBEDDING]
        for r in (own[int(k)] for k in np.linspace(0, len(own) - 1, min(per_person, len(own)))) if own else ():
            x, y, w, h = (float(r[c]) for c in ("x", "y", "w", "h"))
            wanted.setdefault(int(r["frame"]), []).append((person_id, np.array([x, y, x + w, y + h], np.float32)))
    vectors: dict[int, list[np.ndarray]] = {}
    for frame in read_frames(video, indices=sorted(wanted)):  # one decode; only these frames are converted
        found = analyzer.detect(frame.rgb)  # the eye keypoints the timeline does not keep
        for person_id, box in wanted[frame.index]:
            overlap = box_iou(box, found.xyxy) if len(found) else np.zeros(0)
            near = int(np.argmax(overlap)) if len(overlap) and overlap.max() > 0.3 else None
            eyes = found.keypoints[near, :2] if near is not None and found.keypoints is not None else None
            vectors.setdefault(person_id, []).append(embedder.embed(frame.rgb, box, eyes))
    return {p: mean_descriptor(v) for p, v in vectors.items()}


def read_gallery(folder: Path, analyzer, embedder) -> dict[str, np.ndarray]:
    """NAME -> descriptor of the largest face in each NAME.jpg/.png of `folder`; a photo without
    a face is an error naming it."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: --gallery must be a folder of NAME.jpg photos")
    out = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in GALLERY_SUFFIXES):
        rgb = load_image(path)
        faces = analyzer.analyze(rgb)
        if not faces:
            raise UsageError(f"{path}: no face found in this gallery photo")
        face = max(faces, key=lambda f: f.box[2] * f.box[3])
        out[path.stem] = embedder.embed_face(rgb, face)
    if not out:
        raise UsageError(f"{folder}: no .jpg or .png photos in the gallery")
    return out


def match_people(people: dict[tuple[str, int], np.ndarray], gallery: dict[str, np.ndarray] | None = None,
                 max_distance: float = MAX_DISTANCE) -> list[StudyPerson]:
    """Study-level people from (video, person_id) -> descriptor; labelled P1.. in order of their
    first video, or by the gallery name within `max_distance` (each name used once, closest first)."""
    groups = agglomerate([[key] for key in sorted(people)],
                         lambda a, b: None if {k[0] for k in a} & {k[0] for k in b}
                         else group_distance([[people[k]] for k in a], [[people[k]] for k in b]), max_distance)
    groups.sort(key=lambda g: min(g))
    names: dict[int, str] = {}
    if gallery:
        pairs = sorted((float(np.linalg.norm(mean_descriptor([people[k] for k in g]) - v)), i, name)
                       for i, g in enumerate(groups) for name, v in gallery.items())
        for d, i, name in pairs:
            if d <= max_distance and i not in names and name not in names.values():
                names[i] = name
    return [StudyPerson(names.get(i, f"P{i + 1}"), tuple(sorted(g))) for i, g in enumerate(groups)]


def study_people(index_rows: list[dict], gallery_dir: Path | None = None) -> tuple[list[StudyPerson], dict]:
    """The study's people for the videos of `index_rows` that have outputs, and (video input,
    person_id) -> label."""
    analyzer, embedder = EmotionAnalyzer(), cache.get_embedder()
    people = {}
    for r in index_rows:
        if r["status"] == "failed" or not r.get("timeline") or not Path(r["timeline"]).exists():
            continue
        for person_id, vector in describe_people(Path(r["input"]), Path(r["timeline"]), analyzer, embedder).items():
            if vector is not None:
                people[(r["input"], person_id)] = vector
    gallery = read_gallery(gallery_dir, analyzer, embedder) if gallery_dir else None
    found = match_people(people, gallery)
    return found, {member: p.label for p in found for member in p.members}


def session_warnings(label_of: dict, main_person: dict[str, int], participant_of: dict[str, str]) -> list[str]:
    """With metadata: a participant whose videos' main people are not one study person."""
    by_participant: dict[str, dict[str, str]] = {}
    for video, person_id in main_person.items():
        participant = participant_of.get(video)
        if participant and (video, person_id) in label_of:
            by_participant.setdefault(participant, {})[video] = label_of[(video, person_id)]
    return [f"participant {p!r}: the main person differs between sessions ("
            + ", ".join(f"{Path(v).name}: {label}" for v, label in sorted(videos.items())) + ")"
            for p, videos in sorted(by_participant.items()) if len(set(videos.values())) > 1]
