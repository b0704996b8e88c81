"""Scores against the FER+ crowd: what a user of the model gets on faces ten people judged.

- majority accuracy: on faces with a clear crowd majority (votes.CrowdVotes.majority), how
  often the top class is the crowd's choice; per-class recall and the confusion matrix too;
- cross-entropy against the vote distribution (lower is better; the distribution's own
  entropy is the floor), over every face with votes for our classes;
- two calibration errors: against the majority (confidence vs how often the top class is the
  majority, the usual ECE) and against the vote shares (confidence vs the share of annotators
  who picked the top class: what "happy 80%" should mean for a model trained on the crowd).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..labels import EMOTIONS
from .calibration import ECE_BINS, Calibration, calibration, reliability
from .metrics import confusion_matrix
from .votes import CrowdVotes


@dataclass(frozen=True)
class CrowdScore:
    split: str
    n_majority: int  # faces with a clear majority
    majority_accuracy: float
    per_class_recall: dict[str, float]  # of the crowd's majority class
    confusion: list[list[int]]  # rows: crowd majority, columns: predicted, FER2013 order
    n_votes: int  # faces with votes for our classes
    cross_entropy: float  # against the vote distribution
    crowd_entropy: float  # the distribution's own entropy: the floor of the cross-entropy
    majority_calibration: Calibration
    share_calibration: Calibration
    original_label_accuracy: float  # against FER2013's one label, every face of the split

    def to_dict(self) -> dict:
        return asdict(self)


def crowd_lines(score: dict) -> list[str]:
    """What python -m emotion evaluate prints for one split's CrowdScore (as a dict, as in the JSON)."""
    recall = ", ".join(f"{e} {r * 100:.1f}%" for e, r in score["per_class_recall"].items())
    return [f"{score['split']}: FER+ majority accuracy {score['majority_accuracy'] * 100:.2f}% on {score['n_majority']} "
            f"faces with a clear majority (FER2013 label accuracy {score['original_label_accuracy'] * 100:.2f}%)",
            f"  recall of the crowd's class: {recall}",
            f"  against the vote distribution ({score['n_votes']} faces): cross-entropy {score['cross_entropy']:.4f} "
            f"(the crowd's own entropy {score['crowd_entropy']:.4f}), ECE vs vote shares "
            f"{score['share_calibration']['ece'] * 100:.2f}%; ECE vs the majority "
            f"{score['majority_calibration']['ece'] * 100:.2f}% ({ECE_BINS} bins)"]


def share_calibration(probabilities: np.ndarray, shares: np.ndarray, bins: int = ECE_BINS) -> Calibration:
    """Reliability against vote shares: per bin of top probability, the mean share of the votes
    that went to the top class. `accuracy` in the bins is that mean share; `nll` is the
    cross-entropy against the shares."""
    p = np.asarray(probabilities, np.float64)
    agreed = shares[np.arange(len(p)), p.argmax(axis=1)]
    ece, table = reliability(p.max(axis=1), agreed, bins)
    return Calibration(cross_entropy(p, shares), ece, table)


def cross_entropy(probabilities: np.ndarray, shares: np.ndarray) -> float:
    return float(-np.mean((shares * np.log(np.clip(probabilities, 1e-12, None))).sum(axis=1)))


def crowd_score(split: str, probabilities: np.ndarray, votes: CrowdVotes, labels: np.ndarray) -> CrowdScore:
    """Every crowd number of one split from the model's (n, 7) probabilities."""
    p = np.asarray(probabilities, np.float64)
    majority = votes.majority()
    clear = majority >= 0
    predicted = p.argmax(axis=1)
    cm = confusion_matrix(majority[clear], predicted[clear])
    totals = cm.sum(axis=1)
    recall = {e: float(cm[i, i] / totals[i]) if totals[i] else float("nan") for i, e in enumerate(EMOTIONS)}
    voted = votes.ours.sum(axis=1) > 0
    shares = votes.distribution()[voted]
    entropy = float(-np.mean((shares * np.log(np.clip(shares, 1e-12, None))).sum(axis=1)))
    return CrowdScore(split, int(clear.sum()), float((predicted[clear] == majority[clear]).mean()), recall, cm.tolist(),
                      int(voted.sum()), cross_entropy(p[voted], shares), entropy,
                      calibration(p[clear], majority[clear]), share_calibration(p[voted], shares),
                      float((predicted == labels).mean()))
