"""python -m emotion.evaluate --data PATH --model MODEL: accuracy per split and per class, the
confusion matrix, and classification throughput (faces/s at batch 1 and batch 64) measured
through the full classification path (uint8 crops in, preprocessing included)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from . import charts
from .classifier import EmotionClassifier, to_face_batch
from .data import load_fer2013
from .metrics import SplitScore, format_score, score_split


def throughput(classifier: EmotionClassifier, faces: np.ndarray, batch: int, seconds: float = 3.0) -> float:
    """Faces per second for `batch`-sized calls on uint8 crops; median of repeated timings."""
    crops = faces[:batch]
    classifier.predict(to_face_batch(crops))  # warm-up (graph tracing)
    timings, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(timings) < 5:
        start = time.perf_counter()
        classifier.predict(to_face_batch(crops))
        timings.append(time.perf_counter() - start)
    return batch / float(np.median(timings))


def evaluate(data: str, model: str, splits: tuple[str, ...], flip_tta: bool, speed: bool = True) -> dict:
    classifier = EmotionClassifier.from_path(model, flip_tta=flip_tta)
    fer = load_fer2013(data).by_name()
    scores: dict[str, SplitScore] = {}
    for name in splits:
        split = fer[name]
        scores[name] = score_split(name, split.labels, classifier.predict(split.images[..., None].astype(np.float32)))
    result = {"model": str(model), "flip_tta": flip_tta, "scores": {k: v.to_dict() for k, v in scores.items()}}
    if speed:
        faces = fer[splits[-1]].images
        result["faces_per_second"] = {f"batch{b}": round(throughput(classifier, faces, b), 1) for b in (1, 64)}
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion.evaluate", description=__doc__)
    p.add_argument("--data", required=True, help="Kaggle-layout folder, a tar(.xz) of it, or fer2013.csv")
    p.add_argument("--model", default="models/default.tflite", help=".tflite, .keras, or .json (weights beside it)")
    p.add_argument("--splits", default="PublicTest,PrivateTest")
    p.add_argument("--no-tta", action="store_true", help="do not average with the mirrored face")
    p.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    p.add_argument("--confusion-png", type=Path, help="write the last split's confusion matrix here")
    p.add_argument("--json", type=Path, help="write all numbers here")
    args = p.parse_args(argv)
    splits = tuple(s.strip() for s in args.splits.split(",") if s.strip())
    result = evaluate(args.data, args.model, splits, flip_tta=not args.no_tta, speed=not args.no_speed)
    for name in splits:
        print(format_score(SplitScore(**result["scores"][name])))
    if "faces_per_second" in result:
        fps = result["faces_per_second"]
        print(f"throughput: {fps['batch1']:.0f} faces/s at batch 1, {fps['batch64']:.0f} faces/s at batch 64 "
              f"({'with' if not args.no_tta else 'without'} flip TTA)")
    if args.confusion_png:
        last = result["scores"][splits[-1]]
        charts.save_figure(charts.confusion_matrix_figure(np.array(last["confusion"]), f"{Path(args.model).name}: "
                           f"{splits[-1]} {last['accuracy'] * 100:.1f}%"), args.confusion_png)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
