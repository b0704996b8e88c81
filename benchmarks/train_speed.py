"""Training throughput of our networks under each Keras backend installed here.

    python benchmarks/train_speed.py [--archs vgg-s,vgg] [--batches 8] [--repeats 3]

The training code is backend-agnostic Keras 3, so the backend is a free choice at training
time: on a CPU it decides whether a run fits in a session. Each (backend, arch) pair runs in a
fresh process (KERAS_BACKEND is read once per process) with the recipe's optimizer, loss, batch
size and jit setting, on random 48x48 faces after one warm-up pass (compilation). Reports the
median of `repeats` timed passes over `batches` batches and the ratio to TensorFlow.
Backends that are not installed (jax, torch are optional) are listed as skipped.
Writes benchmarks/results/train_speed.{md,json}.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from results_io import write_results  # noqa: E402  (benchmarks/ is the script folder)

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("tensorflow", "jax", "torch")

# Runs inside the child process, after KERAS_BACKEND is set.
_CHILD = r"""
import json, statistics, sys, time
import numpy as np
import keras
from emotion.training import nets
from emotion.training.fit import RECIPES, compile_for

arch, batches, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
recipe = RECIPES[arch]
model = nets.build(arch)
compile_for(model, recipe, batches)
rng = np.random.default_rng(0)
n = recipe.batch_size * batches
x = rng.integers(0, 256, (n, 48, 48, 1)).astype("float32")
y = keras.utils.to_categorical(rng.integers(0, 7, n), 7)
model.fit(x, y, batch_size=recipe.batch_size, epochs=1, verbose=0)  # compile / warm up
rates = []
for _ in range(repeats):
    t = time.perf_counter()
    model.fit(x, y, batch_size=recipe.batch_size, epochs=1, verbose=0)
    rates.append(n / (time.perf_counter() - t))
print(json.dumps({"faces_per_s": statistics.median(rates), "all": rates, "params": model.count_params(),
                  "batch_size": recipe.batch_size, "keras": keras.__version__}))
"""


def measure(backend: str, arch: str, batches: int, repeats: int) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", _CHILD, arch, str(batches), str(repeats)],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archs", default="vgg-s,vgg")
    p.add_argument("--batches", type=int, default=8, help="batches per timed pass (default 8)")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    installed = [b for b in BACKENDS if importlib.util.find_spec(b) is not None]

    results = {}
    for arch in archs:
        for backend in installed:
            results[f"{arch}/{backend}"] = r = measure(backend, arch, args.batches, args.repeats)
            print(f"{arch:6s} {backend:10s} " + (f"{r['faces_per_s']:.1f} faces/s" if "error" not in r else r["error"]),
                  file=sys.stderr)

    lines = [f"# Training throughput per Keras backend ({platform.machine()}, {os.cpu_count()} CPUs)", "",
             f"Median of {args.repeats} passes of {args.batches} batches each (recipe batch size, optimizer and jit "
             "setting), after one warm-up pass. One CPU epoch of FER2013 = 28,709 faces.", "",
             "| arch | backend | faces/s | vs tensorflow | minutes per epoch |", "|---|---|---|---|---|"]
    for arch in archs:
        base = results.get(f"{arch}/tensorflow", {}).get("faces_per_s")
        for backend in installed:
            r = results[f"{arch}/{backend}"]
            if "error" in r:
                lines.append(f"| {arch} | {backend} | failed: {r['error']} | | |")
                continue
            ratio = f"{r['faces_per_s'] / base:.2f}x" if base else ""
            lines.append(f"| {arch} | {backend} | {r['faces_per_s']:.1f} | {ratio} | {28709 / r['faces_per_s'] / 60:.1f} |")
    skipped = [b for b in BACKENDS if b not in installed]
    if skipped:
        lines += ["", f"Not installed here, so not measured: {', '.join(skipped)}."]
    write_results("train_speed", lines, {"machine": platform.platform(), "cpus": os.cpu_count(),
                                         "batches": args.batches, "repeats": args.repeats,
                                         "skipped": skipped, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
