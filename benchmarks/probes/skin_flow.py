"""Would tracking the skin by optical flow measure what the face mesh misses?

    python -m benchmarks.probes.skin_flow [--media ../shared/media]

The dose-response (benchmarks/results/actions_validation.md) fails for brows, cheeks, nose wings
and lip-corner depress: the 468-point mesh barely follows them when they move alone. The classic
alternative (feature-point tracking, as in the early automatic FACS coders) follows the skin
itself: align each frame's face to a reference frame of the same face, run dense optical flow
between the two, and read how far each action's landmarks moved along the action's direction.
This script scores that alternative twice, against the mesh's own numbers:

1. On the warped stills of the dose-response (astronaut, single_face.mp4 frame 0), with the
   unwarped face as the reference and the same pass rule (`validation.Dose.passes`; "other half":
   the flow at the other half's action landmarks).
2. On the real clips, with each clip's first frame as the reference: the mirror check (the left
   side against the mirrored clip's right side, frame by frame; the mesh's measures in the same
   frames beside it), how far the tracked points wander, and their correlation with the mesh's
   measure.

It answers whether such a measure belongs in the product; it is not one. Writes
benchmarks/results/skin_flow_probe.{md,json}.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[2]

from benchmarks.results_io import write_results  # noqa: E402

# The actions whose dose-response fails with the mesh.
PROBED = ("au1_inner_brow_raise", "au2_outer_brow_raise", "au4_brow_lower", "au6_cheek_raise",
          "au9_nose_wrinkle", "au15_lip_corner_depress")
SCALE = 3  # the motion module's 64x64 aligned crop at 192x192: finer flow at the landmarks
PATCH = 6  # half side (pixels of the aligned crop) of the patch whose median flow a landmark moved by


class SkinTracker:
    """How far each action's landmarks moved, along the action's direction, between a reference
    face and another shot of it, in the reference's inter-ocular distances."""

    def __init__(self, rgb: np.ndarray, points: np.ndarray):
        from emotion.temporal.motion import alignment

        transform = alignment(points, SCALE)
        self.crop = self._aligned(rgb, points)
        self.points = points[:, :2] @ transform[:, :2].T + transform[:, 2]
        self.iod = float(np.linalg.norm(self.points[263] - self.points[33]))  # the outer eye corners, as warps use
        self.flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    @staticmethod
    def _aligned(rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
        from emotion.io.image import to_gray
        from emotion.temporal.motion import aligned_crop

        return aligned_crop(to_gray(rgb), points, SCALE)

    def moves(self, rgb: np.ndarray, points: np.ndarray) -> dict[tuple[str, str], float]:
        """(action, side) -> the displacement of that side's landmarks along the action's direction."""
        from emotion.inference.warps import WARPS

        flow = self.flow.calc(self.crop, self._aligned(rgb, points), None)
        out = {}
        for action, warp in WARPS.items():
            for side, idx in (("left", warp.left), ("right", warp.right)):
                direction = np.array([warp.outward * (1 if side == "left" else -1), -warp.up])  # crop x: to the person's left; y: down
                direction /= np.linalg.norm(direction)
                moved = [np.median(flow[max(int(y) - PATCH, 0):int(y) + PATCH + 1, max(int(x) - PATCH, 0):int(x) + PATCH + 1].reshape(-1, 2), axis=0)
                         for x, y in np.round(self.points[list(idx)])]
                out[action, side] = float(np.median(np.array(moved) @ direction)) / self.iod
        return out


def largest_face(analyzer, rgb: np.ndarray):
    faces = [f for f in analyzer.analyze(rgb) if f.landmarks is not None]
    return max(faces, key=lambda f: f.box[2] * f.box[3]) if faces else None


def sided(moves: dict, action: str, side: str) -> float:
    return (moves[action, "left"] + moves[action, "right"]) / 2 if side == "both" else moves[action, side]


def still_rows(analyzer, rgb: np.ndarray) -> list:
    """The dose-response of the tracked skin on one still face (rows as validation.Dose)."""
    from emotion.inference.warps import WARPS, apply_action, reach
    from emotion.labels import REGION_OF
    from emotion.validation import HALF, LEVELS, Dose, reshots, spearman, subtle_limit

    points = largest_face(analyzer, rgb).landmarks
    tracker = SkinTracker(rgb, points)

    def tracked(image):
        return tracker.moves(image, largest_face(analyzer, image).landmarks)

    shots = [tracked(shot) for shot in reshots(rgb)]
    rows = []
    for action in PROBED:
        others = [b for b in WARPS if HALF[REGION_OF[b]] != HALF[REGION_OF[action]]]
        for sides in (("left",), ("right",), ("left", "right")):
            side = "both" if len(sides) == 2 else sides[0]
            runs = [tracked(apply_action(rgb, points, action, t, sides)) for t in LEVELS]
            change = np.array([sided(r, action, side) for r in runs])
            noise = float(np.std([sided(s, action, side) for s in shots]))
            other = None if side == "both" else runs[-1][action, "right" if side == "left" else "left"]
            unrelated = {f"{b}_{s}": float(runs[-1][b, s]) for b in others for s in ("left", "right")}
            rows.append(Dose(action, side, spearman(LEVELS, change), float(change[-1]), other, unrelated,
                             subtle_limit(change, noise), reach(points, action, sides)))
    return rows


def clip_rows(analyzer, clip: Path) -> dict:
    """Per probed action on a real clip: mirror correlations of the tracked skin and of the mesh's
    measures, the tracked skin's largest excursion, and its correlation with the mesh's measure."""
    from emotion.io.video import read_frames
    from emotion.validation import INDEX

    def run(frames):
        tracker, moves, measures = None, [], []
        for rgb in frames:
            face = largest_face(analyzer, rgb)
            if face is None:
                moves.append(None)
                measures.append(None)
                continue
            tracker = tracker or SkinTracker(rgb, face.landmarks)
            moves.append(tracker.moves(rgb, face.landmarks))
            measures.append(face.measures)
        return moves, measures

    frames = [f.rgb for f in tqdm(read_frames(clip), desc=f"reading {clip.name}", unit="frame", leave=False)]
    ours = run(tqdm(frames, desc=f"{clip.name}", unit="frame", leave=False))
    theirs = run(tqdm([np.ascontiguousarray(f[:, ::-1]) for f in frames], desc=f"{clip.name}, mirrored", unit="frame", leave=False))
    both = [k for k in range(len(frames)) if ours[0][k] is not None and theirs[0][k] is not None]

    def corr(x, y):
        return round(float(np.corrcoef(x, y)[0, 1]), 3)

    out = {"frames": len(frames), "both": len(both)}
    for action in PROBED:
        flow_left = np.array([ours[0][k][action, "left"] for k in both])
        flow_mirror = np.array([theirs[0][k][action, "right"] for k in both])
        mesh_left = np.array([ours[1][k][INDEX[f"{action}_left"]] for k in both], np.float64)
        mesh_mirror = np.array([theirs[1][k][INDEX[f"{action}_right"]] for k in both], np.float64)
        out[action] = {"flow_mirror": corr(flow_left, flow_mirror), "mesh_mirror": corr(mesh_left, mesh_mirror),
                       "flow_vs_mesh": corr(flow_left, mesh_left), "flow_largest": round(float(np.max(np.abs(flow_left))), 3),
                       "mesh_range": round(float(np.ptp(mesh_left)), 3)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    args = parser.parse_args()
    from skimage import data

    from emotion import EmotionAnalyzer
    from emotion.io.video import read_frames

    analyzer = EmotionAnalyzer(actions=True)
    stills = {"scikit-image's astronaut": data.astronaut(),
              "single_face.mp4, frame 0": next(iter(read_frames(args.media / "single_face.mp4"))).rgb}
    still = {name: still_rows(analyzer, rgb) for name, rgb in tqdm(stills.items(), desc="warped stills", unit="face")}
    clips = {clip: clip_rows(analyzer, args.media / clip) for clip in ("single_face.mp4", "WolfgangLanger_Pexels.mp4")}

    lines = ["# Facial action measurements: would optical flow from a reference frame do better than the mesh?", "",
             "Command: `python -m benchmarks.probes.skin_flow`. The skin at each action's landmarks tracked by dense optical "
             "flow (DIS) between 192x192 aligned face crops, from a reference frame of the same face; displacement along the "
             "action's direction, inter-ocular distances. A probe, not a shipped measure.", "",
             "## Warped stills (reference: the unwarped face; pass rule and columns as in actions_validation.md)", ""]
    for name, rows in still.items():
        lines += [f"### {name}: {sum(r.passes() for r in rows)} of {len(rows)} pass", "",
                  "| action | side | rho | change | other side | other half | subtle | passes |", "|---|---|---:|---:|---:|---:|---:|---|"]
        lines += [f"| `{r.action}` | {r.side} | {r.rho:.2f} | {r.change:+.3f} | "
                  f"{'' if r.other_side is None else f'{r.other_side:+.3f}'} | {r.unrelated:.3f} | "
                  f"{'-' if r.subtle is None else r.subtle} | {'yes' if r.passes() else '**no**'} |" for r in rows]
        lines.append("")
    lines += ["## Real clips (reference: the clip's first frame with a face)", "",
              "mirror: correlation, frame by frame, of the left side with the mirrored clip's right side (the target is 0.9); "
              "largest: the tracked skin's largest displacement from the reference; mesh range: the mesh measure's range "
              "in the same frames; flow vs mesh: correlation of the two on the left side.", ""]
    for clip, r in clips.items():
        lines += [f"### {clip} ({r['both']} of {r['frames']} frames with a face in both)", "",
                  "| action | mirror, tracked skin | mirror, mesh | largest, tracked skin | mesh range | flow vs mesh |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| `{a}` | {r[a]['flow_mirror']:.2f} | {r[a]['mesh_mirror']:.2f} | {r[a]['flow_largest']:.3f} | "
                  f"{r[a]['mesh_range']:.3f} | {r[a]['flow_vs_mesh']:.2f} |" for a in PROBED]
        lines.append("")
    write_results("skin_flow_probe", lines, {"stills": {n: [r.as_dict() for r in rows] for n, rows in still.items()},
                                             "clips": clips})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
