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
from pathlib import Path

from .errors import command
from .training.ensembles import build_ensemble


@command
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
    build_ensemble(args.members, args.out, weights, args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
