"""Participant metadata: a CSV with a `video` column (the file name, or its path relative to the
input folder) and any other columns (participant, condition, session, ...), joined to the
videos of a run.

Checked before any video is processed, so a typo costs seconds, not hours: a missing file, a
missing `video` column, a video listed twice, or a name that matches videos in two sub-folders
is an error. Videos without a row and rows without a video are warnings, listed on the terminal
and in the run's report, never silently dropped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from emotion.errors import EmotionError

MAX_GROUP_VALUES = 8


class MetadataError(EmotionError, ValueError):
    """A metadata file that cannot be used, with the reason."""


@dataclass(frozen=True)
class Metadata:
    path: Path
    columns: tuple[str, ...]  # every column but `video`, in file order
    rows: dict[str, dict[str, str]]  # the `video` value -> its other columns

    def group_columns(self, asked: list[str] | None = None) -> list[str]:
        """The columns to compare groups by: those asked for (checked), or else every column with
        between 2 and MAX_GROUP_VALUES distinct values and fewer distinct values than rows (a
        condition or a site, not a participant id or an age)."""
        if asked:
            unknown = [c for c in asked if c not in self.columns]
            if unknown:
                raise MetadataError(f"{self.path}: --group-by {', '.join(unknown)}: no such column "
                                    f"(columns: {', '.join(self.columns) or 'none besides video'})")
            return list(asked)
        chosen = []
        for column in self.columns:
            values = {r[column] for r in self.rows.values() if r[column] != ""}
            if 2 <= len(values) <= MAX_GROUP_VALUES and len(values) < len(self.rows):
                chosen.append(column)
        return chosen


@dataclass
class Matched:
    """Which metadata row each video has, and what did not match."""

    by_video: dict[Path, dict[str, str]] = field(default_factory=dict)
    videos_without_row: list[Path] = field(default_factory=list)
    rows_without_video: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        return ([f"{v}: no row in the metadata (listed without metadata; not in the group comparisons)"
                 for v in self.videos_without_row] +
                [f"metadata row for {r!r}: no such video among the inputs" for r in self.rows_without_video])


def read_metadata(path: str | Path) -> Metadata:
    path = Path(path)
    if not path.is_file():
        raise MetadataError(f"{path}: no such metadata file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            raw = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise MetadataError(f"{path}: not a readable CSV file ({exc})") from exc
    if "video" not in header:
        raise MetadataError(f"{path}: no 'video' column (found: {', '.join(header) or 'no header'})")
    if not raw:
        raise MetadataError(f"{path}: no rows")
    columns = tuple(h for h in header if h != "video")
    rows: dict[str, dict[str, str]] = {}
    for line, row in enumerate(raw, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        key = row["video"].replace("\\", "/")
        if not key:
            raise MetadataError(f"{path}:{line}: empty video name")
        if key in rows:
            raise MetadataError(f"{path}:{line}: video {key!r} is listed twice")
        rows[key] = {c: row.get(c, "") for c in columns}
    return Metadata(path, columns, rows)


def match(metadata: Metadata, videos: list[Path], relative_to) -> Matched:
    """`relative_to(video)`: the video's path relative to its input folder (or its name)."""
    keys = {v: (str(relative_to(v)).replace("\\", "/"), v.name) for v in videos}
    by_name: dict[str, list[Path]] = {}
    for v, (_, name) in keys.items():
        by_name.setdefault(name, []).append(v)
    matched, used = Matched(), set()
    for v, (rel, name) in keys.items():
        if rel in metadata.rows:
            matched.by_video[v], key = metadata.rows[rel], rel
        elif name in metadata.rows:
            if len(by_name[name]) > 1:
                raise MetadataError(f"{metadata.path}: video {name!r} matches {len(by_name[name])} videos "
                                    f"({', '.join(str(relative_to(x)) for x in by_name[name])}); "
                                    "give their paths relative to the input folder")
            matched.by_video[v], key = metadata.rows[name], name
        else:
            matched.videos_without_row.append(v)
            continue
        used.add(key)
    matched.rows_without_video = [k for k in metadata.rows if k not in used]
    return matched
