"""python -m emotion evaluate --data PATH [--model MODEL] [--votes FILE]: per split, accuracy
against FER2013's labels, NLL and expected calibration error (ECE, 15 bins), per-class accuracy
and the confusion matrix; against the FER+ crowd votes (found beside --data, in
../shared/datasets, or given with --votes): majority accuracy, per-class recall, cross-entropy
and ECE against the vote shares and against the majority; and classification throughput
(faces/s at batch 1 and batch 32) through the full classification path (uint8 crops in,
preprocessing and flip TTA included). The model is --model, else EMOTION_MODEL, else
models/default.tflite."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..draw import charts
from ..errors import DatasetError, command
from ..io.model_files import default_model_path
from ..training.crowd_metrics import crowd_lines
from ..training.metrics import SplitScore, format_score
from ..training.scoring import evaluate
from ..training.votes import find_votes


@command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion evaluate", description=__doc__)
    p.add_argument("--data", required=True, help="Kaggle-layout folder, a tar(.xz) of it, or fer2013.csv")
    p.add_argument("--model", help=".tflite, .keras, .json (weights beside it) or .ensemble.json "
                                   "(default: EMOTION_MODEL, else models/default.tflite)")
    p.add_argument("--votes", help="FER+ votes file (default: ferplus-votes.csv beside --data, else "
                                   "../shared/datasets/ferplus-votes.csv; crowd scores are left out when none is found)")
    p.add_argument("--splits", default="PublicTest,PrivateTest")
    p.add_argument("--no-tta", action="store_true", help="do not average with the mirrored face")
    p.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    p.add_argument("--confusion-png", type=Path, help="write the last split's confusion matrix here (against the crowd's "
                                                      "majority when there are votes)")
    p.add_argument("--reliability-png", type=Path, help="write the reliability diagram of every split here")
    p.add_argument("--json", type=Path, help="write all numbers here")
    args = p.parse_args(argv)
    splits = tuple(s.strip() for s in args.splits.split(",") if s.strip())
    model = args.model or str(default_model_path())
    try:
        votes = find_votes(args.votes, args.data)
    except DatasetError:
        if args.votes:
            raise
        votes = None
        print("no FER+ votes file found beside --data or in ../shared/datasets: crowd scores left out")
    result = evaluate(args.data, model, splits, flip_tta=not args.no_tta, speed=not args.no_speed, votes=votes,
                      votes_found=not args.votes)
    for name in splits:
        print(format_score(SplitScore(**result["scores"][name])))
    for name in splits:
        cal = result["calibration"][name]
        print(f"{name}: accuracy {result['scores'][name]['accuracy'] * 100:.2f}%, NLL {cal['nll']:.4f}, "
              f"ECE {cal['ece'] * 100:.2f}% (15 bins)")
    crowd = result.get("crowd", {})
    for name in crowd:
        print("\n".join(crowd_lines(crowd[name])))
    if "faces_per_second" in result:
        fps = result["faces_per_second"]
        print(f"throughput: {fps['batch1']:.0f} faces/s at batch 1 ({1000 / fps['batch1']:.1f} ms a face), "
              f"{fps['batch32']:.0f} faces/s at batch 32 ({'with' if not args.no_tta else 'without'} flip TTA)")
    title = Path(model).name
    if args.confusion_png:
        last = crowd.get(splits[-1]) or result["scores"][splits[-1]]
        what = "FER+ majority" if crowd else "FER2013 labels"
        accuracy = last.get("majority_accuracy", last.get("accuracy"))
        charts.save_figure(charts.confusion_matrix_figure(np.array(last["confusion"]), f"{title}: {splits[-1]} "
                           f"{accuracy * 100:.1f}% ({what})"), args.confusion_png)
    if args.reliability_png:
        if crowd:
            curves = {f"{name}, vs vote shares": (crowd[name]["share_calibration"]["bins"], crowd[name]["share_calibration"]["ece"])
                      for name in splits}
            curves.update({f"{name}, vs majority": (crowd[name]["majority_calibration"]["bins"],
                                                    crowd[name]["majority_calibration"]["ece"]) for name in splits})
        else:
            curves = {name: (result["calibration"][name]["bins"], result["calibration"][name]["ece"]) for name in splits}
        ylabel = "accuracy (vs majority) / mean vote share of the top class" if crowd else "accuracy"
        charts.save_figure(charts.reliability_figure(curves, f"{title}: reliability", ylabel=ylabel), args.reliability_png)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
