"""python -m emotion.visualize IMAGE [--out FILE.png]: the image with its faces annotated, next
to a bar chart of each face's emotion probabilities."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import charts
from .analyzer import EmotionAnalyzer
from .annotate import annotate
from .detectors import DEFAULT_DETECTOR, DETECTOR_NAMES
from .media import ImageInputError, load_image
from .types import FaceResult

MAX_FACES_CHARTED = 6


def figure_for(image: np.ndarray, faces: list[FaceResult], title: str = ""):
    """Annotated image on the left, one probability panel per face (largest first) on the right."""
    import matplotlib.pyplot as plt

    shown = sorted(range(len(faces)), key=lambda i: -faces[i].box[2] * faces[i].box[3])[:MAX_FACES_CHARTED]
    rows = max(1, len(shown))
    fig = plt.figure(figsize=(12, max(4.5, 2.2 * rows)))
    grid = fig.add_gridspec(rows, 2, width_ratios=[1.6, 1])
    ax_img = fig.add_subplot(grid[:, 0])
    ax_img.imshow(annotate(image, faces, face_ids=list(range(1, len(faces) + 1))))
    ax_img.set_axis_off()
    ax_img.set_title(title or f"{len(faces)} face(s)")
    if not faces:
        ax = fig.add_subplot(grid[0, 1])
        ax.text(0.5, 0.5, "no face found", ha="center", va="center", fontsize=14)
        ax.set_axis_off()
    for row, i in enumerate(shown):
        face = faces[i]
        charts.probability_bars(fig.add_subplot(grid[row, 1]), face.probabilities,
                                f"face #{i + 1}: {face.emotion} {face.confidence * 100:.0f}%")
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion.visualize", description=__doc__)
    p.add_argument("image", type=Path)
    p.add_argument("--out", type=Path, help="PNG to write (default: IMAGE.emotions.png beside the image)")
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTOR_NAMES)
    p.add_argument("--model", type=Path, help="model file (default: models/default.tflite, or EMOTION_MODEL)")
    args = p.parse_args(argv)
    try:
        image = load_image(args.image)
    except ImageInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    faces = EmotionAnalyzer(args.detector, args.model).analyze(image)
    out = args.out or args.image.with_name(args.image.stem + ".emotions.png")
    charts.save_figure(figure_for(image, faces, args.image.name), out)
    for i, face in enumerate(faces, 1):
        print(f"face #{i}: box {face.box} {face.emotion} {face.confidence * 100:.1f}%")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
