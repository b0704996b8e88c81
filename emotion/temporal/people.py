"""From tracks to people: which tracks of a video are one person, and which are too short to be one.

A track (`face_id`) ends when its face is gone for over a second, so a person who turns away,
covers their face or leaves and comes back gets several tracks; and a false detection lasting
a frame or two becomes a track of its own. `TrackBook` follows the tracks of one video while
it plays and keeps a few face descriptors per track (a new track's first usable face, then one
every `every_s` seconds; each costs about 4 ms); `link` then joins tracks into people:

- a track with fewer than MIN_FRAMES analysed frames or shorter than MIN_SPAN_S is transient
  (not a person: its rows stay in the timeline, marked, and summaries leave it out);
- the remaining tracks are joined greedily, closest pair first, while the two groups' mean
  descriptors are within `max_distance` of each other, and never when two of their tracks
  were seen at the same moment (one person is not in two places at once).

Descriptors stay in memory (biometric data); nothing here writes them anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Tuned on the shared clips (benchmarks/identity.py): the one false face of face_noface.mov is a
# single frame; real faces last seconds.
MIN_FRAMES = 3
MIN_SPAN_S = 0.3
TRANSIENT_RULE = f"fewer than {MIN_FRAMES} analysed frames or under {MIN_SPAN_S} s"
# Unit-descriptor distance up to which two tracks are one person. benchmarks/identity.py: a clip's
# two halves (mean descriptors, as tracks have) 0.11 and 0.22 apart; different people 0.34-0.59,
# the closest two young women of multi_face.jpg. Single frames of one person vary more (up to
# 0.34 when she looks away), which is why tracks keep several descriptors.
MAX_DISTANCE = 0.3
EMBED_EVERY_S = 2.0
MAX_SAMPLES = 8  # descriptors kept per track
MIN_FACE_FOR_EMBEDDING = 48  # box side in pixels: smaller faces give descriptors too noisy to link


@dataclass
class TrackRecord:
    face_id: int
    first_s: float
    last_s: float
    frames: int = 0
    last_embedded_s: float = float("-inf")
    descriptors: list[np.ndarray] = field(default_factory=list)

    @property
    def transient(self) -> bool:
        return self.frames < MIN_FRAMES or self.last_s - self.first_s < MIN_SPAN_S

    def overlaps(self, other: "TrackRecord") -> bool:
        return self.first_s <= other.last_s and other.first_s <= self.last_s


@dataclass(frozen=True)
class People:
    """The outcome of `link`: each track's person (None: transient) and the transient tracks."""

    person_of: dict[int, int | None]
    transient: frozenset[int]

    def tracks_of(self, person_id: int) -> list[int]:
        return sorted(f for f, p in self.person_of.items() if p == person_id)

    @property
    def person_ids(self) -> list[int]:
        return sorted({p for p in self.person_of.values() if p is not None})


class TrackBook:
    """The tracks of one video or stream, with a few descriptors each (see the module's text).
    `embedder`: an emotion.inference.embedder.FaceEmbedder, or None (tracks are then never
    joined, only marked transient)."""

    def __init__(self, embedder=None, every_s: float = EMBED_EVERY_S, max_samples: int = MAX_SAMPLES):
        self.embedder, self.every_s, self.max_samples = embedder, every_s, max_samples
        self.tracks: dict[int, TrackRecord] = {}

    def observe(self, time_s: float, tracked, rgb: np.ndarray | None = None) -> None:
        """One analysed frame's tracked faces (TrackedFace list); `rgb`: the frame, for descriptors."""
        for t in tracked:
            record = self.tracks.setdefault(t.face_id, TrackRecord(t.face_id, time_s, time_s))
            record.last_s, record.frames = time_s, record.frames + 1
            if self._due(record, t.face, time_s) and rgb is not None:
                record.descriptors.append(self.embedder.embed_face(rgb, t.face))
                record.last_embedded_s = time_s

    def _due(self, record: TrackRecord, face, time_s: float) -> bool:
        return (self.embedder is not None and len(record.descriptors) < self.max_samples
                and min(face.box[2:]) >= MIN_FACE_FOR_EMBEDDING and time_s - record.last_embedded_s >= self.every_s)

    def link(self, max_distance: float = MAX_DISTANCE) -> People:
        return link(list(self.tracks.values()), max_distance)


def link(tracks: list[TrackRecord], max_distance: float = MAX_DISTANCE) -> People:
    """Tracks -> people (see the module's text); person ids count from 1 in order of appearance."""
    lasting = sorted((t for t in tracks if not t.transient), key=lambda t: (t.first_s, t.face_id))
    groups = agglomerate([[t] for t in lasting], lambda a, b: None if any(x.overlaps(y) for x in a for y in b)
                         else group_distance([t.descriptors for t in a], [t.descriptors for t in b]), max_distance)
    groups.sort(key=lambda g: min(t.first_s for t in g))
    person_of: dict[int, int | None] = {t.face_id: None for t in tracks if t.transient}
    for person_id, group in enumerate(groups, start=1):
        person_of.update({t.face_id: person_id for t in group})
    return People(person_of, frozenset(t.face_id for t in tracks if t.transient))


