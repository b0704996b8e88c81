"""python -m emotion export MODEL [--out FILE.tflite] [--quantize float16|float32|dynamic|int8]
[--data FER2013]: convert a trained model (.keras or .json + .weights.h5) to the TFLite file the
app and the batch command run on. int8 calibrates on 500 training faces from --data.

Also prints how much the conversion changed the probabilities on random faces; the accuracy of
the exported file is measured by `python -m emotion evaluate --model FILE.tflite`. With `--card
NAME.metrics.json --data FER2013` the export's flip-TTA scores go into that model card, which is
how a model trained under JAX or PyTorch (no TFLite converter there) gets the numbers that
training under TensorFlow writes itself.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..errors import UsageError, command
from ..inference.classifier import EmotionClassifier
from ..io.files import write_json_atomic
from ..io.model_files import load_model
from ..training.data import load_fer2013
from ..training.metrics import format_score
from ..training.save import QUANTIZATIONS, export_tflite
from ..training.scoring import score_export


@command
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m emotion export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=Path)
    p.add_argument("--out", type=Path, help="default: the model's path with .tflite")
    p.add_argument("--float32", action="store_true", help="keep float32 weights (same as --quantize float32)")
    p.add_argument("--quantize", choices=QUANTIZATIONS, help="default: float16")
    p.add_argument("--data", help="FER2013 (folder, .tar.xz or .csv): int8 calibration and --card scores")
    p.add_argument("--card", type=Path, help="a training run's NAME.metrics.json to add the export's scores to (needs --data)")
    args = p.parse_args(argv)
    if args.card and not (args.data and args.card.exists()):
        raise UsageError(f"--card {args.card}: needs --data and an existing model card")
    quantize = args.quantize or ("float32" if args.float32 else "float16")
    representative = None
    if quantize == "int8":
        if not args.data:
            raise UsageError("--quantize int8 needs --data (faces to calibrate the activation ranges on)")
        train = load_fer2013(args.data).train
        pick = np.random.default_rng(0).choice(len(train), 500, replace=False)
        representative = train.images[pick][..., None].astype(np.float32)
    import keras

    if keras.backend.backend() != "tensorflow":
        raise UsageError("TFLite export needs KERAS_BACKEND=tensorflow (models trained under JAX load fine there)")

    model = load_model(args.model)
    out = args.out or args.model.with_name(args.model.name.split(".")[0] + ".tflite")
    export_tflite(model, out, quantize=quantize, representative=representative)
    x = np.random.default_rng(0).integers(0, 256, (64, 48, 48, 1)).astype(np.float32)
    diff = np.abs(EmotionClassifier(model).predict(x) - EmotionClassifier.from_path(out).predict(x)).max()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB); largest probability change on 64 random faces: {diff:.5f}")
    if args.card:
        _add_to_card(args.card, out, args.data)
    return 0


def _add_to_card(card_path: Path, tflite: Path, data: str) -> None:
    card = json.loads(card_path.read_text())
    scores = score_export(tflite, load_fer2013(data))
    for score in scores.values():
        print(format_score(score, " (exported .tflite, flip TTA)"))
    card["scores"].update({k: v.to_dict() for k, v in scores.items()})
    card["files"]["tflite"] = tflite.name
    write_json_atomic(card_path, card)
    print(f"added the export's scores to {card_path}")


if __name__ == "__main__":
    raise SystemExit(main())
