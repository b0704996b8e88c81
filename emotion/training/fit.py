"""A training run from data to shipped files: fit (resumable), select on PublicTest, calibrate on
PublicTest, score PrivateTest once, export to TFLite with a parity check, write the model card.

Validation and model selection use PublicTest only: the checkpoint kept is the epoch with the
best flip-averaged PublicTest accuracy, and the calibration temperature is fitted on PublicTest.
PrivateTest is scored once, on the finished model.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import DatasetError, UsageError
from ..inference.classifier import EmotionClassifier
from ..io.files import write_json_atomic
from . import augment
from .calibration import apply_temperature, calibration, fit_temperature
from .data import FerSplit, FerSplits, load_fer2013
from .engine import (Distillation, Recipe, Trainer, load_weights, one_hot, predict_logits, recipe_dict, save_checkpoint,
                     soft_targets)
from .artefacts import write_torch_run
from .metrics import format_score, score_split
from .scoring import score_export

PARITY_FACES = 500


@dataclass
class FitResult:
    trainer: Trainer  # its net holds the best PublicTest epoch's weights
    history: list[dict]
    best_epoch: int
    seconds: float


def teacher_targets(distill: Distillation, split: FerSplit, cfg: augment.AugmentConfig, seed: int,
                    cache_dir: Path) -> tuple[augment.Views, np.ndarray]:
    """`distill.views` fixed augmented views of every training face and the teacher's flip-TTA
    probabilities on each ((views, n, 7)), cached in `cache_dir` so that a resumed or repeated run
    does not pay for them again."""
    n = len(split)
    views = augment.sample(distill.views * n, cfg, np.random.default_rng(seed + 7919)).with_flip(np.zeros(distill.views * n, bool))
    key = hashlib.sha1(json.dumps([str(Path(distill.teacher).resolve()), asdict(cfg), seed, distill.views, n]).encode()).hexdigest()[:10]
    cache = cache_dir / f"teacher.{Path(distill.teacher).name}.{key}.npy"
    if cache.exists():
        probs = np.load(cache).astype(np.float32)
        if probs.shape == (distill.views, n, 7):
            return views, probs / probs.sum(axis=-1, keepdims=True)
    teacher = EmotionClassifier.from_path(distill.teacher, flip_tta=True)
    probs = np.empty((distill.views, n, 7), np.float32)
    with tqdm(total=distill.views * n, desc="teacher views", unit="face") as bar:
        for k in range(distill.views):
            for start in range(0, n, 2048):
                idx = np.arange(start, min(start + 2048, n))
                faces = augment.apply(split.images[idx], views.take(k * n + idx))
                probs[k, idx] = teacher.predict(faces[..., None].astype(np.float32))
                bar.update(len(idx))
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache, probs.astype(np.float16))
    return views, probs


def fit(splits: FerSplits, recipe: Recipe, work_dir: Path, seed: int = 0, quiet: bool = False,
        distill: Distillation | None = None, init: str | Path | None = None) -> FitResult:
    """Train on Training, keep the best PublicTest epoch; resumable from `work_dir/checkpoint.pt`."""
    work_dir.mkdir(parents=True, exist_ok=True)
    steps = -(-len(splits.train) // recipe.batch_size)
    trainer = Trainer(recipe, steps, seed)
    views = None
    if distill:
        views, teacher = teacher_targets(distill, splits.train, recipe.augment, seed, work_dir)
        targets = np.stack([soft_targets(t, splits.train.labels, distill, recipe.label_smoothing) for t in teacher])
    else:
        targets = one_hot(splits.train.labels, recipe.label_smoothing)
    checkpoint = work_dir / "checkpoint.pt"
    history, best = [], {"epoch": 0, "val_accuracy": -1.0, "model": None}
    run_id = {"recipe": recipe_dict(recipe), "seed": seed, "distillation": asdict(distill) if distill else None,
              "init": str(init) if init else None}
    if checkpoint.exists():
        saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
        if saved["run"] != run_id:
            raise UsageError(f"{work_dir}: holds a run with other settings ({saved['run']}); resume it with the same "
                             f"command, or give another --work-dir")
        trainer.load_state(saved["trainer"])
        history, best = saved["history"], saved["best"]
    elif init:
        trainer.net.load_state_dict(load_weights(init, recipe.arch))
    started = time.time()
    val_faces = splits.val.images
    for epoch in range(len(history) + 1, recipe.epochs + 1):
        with tqdm(total=len(splits.train), desc=f"epoch {epoch}/{recipe.epochs}", unit="img", leave=False,
                  disable=quiet, dynamic_ncols=True) as bar:
            stats = trainer.epoch(splits.train, targets, views, bar)
        probs = apply_temperature(predict_logits(trainer.net, val_faces), 1.0)
        val_accuracy = float((probs.argmax(1) == splits.val.labels).mean())
        val_loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(probs)), splits.val.labels], 1e-12, None))))
        if recipe.schedule == "plateau":
            trainer.schedule.step(val_loss)
        row = {"epoch": epoch, "loss": round(stats["loss"], 5), "val_accuracy": round(val_accuracy, 5),
               "val_loss": round(val_loss, 5), "lr": trainer.optimizer.param_groups[0]["lr"],
               "images_per_s": round(stats["images_per_s"], 1)}
        history.append(row)
        if val_accuracy > best["val_accuracy"]:
            best = {"epoch": epoch, "val_accuracy": val_accuracy, "model": copy.deepcopy(trainer.net.state_dict())}
        save_checkpoint(checkpoint, {"run": run_id, "trainer": trainer.state(), "history": history, "best": best})
        tqdm.write(f"epoch {epoch}/{recipe.epochs}: loss {row['loss']:.4f}, PublicTest {val_accuracy * 100:.2f}% "
                   f"(loss {val_loss:.4f}), {row['images_per_s']:.0f} images/s" + (" *" if best["epoch"] == epoch else ""))
    if best["model"] is not None:
        trainer.net.load_state_dict(best["model"])
    return FitResult(trainer, history, best["epoch"], time.time() - started)


def calibrate_and_score(net, splits: FerSplits) -> tuple[float, dict]:
    """Fit the temperature on PublicTest; score both splits (flip TTA, fp32) before and after.
    Returns (temperature, {split: {"score", "uncalibrated", "calibrated"}})."""
    logits = {name: predict_logits(net, split.images) for name, split in (("PublicTest", splits.val), ("PrivateTest", splits.test))}
    temperature = fit_temperature(logits["PublicTest"], splits.val.labels)
    results = {}
    for name, split in (("PublicTest", splits.val), ("PrivateTest", splits.test)):
        raw, calibrated = apply_temperature(logits[name], 1.0), apply_temperature(logits[name], temperature)
        results[name] = {"score": score_split(name, split.labels, calibrated),
                         "uncalibrated": calibration(raw, split.labels), "calibrated": calibration(calibrated, split.labels)}
    return temperature, results


def parity(net, tflite: Path, faces: np.ndarray, temperature: float) -> float:
    """Largest difference between any probability of the trained net (fp32, flip TTA, calibrated)
    and of its exported TFLite file through the shipped classifier, over `faces`."""
    ours = apply_temperature(predict_logits(net, faces), temperature)
    shipped = EmotionClassifier.from_path(tflite, flip_tta=True).predict(faces[..., None].astype(np.float32))
    return float(np.abs(ours - shipped).max())


def train(data: str, out: Path, name: str, recipe: Recipe, work_dir: Path, seed: int = 0, quiet: bool = False,
          distill: Distillation | None = None, init: str | Path | None = None, quantize: str = "float16",
          formats: tuple[str, ...] = ()) -> dict:
    """Fit, calibrate, score, export and write every artefact of the model card (see save.write_torch_run)."""
    splits = load_fer2013(data, seed=seed)
    if not len(splits.test):
        raise DatasetError(f"{data}: holds no PrivateTest faces, which a finished model is scored on "
                           f"(python -m emotion train-members fits without them)")
    out.mkdir(parents=True, exist_ok=True)
    print(f"data: {splits.source}; train {len(splits.train)}, PublicTest {len(splits.val)}, PrivateTest {len(splits.test)}")
    result = fit(splits, recipe, work_dir, seed, quiet, distill, init)
    net = result.trainer.net
    temperature, scored = calibrate_and_score(net, splits)
    for split in ("PublicTest", "PrivateTest"):
        s = scored[split]
        print(format_score(s["score"], " (flip TTA)"))
        print(f"{split}: NLL {s['uncalibrated'].nll:.4f} -> {s['calibrated'].nll:.4f}, "
              f"ECE {s['uncalibrated'].ece * 100:.2f}% -> {s['calibrated'].ece * 100:.2f}% (temperature {temperature:.3f})")
    written = write_torch_run(net, out, name, temperature, quantize, formats, result.history, scored)
    export_scores = score_export(written["tflite"], splits)
    faces = splits.test.images[:PARITY_FACES]
    max_diff = parity(net, written["tflite"], faces, temperature)
    print(f"exported {written['tflite'].name}: PrivateTest {export_scores['PrivateTest+flip (tflite)'].accuracy * 100:.2f}%; "
          f"largest probability difference from the trained net on {len(faces)} faces: {max_diff:.2e}")
    card = {
        "name": name,
        "engine": f"PyTorch {torch.__version__}",
        "precision_used": result.trainer.precision,
        "recipe": recipe_dict(recipe),
        "seed": seed,
        "distillation": asdict(distill) if distill else None,
        "initialized_from": str(init) if init else None,
        "data": splits.source,
        "parameters": int(sum(p.numel() for p in net.parameters())),
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "temperature": round(temperature, 4),
        "scores": {**{f"{k}+flip": v["score"].to_dict() for k, v in scored.items()},
                   **{k: v.to_dict() for k, v in export_scores.items()}},
        "calibration": {k: {"uncalibrated": v["uncalibrated"].to_dict(), "calibrated": v["calibrated"].to_dict()}
                        for k, v in scored.items()},
        "parity_max_abs_difference": max_diff,
        "train_seconds_this_call": round(result.seconds, 1),
        "images_per_s_median": float(np.median([h["images_per_s"] for h in result.history])) if result.history else None,
        "exported_as": quantize,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "files": {k: Path(v).name for k, v in written.items()},
    }
    written["metrics"] = write_json_atomic(out / f"{name}.metrics.json", card)
    print("wrote " + ", ".join(str(p) for p in written.values()))
    return card

