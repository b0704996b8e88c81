"""Checks that the facial measurements mean what they say, written so that they can fail; the
tests assert them and benchmarks/actions_validation.py reports every number.

- Mirror: a horizontally flipped face must swap its left and right measures and flip the sign
  of yaw, gaze yaw and asymmetry.
- Dose-response: a real face warped by an action at graded intensities (`warps`) must move the
  matching measure monotonically, on the warped side only, and leave other regions alone; the
  lowest intensity whose change exceeds three times the measure's jitter is its "subtle" limit.
  Each row also carries the warp's own reach, so that a failure of the warp (moving what it
  should not) is not read as a failure of the measure.
- Gaze: irises moved by known fractions of the eye width must turn the gaze the same way.
- Crosstalk: each action warped at full intensity, and how far every other action's column rises
  with it, as a share of that column's rise under its own warp: a column that rises with another
  action would read that action as its own (a smile's widening rose in the lip-stretch column),
  so events keep such columns out or explain them away (emotion.temporal.events).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np

from .inference.warps import WARPS, apply_action, move_irises, reach, side_sets
from .labels import MEASURE_NAMES, REGION_OF, SIDED_ACTIONS
from .temporal.asymmetry import asymmetry

LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)
INDEX = {n: i for i, n in enumerate(MEASURE_NAMES)}
# FACS's split of the face: an upper-face action must leave the lower face alone and vice versa
# (brows and lids move together in real faces, as do the nose and the upper lip).
HALF = {"brows": "upper", "eyes": "upper", "nose": "lower", "mouth": "lower"}


def spearman(x, y) -> float:
    """Rank correlation (0 when either side does not vary)."""
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1]) if np.std(rx) > 0 and np.std(ry) > 0 else 0.0


def pearson(x, y) -> float:
    """Pearson r over the frames where both are finite (NaN when either side does not vary)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    return float(np.corrcoef(x[ok], y[ok])[0, 1]) if ok.sum() > 2 and np.std(x[ok]) > 0 and np.std(y[ok]) > 0 else float("nan")


def largest_measured(analyzer, image: np.ndarray):
    """The largest face that got facial actions (a FaceResult), or None."""
    faces = [f for f in analyzer.analyze(image) if f.measures is not None]
    return max(faces, key=lambda f: f.box[2] * f.box[3]) if faces else None


def measures_of(analyzer, image: np.ndarray) -> np.ndarray | None:
    """The largest face's raw measures (MEASURE_NAMES order), or None."""
    face = largest_measured(analyzer, image)
    return None if face is None else face.measures.astype(np.float64)


def mirrored(frames, analyzer) -> tuple[np.ndarray, np.ndarray]:
    """(n, measures) of each frame and of its mirror image, for the frames where both have a face."""
    ours, theirs = [], []
    for rgb in frames:
        a, b = measures_of(analyzer, rgb), measures_of(analyzer, np.ascontiguousarray(rgb[:, ::-1]))
        if a is not None and b is not None:
            ours.append(a)
            theirs.append(b)
    return np.array(ours), np.array(theirs)


def mirror_report(ours: np.ndarray, theirs: np.ndarray) -> dict:
    """Correlations, frame by frame, of each left measure with the mirrored right one (and of all
    sided measures pooled, each centred), and of yaw and gaze yaw with their mirrored values."""
    def relative(m):
        return {n: m[:, INDEX[n]] - np.nanmedian(m[:, INDEX[n]]) for n in MEASURE_NAMES}

    a, b = relative(ours), relative(theirs)
    asym_ours = [asymmetry({n: float(a[n][k]) for n in a}) for k in range(len(ours))]
    asym_theirs = [asymmetry({n: float(b[n][k]) for n in b}) for k in range(len(theirs))]
    both = [(x, y) for x, y in zip(asym_ours, asym_theirs) if x is not None and y is not None]
    per_action, xs, ys = {}, [], []
    for action in SIDED_ACTIONS:
        for side, other in (("left", "right"), ("right", "left")):
            x, y = ours[:, INDEX[f"{action}_{side}"]], theirs[:, INDEX[f"{action}_{other}"]]
            xs.append(x - np.nanmean(x))
            ys.append(y - np.nanmean(y))
        per_action[action] = round(pearson(ours[:, INDEX[f"{action}_left"]], theirs[:, INDEX[f"{action}_right"]]), 3)
    return {"frames": len(ours), "sided_pooled": round(pearson(np.concatenate(xs), np.concatenate(ys)), 3), "per_action": per_action,
            "yaw": round(pearson(ours[:, INDEX["yaw"]], theirs[:, INDEX["yaw"]]), 3),
            "gaze_yaw": round(pearson(ours[:, INDEX["gaze_yaw"]], theirs[:, INDEX["gaze_yaw"]]), 3),
            "asymmetry": round(pearson(*map(np.array, zip(*both))), 3) if len(both) > 2 else float("nan"),
            "asymmetry_frames": len(both)}


