"""FER2013 readers: the Kaggle image layout (folder or tar archive) and the original fer2013.csv.

Both end up as the same `FerSplits` value so that training and evaluation never care where
the data came from. Splits follow the official protocol: Training for fitting, PublicTest for
validation and model selection, PrivateTest reported once.
"""

from __future__ import annotations

import csv
import tarfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import DatasetError
from ..labels import FACE_SIZE, emotion_index
SPLITS = ("Training", "PublicTest", "PrivateTest")
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


@dataclass(frozen=True)
class FerSplit:
    images: np.ndarray  # (n, 48, 48) uint8 gray
    labels: np.ndarray  # (n,) int64 in FER2013 order
    # Where each face came from: "<top>/<emotion>/<file>" in the image layout (the key of the
    # FER+ votes file), "row:N" (0-based data row) in fer2013.csv. Empty for made-up splits.
    keys: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> "FerSplit":
        """The faces where `mask` (bool, or indices) holds, keys kept."""
        idx = np.flatnonzero(mask) if np.asarray(mask).dtype == bool else np.asarray(mask)
        return FerSplit(self.images[idx], self.labels[idx], tuple(self.keys[i] for i in idx) if self.keys else ())


@dataclass(frozen=True)
class FerSplits:
    train: FerSplit
    val: FerSplit  # PublicTest (or a stratified part of the training data)
    test: FerSplit  # PrivateTest (or a stratified part of the held-out data)
    source: str  # how the splits were obtained, for the model card

    def by_name(self) -> dict[str, FerSplit]:
        return {"Training": self.train, "PublicTest": self.val, "PrivateTest": self.test}


