"""`emotion`: one command for the project's tools, as `git` or `pip` have one.

    emotion app [--share] ...          the Gradio app (also: python app.py)
    emotion batch FOLDER ...           recorded videos -> timelines, events, reports (also: python -m batch)
    emotion visualize IMAGE            one image's faces and emotions as a PNG
    emotion train | train-members | evaluate | export | ensemble    training and models (pip install .[train])

Without installing the package, `python -m emotion COMMAND` is the same.

Each subcommand is the module's own `main` with its own --help; this only dispatches, and
imports nothing heavy until a subcommand is chosen.
"""

from __future__ import annotations

import importlib
import sys

# subcommand -> (module with main(argv), one line of help)
COMMANDS = {
    "app": ("app", "the Gradio app: webcam, image and video tabs, HTTP API"),
    "batch": ("batch.__main__", "recorded videos -> annotated videos, timelines, events, reports, study.csv"),
    "visualize": ("emotion.commands.visualize", "one image's faces annotated next to their probabilities, as a PNG"),
    "train": ("emotion.commands.train", "train an emotion model on FER2013 (needs the train extra: PyTorch)"),
    "train-members": ("emotion.commands.train_members", "train several nets side by side for an ensemble (PyTorch)"),
    "evaluate": ("emotion.commands.evaluate", "score a model on FER2013 and the FER+ crowd votes"),
    "export": ("emotion.commands.export", "export a trained model to TFLite (float16, float32, dynamic, int8)"),
    "ensemble": ("emotion.commands.ensemble", "merge trained models into one calibrated file"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: emotion COMMAND [--help | options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"error: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
