"""What a stranger holding the app's link may send, checked in one place before Gradio or the
app touches it.

`python app.py --share` puts every event of the app on the internet: the API's endpoints and the
UI's own (image, video, webcam), which anyone can call over HTTP with any payload. Two Gradio 6
behaviours make that unsafe on their own:

- **A file payload without `meta` is not checked.** Gradio refuses a payload
  `{"path": ..., "meta": {"_type": "gradio.FileData"}}` whose file was not uploaded, but its
  check (`processing_utils.async_move_files_to_cache`) only looks at dicts *with* `meta`; the
  image component's data class fills `meta` in afterwards, so `{"path": "/any/server/file.png"}`
  made the app open a server file (and the error told whether the path existed).
- **Components decode before the handler runs.** `gr.Image(type="numpy")` opens and converts
  the picture (PIL) in its own preprocessing, so a 519 KB PNG of 13000 x 13000 pixels cost a
  minute and 1.2 GB before any code of ours could look at its size.

So `GuardedBlocks.preprocess_data`, which every event passes through before any component's
preprocessing, accepts for each file input only a path inside Gradio's upload folder (symlinks
resolved, so a link planted there cannot point out of it) and answers anything else with one
sentence that says nothing about the path; an image's pixel count is read from its header and
checked against the budget there; registered values (the stride) are checked by their rule.
The app's image inputs are `gr.Image(type="filepath", image_mode=None)`, which hand the handler
the path undecoded, so that the one image loader (emotion.io.image: EXIF, modes) decodes.
Every message a user sees goes through `plain_message`, which removes server paths.
(Subclassing a Gradio component would have been the other place for this, but Gradio writes a
`.pyi` file beside any module that defines one, at import time.)
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import os
import re
from pathlib import Path
from typing import Any, Callable

import gradio as gr
from gradio.utils import get_upload_folder

from ..errors import ImageInputError
from ..io.image import check_header

NOT_AN_UPLOAD = "Only files uploaded to this app can be analysed: upload the file first and send what the upload returns."
FILE_META = {"_type": "gradio.FileData"}
MAX_STRIDE = 1_000_000
INLINE_IMAGE = re.compile(r"data:image/[\w.+-]+;base64,", re.I)
_DIRECTORIES = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][^/\\\s'\"():,]+)+[/\\](?=[^/\\\s'\"]+)")


def plain_message(text: str) -> str:
    """A message without the server's folders: "/tmp/emotion-app-x/uploads/ab12/photo.png:
    ..." becomes "photo.png: ..." (the name the user gave the file)."""
    return _DIRECTORIES.sub("", str(text))


def is_upload(path: Any) -> Path | None:
    """The resolved path when `path` names a regular file inside Gradio's upload folder, else None."""
    if not isinstance(path, str) or not path or "\x00" in path:
        return None
    folder = Path(os.path.realpath(get_upload_folder()))
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return None
    if folder not in real.parents or not real.is_file():
        return None
    return real


def checked_file(payload: Any, inline_image: bool = False) -> Any:
    """A file input's payload as Gradio may process it, or gr.Error(NOT_AN_UPLOAD). A path must
    be an upload; then URLs are dropped, so nothing is fetched or decoded from them, and `meta`
    is set (a bare {"path": ...} is what slipped past Gradio's own check). Without a path, an
    image input (`inline_image`) may carry the picture itself as a `data:image/...;base64,` URL:
    that is how Gradio's webcam stream sends its frames. http(s) and `file=` URLs are refused."""
    if payload is None:
        return None
    if isinstance(payload, dict) and "video" in payload and isinstance(payload["video"], dict):
        return {**payload, "video": checked_file(payload["video"])}  # the older video payload shape
    if not isinstance(payload, dict):
        raise gr.Error(NOT_AN_UPLOAD)
    if payload.get("path") is not None:
        real = is_upload(payload["path"])
        if real is None:
            raise gr.Error(NOT_AN_UPLOAD)
        return {**payload, "path": str(real), "url": None, "meta": FILE_META}
    url = payload.get("url")
    if inline_image and isinstance(url, str) and INLINE_IMAGE.match(url):
        return {**payload, "path": None, "meta": FILE_META}
    raise gr.Error(NOT_AN_UPLOAD)


def inline_bytes(url: str) -> bytes:
    """The picture of a `data:image/...;base64,` URL."""
    try:
        return base64.b64decode(url.split(",", 1)[1], validate=False)
    except (binascii.Error, ValueError, IndexError):
        raise gr.Error("The picture sent could not be read (broken base64 data).") from None


def stride_from(value: Any) -> int:
    """The video stride rule, the same for the UI's slider and the API: a whole number from 1
    (every frame) to MAX_STRIDE, given as a number or as text ("2")."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    ok = isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number) \
        and number == int(number) and 1 <= number <= MAX_STRIDE
    if not ok:
        raise gr.Error(f"The stride must be a whole number from 1 (every frame) to {MAX_STRIDE:,}; "
                       f"{str(value)[:40]!r} is not.")
    return int(number)


FILE_COMPONENTS = (gr.Image, gr.Video, gr.File, gr.Audio, gr.Gallery, gr.Model3D)


class GuardedBlocks(gr.Blocks):
    """gr.Blocks whose every event checks its inputs first (see the module's docstring).
    `max_pixels`: the budget of an image input (None: none). `check(component, rule)`:
    `rule(raw value) -> clean value` (raising gr.Error) for a component's input."""

    def __init__(self, *args, max_pixels: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_pixels = max_pixels
        self._rules: dict[int, Callable[[Any], Any]] = {}

    def check(self, component: gr.components.Component, rule: Callable[[Any], Any]) -> None:
        self._rules[component._id] = rule

    async def preprocess_data(self, block_fn, inputs, state, explicit_call: bool = False):
        checked = []
        for block, value in zip(block_fn.inputs, inputs):
            if isinstance(block, FILE_COMPONENTS) and not block.stateful:
                value = checked_file(value, inline_image=isinstance(block, gr.Image))
                if isinstance(block, gr.Image) and value is not None:
                    self._within_budget(value)
            if block._id in self._rules:
                value = self._rules[block._id](value)
            checked.append(value)
        return await super().preprocess_data(block_fn, checked, state, explicit_call)

    def _within_budget(self, payload: dict) -> None:
        """An image's header (a file, or the bytes of an inline picture): a picture, within the
        pixel budget. (Gradio's own preprocessing opens it next, and its errors say less.)"""
        path = payload["path"]
        name = Path(payload.get("orig_name") or path or "the picture").name
        source = Path(path) if path is not None else io.BytesIO(inline_bytes(payload["url"]))
        try:
            check_header(source, name, self.max_pixels)
        except ImageInputError as exc:
            raise gr.Error(plain_message(exc)) from None
