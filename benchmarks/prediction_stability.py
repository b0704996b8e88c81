"""How steady are a model's predictions on real video? The frame-to-frame flip rate of the top
class (raw, before any smoothing) on the shared real clips: a face that does not change its
expression between two frames 40 ms apart should not change its label either, so a lower rate
is better, as long as real changes are still followed.

    python benchmarks/prediction_stability.py [--models models/default.tflite OTHER.tflite ...] [--crops upright,axis]

Also reports the mean top probability (what the app shows as confidence) on the same frames,
and the share of face-1 frames whose raw top class is each emotion: what a timeline says the
person showed (a model that reads neutral faces as sad or angry fills it with false emotion).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
from results_io import write_results  # noqa: E402

from emotion.labels import EMOTIONS  # noqa: E402

CLIPS = ("WolfgangLanger_Pexels.mp4", "single_face.mp4", "face_noface.mov")


def stability(model: str, clip: Path, upright: bool = True) -> dict:
    from emotion import EmotionAnalyzer, FaceStream
    from emotion.io.video import read_frames

    analyzer, stream = EmotionAnalyzer(model=model, upright=upright), FaceStream()
    tops, confidences, frames = [], [], 0
    for frame in read_frames(clip):
        frames += 1
        tracked = stream.step(frame.time_s, analyzer.analyze(frame.rgb))
        main = [t for t in tracked if t.face_id == 1]
        tops.append(int(np.argmax(main[0].face.probabilities)) if main else -1)
        if main:
            confidences.append(main[0].face.confidence)
    pairs = [(a, b) for a, b in zip(tops, tops[1:]) if a >= 0 and b >= 0]
    flips = sum(a != b for a, b in pairs)
    seen = [t for t in tops if t >= 0]
    shares = {e: round(seen.count(i) / max(len(seen), 1), 4) for i, e in enumerate(EMOTIONS)}
    return {"model": model, "crops": "upright" if upright else "axis-aligned", "clip": clip.name, "frames": frames, "pairs": len(pairs), "flips": flips,
            "flip_rate": round(flips / max(len(pairs), 1), 4), "mean_confidence": round(float(np.mean(confidences)), 4),
            "top_class_shares": shares}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=[str(ROOT / "models" / "default.tflite")])
    ap.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    ap.add_argument("--crops", default="upright", help="upright, axis or upright,axis: the face crops turned upright on "
                                                       "the eyes (the default) or axis-aligned, or both side by side")
    ap.add_argument("--name", default="prediction_stability", help="results file name")
    args = ap.parse_args()
    crops = [c.strip() == "upright" for c in args.crops.split(",")]
    rows = [stability(m, args.media / clip, upright) for m in args.models for upright in crops for clip in CLIPS]
    lines = ["# Prediction stability on real clips", "",
             f"Command: `python benchmarks/prediction_stability.py --models {' '.join(args.models)} --crops {args.crops}`. "
             "Flip rate: share of consecutive frame pairs (face 1 in both) whose raw top class differs.", "",
             "| model | crops | clip | frame pairs | flips | flip rate | mean top probability |", "|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| `{r['model']}` | {r['crops']} | {r['clip']} | {r['pairs']} | {r['flips']} | {r['flip_rate'] * 100:.1f}% | "
                     f"{r['mean_confidence'] * 100:.1f}% |")
    lines += ["", "Share of face-1 frames by raw top class:", "",
              "| model | crops | clip | " + " | ".join(EMOTIONS) + " |", "|---|---|---|" + "---:|" * len(EMOTIONS)]
    for r in rows:
        lines.append(f"| `{r['model']}` | {r['crops']} | {r['clip']} | "
                     + " | ".join(f"{r['top_class_shares'][e] * 100:.0f}%" for e in EMOTIONS) + " |")
    write_results(args.name, lines, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
