"""python -m emotion train: train an emotion CNN on FER2013 with the PyTorch engine and write
every artefact the model card needs: NAME.pt (trained weights), NAME.tflite (what the app and
batch run, calibrated), history, curves, confusion matrix, reliability diagram, NAME.metrics.json.

Validation, model selection and the calibration temperature use PublicTest only; PrivateTest is
scored once, at the end, on the selected model. A run can be stopped at any time and resumed
with the same command (one checkpoint in the work folder, rewritten after every epoch).
Needs PyTorch (pip install -r requirements-train.txt); the app and batch never do.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from ..errors import UsageError, command


def _parse(argv=None):
    from ..training.recipes import PRECISIONS, RECIPES

    p = argparse.ArgumentParser(prog="python -m emotion train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="Kaggle-layout folder, a tar(.xz) of it, or fer2013.csv")
    p.add_argument("--arch", default="vgg-s", choices=sorted(RECIPES), help="architecture and its default recipe (vgg-s)")
    p.add_argument("--out", default="runs", type=Path, help="folder for the finished artefacts (default: runs)")
    p.add_argument("--name", help="file name stem of the artefacts (default: the architecture)")
    p.add_argument("--work-dir", type=Path, help="checkpoint for resuming (default: OUT/NAME.work)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="peak learning rate (one-cycle) or starting one (plateau)")
    p.add_argument("--label-smoothing", type=float)
    p.add_argument("--mixup", type=float, help="share of batches mixed by mixup or cutmix (0..1)")
    p.add_argument("--augment", choices=("seed", "real", "video"),
                   help="augmentation: real (webcam-like; the vgg recipes' default), video (recorded video's blur, "
                        "compression, small faces, dim light and tilt, stronger), seed (flips only)")
    p.add_argument("--precision", choices=PRECISIONS,
                   help="bf16 autocast, fp32, or auto (default): bf16 where the CPU or GPU computes it natively")
    p.add_argument("--no-channels-last", action="store_true", help="keep tensors in NCHW memory order")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quantize", default="float16", choices=("float16", "float32", "dynamic"),
                   help="weights of the exported .tflite (default float16)")
    p.add_argument("--formats", default="", help="also write keras and/or json (the seed's pair), comma-separated")
    p.add_argument("--teacher", help="distil from this model (.tflite, .keras, .json or .ensemble.json)")
    p.add_argument("--distill-alpha", type=float, default=0.7, help="weight of the teacher against the label (0.7)")
    p.add_argument("--temperature", type=float, default=2.0, help="softening of the teacher's distribution (2.0)")
    p.add_argument("--teacher-views", type=int, default=8,
                   help="augmented views of every face the teacher is run on once and cached (default 8)")
    p.add_argument("--init", help="start from this trained NAME.pt (same --arch): fine-tuning, warm restarts")
    p.add_argument("--threads", type=int, help="PyTorch threads (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress bar")
    return p.parse_args(argv)


@command
def main(argv=None) -> int:
    args = _parse(argv)  # first: --help needs no PyTorch
    try:
        import torch
    except ImportError as exc:
        raise UsageError("training needs PyTorch: pip install -r requirements-train.txt") from exc
    from ..training.augment import AUGMENTS
    from ..training.engine import RECIPES, Distillation
    from ..training.fit import train

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "label_smoothing", "mixup", "precision")
                 if getattr(args, k) is not None}
    if args.augment:
        overrides["augment"] = AUGMENTS[args.augment]
    recipe = replace(RECIPES[args.arch], **overrides, **({"channels_last": False} if args.no_channels_last else {}))
    name = args.name or args.arch
    distill = Distillation(args.teacher, args.distill_alpha, args.temperature, args.teacher_views) if args.teacher else None
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    train(args.data, args.out, name, recipe, args.work_dir or args.out / f"{name}.work", seed=args.seed, quiet=args.quiet,
          distill=distill, init=args.init, quantize=args.quantize, formats=formats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
