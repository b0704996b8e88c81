"""Which trained nets to ship: every candidate scored on PublicTest only, against the FER+ crowd.

    python benchmarks/crowd_candidates.py NET.pt [NET.pt ...] [--data FER2013] [--votes FILE]

Candidates at the shipped cost (two vgg-s passes a face): each net alone with flip TTA
(`both`), and each ordered pair with one net on the face and the other on its mirror image
(`plain,mirror`), as python -m emotion ensemble would merge them; and at two and three times the
cost (four and six passes, within the speed floor of 300 faces/s at batch 32), each pair and
triple of nets, each on face and mirror (`both,both[,both]`). Each is scored uncalibrated
(calibration changes no ranking) on PublicTest: FER+ majority accuracy, cross-entropy against
the vote shares, recall of crowd-neutral faces, FER2013-label accuracy. PrivateTest is not
touched: it is scored once, on the finished file, by the merge. Writes
benchmarks/results/crowd_candidates.{md,json}.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from results_io import write_results  # noqa: E402  (benchmarks/ is the script folder)

ROOT = Path(__file__).resolve().parent.parent

from emotion.labels import EMOTIONS  # noqa: E402
from emotion.training.calibration import apply_temperature  # noqa: E402
from emotion.training.crowd_metrics import crowd_score  # noqa: E402
from emotion.training.data import load_fer2013  # noqa: E402
from emotion.training.ensembles import load_net, member_logits  # noqa: E402
from emotion.training.votes import find_votes, read_votes, votes_for  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("nets", nargs="+", type=Path)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "datasets" / "fer2013-images.tar.xz"))
    ap.add_argument("--votes")
    args = ap.parse_args()
    public = load_fer2013(args.data).val
    crowd = votes_for(public.keys, read_votes(find_votes(args.votes, args.data)), "PublicTest")
    logits = {}
    for path in args.nets:
        net = load_net(path)
        logits[(path.stem, "plain")] = member_logits(net, public.images, "plain")
        logits[(path.stem, "mirror")] = member_logits(net, public.images, "mirror")
    candidates = {f"{n.stem} (both)": [(n.stem, "plain"), (n.stem, "mirror")] for n in args.nets}
    for a, b in itertools.permutations([n.stem for n in args.nets], 2):
        candidates[f"{a} (plain) + {b} (mirror)"] = [(a, "plain"), (b, "mirror")]
    for size in (2, 3):
        for group in itertools.combinations([n.stem for n in args.nets], size):
            candidates[" + ".join(f"{g} (both)" for g in group)] = [(g, v) for g in group for v in ("plain", "mirror")]
    rows = []
    for name, parts in candidates.items():
        probs = apply_temperature(np.concatenate([logits[p] for p in parts]), 1.0)
        s = crowd_score("PublicTest", probs, crowd, public.labels)
        rows.append({"candidate": name, "majority_accuracy": s.majority_accuracy, "cross_entropy": s.cross_entropy,
                     "neutral_recall": s.per_class_recall["neutral"], "fer2013_accuracy": s.original_label_accuracy,
                     "recall": s.per_class_recall})
        print(f"{name}: FER+ majority {s.majority_accuracy * 100:.2f}%, cross-entropy {s.cross_entropy:.4f}", flush=True)
    rows.sort(key=lambda r: (-r["majority_accuracy"], r["cross_entropy"]))
    lines = ["# Candidates for the shipped default, PublicTest only (FER+ crowd)", "",
             f"Command: `python benchmarks/crowd_candidates.py {' '.join(str(n) for n in args.nets)}`. "
             f"{crowd_score('PublicTest', crowd.distribution(), crowd, public.labels).n_majority} PublicTest faces with a "
             "clear majority; one standard error of an accuracy near 85% is about 0.6 points. Uncalibrated "
             "(the temperature changes no ranking).", "",
             "| candidate | FER+ majority | cross-entropy vs shares | FER2013 labels | " + " | ".join(f"recall {e}" for e in EMOTIONS) + " |",
             "|---|---:|---:|---:|" + "---:|" * len(EMOTIONS)]
    for r in rows:
        lines.append(f"| {r['candidate']} | {r['majority_accuracy'] * 100:.2f}% | {r['cross_entropy']:.4f} | "
                     f"{r['fer2013_accuracy'] * 100:.2f}% | " + " | ".join(f"{r['recall'][e] * 100:.1f}%" for e in EMOTIONS) + " |")
    write_results("crowd_candidates", lines, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