def agglomerate(groups: list[list], distance, max_distance: float) -> list[list]:
    """Join groups greedily, closest pair first, while `distance(a, b)` (None: may never be
    joined) is at most `max_distance`. Used for a video's tracks and a study's people. Each
    pair's distance is computed once, and after a join only the new group's (an hour of a
    classroom has hundreds of tracks: recomputing every pair after every join is cubic)."""
    groups = dict(enumerate(list(g) for g in groups))
    joinable: dict[tuple[int, int], float] = {}

    def consider(i: int, j: int) -> None:
        d = distance(groups[i], groups[j])
        if d is not None and d <= max_distance:
            joinable[(i, j)] = d

    for i in groups:
        for j in groups:
            if i < j:
                consider(i, j)
    next_key = len(groups)
    while joinable:
        i, j = min(joinable, key=lambda pair: (joinable[pair], pair))
        groups[next_key] = groups.pop(i) + groups.pop(j)
        joinable = {pair: d for pair, d in joinable.items() if i not in pair and j not in pair}
        for k in groups:
            if k != next_key:
                consider(k, next_key)
        next_key += 1
    return list(groups.values())


def group_distance(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> float | None:
    """Distance between two groups' mean descriptors (each member a list of descriptors); None
    when one of them has none."""
    ma, mb = mean_descriptor([v for m in a for v in m]), mean_descriptor([v for m in b for v in m])
    return None if ma is None or mb is None else float(np.linalg.norm(ma - mb))


def mean_descriptor(vectors: list[np.ndarray]) -> np.ndarray | None:
    """The unit mean of unit descriptors, or None without any."""
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)


@dataclass
class _Person:
    person_id: int
    last_s: float
    descriptors: list[np.ndarray] = field(default_factory=list)


class LivePeople:
    """People for a live stream, decided as frames arrive (the batch's `link` waits for the
    whole video): a new track takes the person of a track that is gone (and not visible now)
    whose face it matches within `max_distance`, seen in the last `memory_s` seconds; else it
    is a new person. So a label survives a turn of the head, a hand over the face or a step out
    of the picture. Descriptors are kept in memory for `memory_s` only."""

    def __init__(self, embedder, max_distance: float = MAX_DISTANCE, memory_s: float = 60.0):
        self.embedder, self.max_distance, self.memory_s = embedder, max_distance, memory_s
        self._person_of: dict[int, _Person] = {}  # track id -> person
        self._next = 1

    def assign(self, time_s: float, tracked, rgb: np.ndarray) -> dict[int, int]:
        """Track id -> person id for this frame's tracked faces."""
        visible = {id(self._person_of[t.face_id]) for t in tracked if t.face_id in self._person_of}
        for t in tracked:
            person = self._person_of.get(t.face_id)
            if person is None:
                descriptor = self._describe(t.face, rgb)
                person = self._match(descriptor, visible, time_s) or self._new(time_s)
                if descriptor is not None and len(person.descriptors) < MAX_SAMPLES:
                    person.descriptors.append(descriptor)
                self._person_of[t.face_id] = person
                visible.add(id(person))
            person.last_s = time_s
        self._forget(time_s)
        return {t.face_id: self._person_of[t.face_id].person_id for t in tracked}

    def person_id(self, face_id: int) -> int | None:
        person = self._person_of.get(face_id)
        return None if person is None else person.person_id

    def _describe(self, face, rgb: np.ndarray) -> np.ndarray | None:
        if self.embedder is None or min(face.box[2:]) < MIN_FACE_FOR_EMBEDDING:
            return None
        return self.embedder.embed_face(rgb, face)

    def _match(self, descriptor: np.ndarray | None, visible: set, time_s: float) -> _Person | None:
        if descriptor is None:
            return None
        best, best_d = None, self.max_distance
        for person in {id(p): p for p in self._person_of.values()}.values():
            if id(person) in visible or not person.descriptors or time_s - person.last_s > self.memory_s:
                continue
            d = float(np.linalg.norm(mean_descriptor(person.descriptors) - descriptor))
            if d <= best_d:
                best, best_d = person, d
        return best

    def _new(self, time_s: float) -> _Person:
        person = _Person(self._next, time_s)
        self._next += 1
        return person

    def _forget(self, time_s: float) -> None:
        self._person_of = {f: p for f, p in self._person_of.items() if time_s - p.last_s <= self.memory_s}