def load_fer2013(path: str | Path, seed: int = 0) -> FerSplits:
    """Load FER2013 from a Kaggle-layout folder, a tar archive of it, or fer2013.csv."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".csv":
        return _from_csv(path)
    if path.is_file() and ".tar" in "".join(path.suffixes).lower():
        return _from_records(_tar_records(path), str(path), seed)
    if path.is_dir():
        return _from_records(_folder_records(path), str(path), seed)
    raise DatasetError(f"{path}: expected a folder, a .tar/.tar.xz archive or fer2013.csv")


def _decode_gray(data: bytes, name: str) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise DatasetError(f"{name}: not a readable image")
    if img.shape != (FACE_SIZE, FACE_SIZE):
        img = cv2.resize(img, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
    return img


def _parse_member(rel: str) -> tuple[str, str, str] | None:
    """(top folder, emotion folder, file name) for '<...>/<top>/<emotion>/<file>', else None."""
    parts = rel.replace("\\", "/").strip("/").split("/")
    if len(parts) < 3 or Path(parts[-1]).suffix.lower() not in _IMAGE_SUFFIXES:
        return None
    return parts[-3], parts[-2], parts[-1]


def _folder_records(root: Path):
    for file in sorted(root.rglob("*")):
        if file.is_file():
            parsed = _parse_member(str(file.relative_to(root)))
            if parsed:
                yield parsed, file.read_bytes()


def _tar_records(archive: Path):
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile():
                parsed = _parse_member(member.name)
                if parsed:
                    yield parsed, tar.extractfile(member).read()


def _split_of(filename: str) -> str | None:
    for split in SPLITS:
        if filename.startswith(split + "_"):
            return split
    return None


def _from_records(records, source: str, seed: int) -> FerSplits:
    by_split: dict[str, tuple[list, list]] = {}
    by_top: dict[str, tuple[list, list]] = {}
    for (top, emotion, filename), data in records:
        try:
            label = emotion_index(emotion)
        except ValueError:
            continue  # a folder that is not an emotion (e.g. __MACOSX) is not data
        image = _decode_gray(data, f"{source}/{top}/{emotion}/{filename}")
        split = _split_of(filename)
        for key, table in ((split, by_split), (top.lower(), by_top)):
            if key is not None:
                images, labels, keys = table.setdefault(key, ([], [], []))
                images.append(image)
                labels.append(label)
                keys.append(f"{top}/{emotion}/{filename}")
    if not by_top:
        raise DatasetError(f"{source}: found no images in <split>/<emotion>/<image> folders")
    if all(s in by_split for s in SPLITS):
        parts = {s: _as_split(*by_split[s]) for s in SPLITS}
        return FerSplits(parts["Training"], parts["PublicTest"], parts["PrivateTest"],
                         f"{source} (official Training/PublicTest/PrivateTest by file prefix)")
    if set(by_split) == {"Training", "PublicTest"}:
        # A copy made to train elsewhere (a borrowed GPU) without the faces that are only ever
        # scored: enough to fit and select, and `train` refuses it because it scores PrivateTest.
        empty = FerSplit(np.zeros((0, FACE_SIZE, FACE_SIZE), np.uint8), np.zeros(0, np.int64), ())
        return FerSplits(_as_split(*by_split["Training"]), _as_split(*by_split["PublicTest"]), empty,
                         f"{source} (official Training/PublicTest by file prefix; no PrivateTest)")
    return _stratified_fallback(by_top, source, seed)


def _as_split(images: list, labels: list, keys: list) -> FerSplit:
    return FerSplit(np.stack(images).astype(np.uint8), np.asarray(labels, dtype=np.int64), tuple(keys))


def _stratified_fallback(by_top: dict, source: str, seed: int) -> FerSplits:
    """Without the official prefixes: train/ is split 90/10 into train and validation, test/
    (when present) is the final test set; with a single folder, 80/10/10."""
    rng = np.random.default_rng(seed)
    if "train" in by_top and "test" in by_top:
        train_all = _as_split(*by_top["train"])
        fit, val = _stratified_cut(train_all, 0.1, rng)
        return FerSplits(fit, val, _as_split(*by_top["test"]),
                         f"{source} (train/ split 90/10 stratified, test/ held out)")
    everything = _as_split(*[sum((t[i] for t in by_top.values()), []) for i in (0, 1, 2)])
    rest, test = _stratified_cut(everything, 0.1, rng)
    fit, val = _stratified_cut(rest, 1 / 9, rng)
    return FerSplits(fit, val, test, f"{source} (one pool split 80/10/10 stratified)")


def _stratified_cut(split: FerSplit, fraction: float, rng) -> tuple[FerSplit, FerSplit]:
    held = []
    for label in np.unique(split.labels):
        idx = np.flatnonzero(split.labels == label)
        rng.shuffle(idx)
        held.extend(idx[: max(1, int(round(len(idx) * fraction)))])
    mask = np.zeros(len(split), bool)
    mask[held] = True
    return split.subset(~mask), split.subset(mask)


def _from_csv(path: Path) -> FerSplits:
    rows: dict[str, tuple[list, list, list]] = {s: ([], [], []) for s in SPLITS}
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"emotion", "pixels", "Usage"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            pixels = np.array(row["pixels"].split(), dtype=np.uint8)
            if pixels.size != FACE_SIZE * FACE_SIZE:
                raise DatasetError(f"{path}:{line}: expected {FACE_SIZE * FACE_SIZE} pixels, got {pixels.size}")
            usage = row["Usage"].strip()
            if usage not in rows:
                raise DatasetError(f"{path}:{line}: unknown Usage {usage!r}")
            rows[usage][0].append(pixels.reshape(FACE_SIZE, FACE_SIZE))
            rows[usage][1].append(int(row["emotion"]))
            rows[usage][2].append(f"row:{line - 2}")
    empty = [s for s in SPLITS if not rows[s][1]]
    if empty:
        raise DatasetError(f"{path}: no rows for {', '.join(empty)}")
    parts = {s: _as_split(*rows[s]) for s in SPLITS}
    return FerSplits(parts["Training"], parts["PublicTest"], parts["PrivateTest"], f"{path} (Usage column)")
