"""Brief departures from a face's own baseline (micro-expressions, subtle movements) and longer
expression episodes.

Each signal (action measurement, regional motion energy, emotion probability) is turned into a
robust z-score against that face's baseline: (value - median) / max(1.4826 * MAD, floor). The
floor is the smallest change we are willing to call a movement (landmark jitter on real video
is about 0.01 inter-ocular distances), so a perfectly still face produces no events and a noisy
one needs a proportionally larger change. An event is a run of frames where a facial action
(`EVENT_ACTIONS`) rises beyond LOW and at least once reaches HIGH (hysteresis: the run starts and
ends where the movement does, not where it crosses the high bar). Runs of up to 0.5 s are
`micro` events; longer ones are `movement`s.

Only validated actions make an event, and only as they rise (their antagonists have their own
columns: brows lowering is au4 rising, not au1 falling). Motion energy and the CNN's
probabilities are listed among an event's signals when they moved too, but cannot make one:
head turns, zooms and light changes move them as much as expressions do (a still face only
turned and zoomed gave 69 motion-only "micro-expressions" a minute; benchmarks/event_spotting.py).
An event's `emotion` comes from its actions (`label_from_actions`: FACS prototypes over the
validated actions, after explaining away what one action does to another's column), else from
the CNN; `emotion_source` says which. Blinks are found a second way, against what the eye did in the
second around them rather than the face's baseline (BLINK_CONTEXT_S), so that they show up while
the face looks down or turns. Episodes are sustained changes (at least 1 s) of the smoothed top
emotion away from the face's usual one.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..labels import ACTION_NAMES, COLUMNS_FROM_BLENDSHAPES, EMOTIONS, EVENT_COLUMNS, MOTION_NAMES, PROB_NAMES, REGION_OF, SIDE_NAMES, SIGNAL_NAMES

HIGH, LOW = 4.0, 2.0
SMOOTH_S = 0.1  # signals are averaged over this span (3 frames at 25-30 fps) before events are looked for
MICRO_MAX_S = 0.5
MIN_FRAMES = 2  # a one-frame spike is a measuring glitch, not a movement (a blink spans 3-10 frames at 25 fps)
EPISODE_MIN_S = 1.0
# Action columns read from blendshapes (0..1 coefficients) move about five times as far as the
# geometric ones under the same warp (0.2-0.4 against 0.03-0.08 inter-ocular units), and so get
# a five times higher floor. The floors are for a steady camera, where the spread of the
# averaged signals (SMOOTH_S) is 0.001-0.003 and a floor, not the noise, decides: at 0.01 a lip
# corner had to move 0.04 inter-ocular distances (2 pixels on a 50-pixel eye distance) before
# an event was found (benchmarks/event_spotting.py); a moving head's noise (0.005-0.01) sets
# its own scale.
FLOOR = {**{n: 0.005 for n in ACTION_NAMES + SIDE_NAMES}, "au43_eye_closure": 0.01, "au43_eye_closure_left": 0.01,
         "au43_eye_closure_right": 0.01, **{n: 0.025 for n in COLUMNS_FROM_BLENDSHAPES},
         **{n: 0.3 for n in MOTION_NAMES}, **{n: 0.08 for n in PROB_NAMES}}
# Blinks: an eye closing and reopening within MICRO_MAX_S, found against what that eye did around
# it (its running median over BLINK_CONTEXT_S) instead of the face's baseline. Looking down or
# turning the head moves the eye-closure measure for seconds; that both widens the baseline's
# spread and merges a blink into a long movement: none of the six blinks of
# WolfgangLanger_Pexels.mp4 (6.4, 8.4, 10.3, 12.0, 16.1 and 17.8 s, checked by eye) was an eye
# event against the baseline.
BLINK_SIGNALS = ("au43_eye_closure", "au43_eye_closure_left", "au43_eye_closure_right")
BLINK_CONTEXT_S = 1.0
REGION = {**REGION_OF, **{n: n.removeprefix("motion_") for n in MOTION_NAMES}, **{n: "face" for n in PROB_NAMES}}
ONE_SIDED = set(MOTION_NAMES)  # energies only grow

# The actions that make events and vote for their labels: those whose warped dose-response
# passes on both test faces and whose rise no other action causes (the crosstalk rows of
# benchmarks/actions_validation.py; tests/test_events.py checks this list against them). Left
# out: au9 nose wrinkle (its column rises with a smile, a frown and a blink), au6 cheek raise
# (no warp moves it, so nothing validates it) and au25 lips part (no warp of its own).
EVENT_ACTIONS = ("au1_inner_brow_raise", "au2_outer_brow_raise", "au4_brow_lower", "au5_upper_lid_raise",
                 "au43_eye_closure", "au12_lip_corner_pull", "au15_lip_corner_depress", "au20_lip_stretch", "au26_jaw_drop")
# Each action makes events through its combined column and, where the sides are measured from the
# mesh's geometry, through its sides too (a one-sided smile moves the combined column by half).
# The blendshapes' sides (brows, upper lids) only say which side moved: under head motion they
# jittered three times as much as their combined value and made most of the false brow events.
SIDE_TRIGGERS = tuple(f"{a}_{side}" for a in EVENT_ACTIONS for side in ("left", "right")
                      if f"{a}_{side}" in SIDE_NAMES and f"{a}_{side}" not in COLUMNS_FROM_BLENDSHAPES)
TRIGGERS = EVENT_ACTIONS + SIDE_TRIGGERS

# FACS prototypes (Ekman & Friesen's EMFACS), restricted to EVENT_ACTIONS: disgust needs the nose
# wrinkle, which is not among them, so an action event is never labelled disgust (the CNN may).
PROTOTYPES = {
    "happy": ("au12_lip_corner_pull",),
    "surprise": ("au1_inner_brow_raise", "au2_outer_brow_raise", "au5_upper_lid_raise", "au26_jaw_drop"),
    "fear": ("au1_inner_brow_raise", "au2_outer_brow_raise", "au4_brow_lower", "au5_upper_lid_raise", "au20_lip_stretch"),
    "angry": ("au4_brow_lower", "au5_upper_lid_raise"),
    "sad": ("au1_inner_brow_raise", "au4_brow_lower", "au15_lip_corner_depress"),
}
# A smile pulls the mouth corners up and out, a lip stretch only out: au12's column includes the
# mouth's widening (actions.py), so it rises under a stretch as much as under a smile (the
# upper lip, which it is measured from, rises in a real smile too), and au20 (the width) rises
# under a smile. Which one moved is told by how far the corners rose over the lips' middle (au15
# falling) beside the widening: 0.5-0.8 of the widening for the smile warp and 0.3 for the
# broad smile of single_face.mp4, 0.0-0.05 for the stretch warp.
CORNER_RISE_OF_SMILE = 0.2
# (warped action, column that rises with it) pairs of the crosstalk rows that `explained` resolves.
EXPLAINED_PAIRS = frozenset({("au4_brow_lower", "au43_eye_closure"), ("au12_lip_corner_pull", "au20_lip_stretch"),
                             ("au20_lip_stretch", "au12_lip_corner_pull")})


@dataclass(frozen=True)
class Baseline:
    median: np.ndarray  # (k,) per signal
    scale: np.ndarray  # (k,) robust spread, floored

    @staticmethod
    def of(values: np.ndarray, names: tuple[str, ...] = SIGNAL_NAMES) -> "Baseline":
        values = np.asarray(values, np.float64)
        if len(values) == 0:
            return Baseline(np.zeros(len(names)), np.array([FLOOR[n] for n in names]))
        with warnings.catch_warnings():  # signals never measured (--no-actions) are all NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(values, axis=0)
            mad = np.nanmedian(np.abs(values - median), axis=0) * 1.4826
        return Baseline(np.nan_to_num(median), np.maximum(np.nan_to_num(mad), [FLOOR[n] for n in names]))

    def z(self, values: np.ndarray, names: tuple[str, ...] = SIGNAL_NAMES) -> np.ndarray:
        z = (np.asarray(values, np.float64) - self.median) / self.scale
        for j, n in enumerate(names):
            if n in ONE_SIDED:
                z[..., j] = np.maximum(z[..., j], 0)
        return np.nan_to_num(z)


@dataclass(frozen=True)
class Event:
    face_id: int
    kind: str  # micro | movement | episode
    onset_s: float
    apex_s: float
    offset_s: float
    duration_s: float
    regions: str  # e.g. "mouth" or "brows+eyes"
    side: str  # which side of the face moved: left, right or both (the person's); "" without action signals
    signals: str  # the signals that crossed HIGH, strongest first
    magnitude: float  # peak z of the actions (micro/movement) or peak smoothed probability (episode)
    emotion: str  # the emotion most associated: FACS prototype of the actions, else the CNN's
    cnn_emotion: str  # the emotion whose probability rose most over baseline during the event
    person_id: int | None = None  # set once tracks are linked into people (emotion.temporal.people)
    emotion_source: str = "cnn"  # where `emotion` came from: "actions" (a FACS prototype) or "cnn"

    def as_row(self) -> dict:
        """The event as a NAME.events.csv row (emotion.labels.EVENT_COLUMNS), times to the ms."""
        row = {k: v for k, v in asdict(self).items() if k in EVENT_COLUMNS}
        for k in ("onset_s", "apex_s", "offset_s", "duration_s"):
            row[k] = round(row[k], 3)
        row["magnitude"] = round(row["magnitude"], 2)
        return row


def _runs(mask: np.ndarray, times: np.ndarray, max_gap: float) -> list[tuple[int, int]]:
    """Index ranges [a, b] of consecutive True frames without a time gap over max_gap."""
    runs, start = [], None
    for i, on in enumerate(mask):
        if on and start is not None and times[i] - times[i - 1] > max_gap:
            runs.append((start, i - 1))
            start = None
        if on and start is None:
            start = i
        if not on and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(mask) - 1))
    return runs


LATERAL = 0.5  # a lateralisation index from which a movement counts as one-sided


def side_of(left_peak: float, right_peak: float) -> str:
    """"left", "right" or "both" from the peak strengths (|z|) of the left and right signals."""
    if left_peak <= 0 and right_peak <= 0:
        return "both"
    index = (left_peak - right_peak) / (left_peak + right_peak)
    return "left" if index >= LATERAL else "right" if index <= -LATERAL else "both"


def _side(names: tuple[str, ...], crossed: list[int], peak: np.ndarray) -> str:
    """The side that moved, from the strongest left and right signals among `crossed`."""
    if not crossed:
        return ""
    left = max((peak[j] for j in crossed if names[j].endswith("_left")), default=0.0)
    right = max((peak[j] for j in crossed if names[j].endswith("_right")), default=0.0)
    return side_of(left, right)


def action_of(name: str) -> str:
    """The action a column belongs to: au12_lip_corner_pull_left -> au12_lip_corner_pull."""
    return name.removesuffix("_left").removesuffix("_right")


def explained(peaks: dict[str, float], change: dict[str, float]) -> set[str]:
    """The actions whose rise another action explains: `peaks` (action -> peak z, the crossed
    ones) and `change` (action -> change from the baseline at the apex, in its own units). A
    brow lowering presses the upper lids down (the eye-closure column rose 0.5-0.7 of a
    closure's own rise under the au4 warp); of a smile and a lip stretch, which both widen the
    mouth, the one the corners' rise says (CORNER_RISE_OF_SMILE)."""
    out = set()
    if "au4_brow_lower" in peaks and "au43_eye_closure" in peaks:
        out.add("au43_eye_closure")
    if "au12_lip_corner_pull" in peaks and "au20_lip_stretch" in peaks:
        rise, width = -change.get("au15_lip_corner_depress", 0.0), change.get("au20_lip_stretch", 0.0)
        out.add("au20_lip_stretch" if rise >= CORNER_RISE_OF_SMILE * width else "au12_lip_corner_pull")
    return out


def label_from_actions(peaks: dict[str, float]) -> str | None:
    """The FACS prototype that best accounts for the actions that rose (`peaks`: action -> peak
    z, explained ones removed): the z of its actions that rose minus the z of those that rose
    outside it; on a tie, the prototype with fewer actions (the more specific). None when no
    prototype holds a rising action."""
    best, best_key = None, None
    for emotion, actions in PROTOTYPES.items():
        inside = sum(z for a, z in peaks.items() if a in actions)
        if inside <= 0:
            continue
        key = (inside - sum(z for a, z in peaks.items() if a not in actions), -len(actions))
        if best_key is None or key > best_key:
            best, best_key = emotion, key
    return best


def _cnn_emotion(probs: np.ndarray, usual: np.ndarray) -> str:
    """The emotion whose probability rose most above the face's usual level during the event,
    or, when none rose noticeably, the event's average top emotion."""
    rise = (probs - usual).max(axis=0)
    if rise.max() >= 0.05:
        return EMOTIONS[int(np.argmax(rise))]
    return EMOTIONS[int(np.argmax(probs.mean(axis=0)))]


def detect_events(face_id: int, times: np.ndarray, signals: np.ndarray, baseline: Baseline,
                  names: tuple[str, ...] = SIGNAL_NAMES) -> list[Event]:
    """Micro events and movements of one face. times (n,), signals (n, k) in `names` order."""
    times = np.asarray(times, np.float64)
    if len(times) < 2:
        return []
    z = baseline.z(signals, names)
    triggers = [j for j, n in enumerate(names) if n in TRIGGERS]
    rising = np.maximum(z[:, triggers], 0) if triggers else np.zeros((len(times), 0))
    strength = rising.max(axis=1) if triggers else np.zeros(len(times))
    step = float(np.median(np.diff(times)))
    events: list[Event] = []
    prob_idx = [names.index(p) for p in PROB_NAMES if p in names]
    others = [j for j, n in enumerate(names) if n not in TRIGGERS]
    for a, b in _runs(strength >= LOW, times, max_gap=3 * step):
        if strength[a : b + 1].max() < HIGH or b - a + 1 < MIN_FRAMES:
            continue
        window = rising[a : b + 1]
        peak = window.max(axis=0)
        apex = a + int(np.argmax(window.max(axis=1)))
        crossed = [triggers[k] for k in np.argsort(-peak) if peak[k] >= HIGH]
        trigger_peak = dict(zip(triggers, peak))
        # Each action's peak z over its columns (combined and sides), and its peak change in
        # its own units (for telling a smile from a stretch).
        actions: dict[str, float] = {}
        for j in crossed:
            actions[action_of(names[j])] = max(actions.get(action_of(names[j]), 0.0), trigger_peak[j])
        change = {n: float(signals[apex, j] - baseline.median[j]) for j, n in enumerate(names) if n in EVENT_ACTIONS}
        kept = {act: zz for act, zz in actions.items() if act not in explained(actions, change)}
        regions = sorted({REGION[act] for act in kept}, key=lambda r: -max(zz for act, zz in kept.items() if REGION[act] == r))
        supporting = [j for j in others if np.abs(z[a : b + 1, j]).max() >= HIGH]
        sided = [j for j, n in enumerate(names) if n in SIDE_NAMES and action_of(n) in kept]
        side_peak = np.zeros(len(names))
        side_peak[sided] = np.maximum(z[a : b + 1][:, sided], 0).max(axis=0) if sided else 0.0
        cnn = _cnn_emotion(signals[a : b + 1][:, prob_idx], baseline.median[prob_idx]) if prob_idx else ""
        label = label_from_actions(kept)
        duration = times[b] - times[a] + step
        events.append(Event(face_id, "micro" if duration <= MICRO_MAX_S + 1e-9 else "movement",
                            float(times[a]), float(times[apex]), float(times[b]), float(duration),
                            "+".join(regions), _side(names, sided, side_peak),
                            "+".join(names[j] for j in crossed + supporting), float(peak.max()), label or cnn, cnn,
                            emotion_source="actions" if label else "cnn"))
    return with_blinks(events, detect_blinks(face_id, times, signals, baseline, names))


def smoothed(times: np.ndarray, signals: np.ndarray, span_s: float = SMOOTH_S, names: tuple[str, ...] = SIGNAL_NAMES) -> np.ndarray:
    """Each signal averaged over the frames within `span_s` around each frame (NaN frames left
    out): measurement jitter falls by about the square root of the frames averaged, while a 0.1 s
    micro-expression keeps most of its height. The eye closure is left as measured: a blink
    lasts a few frames, and the blink pass judges it against its own running median."""
    values = np.asarray(signals, np.float64)
    if len(times) < 3:
        return values
    k = int(round(span_s / float(np.median(np.diff(times))))) // 2
    if k < 1:
        return values
    padded = np.pad(values, [(k, k), (0, 0)], mode="edge")
    windows = sliding_window_view(padded, 2 * k + 1, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.where(np.isnan(values), np.nan, np.nanmean(windows, axis=-1))
    keep = [j for j, n in enumerate(names) if n in BLINK_SIGNALS]
    out[:, keep] = values[:, keep]
    return out


def with_blinks(events: list[Event], blinks: list[Event]) -> list[Event]:
    """`events` with the blinks added, by onset; a blink whose apex falls in a micro event of the
    baseline pass (seen there as eye motion, say) is merged into it: its signals join that event's."""
    out = list(events)
    for blink in blinks:
        k = next((k for k, e in enumerate(out) if e.kind == "micro" and e.onset_s <= blink.apex_s <= e.offset_s), None)
        if k is None:
            out.append(blink)
            continue
        e = out[k]
        regions = e.regions.split("+") + [r for r in blink.regions.split("+") if r not in e.regions.split("+")]
        signals = e.signals.split("+") + [n for n in blink.signals.split("+") if n not in e.signals.split("+")]
        out[k] = replace(e, regions="+".join(regions), signals="+".join(signals), side=e.side or blink.side,
                         magnitude=max(e.magnitude, blink.magnitude))
    return sorted(out, key=lambda e: e.onset_s)


def running_median(values: np.ndarray, times: np.ndarray, span_s: float) -> np.ndarray:
    """Each value's median over the frames within span_s around it, NaN frames left out;
    `values` (n,) or (n, k), one median per column. Sorted windows (NaN sorts last) and the
    middle of each window's valid count: np.nanmedian over the same windows took three times as
    long, and live looks for blinks on every frame."""
    step = float(np.median(np.diff(times)))
    half = max(int(round(span_s / step / 2)), 1)
    values = np.asarray(values, np.float64)
    padded = np.pad(values, [(half, half)] + [(0, 0)] * (values.ndim - 1), constant_values=np.nan)
    windows = np.sort(sliding_window_view(padded, 2 * half + 1, axis=0), axis=-1)
    valid = (~np.isnan(windows)).sum(axis=-1)
    low = np.take_along_axis(windows, np.maximum(valid - 1, 0)[..., None] // 2, -1)[..., 0]
    high = np.take_along_axis(windows, (valid // 2)[..., None], -1)[..., 0]
    return np.where(valid > 0, (low + high) / 2, np.nan)


def detect_blinks(face_id: int, times: np.ndarray, signals: np.ndarray, baseline: Baseline,
                  names: tuple[str, ...]) -> list[Event]:
    """Blinks (BLINK_SIGNALS) as micro events of the eyes: each eye-closure signal's rise over its
    running median, as a robust z-score against those rises (Baseline, with the same floors),
    closing only; not while the brows lower (they press the lids down: `explained`)."""
    present = [n for n in BLINK_SIGNALS if n in names]
    brows = [names.index(n) for n in ("au4_brow_lower", "au4_brow_lower_left", "au4_brow_lower_right") if n in names]
    brow_z = baseline.z(signals, names)[:, brows] if brows else np.zeros((len(times), 0))
    if BLINK_SIGNALS[0] not in present or np.isnan(signals[:, names.index(BLINK_SIGNALS[0])]).all():
        return []
    closure = signals[:, [names.index(n) for n in present]].astype(np.float64)
    residuals = closure - running_median(closure, times, BLINK_CONTEXT_S)
    rises = np.maximum(Baseline.of(residuals, tuple(present)).z(residuals, tuple(present)), 0)
    strongest = rises.max(axis=1)  # one eye closing alone (a wink) counts
    step = float(np.median(np.diff(times)))
    prob_idx = [names.index(p) for p in PROB_NAMES if p in names]
    blinks = []
    for a, b in _runs(strongest >= LOW, times, max_gap=3 * step):
        closing = strongest[a : b + 1]
        duration = times[b] - times[a] + step
        apex = a + int(np.argmax(closing))
        if closing.max() < HIGH or duration > MICRO_MAX_S + 1e-9 or b - a + 1 < MIN_FRAMES \
                or (brows and brow_z[a : b + 1].max() >= HIGH):
            continue
        peaks = dict(zip(present, map(float, rises[a : b + 1].max(axis=0))))
        crossed = sorted((n for n in present if peaks[n] >= HIGH), key=lambda n: -peaks[n])
        cnn = _cnn_emotion(signals[a : b + 1][:, prob_idx], baseline.median[prob_idx]) if prob_idx else ""
        side = side_of(peaks.get(BLINK_SIGNALS[1], 0.0), peaks.get(BLINK_SIGNALS[2], 0.0))
        blinks.append(Event(face_id, "micro", float(times[a]), float(times[apex]), float(times[b]), float(duration), "eyes",
                            side, "+".join(crossed), float(closing.max()), cnn, cnn))
    return blinks


def detect_episodes(face_id: int, times: np.ndarray, smoothed: np.ndarray) -> list[Event]:
    """Sustained changes of the smoothed top emotion away from the face's most common one."""
    times = np.asarray(times, np.float64)
    if len(times) < 2:
        return []
    top = np.argmax(smoothed, axis=1)
    usual = int(np.bincount(top, minlength=len(EMOTIONS)).argmax())
    step = float(np.median(np.diff(times)))
    episodes = []
    for a, b in _runs(top != usual, times, max_gap=3 * step):
        # Split a run where the top emotion itself changes (happy -> surprise is two episodes).
        start = a
        for i in range(a, b + 2):
            if i == b + 1 or top[i] != top[start]:
                duration = times[i - 1] - times[start] + step
                if duration >= EPISODE_MIN_S:
                    k = int(top[start])
                    apex = start + int(np.argmax(smoothed[start:i, k]))
                    episodes.append(Event(face_id, "episode", float(times[start]), float(times[apex]), float(times[i - 1]),
                                          float(duration), "face", "", f"smoothed {EMOTIONS[k]}",
                                          float(smoothed[apex, k]), EMOTIONS[k], EMOTIONS[k]))
                start = i
    return episodes
