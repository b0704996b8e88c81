"""Brief departures from a face's own baseline (micro-expressions, subtle movements) and longer
expression episodes.

Each signal (action measurement, regional motion energy, emotion probability) is turned into a
robust z-score against that face's baseline: (value - median) / max(1.4826 * MAD, floor). The
floor is the smallest change we are willing to call a movement (landmark jitter on real video
is about 0.01 inter-ocular distances), so a perfectly still face produces no events and a noisy
one needs a proportionally larger change. An event is a run of frames where some signal stays
beyond LOW and at least once reaches HIGH (hysteresis: the run starts and ends where the
movement does, not where it crosses the high bar). Runs of up to 0.5 s are `micro` events;
longer ones are `movement`s. Blinks are found a second way, against what the eye did in the
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
MICRO_MAX_S = 0.5
EPISODE_MIN_S = 1.0
# Action columns read from blendshapes (0..1 coefficients) move about five times as far as the
# geometric ones under the same warp (0.2-0.4 against 0.03-0.08 inter-ocular units), and so get
# a five times higher floor.
FLOOR = {**{n: 0.01 for n in ACTION_NAMES + SIDE_NAMES}, "au43_eye_closure": 0.02, "au43_eye_closure_left": 0.02,
         "au43_eye_closure_right": 0.02, **{n: 0.05 for n in COLUMNS_FROM_BLENDSHAPES},
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

# FACS prototypes (Ekman & Friesen's EMFACS, restricted to what actions.py measures).
PROTOTYPES = {
    "happy": ("au12_lip_corner_pull", "au6_cheek_raise"),
    "surprise": ("au1_inner_brow_raise", "au2_outer_brow_raise", "au5_upper_lid_raise", "au25_lips_part", "au26_jaw_drop"),
    "fear": ("au1_inner_brow_raise", "au2_outer_brow_raise", "au4_brow_lower", "au5_upper_lid_raise", "au20_lip_stretch", "au25_lips_part"),
    "angry": ("au4_brow_lower", "au5_upper_lid_raise"),
    "disgust": ("au9_nose_wrinkle", "au15_lip_corner_depress"),
    "sad": ("au1_inner_brow_raise", "au4_brow_lower", "au15_lip_corner_depress"),
}


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
    magnitude: float  # peak |z| (micro/movement) or peak smoothed probability (episode)
    emotion: str  # the emotion most associated: FACS prototype of the actions, else the CNN's
    cnn_emotion: str  # the emotion whose probability rose most over baseline during the event
    person_id: int | None = None  # set once tracks are linked into people (emotion.temporal.people)

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
    """The side that moved, from the strongest left and right signals, when an action moved."""
    if not any(names[j] in REGION_OF for j in crossed):
        return ""
    left = max((peak[j] for j, n in enumerate(names) if n.endswith("_left")), default=0.0)
    right = max((peak[j] for j, n in enumerate(names) if n.endswith("_right")), default=0.0)
    return side_of(left, right)


def _prototype_emotion(z_at_apex: dict[str, float]) -> str | None:
    scores = {e: float(np.mean([max(z_at_apex.get(a, 0.0), 0.0) for a in aus])) for e, aus in PROTOTYPES.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] >= HIGH / 2 else None


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
    strength = np.abs(z).max(axis=1)
    step = float(np.median(np.diff(times)))
    events: list[Event] = []
    prob_idx = [names.index(p) for p in PROB_NAMES if p in names]
    shape_idx = [j for j, n in enumerate(names) if n not in ONE_SIDED]
    for a, b in _runs(strength >= LOW, times, max_gap=3 * step):
        window = z[a : b + 1]
        peak = np.abs(window).max(axis=0)
        if peak.max() < HIGH:
            continue
        # The apex is where the face departs most from its baseline; motion energy peaks at the
        # moments of change (onset, offset) rather than at the held expression, so it only
        # decides the apex when nothing else moved.
        shape = np.abs(window[:, shape_idx]).max(axis=1) if shape_idx else np.zeros(len(window))
        apex = a + int(np.argmax(shape if shape.max() >= LOW else np.abs(window).max(axis=1)))
        crossed = [j for j in np.argsort(-peak) if peak[j] >= HIGH]
        regions = sorted({REGION[names[j]] for j in crossed}, key=lambda r: -max(peak[j] for j in crossed if REGION[names[j]] == r))
        signed_peak = window[np.abs(window).argmax(axis=0), np.arange(len(names))]
        cnn = _cnn_emotion(signals[a : b + 1][:, prob_idx], baseline.median[prob_idx]) if prob_idx else ""
        duration = times[b] - times[a] + step
        events.append(Event(face_id, "micro" if duration <= MICRO_MAX_S + 1e-9 else "movement",
                            float(times[a]), float(times[apex]), float(times[b]), float(duration),
                            "+".join(regions), _side(names, crossed, peak), "+".join(names[j] for j in crossed),
                            float(peak.max()), _prototype_emotion(dict(zip(names, signed_peak))) or cnn, cnn))
    return with_blinks(events, detect_blinks(face_id, times, signals, baseline, names))


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
    closing only."""
    present = [n for n in BLINK_SIGNALS if n in names]
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
        if closing.max() < HIGH or duration > MICRO_MAX_S + 1e-9:
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
