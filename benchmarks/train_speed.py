"""Training throughput on this machine, side by side: the PyTorch engine in fp32 / bf16 autocast and
NCHW / channels-last memory, the step alone and end to end (augmentation on the second thread
included), against the old Keras 3 path (the same architecture compiled by Keras on its PyTorch
backend, fp32 and mixed_bfloat16).

    python benchmarks/train_speed.py [--arch vgg-s] [--batches 12] [--repeats 3]

Every row runs in a fresh process (so no row inherits another's threads or caches), on faces
cut from scikit-image's photos (real image statistics; the JPEG and blur costs of the
augmentation depend on them). Numbers are images per second, median of the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from results_io import write_results  # noqa: E402  (benchmarks/ is the script folder)

ROOT = Path(__file__).resolve().parent.parent

_FACES = r"""
import numpy as np, cv2
from skimage import data
def faces(n):
    gray = [cv2.cvtColor(getattr(data, k)(), cv2.COLOR_RGB2GRAY) for k in ("astronaut", "coffee", "chelsea", "rocket")]
    rng = np.random.default_rng(0)
    out = np.empty((n, 48, 48), np.uint8)
    for i in range(n):
        g = gray[i % len(gray)]
        s = int(rng.integers(48, 200)); y, x = rng.integers(0, g.shape[0] - s), rng.integers(0, g.shape[1] - s)
        out[i] = cv2.resize(g[y:y + s, x:x + s], (48, 48), interpolation=cv2.INTER_AREA)
    return out
"""

_TORCH = _FACES + r"""
import json, statistics, sys, time, dataclasses
import torch
from emotion.training import nets
from emotion.training.data import FerSplit
from emotion.training.engine import RECIPES, Trainer, one_hot, to_tensor
arch, view, precision, channels_last, mode, batches, repeats = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
base = nets.spec(arch)
nets.ARCHITECTURES["bench"] = dataclasses.replace(base, name="bench", view=view)
recipe = dataclasses.replace(RECIPES[arch], arch="bench", precision=precision, channels_last=channels_last, epochs=100)
trainer = Trainer(recipe, batches)
n = recipe.batch_size * batches
split = FerSplit(faces(n), np.random.default_rng(1).integers(0, 7, n))
targets = one_hot(split.labels, 0.1)
x = to_tensor(split.images[:recipe.batch_size], channels_last)
y = torch.from_numpy(targets[:recipe.batch_size])
def run():
    if mode == "step":
        t = time.perf_counter()
        for _ in range(batches):
            trainer.step(x, y)
        return n / (time.perf_counter() - t)
    return trainer.epoch(split, targets)["images_per_s"]
run()  # warm-up
rates = [run() for _ in range(repeats)]
print(json.dumps({"images_per_s": statistics.median(rates), "all": rates, "torch": torch.__version__}))
"""

_KERAS = _FACES + r"""
import json, statistics, sys, time
import keras
from emotion.training import nets
arch, precision, batches, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if precision == "bf16":
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
model = nets.keras_model(nets.spec(arch))
model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
              loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1))
n = 128 * batches
x = faces(n)[..., None].astype("float32")
y = keras.utils.to_categorical(np.random.default_rng(1).integers(0, 7, n), 7)
model.fit(x, y, batch_size=128, epochs=1, verbose=0)
rates = []
for _ in range(repeats):
    t = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    rates.append(n / (time.perf_counter() - t))
print(json.dumps({"images_per_s": statistics.median(rates), "all": rates, "keras": keras.__version__}))
"""


def child(script: str, args: list[str], env: dict | None = None) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {}),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="vgg-s")
    ap.add_argument("--batches", type=int, default=12, help="batches of 128 per timed pass")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-keras", action="store_true")
    args = ap.parse_args()
    rows = []
    configs = [("engine, fp32, NCHW", "fp32", "0"), ("engine, fp32, channels-last", "fp32", "1"),
               ("engine, bf16, NCHW", "bf16", "0"), ("engine, bf16, channels-last (default)", "bf16", "1")]
    for view in (48, 40):
        for label, precision, cl in configs:
            for mode in ("step", "end to end"):
                r = child(_TORCH, [args.arch, str(view), precision, cl, "step" if mode == "step" else "epoch",
                                   str(args.batches), str(args.repeats)])
                rows.append({"path": label, "view": view, "measured": mode, "images_per_s": round(r["images_per_s"], 1)})
                print(rows[-1], flush=True)
    if not args.skip_keras:
        for precision in ("fp32", "bf16"):
            r = child(_KERAS, [args.arch, precision, str(args.batches), str(args.repeats)], {"KERAS_BACKEND": "torch"})
            label = "old Keras 3 path (torch backend), " + ("fp32" if precision == "fp32" else "mixed_bfloat16")
            view = 40 if args.arch != "seed" else 48
            rows.append({"path": label, "view": view, "measured": "fit() on arrays", "images_per_s": round(r["images_per_s"], 1)})
            print(rows[-1], flush=True)
    reference = next(r["images_per_s"] for r in rows if r["path"].startswith("old Keras") and "fp32" in r["path"]) \
        if not args.skip_keras else None
    lines = [f"# Training throughput, `{args.arch}`, batch 128 (images/s, median of {args.repeats})", "",
             f"Command: `python benchmarks/train_speed.py --arch {args.arch}`. Machine: {os.cpu_count()} CPU cores. "
             "\"step\": forward + backward + update on one fixed batch; \"end to end\": the engine's epoch loop with the "
             "shipped augmentation rendered on its second thread. The view is the centre the convolutions see "
             "(48: the whole face; 40: the shipped recipe's random crop).", "",
             "| path | view | measured | images/s |" + (" vs old Keras fp32 |" if reference else ""),
             "|---|---:|---|---:|" + ("---:|" if reference else "")]
    for r in rows:
        ratio = f" {r['images_per_s'] / reference:.2f}x |" if reference else ""
        lines.append(f"| {r['path']} | {r['view']} | {r['measured']} | {r['images_per_s']:.0f} |{ratio}")
    write_results("train_speed", lines, {"arch": args.arch, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
