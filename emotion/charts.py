"""Matplotlib figures: training curves, confusion matrices and per-face probability bars.

Uses the non-interactive Agg backend so it works on servers and in CI without a display.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .labels import EMOTION_COLORS_RGB, EMOTIONS  # noqa: E402


def _rgb01(name: str) -> tuple[float, float, float]:
    return tuple(c / 255 for c in EMOTION_COLORS_RGB[name])


def save_figure(fig, path: str | Path) -> Path:
    """Write a figure atomically (temporary name, then rename) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)
    return path


def training_curves(history: dict[str, Sequence[float]], title: str = ""):
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
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


def confusion_matrix_figure(confusion: np.ndarray, title: str):
    """Row-normalised (recall) colours, with raw counts written in each cell."""
    cm = np.asarray(confusion, dtype=float)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7, 6))
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
    ax.barh(y, probabilities, color=[_rgb01(e) for e in EMOTIONS])
    ax.set_yticks(y, EMOTIONS)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_title(title, fontsize=10)
    top = int(np.argmax(probabilities))
    ax.get_yticklabels()[top].set_fontweight("bold")
    for i, p in enumerate(probabilities):
        ax.text(min(p + 0.02, 0.85), i, f"{p * 100:.0f}%", va="center", fontsize=8)


def faces_figure(faces, max_faces: int = 6):
    """One probability panel per face (numbered as in the annotated image), largest faces first."""
    shown = list(range(len(faces)))[:max_faces]
    fig, axes = plt.subplots(max(1, len(shown)), 1, figsize=(5.5, 1.9 * max(1, len(shown)) + 0.3), squeeze=False)
    if not faces:
        axes[0, 0].text(0.5, 0.5, "no face found", ha="center", va="center", fontsize=13)
        axes[0, 0].set_axis_off()
    for ax, i in zip(axes[:, 0], shown):
        probability_bars(ax, faces[i].probabilities, f"face #{i + 1}: {faces[i].emotion} {faces[i].confidence * 100:.0f}%")
    fig.tight_layout()
    return fig
