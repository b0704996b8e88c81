"""FER+ crowd votes: ten annotators per FER2013 face instead of one.

FER2013's labels come from one annotator each and agree with the crowd's majority on only
about two faces in three; most disagreements are faces the crowd calls neutral. Microsoft's
FER+ (MIT licence) had ten crowd workers label every image with one of neutral, happiness,
surprise, sadness, anger, disgust, fear, contempt, unknown or not-a-face.
`../shared/datasets/ferplus-votes.csv` joins those votes to the files of the Kaggle image
layout (column `file`, e.g. `test/angry/PrivateTest_1054527.jpg`) and to the rows of
fer2013.csv (column `fer2013_row`).

How the ten columns become our seven classes (FER2013 order, which every output keeps):
- the seven emotions map one to one (anger -> angry, happiness -> happy, ...);
- contempt has no class of ours: its votes are dropped (1.7% of the training votes), not moved to
  disgust or anger, which would invent agreement nobody voted for;
- unknown and not-a-face votes are dropped from the distribution; a face whose votes are
  mostly not-a-face, or which has no vote for any of the seven, is left out of training.

The *majority* (how FER+ results are usually reported): the emotion with the most votes, kept
when it is one of our seven, strictly ahead of the runner-up and ahead of unknown and
not-a-face; faces without one are left out of majority accuracy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ..labels import EMOTIONS, NUM_CLASSES

VOTE_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF")
# FER+ column -> our class index (FER2013 order); contempt, unknown and NF have none.
TO_OURS = {"anger": EMOTIONS.index("angry"), "disgust": EMOTIONS.index("disgust"), "fear": EMOTIONS.index("fear"),
           "happiness": EMOTIONS.index("happy"), "sadness": EMOTIONS.index("sad"),
           "surprise": EMOTIONS.index("surprise"), "neutral": EMOTIONS.index("neutral")}
DEFAULT_VOTES = Path("../shared/datasets/ferplus-votes.csv")
NO_MAJORITY = -1


@dataclass(frozen=True)
class CrowdVotes:
    """The FER+ votes of one split's faces, in the split's order: `counts` (n, 10) in
    VOTE_COLUMNS order (all zero where the file has no votes for a face)."""

    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def ours(self) -> np.ndarray:
        """(n, 7) vote counts over our classes, FER2013 order."""
        out = np.zeros((len(self.counts), NUM_CLASSES), np.float32)
        for column, index in TO_OURS.items():
            out[:, index] = self.counts[:, VOTE_COLUMNS.index(column)]
        return out

    @property
    def trainable(self) -> np.ndarray:
        """Faces to train on: some vote for one of our classes, and not mostly not-a-face."""
        ours = self.ours.sum(axis=1)
        nf = self.counts[:, VOTE_COLUMNS.index("NF")]
        return (ours > 0) & (nf * 2 < self.counts.sum(axis=1))

    def distribution(self) -> np.ndarray:
        """(n, 7) share of each class among the votes for our seven classes (zeros where none)."""
        ours = self.ours
        total = ours.sum(axis=1, keepdims=True)
        return np.divide(ours, total, out=np.zeros_like(ours), where=total > 0)

    def majority(self) -> np.ndarray:
        """(n,) the majority class (FER2013 order), or NO_MAJORITY (-1): see the module's rule."""
        counts = self.counts.astype(np.int64)
        emotions = counts[:, : VOTE_COLUMNS.index("contempt") + 1]  # the eight emotions, contempt included
        top = emotions.argmax(axis=1)
        top_votes = emotions[np.arange(len(counts)), top]
        others = counts.copy()
        others[np.arange(len(counts)), top] = -1
        clear = (top_votes > others.max(axis=1)) & (top_votes > 0)
        mapped = np.array([TO_OURS.get(c, NO_MAJORITY) for c in VOTE_COLUMNS[:8]])[top]
        return np.where(clear, mapped, NO_MAJORITY)

    def targets(self, scheme: str, smoothing: float = 0.0, labels: np.ndarray | None = None) -> np.ndarray:
        """(n, 7) training targets:
        - "soft": the vote distribution (what the crowd thinks, second choices included);
        - "majority": the majority class one-hot (smoothed); faces without one get all-zero
          targets, which gives them no weight in the cross-entropy;
        - "soft+label": 0.8 x the distribution + 0.2 x the original FER2013 label (needs `labels`)."""
        if scheme == "soft":
            return self.distribution()
        if scheme == "majority":
            m = self.majority()
            out = np.full((len(m), NUM_CLASSES), smoothing / NUM_CLASSES, np.float32)
            out[np.arange(len(m)), np.maximum(m, 0)] += 1.0 - smoothing
            out[m == NO_MAJORITY] = 0.0
            return out
        if scheme == "soft+label":
            if labels is None:
                raise ValueError("the soft+label scheme needs the original labels")
            one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
            return 0.8 * self.distribution() + 0.2 * one_hot
        raise ValueError(f"unknown target scheme {scheme!r}: soft, majority or soft+label")


SCHEMES = ("soft", "majority", "soft+label")


def find_votes(path: str | Path | None = None, data: str | Path | None = None) -> Path:
    """The votes file: `path` when given; else ferplus-votes.csv beside the data set `data`,
    else ../shared/datasets/ferplus-votes.csv."""
    if path:
        found = Path(path)
    else:
        beside = Path(data).parent / DEFAULT_VOTES.name if data else None
        found = beside if beside is not None and beside.exists() else DEFAULT_VOTES
    if not found.exists():
        raise DatasetError(f"{found}: FER+ votes file not found (give it with --votes)")
    return found


def read_votes(path: str | Path) -> dict[str, np.ndarray]:
    """file key and "row:N" -> the 10 vote counts, for every row of the votes file that has votes."""
    path = Path(path)
    out: dict[str, np.ndarray] = {}
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"file", "fer2013_row", *VOTE_COLUMNS} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{path}: not a FER+ votes file, missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            if not row["neutral"].strip():
                continue  # no FER+ votes for this image (mostly FER+'s not-a-face rows)
            try:
                counts = np.array([int(row[c]) for c in VOTE_COLUMNS], np.int16)
            except ValueError:
                raise DatasetError(f"{path}:{line}: vote counts must be whole numbers") from None
            out[row["file"]] = counts
            if row["fer2013_row"].strip():
                out[f"row:{int(row['fer2013_row'])}"] = counts
    return out


def votes_for(keys: tuple[str, ...], table: dict[str, np.ndarray], source: str = "votes") -> CrowdVotes:
    """The votes of faces named by `keys` (FerSplit.keys); faces without votes get zeros. A
    split where no key is found is an error: the data and the votes file do not belong together."""
    if not keys:
        raise DatasetError(f"{source}: the faces carry no file names to look their votes up by")
    counts = np.zeros((len(keys), len(VOTE_COLUMNS)), np.int16)
    found = 0
    for i, key in enumerate(keys):
        hit = table.get(key)
        if hit is not None:
            counts[i] = hit
            found += 1
    if found < len(keys) * 0.9:
        raise DatasetError(f"{source}: only {found} of {len(keys)} faces have votes there; is it the votes file of "
                           f"this copy of FER2013?")
    return CrowdVotes(counts)
