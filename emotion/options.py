"""Command-line options shared by the app, the batch and visualize, declared once with their
defaults from `emotion.config`, and the analyzer they describe."""

from __future__ import annotations

import argparse

from .config import DEFAULT_DETECTOR, DEFAULT_MIN_FACE, DETECTOR_NAMES, MODEL_ENV


def add_analysis_options(p: argparse.ArgumentParser, actions_help: str | None = None) -> None:
    """--model, --detector, --min-face and (unless `actions_help` is None) --no-actions."""
    p.add_argument("--model", help=f"emotion model file (default: models/default.tflite, or {MODEL_ENV})")
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTOR_NAMES, help=f"face detector (default {DEFAULT_DETECTOR})")
    p.add_argument("--min-face", type=int, default=DEFAULT_MIN_FACE, metavar="PIXELS",
                   help=f"smallest face (box side) looked for anywhere in the frame (default {DEFAULT_MIN_FACE}; "
                        "larger values are faster on big frames)")
    if actions_help is not None:
        p.add_argument("--no-actions", action="store_true", help=actions_help)


def analyzer_from(args: argparse.Namespace, **kwargs):
    """The EmotionAnalyzer the options of `add_analysis_options` ask for."""
    from .inference.analyzer import EmotionAnalyzer

    return EmotionAnalyzer(args.detector, args.model, min_face=args.min_face, **kwargs)
