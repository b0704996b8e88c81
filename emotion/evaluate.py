"""python -m emotion.evaluate --data PATH --model MODEL: per split, accuracy, NLL and expected
calibration error (ECE, 15 bins), per-class accuracy and the confusion matrix; and classification
throughput (faces/s at batch 1 and batch 32) measured through the full classification path
(uint8 crops in, preprocessing and flip TTA included)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .draw import charts
from .errors import command
from .training.metrics import SplitScore, format_score
from .training.scoring import evaluate


@command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion.evaluate", description=__doc__)
    p.add_argument("--data", required=True, help="Kaggle-layout folder, a tar(.xz) of it, or fer2013.csv")
    p.add_argument("--model", default="models/default.tflite", help=".tflite, .keras, .json (weights beside it) or .ensemble.json")
    p.add_argument("--splits", default="PublicTest,PrivateTest")
    p.add_argument("--no-tta", action="store_true", help="do not average with the mirrored face")
    p.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    p.add_argument("--confusion-png", type=Path, help="write the last split's confusion matrix here")
    p.add_argument("--reliability-png", type=Path, help="write the reliability diagram of every split here")
    p.add_argument("--json", type=Path, help="write all numbers here")
    args = p.parse_args(argv)
    splits = tuple(s.strip() for s in args.splits.split(",") if s.strip())
    result = evaluate(args.data, args.model, splits, flip_tta=not args.no_tta, speed=not args.no_speed)
    for name in splits:
        print(format_score(SplitScore(**result["scores"][name])))
    for name in splits:
        cal = result["calibration"][name]
        print(f"{name}: accuracy {result['scores'][name]['accuracy'] * 100:.2f}%, NLL {cal['nll']:.4f}, "
              f"ECE {cal['ece'] * 100:.2f}% (15 bins)")
    if "faces_per_second" in result:
        fps = result["faces_per_second"]
        print(f"throughput: {fps['batch1']:.0f} faces/s at batch 1 ({1000 / fps['batch1']:.1f} ms a face), "
              f"{fps['batch32']:.0f} faces/s at batch 32 ({'with' if not args.no_tta else 'without'} flip TTA)")
    if args.confusion_png:
        last = result["scores"][splits[-1]]
        charts.save_figure(charts.confusion_matrix_figure(np.array(last["confusion"]), f"{Path(args.model).name}: "
                           f"{splits[-1]} {last['accuracy'] * 100:.1f}%"), args.confusion_png)
    if args.reliability_png:
        curves = {name: (result["calibration"][name]["bins"], result["calibration"][name]["ece"]) for name in splits}
        charts.save_figure(charts.reliability_figure(curves, f"{Path(args.model).name}: reliability"), args.reliability_png)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
