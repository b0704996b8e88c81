"""The TFLite interpreter used for inference: LiteRT (`ai-edge-litert`, imports in ~0.3 s and is
the successor of tf.lite.Interpreter) when installed, else TensorFlow's own (imports in 5-12 s
here). Keeping TensorFlow out of the inference path is what makes `python -m batch` and the
app start fast."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..io.quiet import native_stderr_silenced


def default_threads() -> int:
    """EMOTION_THREADS if set (parallel batch workers split the cores this way), else all cores."""
    return max(1, int(os.environ.get("EMOTION_THREADS") or os.cpu_count() or 1))


def tflite_interpreter(path: str | Path, threads: int | None = None):
    with native_stderr_silenced():  # LiteRT announces its XNNPACK delegate on stderr
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            import tensorflow as tf

            Interpreter = tf.lite.Interpreter
        with warnings.catch_warnings():
            # TF 2.21 still ships tf.lite.Interpreter but warns that ai-edge-litert replaces it.
            warnings.filterwarnings("ignore", message=r"(?s).*tf.lite.Interpreter is deprecated")
            interpreter = Interpreter(model_path=str(path), num_threads=threads or default_threads())
        interpreter.allocate_tensors()
    return interpreter
