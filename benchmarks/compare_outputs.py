"""Are two batch output folders the same? For a change that must not change results (a
restructuring, a faster path): every timeline and events CSV compared byte for byte, every
summary compared field by field without the fields that record how and when it was made.

    python -m batch CLIPS --out before --no-video      # on the old code
    python -m batch CLIPS --out after --no-video       # on the new code
    python benchmarks/compare_outputs.py before after

Exit code 0 when everything compared is the same.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# What a summary records about the run rather than the video: time taken, the code's revision,
# the command line and the versions.
RUN_FIELDS = {"processing_seconds"}
RUN_RECORD_FIELDS = {"command", "project_revision", "versions"}


def comparable_summary(path: Path) -> dict:
    data = json.loads(path.read_text())
    for field in RUN_FIELDS:
        data.pop(field, None)
    data["run"] = {k: v for k, v in data.get("run", {}).items() if k not in RUN_RECORD_FIELDS}
    return data


def compare(before: Path, after: Path) -> list[tuple[str, str]]:
    rows = []
    for old in sorted(before.glob("*.timeline.csv")) + sorted(before.glob("*.events.csv")):
        new = after / old.name
        rows.append((old.name, "missing" if not new.exists() else "same" if new.read_bytes() == old.read_bytes() else "DIFFERENT"))
    for old in sorted(before.glob("*.summary.json")):
        new = after / old.name
        if not new.exists():
            rows.append((old.name, "missing"))
            continue
        a, b = comparable_summary(old), comparable_summary(new)
        same = json.dumps(a) == json.dumps(b)
        rows.append((old.name, "same (without " + ", ".join(sorted(RUN_FIELDS | {f"run.{f}" for f in RUN_RECORD_FIELDS})) + ")"
                     if same else "DIFFERENT: " + ", ".join(k for k in a if a.get(k) != b.get(k))))
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    args = p.parse_args()
    rows = compare(args.before, args.after)
    print("| file | result |\n|---|---|")
    for name, result in rows:
        print(f"| {name} | {result} |")
    return 0 if rows and all(r.startswith("same") for _, r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
