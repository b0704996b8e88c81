"""The project's error types: one base, so that every command can turn bad input into one clear line.

Every error names the file or value it is about and what is wrong with it. Each also derives
from the built-in type it replaced (ValueError, RuntimeError), so existing `except` clauses
keep working. `command` is how every `python -m ...` entry point reports them: `error: ...` on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import sys


class EmotionError(Exception):
    """Base of every error this project raises for bad input or an unusable environment."""


class ImageInputError(EmotionError, ValueError):
    """The input cannot be used as an image; the message says why."""


class ModelFileError(EmotionError, ValueError):
    """A model path that cannot be loaded, with the reason."""


class DatasetError(EmotionError, ValueError):
    """The data path does not hold FER2013 in a layout the readers understand."""


class VideoError(EmotionError, RuntimeError):
    """A file that cannot be read as a video, with ffmpeg's reason."""


class UsageError(EmotionError, ValueError):
    """Options that cannot work together, or an optional dependency that is missing."""


def command(main):
    """Wrap a command's `main(argv) -> int`: an EmotionError becomes `error: MESSAGE` on stderr
    and exit code 2 (argparse's code for bad usage), the same for every command."""

    @functools.wraps(main)
    def wrapped(argv=None) -> int:
        try:
            return main(argv)
        except EmotionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return wrapped
