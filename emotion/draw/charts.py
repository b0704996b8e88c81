"""Matplotlib figures: training curves, confusion matrices, per-face probability bars and an
image with its faces.

Every function returns a `matplotlib.figure.Figure` built without pyplot, so nothing here picks
or switches a backend: figures render to PNG on servers and in CI without a display, and a
caller with its own pyplot session is left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..io.files import atomic_path
from ..labels import EMOTION_COLORS_RGB, EMOTIONS
from ..types import FaceResult
from .annotate import annotate, numbered

MAX_FACES_CHARTED = 6


def rgb01(name: str) -> tuple[float, float, float]:
    """An emotion's chart colour as matplotlib wants it."""
    return tuple(c / 255 for c in EMOTION_COLORS_RGB[name])


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Write a figure as PNG (or what the suffix says), atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    return Path(path)


def training_curves(history: dict[str, Sequence[float]], title: str = "") -> Figure:
    fig = Figure(figsize=(11, 4))
    ax_acc, ax_loss = fig.subplots(1, 2)
    epochs = np.arange(1, len(history["loss"]) + 1)
    for key, label, ax in (("accuracy", "train", ax_acc), ("val_accuracy", "PublicTest", ax_acc),
                           ("loss", "train", ax_loss), ("val_loss", "PublicTest", ax_loss)):
        if key in history:
            ax.plot(epochs, history[key], marker="o", markersize=3, label=label)
    ax_acc.set(title="accuracy", xlabel="epoch", ylim=(0, 1))
    ax_loss.set(title="loss", xlabel="epoch")
    for ax in (ax_acc, ax_loss):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return fig


