"""Where the dose-response leak comes from: an action warped on one half of a real face moves the
measures of the other half (benchmarks/results/actions_validation.md, column "other half").

    python -m benchmarks.probes.actions_leak

For each warp at full intensity on both sides of scikit-image's astronaut, three analyses of the
same warped images, so that each suspect can be ruled in or out:
- as shipped;
- with the face box held at the unwarped image's detection (is it the detector's box, i.e. the
  mesh's crop, that moves?);
- with the mesh's depth ignored, measures taken in the image plane (is it the 3D face frame?).
Reported: the largest change of a measure of the other half of the face, and the change of head
pitch (degrees), which the mesh estimates from the whole face. Writes
benchmarks/results/actions_leak.{md,json}.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from benchmarks.results_io import write_results  # noqa: E402


@contextmanager
def image_plane_measures():
    """Measures computed from the mesh with its depth set to zero (restored on exit)."""
    from emotion.inference import actions

    shipped = actions.frontalise

    def flat(points):
        flat_points = np.array(points, np.float64)
        flat_points[:, 2] = 0.0
        return shipped(flat_points)

    actions.frontalise = flat
    try:
        yield
    finally:
        actions.frontalise = shipped


def main() -> int:
    from skimage import data

    from emotion import EmotionAnalyzer
    from emotion.inference.warps import WARPS, apply_action
    from emotion.labels import MEASURE_NAMES, REGION_OF
    from emotion.validation import HALF, INDEX, measures_of

    face = data.astronaut()
    shipped = EmotionAnalyzer(actions=True)
    held = EmotionAnalyzer(actions=True)
    box = held.detect(face)
    held.detect = lambda image, stream=None, time_s=0.0, whole=None: box  # the unwarped face's box, always
    points = next(f.landmarks for f in shipped.analyze(face) if f.landmarks is not None)
    conditions = {"as shipped": (shipped, False), "face box held fixed": (held, False), "depth ignored": (shipped, True)}
    rows = {}
    for action in WARPS:
        warped = apply_action(face, points, action, 1.0)
        other_half = [n for n in MEASURE_NAMES if n in REGION_OF and HALF[REGION_OF[n]] != HALF[REGION_OF[action]]]
        rows[action] = {}
        for name, (analyzer, flat) in conditions.items():
            with image_plane_measures() if flat else nullcontext():
                before, after = measures_of(analyzer, face), measures_of(analyzer, warped)
            change = after - before
            worst = max(other_half, key=lambda n: abs(change[INDEX[n]]))
            rows[action][name] = {"other_half": round(float(abs(change[INDEX[worst]])), 4), "worst": worst,
                                  "own": round(float(change[INDEX[action]]), 4), "pitch": round(float(change[INDEX["pitch"]]), 2)}
    lines = ["# Facial action measurements: where the other-half leak comes from", "",
             "Command: `python -m benchmarks.probes.actions_leak`. Each action warped at intensity 1 on both sides of the "
             "astronaut (emotion/inference/warps.py); changes in inter-ocular distances (pitch in degrees). "
             "other half: the largest change of a measure of the other half of the face (which one in brackets); "
             "own: the matching measure's change.", "",
             "| action | own | other half, as shipped | pitch change | other half, face box held fixed | other half, depth ignored |",
             "|---|---:|---|---:|---|---|"]
    for action, r in rows.items():
        s, h, f = r["as shipped"], r["face box held fixed"], r["depth ignored"]
        lines.append(f"| `{action}` | {s['own']:+.3f} | {s['other_half']:.3f} ({s['worst']}) | {s['pitch']:+.1f} | "
                     f"{h['other_half']:.3f} ({h['worst']}) | {f['other_half']:.3f} ({f['worst']}) |")
    write_results("actions_leak", lines, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
