"""Classification metrics for FER2013 evaluation, shared by training and evaluation."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..labels import EMOTIONS, NUM_CLASSES


@dataclass(frozen=True)
class SplitScore:
    split: str
    n: int
    accuracy: float
    per_class_accuracy: dict[str, float]
    confusion: list[list[int]]  # rows: true class, columns: predicted class, FER2013 order

    def to_dict(self) -> dict:
        return asdict(self)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(cm, (labels, predicted), 1)
    return cm


def score_split(split: str, labels: np.ndarray, probabilities: np.ndarray) -> SplitScore:
    predicted = probabilities.argmax(axis=1)
    cm = confusion_matrix(labels, predicted)
    totals = cm.sum(axis=1)
    per_class = {e: float(cm[i, i] / totals[i]) if totals[i] else float("nan") for i, e in enumerate(EMOTIONS)}
    return SplitScore(split, int(len(labels)), float((predicted == labels).mean()), per_class, cm.tolist())


def format_score(score: SplitScore, note: str = "") -> str:
    """A plain-text block: accuracy, per-class accuracy and the confusion matrix."""
    lines = [f"{score.split}: accuracy {score.accuracy * 100:.2f}% on {score.n} faces{note}"]
    lines.append("  per class: " + ", ".join(f"{e} {a * 100:.1f}%" for e, a in score.per_class_accuracy.items()))
    head = "  true\\pred " + " ".join(f"{e[:7]:>8}" for e in EMOTIONS)
    lines.append(head)
    for e, row in zip(EMOTIONS, score.confusion):
        lines.append(f"  {e:>9} " + " ".join(f"{v:>8d}" for v in row))
    return "\n".join(lines)