def confusion_matrix_figure(confusion: np.ndarray, title: str) -> Figure:
    """Row-normalised (recall) colours, with raw counts written in each cell."""
    cm = np.asarray(confusion, dtype=float)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(7, 6))
    ax = fig.subplots()
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    ax.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    for i in range(len(EMOTIONS)):
        for j in range(len(EMOTIONS)):
            ax.text(j, i, f"{norm[i, j] * 100:.0f}%\n{int(cm[i, j])}", ha="center", va="center", fontsize=7,
                    color="white" if norm[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of true class")
    return fig


def probability_bars(ax, probabilities: np.ndarray, title: str) -> None:
    """Horizontal bars of one face's 7 probabilities, in FER2013 order, top emotion bold."""
    y = np.arange(len(EMOTIONS))
    ax.barh(y, probabilities, color=[rgb01(e) for e in EMOTIONS])
    ax.set_yticks(y, EMOTIONS)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_title(title, fontsize=10)
    top = int(np.argmax(probabilities))
    ax.get_yticklabels()[top].set_fontweight("bold")
    for i, p in enumerate(probabilities):
        ax.text(min(p + 0.02, 0.85), i, f"{p * 100:.0f}%", va="center", fontsize=8)


def faces_figure(faces: Sequence[FaceResult], max_faces: int = MAX_FACES_CHARTED) -> Figure:
    """One probability panel per face (numbered as in the annotated image), in the given order."""
    shown = list(range(len(faces)))[:max_faces]
    fig = Figure(figsize=(5.5, 1.9 * max(1, len(shown)) + 0.3), layout="tight")
    axes = fig.subplots(max(1, len(shown)), 1, squeeze=False)
    if not faces:
        axes[0, 0].text(0.5, 0.5, "no face found", ha="center", va="center", fontsize=13)
        axes[0, 0].set_axis_off()
    for ax, i in zip(axes[:, 0], shown):
        probability_bars(ax, faces[i].probabilities, f"face #{i + 1}: {faces[i].emotion} {faces[i].confidence * 100:.0f}%")
    return fig


def image_with_faces_figure(image: np.ndarray, faces: Sequence[FaceResult], title: str = "") -> Figure:
    """Annotated image on the left, one probability panel per face (largest first) on the right."""
    shown = sorted(range(len(faces)), key=lambda i: -faces[i].box[2] * faces[i].box[3])[:MAX_FACES_CHARTED]
    rows = max(1, len(shown))
    fig = Figure(figsize=(12, max(4.5, 2.2 * rows)), layout="tight")
    grid = fig.add_gridspec(rows, 2, width_ratios=[1.6, 1])
    ax_img = fig.add_subplot(grid[:, 0])
    ax_img.imshow(annotate(image, numbered(faces)))
    ax_img.set_axis_off()
    ax_img.set_title(title or f"{len(faces)} face(s)")
    if not faces:
        ax = fig.add_subplot(grid[0, 1])
        ax.text(0.5, 0.5, "no face found", ha="center", va="center", fontsize=14)
        ax.set_axis_off()
    for row, i in enumerate(shown):
        face = faces[i]
        probability_bars(fig.add_subplot(grid[row, 1]), face.probabilities,
                         f"face #{i + 1}: {face.emotion} {face.confidence * 100:.0f}%")
    return fig


def reliability_figure(curves: dict[str, tuple[list[dict], float]], title: str, min_count: int = 10,
                       ylabel: str = "accuracy") -> Figure:
    """Reliability diagram: per confidence bin, accuracy against mean confidence (the diagonal is
    perfect calibration), one line per entry of `curves` (label -> (bins, ECE)), with the share
    of faces in each bin below. Bins with fewer than `min_count` faces are not drawn (their
    accuracy is noise; they still count in the ECE)."""
    fig = Figure(figsize=(6.5, 7), layout="constrained")
    ax, ax_count = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="perfectly calibrated")
    for (label, (bins, ece)), marker in zip(curves.items(), "os^D"):
        used = [b for b in bins if b["count"] >= min_count]
        ax.plot([b["confidence"] for b in used], [b["accuracy"] for b in used], marker=marker, ms=4,
                label=f"{label} (ECE {ece * 100:.1f}%)")
        total = sum(b["count"] for b in bins)
        ax_count.plot([(b["lower"] + b["upper"]) / 2 for b in bins], [b["count"] / total for b in bins], marker=marker, ms=3)
    ax.set(ylabel=ylabel, xlim=(0, 1), ylim=(0, 1), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax_count.set(xlabel="confidence (top probability)", ylabel="share of faces")
    ax_count.grid(alpha=0.3)
    return fig


def share_of_time_figure(shares: dict[str, dict[str, float]], title: str = "share of time in each emotion") -> Figure:
    """One horizontal stacked bar per face (label -> {emotion: share}), emotions in FER2013 order."""
    labels = list(shares)
    fig = Figure(figsize=(8, 0.55 * max(len(labels), 1) + 1.3), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(labels))
    for emotion in EMOTIONS:
        values = np.array([shares[label].get(emotion, 0.0) for label in labels])
        ax.barh(labels, values, left=left, color=rgb01(emotion), label=emotion)
        for y, (x, v) in enumerate(zip(left, values)):
            if v >= 0.08:
                ax.text(x + v / 2, y, f"{v * 100:.0f}%", ha="center", va="center", fontsize=8)
        left += values
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set(xlabel="share of analysed frames", title=title)
    fig.legend(*ax.get_legend_handles_labels(), ncol=7, fontsize=8, loc="outside lower center")
    return fig


def group_means_figure(groups: list[str], series: dict[str, tuple[list[float], list[float]]], title: str,
                       ylabel: str, bounds: tuple[float, float] | None = None) -> Figure:
    """Grouped bars: for each series (e.g. an emotion) its mean in each group with a 95%
    confidence interval as an error bar. `series`: name -> (means per group, CI half-widths).
    `bounds`: the range a bounded quantity can take (a share: 0..1; a rate: 0..inf): error bars
    stop there, since a small group's t-interval can reach far past them."""
    names = list(series)
    fig = Figure(figsize=(max(6, 1.0 + 0.35 * len(names) * len(groups)), 3.8), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(names))
    lo, hi = bounds or (-np.inf, np.inf)
    for g, group in enumerate(groups):
        means = np.nan_to_num(np.array([series[n][0][g] for n in names], float))
        halves = np.nan_to_num(np.array([series[n][1][g] for n in names], float))
        errors = [means - np.maximum(means - halves, lo), np.minimum(means + halves, hi) - means]
        ax.bar(x + (g - (len(groups) - 1) / 2) * width, means, width, yerr=errors, capsize=2, label=group, alpha=0.85)
    ax.set_xticks(x, names, rotation=30 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    ax.set(ylabel=ylabel, title=title)
    if bounds and np.isfinite(hi):
        ax.set_ylim(lo, hi)
    ax.grid(axis="y", alpha=0.3)
    ax.axhline(0, color="0.3", lw=0.6)
    ax.legend(fontsize=8, title=None)
    return fig


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (reports inline their pictures). A figure laid out by its own
    layout engine (constrained or tight) already fits its canvas; a "tight" bounding box would
    only draw it a second time to measure it (0.3 instead of 0.4 s for a video's timeline)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=None if fig.get_layout_engine() else "tight")
    return buffer.getvalue()
