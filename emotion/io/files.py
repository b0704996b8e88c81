"""The one way this project writes a file: under a hidden partial name in the same folder, then
renamed into place, so a reader never sees half a file and a killed process leaves only names
that the next run recognises and removes.

Partial names are `.STEM.PID.partial[.KIND]SUFFIX`: the process id keeps parallel workers apart
(and tells which worker owns a file), the suffix is kept because writers such as Keras and
ffmpeg choose the format by it, and `PARTIAL_GLOB` matches every one of them.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PARTIAL_GLOB = ".*.partial*"


def partial_path(final: str | Path, kind: str = "", suffix: str | None = None) -> Path:
    """The hidden partial name for `final` in its folder. `kind` tells apart several partial
    files of one output (a draft, a filter script); `suffix` keeps a multi-part suffix such as
    ".weights.h5" that a writer insists on."""
    final = Path(final)
    suffix = final.suffix if suffix is None else suffix
    stem = final.name[: len(final.name) - len(suffix)] if suffix and final.name.endswith(suffix) else final.stem
    return final.with_name(f".{stem}.{os.getpid()}.partial{'.' + kind if kind else ''}{suffix}")


def publish(partial: Path, final: str | Path) -> Path:
    """Rename a finished partial file into place (atomic within one filesystem)."""
    os.replace(partial, final)
    return Path(final)


@contextmanager
def atomic_path(final: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """`with atomic_path(out) as tmp: write(tmp)`: `out` appears only if the block succeeds;
    on any error the partial file is removed and `out` is left as it was."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(final, suffix=suffix)
    try:
        yield tmp
        publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_json_atomic(path: str | Path, data, indent: int = 2) -> Path:
    """JSON (model cards, manifests, summaries) that a reader never sees half-written."""
    return write_text_atomic(path, json.dumps(data, indent=indent) + "\n")


def remove_partials(folder: str | Path) -> int:
    """Delete the partial files a killed run left anywhere under `folder`; returns how many."""
    stale = list(Path(folder).rglob(PARTIAL_GLOB)) if Path(folder).is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)
