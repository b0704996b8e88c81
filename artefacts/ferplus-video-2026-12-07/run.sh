#!/usr/bin/env bash
# Issue 36: two vgg-s members fine-tuned for recorded video (VIDEO_AUGMENT), on the crowd's vote shares.
cd "$(dirname "$0")/../.."   # the repository root; writes the members to /work/runs/video
python -m emotion train-members --data ../shared/datasets/fer2013-images.tar.xz --device cpu \
    --members vgg-s:2 --votes --targets soft \
    --init artefacts/ferplus-2026-12-03/crowd-vgg-s-s200.pt,artefacts/ferplus-2026-12-03/crowd-vgg-s-s201.pt \
    --augment video --lr 0.02 --budget 18000 --max-epochs 80 --views 40 --seed 400 --prefix video \
    --out /work/runs/video --quiet
