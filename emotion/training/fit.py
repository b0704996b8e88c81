"""Fitting a Keras model on FER2013: recipes, augmented batches, distillation, resumable epochs.

Validation and model selection use PublicTest only; PrivateTest is scored once, at the end,
on the selected model. A run can be stopped at any time and resumed with the same command:
Keras' BackupAndRestore keeps the model, optimizer and epoch in the work folder, and the same
command with a larger --epochs extends a finished run.
"""

from __future__ import annotations

import csv
import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
from tqdm import tqdm

from ..errors import ModelFileError
from ..inference.classifier import EmotionClassifier
from ..io.files import write_json_atomic
from ..io.model_files import load_model
from ..labels import NUM_CLASSES
from . import nets
from .augment import MEDIUM_AUGMENT, SEED_AUGMENT, STRONG_AUGMENT, AugmentConfig, augment_batch
from .data import FerSplit, FerSplits, load_fer2013
from .metrics import SplitScore, format_score
from .progress import TqdmProgress
from .save import write_run
from .scoring import faces_of, score_splits


@dataclass(frozen=True)
class Recipe:
    arch: str
    epochs: int
    batch_size: int
    optimizer: str  # adam | adamw | sgd
    lr: float
    schedule: str  # plateau (the seed's ReduceLROnPlateau) | cosine (with one warm-up epoch)
    weight_decay: float
    label_smoothing: float
    augment: AugmentConfig
    # XLA makes the VGG nets twice as fast on this CPU but the seed net (5x5 convs, big
    # dense head) 1.7x slower: 37.8 vs 21.6 img/s measured, batch 64, 2 cores.
    jit_compile: bool | str = "auto"


RECIPES = {
    # The seed project: Adam 5e-4, batch 64, horizontal flips, ReduceLROnPlateau, 15 epochs.
    "seed": Recipe("seed", 15, 64, "adam", 5e-4, "plateau", 0.0, 0.0, SEED_AUGMENT, jit_compile=False),
    # Ours: SGD with Nesterov momentum, cosine schedule, label smoothing, strong augmentation.
    "vgg": Recipe("vgg", 60, 128, "sgd", 0.05, "cosine", 5e-3, 0.1, STRONG_AUGMENT),
    # The same family made small and quick to converge, for short runs on a CPU: AdamW, cosine.
    "vgg-s": Recipe("vgg-s", 12, 128, "adamw", 2e-3, "cosine", 1e-4, 0.1, MEDIUM_AUGMENT),
    "tiny": Recipe("tiny", 1, 64, "adam", 1e-3, "plateau", 0.0, 0.0, SEED_AUGMENT),
}


@dataclass(frozen=True)
class Distillation:
    """Soft targets from a teacher model (any file EmotionClassifier loads: an ensemble exported
    to one file, a bigger network, a GPU-trained model). They are computed on the host on each
    augmented batch, so the student learns what the teacher says about exactly the image it
    sees; the loss stays plain cross-entropy, which keeps this backend-agnostic."""

    teacher: str
    alpha: float = 0.7  # weight of the teacher's distribution against the true label
    temperature: float = 2.0  # > 1 softens the teacher, exposing its second choices
    # Score the teacher once on the un-augmented training faces instead of on every batch. With
    # flip TTA the teacher says the same about a face and its mirror image, and the other
    # augmentations are small, so the targets barely change, while an ensemble teacher that
    # costs 15 ms a face would otherwise add 7 minutes to every CPU epoch.
    once: bool = False


def soft_targets(teacher_probs: np.ndarray, labels: np.ndarray, d: Distillation) -> np.ndarray:
    """alpha * teacher distribution at temperature T + (1 - alpha) * one-hot label."""
    softened = np.power(np.clip(teacher_probs, 1e-8, 1.0), 1.0 / d.temperature)
    softened /= softened.sum(axis=1, keepdims=True)
    return (d.alpha * softened + (1 - d.alpha) * keras.utils.to_categorical(labels, NUM_CLASSES)).astype(np.float32)


