"""python -m emotion ensemble MEMBER MEMBER... --out models/NAME.ensemble.json
[--weights auto|w1,w2,...] [--data FER2013]: mix several trained emotion models into one.

Independently trained networks make different mistakes, so the weighted mean of their
probabilities is more accurate than any one of them. The result is a small manifest naming
the member files (relative to itself) and their weights; every front end loads it like a
single model (`--model models/NAME.ensemble.json`, or EMOTION_MODEL), at the summed cost of
its members. It is also the teacher `python -m emotion train --teacher` distils into one net.

`--weights auto` picks the weights on PublicTest only (a 0.1 grid over the simplex);
PrivateTest is scored once, on the finished manifest.

With trained nets (NAME.pt from python -m emotion train) and `--out NAME.tflite`, the members
are merged into one TFLite graph instead: `--views plain,mirror` says what each member looks at
(the face, its mirror image, or both), the calibration temperature is fitted on PublicTest, and
the file ships like any single model (this is how models/default.tflite is made; one member
with `--views both` is one trained net exported with its mirror-image averaging built in):

    python -m emotion ensemble m1.pt m2.pt --views plain,mirror --out models/default.tflite --data FER2013
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import command
from ..training.ensembles import build_ensemble


@command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion ensemble", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("members", nargs="+", help="trained model files (.tflite, .keras, or .json with its weights)")
    p.add_argument("--out", required=True, type=Path, help="the manifest to write, NAME.ensemble.json")
    p.add_argument("--weights", help="'auto' (chosen on PublicTest, needs --data) or one number per member "
                                     "(default: equal)")
    p.add_argument("--data", help="FER2013 (folder, .tar.xz or .csv): score the members and the ensemble")
    p.add_argument("--views", help="with .pt members and a .tflite --out: plain, mirror or both per member "
                                   "(default: plain for all)")
    p.add_argument("--votes", help="with a .tflite --out: FER+ votes file; score against the crowd and fit the "
                                   "temperature to it (see --calibrate)")
    p.add_argument("--calibrate", default="shares", choices=("shares", "majority"),
                   help="with --votes: fit the temperature to the vote shares (default) or to the majority class")
    p.add_argument("--quantize", default="float16", choices=("float16", "float32", "dynamic"),
                   help="weights of a merged .tflite (default float16)")
    args = p.parse_args(argv)
    if len(args.members) < 2 and args.out.suffix != ".tflite":
        p.error("an ensemble needs at least two members")
    weights: list[float] | str = [1.0] * len(args.members)
    if args.weights == "auto":
        weights = "auto"
    elif args.weights:
        try:
            weights = [float(w) for w in args.weights.split(",")]
        except ValueError:
            p.error(f"--weights: not 'auto' or a comma-separated list of numbers: {args.weights!r}")
    if args.out.suffix == ".tflite":
        from ..training.ensembles import build_merged

        if not args.data:
            p.error("merging trained nets into a .tflite needs --data (the temperature is fitted on PublicTest)")
        views = [v.strip() for v in args.views.split(",")] if args.views else ["plain"] * len(args.members)
        build_merged(args.members, views, args.out, args.data, args.quantize, args.votes, args.calibrate)
        return 0
    build_ensemble(args.members, args.out, weights, args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
