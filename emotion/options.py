"""Command-line options shared by the app, the batch and visualize, declared once with their
defaults from `emotion.config`, and the analyzer they describe."""

from __future__ import annotations

import argparse

from .config import DEFAULT_DETECTOR, DEFAULT_MAX_PIXELS, DEFAULT_MIN_FACE, DETECTOR_NAMES, MODEL_ENV


def add_analysis_options(p: argparse.ArgumentParser, actions_help: str | None = None) -> None:
    """--model, --detector, --min-face, --max-pixels and (unless `actions_help` is None) --no-actions."""
    p.add_argument("--model", help=f"emotion model file (default: models/default.tflite, or {MODEL_ENV})")
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTOR_NAMES, help=f"face detector (default {DEFAULT_DETECTOR})")
    p.add_argument("--min-face", type=int, default=DEFAULT_MIN_FACE, metavar="PIXELS",
                   help=f"smallest face (box side) looked for anywhere in the frame (default {DEFAULT_MIN_FACE}; "
                        "larger values are faster on big frames)")
    p.add_argument("--max-pixels", type=megapixels, default=DEFAULT_MAX_PIXELS, metavar="N",
                   help=f"largest image or video frame accepted, in pixels (default {DEFAULT_MAX_PIXELS:,}; 50M also works); "
                        "larger ones are refused before they are decoded")
    if actions_help is not None:
        p.add_argument("--no-actions", action="store_true", help=actions_help)


def megapixels(text: str) -> int:
    """--max-pixels: a whole number of pixels, or with an M suffix (50M)."""
    value = text.strip().upper().replace(",", "").replace("_", "")
    try:
        pixels = int(float(value[:-1]) * 1e6) if value.endswith("M") else int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of pixels (e.g. 50000000 or 50M)") from None
    if pixels < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the pixel limit must be at least 1")
    return pixels


def analyzer_from(args: argparse.Namespace, **kwargs):
    """The EmotionAnalyzer the options of `add_analysis_options` ask for."""
    from .inference.analyzer import EmotionAnalyzer

    return EmotionAnalyzer(args.detector, args.model, min_face=args.min_face, max_pixels=args.max_pixels, **kwargs)
