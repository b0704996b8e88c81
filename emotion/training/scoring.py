"""Scoring models on the FER2013 splits: one function behind training, export, evaluation and
ensembles, so that every number in a model card is computed the same way; and classification
throughput, measured through the full classification path."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..errors import DatasetError, UsageError
from ..inference.classifier import EmotionClassifier, to_face_batch
from .calibration import calibration
from .crowd_metrics import crowd_score
from .data import FerSplit, FerSplits, load_fer2013
from .metrics import SplitScore, score_split
from .votes import read_votes, votes_for

FINAL_SPLITS = ("PublicTest", "PrivateTest")
SPEED_BATCHES = (1, 32)  # one face (live latency) and a video's batch


def faces_of(split: FerSplit) -> np.ndarray:
    """The split's faces as the classifier takes them: (n, 48, 48, 1) float32 0..255."""
    return split.images[..., None].astype(np.float32)


def score_splits(classifier: EmotionClassifier, splits: FerSplits, names: tuple[str, ...] = FINAL_SPLITS,
                 suffix: str = "") -> dict[str, SplitScore]:
    """Accuracy, per-class accuracy and confusion of `classifier` on each named split, keyed
    `NAME + suffix` (e.g. "PrivateTest+flip")."""
    by_name = splits.by_name()
    return {f"{name}{suffix}": score_split(name, by_name[name].labels, classifier.predict(faces_of(by_name[name])))
            for name in names}


def score_export(tflite: str | Path, splits: FerSplits) -> dict[str, SplitScore]:
    """The exported file's flip-TTA scores on PublicTest and PrivateTest: the numbers of the
    shipped inference path."""
    return score_splits(EmotionClassifier.from_path(tflite, flip_tta=True), splits, suffix="+flip (tflite)")


def throughput(classifier: EmotionClassifier, faces: np.ndarray, batch: int, seconds: float = 3.0) -> float:
    """Faces per second for `batch`-sized calls on uint8 crops, preprocessing included; median
    of repeated timings."""
    crops = faces[:batch]
    classifier.predict(to_face_batch(crops))  # warm-up (graph tracing)
    timings, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(timings) < 5:
        start = time.perf_counter()
        classifier.predict(to_face_batch(crops))
        timings.append(time.perf_counter() - start)
    return batch / float(np.median(timings))


def evaluate(data: str, model: str, splits: tuple[str, ...], flip_tta: bool, speed: bool = True,
             votes: str | Path | None = None, votes_found: bool = False) -> dict:
    """Scores and calibration on the named splits and (optionally) throughput at batch 1 and 32,
    JSON-ready. With `votes` (a FER+ votes file), the crowd's scores too (`crowd_metrics`);
    `votes_found`: the file was looked up, not given, so data it has no votes for (another
    data set) leaves the crowd's scores out instead of failing."""
    classifier = EmotionClassifier.from_path(model, flip_tta=flip_tta)
    fer = load_fer2013(data)
    unknown = [s for s in splits if s not in fer.by_name()]
    if unknown:
        raise UsageError(f"unknown split(s) {', '.join(unknown)}; choose from {', '.join(fer.by_name())}")
    result = {"model": str(model), "flip_tta": flip_tta, "scores": {}, "calibration": {}}
    crowds = _crowd_votes(fer, splits, votes, votes_found) if votes else {}
    if crowds:
        result["votes"], result["crowd"] = str(votes), {}
    for name in splits:
        split = fer.by_name()[name]
        probs = classifier.predict(faces_of(split))
        result["scores"][name] = score_split(name, split.labels, probs).to_dict()
        result["calibration"][name] = calibration(probs, split.labels).to_dict()
        if crowds:
            result["crowd"][name] = crowd_score(name, probs, crowds[name], split.labels).to_dict()
    if speed:
        faces = fer.by_name()[splits[-1]].images
        result["faces_per_second"] = {f"batch{b}": round(throughput(classifier, faces, b), 1) for b in SPEED_BATCHES}
    return result


def _crowd_votes(fer: FerSplits, splits: tuple[str, ...], votes: str | Path, found: bool) -> dict:
    """Each named split's FER+ votes; {} when a file that was looked up, not given, has none for
    these faces (another data set: the crowd's scores are then left out instead of failing)."""
    table = read_votes(votes)
    try:
        return {name: votes_for(fer.by_name()[name].keys, table, f"{votes} ({name})") for name in splits}
    except DatasetError as exc:
        if not found:
            raise
        print(f"{exc}: crowd scores left out")
        return {}