class AugmentedFaces(keras.utils.PyDataset):
    """Shuffled, freshly augmented batches every epoch (NumPy/OpenCV on the host)."""

    def __init__(self, split: FerSplit, batch_size: int, augment: AugmentConfig, seed: int,
                 distill: Distillation | None = None, cache_dir: Path | None = None):
        super().__init__()
        self.split, self.batch_size, self.augment, self.distill = split, batch_size, augment, distill
        once = bool(distill and distill.once)
        self.teacher_probs = self._teacher_once(cache_dir) if once else None
        self.teacher = EmotionClassifier.from_path(distill.teacher, flip_tta=True) if distill and not once else None
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(split))

    def _teacher_once(self, cache_dir: Path | None) -> np.ndarray:
        """The teacher's probabilities for every training face, kept in the work folder so that
        a resumed run does not pay for them again."""
        cache = cache_dir / f"teacher_probs.{Path(self.distill.teacher).name}.npy" if cache_dir else None
        if cache and cache.exists():
            probs = np.load(cache)
            if probs.shape == (len(self.split), NUM_CLASSES):
                return probs
        teacher = EmotionClassifier.from_path(self.distill.teacher, flip_tta=True)
        faces = faces_of(self.split)
        chunks = []
        with tqdm(total=len(faces), desc="teacher", unit="face") as bar:
            for i in range(0, len(faces), 512):
                chunks.append(teacher.predict(faces[i : i + 512]))
                bar.update(len(chunks[-1]))
        probs = np.concatenate(chunks)
        if cache:
            np.save(cache, probs)
        return probs

    def __len__(self) -> int:
        return math.ceil(len(self.split) / self.batch_size)

    def __getitem__(self, index: int):
        idx = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        images = augment_batch(self.split.images[idx], self.augment, self.rng)[..., None].astype(np.float32)
        labels = self.split.labels[idx]
        if self.teacher_probs is not None:
            return images, soft_targets(self.teacher_probs[idx], labels, self.distill)
        if self.teacher is not None:
            return images, soft_targets(self.teacher.predict(images), labels, self.distill)
        return images, keras.utils.to_categorical(labels, NUM_CLASSES)

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.split))


def _optimizer(recipe: Recipe, steps_per_epoch: int):
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(recipe.lr)
    lr = recipe.lr
    if recipe.schedule == "cosine":
        total = recipe.epochs * steps_per_epoch
        warmup = min(steps_per_epoch, total // 10)  # one epoch, or a tenth of very short runs
        lr = keras.optimizers.schedules.CosineDecay(recipe.lr * 0.1, decay_steps=max(total - warmup, 1),
                                                    warmup_target=recipe.lr, warmup_steps=warmup)
    if recipe.optimizer == "adamw":
        opt = keras.optimizers.AdamW(lr, weight_decay=recipe.weight_decay)
    else:
        opt = keras.optimizers.SGD(lr, momentum=0.9, nesterov=True, weight_decay=recipe.weight_decay or None)
    if recipe.weight_decay:
        opt.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return opt


def compile_for(model, recipe: Recipe, steps_per_epoch: int) -> None:
    """Optimizer, loss and jit setting of a recipe: shared with benchmarks/train_speed.py, so
    that the benchmark times exactly what training runs."""
    model.compile(optimizer=_optimizer(recipe, steps_per_epoch),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
                  metrics=["accuracy"], jit_compile=recipe.jit_compile)


def _best_so_far(history_csv: Path) -> float | None:
    if not history_csv.exists():
        return None
    with history_csv.open() as fh:
        values = [float(r["val_accuracy"]) for r in csv.DictReader(fh) if r.get("val_accuracy")]
    return max(values) if values else None


def _read_history(history_csv: Path) -> dict[str, list[float]]:
    with history_csv.open() as fh:
        rows = list(csv.DictReader(fh))
    return {k: [float(r[k]) for r in rows] for k in (rows[0].keys() if rows else []) if k != "epoch"}


def start_from(model, init: str | Path) -> None:
    """Copy the weights of a trained model of the same architecture into `model`.

    This is how a short CPU session continues a finished cosine run: a new schedule (a warm
    restart) from where the old one ended, instead of training from scratch again."""
    source = load_model(init)
    theirs, ours = source.get_weights(), model.get_weights()
    shapes = [w.shape for w in theirs], [w.shape for w in ours]
    if shapes[0] != shapes[1]:
        raise ModelFileError(f"--init {init}: its architecture ({source.count_params():,} parameters, "
                         f"{len(theirs)} weight tensors) is not --arch's ({model.count_params():,}, {len(ours)})")
    model.set_weights(theirs)


def fit_model(splits: FerSplits, recipe: Recipe, work_dir: Path, seed: int = 0, quiet: bool = False,
              distill: Distillation | None = None, init: str | Path | None = None):
    """Train on Training, select the best PublicTest epoch; resumable from `work_dir`.
    Returns the selected model and the history of every epoch run so far."""
    work_dir.mkdir(parents=True, exist_ok=True)
    train_data = AugmentedFaces(splits.train, recipe.batch_size, recipe.augment, seed, distill, cache_dir=work_dir)
    model = nets.build(recipe.arch)
    if init:  # on a resume BackupAndRestore overwrites these with the checkpoint's weights
        start_from(model, init)
    compile_for(model, recipe, len(train_data))
    history_csv = work_dir / "history.csv"
    best_path = work_dir / "best.keras"
    backup = work_dir / "backup"
    if not backup.exists():  # a fresh start: nothing from an older run may leak into this one
        history_csv.unlink(missing_ok=True)
        best_path.unlink(missing_ok=True)
    callbacks = [
        # Kept after the last epoch too, so the same command with a larger --epochs extends the run.
        keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False),
        keras.callbacks.ModelCheckpoint(str(best_path), monitor="val_accuracy", mode="max", save_best_only=True,
                                        initial_value_threshold=_best_so_far(history_csv)),
        keras.callbacks.CSVLogger(str(history_csv), append=True),
        TqdmProgress(recipe.epochs, len(train_data), disable=quiet),
    ]
    if recipe.schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=2, min_lr=1e-5))
    val = (faces_of(splits.val), keras.utils.to_categorical(splits.val.labels, NUM_CLASSES))
    model.fit(train_data, validation_data=val, epochs=recipe.epochs, callbacks=callbacks, verbose=0)
    return load_model(best_path), _read_history(history_csv)


