"""python -m emotion.ensemble MEMBER MEMBER... --out models/NAME.ensemble.json
[--weights auto|w1,w2,...] [--data FER2013]: mix several trained emotion models into one.

Independently trained networks make different mistakes, so the weighted mean of their
probabilities is more accurate than any one of them. The result is a small manifest naming
the member files (relative to itself) and their weights; every front end loads it like a
single model (`--model models/NAME.ensemble.json`, or EMOTION_MODEL), at the summed cost of
its members. It is also the teacher `python -m emotion.train --teacher` distils into one net.

`--weights auto` picks the weights on PublicTest only (a 0.1 grid over the simplex);
PrivateTest is scored once, on the finished manifest.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from .data import DatasetError
from .model_io import ModelFileError


def simplex_grid(n: int, step: float = 0.1) -> list[tuple[float, ...]]:
    """Every vector of n non-negative multiples of `step` that sums to 1."""
    units = round(1 / step)
    return [tuple(c / units for c in combo) + ((units - sum(combo)) / units,)
            for combo in itertools.product(range(units + 1), repeat=n - 1) if sum(combo) <= units]


def best_weights(probabilities: list[np.ndarray], labels: np.ndarray, step: float = 0.1) -> tuple[float, ...]:
    """The weights with the highest accuracy on `labels` (PublicTest); ties go to the most even
    mix, the safer bet on faces it has not seen."""
    def score(w):
        mixed = sum(wi * p for wi, p in zip(w, probabilities))
        return float((mixed.argmax(1) == labels).mean()), -float(np.var(w))

    return max(simplex_grid(len(probabilities), step), key=score)


def build_ensemble(members: list[str], out: Path, weights: list[float] | str, data: str | None = None) -> dict:
    """Write the manifest (and, with `data`, its scores and confusion matrix beside it)."""
    from . import charts
    from .classifier import EmotionClassifier
    from .metrics import format_score, score_split
    from .model_io import ENSEMBLE_SUFFIX, write_ensemble, write_json_atomic

    stem = out.name[: -len(ENSEMBLE_SUFFIX)] if out.name.endswith(ENSEMBLE_SUFFIX) else out.stem
    card: dict = {"name": stem, "members": [str(m) for m in members]}
    fer = None
    if data:
        from .data import load_fer2013

        fer = load_fer2013(data)
        faces = fer.val.images[..., None].astype(np.float32)
        public = [EmotionClassifier.from_path(m, flip_tta=True).predict(faces) for m in members]
        card["member_public_test"] = [float((p.argmax(1) == fer.val.labels).mean()) for p in public]
        for member, acc in zip(members, card["member_public_test"]):
            print(f"member {member}: PublicTest {acc * 100:.2f}% (flip TTA)")
    if weights == "auto":
        if fer is None:
            raise ValueError("--weights auto needs --data: the weights are chosen on PublicTest")
        weights = list(best_weights(public, fer.val.labels))
        print("weights chosen on PublicTest: " + ", ".join(f"{w:.1f}" for w in weights))
    manifest = write_ensemble(out, members, list(weights))
    card["weights"] = json.loads(manifest.read_text())["weights"]
    if fer is not None:
        ensemble = EmotionClassifier.from_path(manifest, flip_tta=True)
        scores = {name: score_split(name, split.labels, ensemble.predict(split.images[..., None].astype(np.float32)))
                  for name, split in (("PublicTest", fer.val), ("PrivateTest", fer.test))}
        for s in scores.values():
            print(format_score(s, f" ({manifest.name}, flip TTA)"))
        private = scores["PrivateTest"]
        png = charts.save_figure(charts.confusion_matrix_figure(
            np.array(private.confusion), f"{stem}: PrivateTest {private.accuracy * 100:.1f}% (flip TTA)"),
            out.with_name(f"{stem}.confusion_matrix.png"))
        card.update(data=fer.source, scores={f"{k}+flip": v.to_dict() for k, v in scores.items()}, confusion=png.name)
        write_json_atomic(out.with_name(f"{stem}.metrics.json"), card)
    print(f"wrote {manifest}")
    return card


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion.ensemble", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("members", nargs="+", help="trained model files (.tflite, .keras, or .json with its weights)")
    p.add_argument("--out", required=True, type=Path, help="the manifest to write, NAME.ensemble.json")
    p.add_argument("--weights", help="'auto' (chosen on PublicTest, needs --data) or one number per member "
                                     "(default: equal)")
    p.add_argument("--data", help="FER2013 (folder, .tar.xz or .csv): score the members and the ensemble")
    args = p.parse_args(argv)
    if len(args.members) < 2:
        p.error("an ensemble needs at least two members")
    weights: list[float] | str = [1.0] * len(args.members)
    if args.weights == "auto":
        weights = "auto"
    elif args.weights:
        try:
            weights = [float(w) for w in args.weights.split(",")]
        except ValueError:
            p.error(f"--weights: not 'auto' or a comma-separated list of numbers: {args.weights!r}")
    try:
        build_ensemble(args.members, args.out, weights, args.data)
    except (ModelFileError, DatasetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
