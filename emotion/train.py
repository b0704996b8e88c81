"""python -m emotion.train: train an emotion CNN on FER2013 and write every artefact the
model card needs.

Validation and model selection use PublicTest only; PrivateTest is scored once, at the end,
on the selected model. A run can be stopped at any time and resumed with the same command:
Keras' BackupAndRestore keeps the model, optimizer and epoch in the work folder, and
the same command with a larger --epochs extends a finished run.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import keras
import numpy as np
from tqdm import tqdm

from . import charts, nets
from .augment import MEDIUM_AUGMENT, SEED_AUGMENT, STRONG_AUGMENT, AugmentConfig, augment_batch
from .classifier import EmotionClassifier
from .data import DatasetError, FerSplit, load_fer2013
from .labels import NUM_CLASSES
from .metrics import format_score, score_split
from .model_io import ModelFileError, export_tflite, load_model, save_json_pair, save_keras, write_json_atomic
from .progress import TqdmProgress


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
        faces = self.split.images[..., None].astype(np.float32)
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


def score_export(tflite: str | Path, splits) -> dict:
    """The exported file's flip-TTA scores on PublicTest and PrivateTest: the numbers of the
    shipped inference path. Called by training under TensorFlow and, for models trained under
    another backend, by `python -m emotion.export --card`."""
    lite = EmotionClassifier.from_path(tflite, flip_tta=True)
    return {f"{name}+flip (tflite)": score_split(name, split.labels, lite.predict(split.images[..., None].astype(np.float32)))
            for name, split in (("PublicTest", splits.val), ("PrivateTest", splits.test))}


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


def train(data: str, out: Path, name: str, recipe: Recipe, work_dir: Path, seed: int = 0,
          formats: tuple[str, ...] = ("keras", "json", "tflite"), float16: bool = True, quiet: bool = False,
          distill: Distillation | None = None, init: str | Path | None = None) -> dict:
    started = time.time()
    keras.utils.set_random_seed(seed)
    splits = load_fer2013(data, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    print(f"data: {splits.source}; train {len(splits.train)}, PublicTest {len(splits.val)}, PrivateTest {len(splits.test)}")

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
    val = (splits.val.images[..., None].astype(np.float32), keras.utils.to_categorical(splits.val.labels, NUM_CLASSES))
    model.fit(train_data, validation_data=val, epochs=recipe.epochs, callbacks=callbacks, verbose=0)
    train_seconds = time.time() - started

    # Model selection on PublicTest happened through the checkpoint; PrivateTest is scored once here.
    best = load_model(best_path)
    history = _read_history(history_csv)
    scores = {}
    for tta in (False, True):
        clf = EmotionClassifier(best, flip_tta=tta)
        for split_name, split in (("PublicTest", splits.val), ("PrivateTest", splits.test)):
            scores[f"{split_name}{'+flip' if tta else ''}"] = score_split(split_name, split.labels, clf.predict(split.images[..., None].astype(np.float32)))
    shipped = scores["PrivateTest+flip"]
    for key in ("PublicTest+flip", "PrivateTest+flip"):
        print(format_score(scores[key], " (with flip test-time augmentation)"))

    written = {}
    if "keras" in formats:
        written["keras"] = save_keras(best, out / f"{name}.keras", float16=float16)
    if "json" in formats:
        written["json"], written["weights"] = save_json_pair(best, out / f"{name}.json", out / f"{name}.weights.h5", float16=float16)
    if "tflite" in formats:
        if keras.backend.backend() == "tensorflow":
            written["tflite"] = export_tflite(best, out / f"{name}.tflite", float16=float16)
            scores.update(score_export(written["tflite"], splits))
            print(format_score(scores["PrivateTest+flip (tflite)"], " (exported .tflite, flip TTA)"))
        else:
            print(f"note: no .tflite under the {keras.backend.backend()} backend; under TensorFlow run "
                  f"python -m emotion.export {out / name}.keras --data DATA --card {out / name}.metrics.json")
    written["history"] = out / f"{name}.history.csv"
    written["history"].write_text(history_csv.read_text())
    written["curves"] = charts.save_figure(charts.training_curves(history, f"{name} ({recipe.arch})"), out / f"{name}.training_curves.png")
    written["confusion"] = charts.save_figure(
        charts.confusion_matrix_figure(np.array(shipped.confusion), f"{name}: PrivateTest {shipped.accuracy * 100:.1f}% (flip TTA)"),
        out / f"{name}.confusion_matrix.png")
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
    written["metrics"] = out / f"{name}.metrics.json"
    write_json_atomic(written["metrics"], card)
    print("wrote " + ", ".join(str(p) for p in written.values()))
    return card


def _parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m emotion.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="Kaggle-layout folder, a tar(.xz) of it, or fer2013.csv")
    p.add_argument("--arch", default="vgg", choices=sorted(RECIPES), help="architecture and its default recipe")
    p.add_argument("--out", default="runs", type=Path, help="folder for the finished artefacts (default: runs)")
    p.add_argument("--name", help="file name stem of the artefacts (default: the architecture)")
    p.add_argument("--work-dir", type=Path, help="checkpoints for resuming (default: OUT/NAME.work)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--label-smoothing", type=float)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--formats", default="keras,json,tflite", help="comma list of keras,json,tflite (default: all)")
    p.add_argument("--float32", action="store_true", help="store weights as float32 (default: float16 on disk)")
    p.add_argument("--mixed-precision", action="store_true", help="bf16 compute (GPU); weights stay float32")
    p.add_argument("--teacher", help="distil from this model (.tflite/.keras/.json): soft targets on every augmented batch")
    p.add_argument("--distill-alpha", type=float, default=0.7, help="weight of the teacher against the label (0.7)")
    p.add_argument("--temperature", type=float, default=2.0, help="softening of the teacher's distribution (2.0)")
    p.add_argument("--teacher-once", action="store_true",
                   help="score the teacher once on the un-augmented faces, not on every batch (for slow teachers)")
    p.add_argument("--init", help="start from this trained model's weights (same --arch): fine-tuning, warm restarts")
    p.add_argument("--quiet", action="store_true", help="no per-batch progress bar")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = _parse(argv)
    recipe = RECIPES[args.arch]
    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "label_smoothing") if getattr(args, k) is not None}
    recipe = replace(recipe, **overrides)
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    name = args.name or args.arch
    work_dir = args.work_dir or args.out / f"{name}.work"
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    distill = Distillation(args.teacher, args.distill_alpha, args.temperature, args.teacher_once) if args.teacher else None
    try:
        train(args.data, args.out, name, recipe, work_dir, seed=args.seed, formats=formats,
              float16=not args.float32, quiet=args.quiet, distill=distill, init=args.init)
    except (DatasetError, ModelFileError) as exc:  # bad input: its message, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
