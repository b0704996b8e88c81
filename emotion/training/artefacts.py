"""The files of a finished training run, beside its model card: the trained weights, the shipped
TFLite file, optional Keras and seed-format copies, history, curves, confusion matrix and
reliability diagram."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..draw import charts
from ..io.files import write_text_atomic
from . import convert
from .engine import save_weights
from .save import WEIGHTS_SUFFIX, save_json_pair, save_keras


def write_torch_run(net, out: Path, name: str, temperature: float, quantize: str, formats: tuple[str, ...],
                    history: list[dict], scored: dict) -> dict[str, Path]:
    """Every file of a finished PyTorch training run except its card: NAME.pt (the trained
    weights, float16), NAME.tflite (the shipped format, temperature baked in), optionally
    NAME.keras and the seed's NAME.json + NAME.weights.h5 pair, the history, the training curves,
    the PrivateTest confusion matrix and the reliability diagram before/after calibration."""
    written = {"weights": save_weights(net, out / f"{name}.pt")}
    written["tflite"] = convert.export(net, out / f"{name}.tflite", temperature, quantize)
    if "keras" in formats or "json" in formats:
        model = convert.to_keras(net, temperature)
        if "keras" in formats:
            written["keras"] = save_keras(model, out / f"{name}.keras")
        if "json" in formats:
            written["json"], written["json_weights"] = save_json_pair(model, out / f"{name}.json", out / f"{name}{WEIGHTS_SUFFIX}")
    written["history"] = write_history(out / f"{name}.history.csv", history)
    series = {k: [row[k] for row in history] for k in (history[0] if history else {}) if k != "epoch"}
    written["curves"] = charts.save_figure(charts.training_curves(series, f"{name} ({net.arch.name})"), out / f"{name}.training_curves.png")
    private = scored["PrivateTest"]
    written["confusion"] = charts.save_figure(charts.confusion_matrix_figure(
        np.array(private["score"].confusion), f"{name}: PrivateTest {private['score'].accuracy * 100:.1f}% (flip TTA)"),
        out / f"{name}.confusion_matrix.png")
    curves = {f"PrivateTest, {state}": (private[state].bins, private[state].ece) for state in ("uncalibrated", "calibrated")}
    written["reliability"] = charts.save_figure(charts.reliability_figure(
        curves, f"{name}: reliability (temperature {temperature:.2f} fitted on PublicTest)"), out / f"{name}.reliability.png")
    return written


def write_history(path: Path, history: list[dict]) -> Path:
    """NAME.history.csv: one row per epoch, the columns of the history's rows."""
    text = io.StringIO()
    if history:
        writer = csv.DictWriter(text, list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    return write_text_atomic(path, text.getvalue())