def reshots(image: np.ndarray, shots: int = 10, seed: int = 0):
    """The same face shot again: sub-pixel offsets and sensor noise, what a still camera gives
    between frames of a face that does not move (the inputs of `jitter`)."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    for _ in range(shots):
        m = np.float32([[1, 0, rng.uniform(-0.5, 0.5)], [0, 1, rng.uniform(-0.5, 0.5)]])
        shot = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        yield np.clip(shot + rng.normal(0, 2, shot.shape), 0, 255).astype(np.uint8)


def jitter(analyzer, image: np.ndarray, shots: int = 10, seed: int = 0) -> np.ndarray:
    """Std of each measure over re-shots of the same face (`reshots`)."""
    values = [m for m in (measures_of(analyzer, shot) for shot in reshots(image, shots, seed)) if m is not None]
    return np.nanstd(np.array(values), axis=0)


@dataclass(frozen=True)
class Dose:
    action: str
    side: str  # left | right | both
    rho: float  # Spearman of the matching measure against intensity
    change: float  # of the matching measure at intensity 1 (inter-ocular units)
    other_side: float | None  # change of the other side's measure at intensity 1 (one-sided warps)
    other_half: dict[str, float]  # change at intensity 1 of each watched measure of the other half of the face
    subtle: float | None  # lowest intensity whose change exceeds 3x jitter (and stays so), None: never
    reach: float  # the warp's own purity (warps.reach): what it moves that it should not, fraction of its displacement

    @property
    def unrelated(self) -> float:
        """The largest change of a watched measure of the other half of the face."""
        return max((abs(v) for v in self.other_half.values()), default=0.0)

    def watching(self, columns) -> "Dose":
        """This row watching only `columns` in the other half of the face. The shipped analyzer
        takes each column from one source (geometry or blendshapes); its row is checked against
        the other-half columns of that same source, in the same units, not against columns of
        the other source, which it does not ship."""
        return replace(self, other_half={n: v for n, v in self.other_half.items() if n in columns})

    def passes(self) -> bool:
        """Monotonic, above noise at full intensity, the other side moving at most half as much,
        other regions at most half as much as the matching measure."""
        lateral = self.other_side is None or abs(self.other_side) <= 0.5 * abs(self.change)
        return self.rho >= 0.9 and self.subtle is not None and lateral and self.unrelated <= 0.5 * abs(self.change)

    def as_dict(self) -> dict:
        return {**asdict(self), "unrelated": self.unrelated, "passes": self.passes()}


def subtle_limit(change: np.ndarray, noise: float, levels=LEVELS) -> float | None:
    """The lowest of `levels` whose change (one per level) exceeds three times the measure's jitter
    and stays so at every higher level; None when the highest does not."""
    above = np.abs(change) > 3 * max(noise, 1e-4)
    return next((t for k, t in enumerate(levels) if t > 0 and above[k:].all()), None)


def dose_response(analyzer, image: np.ndarray, noise: np.ndarray, actions=tuple(WARPS)) -> list[Dose]:
    base = measures_of(analyzer, image)
    points = next(f.landmarks for f in analyzer.analyze(image) if f.landmarks is not None)
    out = []
    for action in actions:
        for sides in side_sets(action):
            name = action if len(sides) == 2 else f"{action}_{sides[0]}"
            other = None if len(sides) == 2 else f"{action}_{'right' if sides[0] == 'left' else 'left'}"
            runs = [measures_of(analyzer, apply_action(image, points, action, t, sides)) for t in LEVELS]
            change = np.array([r[INDEX[name]] - base[INDEX[name]] for r in runs])
            unrelated = [n for n in MEASURE_NAMES if n in REGION_OF and HALF[REGION_OF[n]] != HALF[REGION_OF[action]]]
            out.append(Dose(action, "both" if len(sides) == 2 else sides[0], spearman(LEVELS, change), float(change[-1]),
                            None if other is None else float(runs[-1][INDEX[other]] - base[INDEX[other]]),
                            {n: float(runs[-1][INDEX[n]] - base[INDEX[n]]) for n in unrelated},
                            subtle_limit(change, noise[INDEX[name]]), reach(points, action, sides)))
    return out


def crosstalk(analyzer, image: np.ndarray, actions=tuple(WARPS)) -> dict[str, dict[str, float | None]]:
    """{warped action: {column: its rise under that warp / its rise under its own warp}} for every
    combined action column (ACTION_NAMES), both sides warped at intensity 1. None where the
    column has no warp of its own (lips part) or does not rise under it (the ratio would mean
    nothing); a column's own entry is 1."""
    from .labels import ACTION_NAMES

    base = measures_of(analyzer, image)
    points = next(f.landmarks for f in analyzer.analyze(image) if f.landmarks is not None)
    change = {a: measures_of(analyzer, apply_action(image, points, a, 1.0)) - base for a in actions}
    own = {c: float(change[c][INDEX[c]]) if c in change else 0.0 for c in ACTION_NAMES}
    return {a: {c: (float(change[a][INDEX[c]]) / own[c] if own[c] > 1e-6 else None) for c in ACTION_NAMES} for a in actions}