def score_model(model, splits: FerSplits) -> dict[str, SplitScore]:
    """PublicTest and PrivateTest, with and without flip TTA. Model selection on PublicTest
    happened through the checkpoint; PrivateTest is scored once, here."""
    scores = {}
    for tta in (False, True):
        scores.update(score_splits(EmotionClassifier(model, flip_tta=tta), splits, suffix="+flip" if tta else ""))
    return scores


def train(data: str, out: Path, name: str, recipe: Recipe, work_dir: Path, seed: int = 0,
          formats: tuple[str, ...] = ("keras", "json", "tflite"), float16: bool = True, quiet: bool = False,
          distill: Distillation | None = None, init: str | Path | None = None) -> dict:
    """Fit, score and write every artefact of the model card (see `save.write_run`)."""
    started = time.time()
    keras.utils.set_random_seed(seed)
    splits = load_fer2013(data, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    print(f"data: {splits.source}; train {len(splits.train)}, PublicTest {len(splits.val)}, PrivateTest {len(splits.test)}")
    best, history = fit_model(splits, recipe, work_dir, seed, quiet, distill, init)
    train_seconds = time.time() - started
    scores = score_model(best, splits)
    for key in ("PublicTest+flip", "PrivateTest+flip"):
        print(format_score(scores[key], " (with flip test-time augmentation)"))
    written = write_run(best, out, name, formats, float16, splits, scores, history, work_dir / "history.csv", recipe.arch)
    card = {
        "name": name,
        "recipe": {**asdict(recipe), "augment": asdict(recipe.augment)},
        "seed": seed,
        "distillation": asdict(distill) if distill else None,
        "initialized_from": str(init) if init else None,
        "data": splits.source,
        "parameters": int(best.count_params()),
        "epochs_run": len(history.get("loss", [])),
        "best_epoch": int(np.argmax(history["val_accuracy"]) + 1) if history.get("val_accuracy") else None,
        "scores": {k: v.to_dict() for k, v in scores.items()},
        "train_seconds_this_call": round(train_seconds, 1),
        "weights_on_disk": "float16" if float16 else "float32",
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "files": {k: Path(v).name for k, v in written.items()},
    }
    written["metrics"] = write_json_atomic(out / f"{name}.metrics.json", card)
    print("wrote " + ", ".join(str(p) for p in written.values()))
    return card
