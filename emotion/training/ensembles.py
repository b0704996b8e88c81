"""Ensembles: several trained emotion models mixed into one by weights chosen on PublicTest.

Independently trained networks make different mistakes, so the weighted mean of their
probabilities is more accurate than any one of them. The result is a small manifest naming the
member files (relative to itself) and their weights, which every front end loads like one model.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from ..draw import charts
from ..errors import UsageError
from ..inference.classifier import EmotionClassifier
from ..io.files import write_json_atomic
from ..io.model_files import ENSEMBLE_SUFFIX
from .data import load_fer2013
from .metrics import format_score
from .save import write_ensemble
from .scoring import faces_of, score_splits


def simplex_grid(n: int, step: float = 0.1) -> list[tuple[float, ...]]:
    """Every vector of n non-negative multiples of `step` that sums to 1."""
    units = round(1 / step)
    return [tuple(c / units for c in combo) + ((units - sum(combo)) / units,)
            for combo in itertools.product(range(units + 1), repeat=n - 1) if sum(combo) <= units]


def best_weights(probabilities: list[np.ndarray], labels: np.ndarray, step: float = 0.1) -> tuple[float, ...]:
    """The weights with the highest accuracy on `labels` (PublicTest); ties go to the most even
    mix, the safer bet on faces it has not seen."""
    def score(w):
        mixed = sum(wi * p for wi, p in zip(w, probabilities))
        return float((mixed.argmax(1) == labels).mean()), -float(np.var(w))

    return max(simplex_grid(len(probabilities), step), key=score)


def build_ensemble(members: list[str], out: Path, weights: list[float] | str, data: str | None = None) -> dict:
    """Write the manifest (and, with `data`, its scores and confusion matrix beside it)."""
    stem = out.name[: -len(ENSEMBLE_SUFFIX)] if out.name.endswith(ENSEMBLE_SUFFIX) else out.stem
    card: dict = {"name": stem, "members": [str(m) for m in members]}
    fer = None
    if weights == "auto" and not data:
        raise UsageError("--weights auto needs --data: the weights are chosen on PublicTest")
    if data:
        fer = load_fer2013(data)
        faces = faces_of(fer.val)
        public = [EmotionClassifier.from_path(m, flip_tta=True).predict(faces) for m in members]
        card["member_public_test"] = [float((p.argmax(1) == fer.val.labels).mean()) for p in public]
        for member, acc in zip(members, card["member_public_test"]):
            print(f"member {member}: PublicTest {acc * 100:.2f}% (flip TTA)")
    if weights == "auto":
        weights = list(best_weights(public, fer.val.labels))
        print("weights chosen on PublicTest: " + ", ".join(f"{w:.1f}" for w in weights))
    manifest = write_ensemble(out, members, list(weights))
    card["weights"] = json.loads(manifest.read_text())["weights"]
    if fer is not None:
        scores = score_splits(EmotionClassifier.from_path(manifest, flip_tta=True), fer)
        for s in scores.values():
            print(format_score(s, f" ({manifest.name}, flip TTA)"))
        private = scores["PrivateTest"]
        png = charts.save_figure(charts.confusion_matrix_figure(
            np.array(private.confusion), f"{stem}: PrivateTest {private.accuracy * 100:.1f}% (flip TTA)"),
            out.with_name(f"{stem}.confusion_matrix.png"))
        card.update(data=fer.source, scores={f"{k}+flip": v.to_dict() for k, v in scores.items()}, confusion=png.name)
        write_json_atomic(out.with_name(f"{stem}.metrics.json"), card)
    print(f"wrote {manifest}")
    return card
