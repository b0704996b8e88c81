"""The TFLite interpreter used for inference: LiteRT (`ai-edge-litert`, imports in ~0.3 s and is
the successor of tf.lite.Interpreter) when installed, else TensorFlow's own (imports in 5-12 s
here). Keeping TensorFlow out of the inference path is what makes `python -m batch` and the
app start fast."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

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


def write_scaled_input(interpreter, index: int, pixels: np.ndarray, divide_by: float, minus: float = 0.0,
                       top_left: tuple[int, int] = (0, 0), fill: float | None = None) -> None:
    """Write `pixels` (h, w, c uint8) into the float32 input tensor of a batch-1 model as
    pixels / divide_by - minus, at `top_left` (row, column), the rest of the tensor set to `fill`.

    Written in place through the interpreter's own buffer instead of building a normalised copy
    and handing it to `set_tensor`: per frame that saved two or three fresh arrays (a 192x192
    float image is 442 KB) and 0.6 ms for the detector's input, with the same float32 values
    (the same division and subtraction, in the same order)."""
    view = interpreter.tensor(index)()[0]
    y, x = top_left
    h, w = pixels.shape[:2]
    if fill is not None:
        view[...] = fill
    region = view[y : y + h, x : x + w]
    np.divide(pixels, np.float32(divide_by), out=region, dtype=np.float32)
    if minus:
        region -= np.float32(minus)
    del view, region  # LiteRT refuses to invoke while a view of its buffers is alive
