"""A clean terminal: the native libraries underneath (TensorFlow, LiteRT, absl) print start-up
notices straight to file descriptor 2 (oneDNN, "failed call to cuInit", "Created TensorFlow Lite
XNNPACK delegate"), past Python's own stderr. A user who loads the seed model or an ensemble
should not read GPU errors on a CPU machine. So the few calls that trigger them run with fd 2
pointed at /dev/null; exceptions still propagate and are reported by Python as usual."""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    with _lock:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
