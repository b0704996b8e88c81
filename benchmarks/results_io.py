"""Where benchmark scripts leave their numbers: a Markdown table for people and the same
numbers as JSON for tools, side by side under benchmarks/results/."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, lines: list[str], data, markdown_dir: Path = RESULTS) -> None:
    """Writes NAME.md (in `markdown_dir`) and results/NAME.json, and prints the Markdown."""
    for folder in (markdown_dir, RESULTS):
        folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    (markdown_dir / f"{name}.md").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2))
    print(text, end="")
