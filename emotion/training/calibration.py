"""Calibration: do the probabilities mean what they say?

A user reads "happy 56%" as confidence. The expected calibration error (ECE) measures how far
that is from true: faces are put in 15 equal-width bins by their top probability, and ECE is
the face-weighted mean gap between a bin's average confidence and its accuracy. Networks trained
with label smoothing and distillation are underconfident, over-trained ones overconfident;
temperature scaling fixes both with one number T fitted on PublicTest (softmax(logits / T)),
which leaves the ranking, and so the accuracy, unchanged. The shipped file has T baked in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

ECE_BINS = 15


@dataclass(frozen=True)
class Calibration:
    nll: float  # mean negative log-likelihood of the true class
    ece: float  # expected calibration error, 0..1
    bins: list[dict]  # per bin: lower, upper, count, confidence, accuracy

    def to_dict(self) -> dict:
        return asdict(self)


def calibration(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> Calibration:
    p = np.asarray(probabilities, np.float64)
    labels = np.asarray(labels)
    nll = float(-np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None))))
    ece, table = reliability(p.max(axis=1), (p.argmax(axis=1) == labels).astype(np.float64), bins)
    return Calibration(nll, ece, table)


def reliability(confidence: np.ndarray, outcome: np.ndarray, bins: int = ECE_BINS) -> tuple[float, list[dict]]:
    """(ECE, bins): faces binned by their top probability; per bin the mean confidence against
    the mean `outcome` (1/0 for right/wrong, or a vote share), stored as the bin's `accuracy`."""
    edges = np.linspace(0, 1, bins + 1)
    table, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi) if lo > 0 else (confidence <= hi)
        n = int(inside.sum())
        conf = float(confidence[inside].mean()) if n else None
        acc = float(outcome[inside].mean()) if n else None
        if n:
            ece += n / len(confidence) * abs(conf - acc)
        table.append({"lower": round(float(lo), 4), "upper": round(float(hi), 4), "count": n, "confidence": conf, "accuracy": acc})
    return float(ece), table


def apply_temperature(logits_views: np.ndarray, temperature: float) -> np.ndarray:
    """(views, n, 7) logits -> (n, 7) probabilities: softmax(logits / T) averaged over the views
    (the original and its mirror image: exactly what the shipped path computes)."""
    z = np.asarray(logits_views, np.float64) / temperature
    z -= z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    return p.mean(axis=0)


def fit_temperature(logits_views: np.ndarray, labels: np.ndarray) -> float:
    """The T in 0.3..5 minimising the NLL of the flip-averaged probabilities (golden-section
    search on log T; the NLL is smooth and has one minimum there). `labels`: (n,) classes, or
    (n, 7) target distributions (crowd vote shares: the cross-entropy is minimised)."""
    targets = np.asarray(labels)
    if targets.ndim == 1:
        targets = np.eye(logits_views.shape[-1])[targets]

    def nll(log_t: float) -> float:
        p = apply_temperature(logits_views, float(np.exp(log_t)))
        return float(-np.mean((targets * np.log(np.clip(p, 1e-12, None))).sum(axis=1)))

    a, b = np.log(0.3), np.log(5.0)
    g = (np.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    for _ in range(60):
        if nll(c) < nll(d):
            b, d = d, c
            c = b - g * (b - a)
        else:
            a, c = c, d
            d = a + g * (b - a)
    return float(np.exp((a + b) / 2))
