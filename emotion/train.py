"""python -m emotion.train: train an emotion CNN on FER2013 and write every artefact the
model card needs.

Validation and model selection use PublicTest only; PrivateTest is scored once, at the end,
on the selected model. A run can be stopped at any time and resumed with the same command
(checkpoints in the work folder); the same command with a larger --epochs extends a finished run.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from .errors import command
from .training.fit import RECIPES, Distillation, train


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


@command
def main(argv=None) -> int:
    args = _parse(argv)
    recipe = RECIPES[args.arch]
    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "label_smoothing") if getattr(args, k) is not None}
    recipe = replace(recipe, **overrides)
    if args.mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    name = args.name or args.arch
    work_dir = args.work_dir or args.out / f"{name}.work"
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    distill = Distillation(args.teacher, args.distill_alpha, args.temperature, args.teacher_once) if args.teacher else None
    train(args.data, args.out, name, recipe, work_dir, seed=args.seed, formats=formats,
          float16=not args.float32, quiet=args.quiet, distill=distill, init=args.init)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