def gaze_response(analyzer, image: np.ndarray, fractions=(-0.12, -0.06, 0.0, 0.06, 0.12)) -> dict:
    """Gaze angles as both irises are moved right (image) and up by fractions of the eye width."""
    points = next(f.landmarks for f in analyzer.analyze(image) if f.landmarks is not None)
    right = [measures_of(analyzer, move_irises(image, points, f, 0.0))[INDEX["gaze_yaw"]] for f in fractions]
    up = [measures_of(analyzer, move_irises(image, points, 0.0, f))[INDEX["gaze_pitch"]] for f in fractions]
    return {"fractions": list(fractions), "gaze_yaw": [round(float(v), 2) for v in right],
            "gaze_pitch": [round(float(v), 2) for v in up],
            "rho_yaw": spearman(fractions, right), "rho_pitch": spearman(fractions, up)}


def blendshape_mirror(frames, analyzer) -> dict:
    """Each `bs_*Left` coefficient of a frame against the `*Right` one of its mirror image, frame
    by frame, on the largest face, and the reverse: Pearson r each way, how much the coefficient
    varies (std; r means little where it hardly varies), and its side offset, the mean of
    (Left - Right) on the frames minus the same on their mirror images, over 2: what the model
    adds to one side whatever the face does (0 for a mirror-symmetric model). `pooled`: both
    directions in one correlation, which such an offset lowers."""
    from .labels import BLENDSHAPE_NAMES

    ours, theirs = [], []
    for rgb in frames:
        a, b = largest_measured(analyzer, rgb), largest_measured(analyzer, np.ascontiguousarray(rgb[:, ::-1]))
        if a is not None and b is not None and a.blendshapes is not None and b.blendshapes is not None:
            ours.append(a.blendshapes)
            theirs.append(b.blendshapes)
    ours, theirs = np.array(ours, np.float64), np.array(theirs, np.float64)
    index = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}

    def rounded_r(x, y) -> float:
        return round(pearson(x, y), 3)

    out = {}
    for name in BLENDSHAPE_NAMES:
        if not name.endswith("Left"):
            continue
        left, right = index[name], index[name[: -len("Left")] + "Right"]
        offset = (np.mean(ours[:, left] - ours[:, right]) - np.mean(theirs[:, left] - theirs[:, right])) / 2
        out[name[: -len("Left")]] = {
            "r_left": rounded_r(ours[:, left], theirs[:, right]), "r_right": rounded_r(ours[:, right], theirs[:, left]),
            "pooled": rounded_r(np.concatenate([ours[:, left], ours[:, right]]), np.concatenate([theirs[:, right], theirs[:, left]])),
            "std": round(float(np.std(np.concatenate([ours[:, left], ours[:, right]]))), 3), "side_offset": round(float(offset), 3)}
    return {"frames": len(ours), "pairs": out}


BEYOND = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # intensities for detection thresholds (warps past 1 exaggerate)


def detection_threshold(analyzer, image: np.ndarray, noise: np.ndarray, action: str, levels=BEYOND) -> float | None:
    """The lowest intensity (both sides, up to 3x the warp's stated movement) from which the
    action's combined measure changes by more than three times its jitter at every higher level;
    None when even the largest does not: how large a movement must be before this source sees it."""
    base = measures_of(analyzer, image)
    points = next(f.landmarks for f in analyzer.analyze(image) if f.landmarks is not None)
    change = np.array([measures_of(analyzer, apply_action(image, points, action, t))[INDEX[action]] - base[INDEX[action]]
                       for t in levels])
    return subtle_limit(change, float(noise[INDEX[action]]), levels)
