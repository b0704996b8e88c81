"""python -m emotion.export MODEL [--out FILE.tflite]: convert a trained model (.keras or
.json + .weights.h5) to the TFLite file the app and the batch command run on.

Also prints how much the conversion changed the probabilities on random faces; the accuracy of
the exported file is measured by `python -m emotion.evaluate --model FILE.tflite`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=Path)
    p.add_argument("--out", type=Path, help="default: the model's path with .tflite")
    p.add_argument("--float32", action="store_true", help="keep float32 weights (default: float16)")
    args = p.parse_args(argv)
    import keras

    if keras.backend.backend() != "tensorflow":
        raise SystemExit("error: TFLite export needs KERAS_BACKEND=tensorflow (models trained under JAX load fine there)")
    from .classifier import EmotionClassifier
    from .model_io import export_tflite, load_model

    model = load_model(args.model)
    out = args.out or args.model.with_name(args.model.name.split(".")[0] + ".tflite")
    export_tflite(model, out, float16=not args.float32)
    x = np.random.default_rng(0).integers(0, 256, (64, 48, 48, 1)).astype(np.float32)
    diff = np.abs(EmotionClassifier(model).predict(x) - EmotionClassifier.from_path(out).predict(x)).max()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB); largest probability change on 64 random faces: {diff:.5f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
