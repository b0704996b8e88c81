"""python -m emotion train-members --data FER2013 --members vgg-m:2,vgg-d:2 --budget SECONDS
[--teachers T1.pt T2.pt ...] [--device cuda] [--out DIR]: train several networks side by side on
one device, all finished within the time budget.

Made for a borrowed GPU: one small net leaves it mostly idle, several in their own processes
fill it. The training faces are rendered once in --views augmented views (the same augmentation
as python -m emotion train) and kept on the device; each member measures its pace and plans its
one-cycle schedule to end in time (at most --max-epochs). Each keeps its best PublicTest epoch
and writes NAME.pt, NAME.history.csv and NAME.fit.json; DIR/members.json sums up the run.

With --votes, the members learn from FER+'s ten crowd votes per face instead of FER2013's one
label (--targets soft: the vote distribution; majority; soft+label), and each keeps its best
epoch by accuracy against the crowd's majority on PublicTest. --init starts members from
trained nets (a fine-tune, usually with a lower --lr).

With --teachers, the members are students: the teachers (NAME.pt files) are weighted on
PublicTest and scored on every view, and the students learn from those soft targets.
PrivateTest is not scored and nothing is exported here: merge the results into a shipped
file with python -m emotion ensemble (which fits the calibration on PublicTest and scores
PrivateTest once) where TensorFlow is installed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import UsageError, command


def crowd_training(fer, votes: str, schemes: str, work: Path):
    """The crowd's version of the data: training faces that have votes for our classes, one
    targets file per scheme in `work`, and PublicTest reduced to faces with a clear majority,
    labelled by it (what each member's best epoch is chosen by)."""
    import numpy as np

    from ..training.votes import SCHEMES, find_votes, read_votes, votes_for

    table = read_votes(find_votes(votes or None))
    train_votes = votes_for(fer.train.keys, table, "Training")
    keep = train_votes.trainable
    train = fer.train.subset(keep)
    val_majority = votes_for(fer.val.keys, table, "PublicTest").majority()
    val = val_majority >= 0
    work.mkdir(parents=True, exist_ok=True)
    files = []
    for scheme in (s.strip() for s in schemes.split(",") if s.strip()):
        if scheme not in SCHEMES:
            raise UsageError(f"--targets {scheme!r}: choose from {', '.join(SCHEMES)}")
        path = work / f"targets-{scheme}.npy"
        np.save(path, train_votes.targets(scheme, 0.1, fer.train.labels)[keep].astype(np.float32))
        files.append(path)
    print(f"crowd votes: training on {keep.sum()} of {len(keep)} faces; PublicTest: {val.sum()} faces with a clear "
          f"majority", flush=True)
    return train, fer.val.images[val], val_majority[val], files


@command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion train-members", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="Kaggle-layout folder, a tar(.xz) of it, or fer2013.csv")
    p.add_argument("--members", required=True, help="ARCH:COUNT,... e.g. vgg-m:2,vgg-d:1")
    p.add_argument("--budget", required=True, type=float, help="seconds from now by which every member is written")
    p.add_argument("--teachers", nargs="*", type=Path, help="distil from these trained nets (NAME.pt)")
    p.add_argument("--alpha", type=float, default=0.7, help="weight of the teacher against the label (0.7)")
    p.add_argument("--temperature", type=float, default=2.0, help="softening of the teacher's distribution (2.0)")
    p.add_argument("--votes", nargs="?", const="", default=None,
                   help="train on FER+ crowd votes (this votes file; default ../shared/datasets/ferplus-votes.csv)")
    p.add_argument("--targets", default="soft", help="with --votes: target scheme per member, in turn: soft, majority, "
                                                      "soft+label (default soft)")
    p.add_argument("--init", help="comma-separated NAME.pt files the members start from, in turn")
    p.add_argument("--lr", type=float, help="peak learning rate (default: the architecture's recipe)")
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    p.add_argument("--views", type=int, default=32, help="augmented views of every training face (32)")
    p.add_argument("--max-epochs", type=int, default=300)
    p.add_argument("--mixup", type=float, help="share of batches mixed (default: each architecture's recipe)")
    p.add_argument("--augment", choices=("seed", "real", "video"), default="real",
                   help="how the views are rendered: real (webcam-like, default), video (recorded video's blur, "
                        "compression, small faces, dim light and tilt, stronger), seed (flips only)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first member (the others count up) and of the views")
    p.add_argument("--prefix", default="member", help="file name prefix of the members (member)")
    p.add_argument("--out", type=Path, default=Path("runs/members"))
    p.add_argument("--work-dir", type=Path, help="where the view bank is kept (default: OUT/.work)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    started = time.time()
    try:
        import torch
    except ImportError as exc:
        raise UsageError("training needs PyTorch: pip install -r requirements-train.txt") from exc
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"--device {args.device}: PyTorch sees no CUDA device here (use --device cpu)")
    from ..training.data import load_fer2013
    from ..training.augment import AUGMENTS
    from ..training.engine import Distillation
    from ..training.members import parse_members, prepare, train_members

    members = parse_members(args.members, args.prefix, args.seed)
    work = args.work_dir or args.out / ".work"
    fer = load_fer2013(args.data, seed=args.seed)
    if args.votes is not None and args.teachers:
        raise UsageError("--votes and --teachers: choose one source of soft targets")
    train, val_x, val_y, targets = fer.train, fer.val.images, fer.val.labels, None
    if args.votes is not None:
        train, val_x, val_y, targets = crowd_training(fer, args.votes, args.targets, work)
    print(f"data: {fer.source}; train {len(train)}, PublicTest {len(val_y)}", flush=True)
    augment = AUGMENTS[args.augment]
    prepare(train.images, train.labels, val_x, val_y, work, args.views, args.seed, args.quiet, augment)
    distill = Distillation(",".join(map(str, args.teachers)), args.alpha, args.temperature, args.views) if args.teachers else None
    inits = [Path(i.strip()) for i in args.init.split(",")] if args.init else None
    summary = train_members(members, work, args.out, args.device, started + args.budget, args.max_epochs, args.teachers, distill,
                            args.mixup, targets, inits, args.lr, augment)
    failed = [m for m in summary["members"] if "failed" in m]
    for m in failed:
        print(f"error: {m['name']} failed ({m['failed']})")
    print(f"wrote {args.out}/members.json ({summary['seconds']:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
