"""The TFLite interpreter used for inference: LiteRT (`ai-edge-litert`, imports in ~0.3 s and is
the successor of tf.lite.Interpreter) when installed, else TensorFlow's own (imports in 5-12 s
here). Keeping TensorFlow out of the inference path is what makes `python -m batch` and the
app start fast."""

from __future__ import annotations

import warnings
from pathlib import Path


def tflite_interpreter(path: str | Path, threads: int = 2):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():
        # TF 2.21 still ships tf.lite.Interpreter but warns that ai-edge-litert replaces it.
        warnings.filterwarnings("ignore", message=r"(?s).*tf.lite.Interpreter is deprecated")
        interpreter = Interpreter(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    return interpreter
