"""Do the facial action measurements mean what they claim, and do they add to the CNN?

    python benchmarks/actions_validation.py [--data ../shared/datasets/fer2013-images.tar.xz]
                                            [--media ../shared/media]

1. FER2013 PrivateTest: ROC AUC of single measurements for the emotion whose FACS prototype
   contains them (lip-corner pull and cheek raise for happy; lips part, jaw drop, upper-lid
   raise, inner and outer brow raise for surprise; brow lowering for angry; lip-corner depress
   for sad; lip stretch for fear; nose wrinkle for disgust), each against all other images, and
   each side of a bilateral action. FER2013 faces are 48x48, tightly cropped: the
   mesh gets the picture upscaled to 192x192 with the framing the detector would give.
2. Fusion: multinomial logistic regression on [log CNN probabilities, actions, pose], fitted on
   PublicTest (regularisation by 5-fold cross-validation there), scored once on PrivateTest,
   against the CNN alone and against the same regression on the CNN's probabilities only
   (which isolates what the actions add beyond recalibration).
3. Real video (`WolfgangLanger_Pexels.mp4`, 640x360, a face changing expression): per-frame
   Spearman correlation of lip-corner pull with the CNN's happy probability; and the blinks
   (eye-closure micro events) found there and in `single_face.mp4`, with their times, so they
   can be checked by eye in the clips.
4. Sides, asymmetry and gaze (emotion.validation): mirrored clips (left and right swap, yaw and
   gaze yaw flip); every action warped on a real face at intensities 0..1 on one side and on
   both (monotonic? the other side and the other half of the face flat? the lowest intensity
   above three times the measure's jitter: the "subtle" limit); irises moved by known fractions of
   the eye width; the share of frames looking at the camera; FER2013 AUCs per side.
Writes benchmarks/results/actions_validation.{md,json}.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from results_io import write_results  # noqa: E402  (benchmarks/ is the script folder)

ROOT = Path(__file__).resolve().parent.parent

from emotion.inference.actions import BLENDSHAPE_SOURCED, measure  # noqa: E402
from emotion.inference.mesh_models import DEFAULT_LANDMARKER, create_mesh_model  # noqa: E402
from emotion.labels import COLUMNS_FROM_BLENDSHAPES as FROM_BLENDSHAPES  # noqa: E402
from emotion.labels import ACTION_NAMES, EMOTIONS, MEASURE_NAMES, POSE_NAMES, SIDED_ACTIONS, SIDES  # noqa: E402

# The sources every check is run with, side by side: the old 468-point mesh (+ iris model), Face
# Mesh V2's geometry, and Blendshape V2's coefficients for every action column they can give.
SOURCES = {"v1 geometry": {"landmarker": "v1"}, "v2 geometry": {"landmarker": "v2", "from_blendshapes": ()},
           "v2 blendshapes": {"landmarker": "v2", "from_blendshapes": BLENDSHAPE_SOURCED}}

# Each action against the emotion whose FACS prototype (EMFACS) contains it, the combined measure
# with its target where the project set one, and each side of a bilateral action after it.
PROTOTYPES = [("happy", "au12_lip_corner_pull", 0.85), ("happy", "au6_cheek_raise", None),
              ("surprise", "au25_lips_part", 0.80), ("surprise", "au26_jaw_drop", 0.80),
              ("surprise", "au5_upper_lid_raise", 0.80), ("surprise", "au1_inner_brow_raise", None),
              ("surprise", "au2_outer_brow_raise", None), ("angry", "au4_brow_lower", None),
              ("sad", "au15_lip_corner_depress", None), ("fear", "au20_lip_stretch", None),
              ("disgust", "au9_nose_wrinkle", None)]
CHECKS = [row for emotion, name, target in PROTOTYPES
          for row in [(emotion, name, target)] + [(emotion, f"{name}_{side}", None) for side in SIDES if name in SIDED_ACTIONS]]


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) identity, ties averaged."""
    from scipy.stats import rankdata  # scipy comes with scikit-image

    ranks = rankdata(score)
    n1, n0 = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def fer_measures(images: np.ndarray, mesh, from_blendshapes=()) -> np.ndarray:
    """(n, 48, 48) gray -> (n, len(MEASURE_NAMES)). The detector's box on a FER face is about
    the picture shrunk by the crop scale the analyser uses (1.15); edges replicated."""
    side = 48 / 1.15
    box = np.array([24 - side / 2, 24 - side / 2, 24 + side / 2, 24 + side / 2])
    out = np.empty((len(images), len(MEASURE_NAMES)), np.float32)
    for i, img in enumerate(images):
        found = mesh.predict(cv2.cvtColor(img, cv2.COLOR_GRAY2RGB), box, None, cv2.BORDER_REPLICATE)
        out[i] = measure(found.points, found.blendshapes, from_blendshapes)
    return out


def fer_source_aucs(data: str) -> dict:
    """The FER2013 PrivateTest AUC table for every source (SOURCES)."""
    from emotion.training.data import load_fer2013

    test = load_fer2013(data).test
    table = {}
    for source, options in SOURCES.items():
        m = fer_measures(test.images, create_mesh_model(options["landmarker"]), options.get("from_blendshapes", ()))
        table[source] = {f"{name} for {emotion}": round(auc(m[:, MEASURE_NAMES.index(name)], test.labels == EMOTIONS.index(emotion)), 3)
                         for emotion, name, _ in CHECKS}
    return table


def fit_softmax(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch Adam (small data, no extra dependency)."""
    w, b = np.zeros((x.shape[1], len(EMOTIONS))), np.zeros(len(EMOTIONS))
    onehot = np.eye(len(EMOTIONS))[y]
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    for t in range(1, steps + 1):
        logits = x @ w + b
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        grads = [x.T @ (p - onehot) / len(x) + l2 * w, (p - onehot).mean(0)]
        for k, (param, g) in enumerate(zip((w, b), grads)):
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            param -= 0.05 * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    return w, b


def predict(x, wb) -> np.ndarray:
    return np.argmax(x @ wb[0] + wb[1], axis=1)


def cv_fit(x: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[tuple, float, float]:
    """Pick the L2 strength by 5-fold cross-validation, refit on everything."""
    folds = np.random.default_rng(seed).permutation(len(x)) % 5
    best = (None, -1.0)
    for l2 in (1e-4, 1e-3, 1e-2, 1e-1):
        acc = np.mean([np.mean(predict(x[folds == k], fit_softmax(x[folds != k], y[folds != k], l2)) == y[folds == k])
                       for k in range(5)])
        if acc > best[1]:
            best = (l2, acc)
    return fit_softmax(x, y, best[0]), best[0], best[1]


def fusion(data: str) -> tuple[dict, dict]:
    from emotion.inference.cache import get_classifier
    from emotion.training.data import load_fer2013

    splits = load_fer2013(data)
    mesh = create_mesh_model(DEFAULT_LANDMARKER)
    clf = get_classifier()
    feats, aucs = {}, {}
    for name, split in (("PublicTest", splits.val), ("PrivateTest", splits.test)):
        probs = clf.predict(split.images[..., None].astype(np.float32))
        feats[name] = (np.log(np.clip(probs, 1e-6, 1)), fer_measures(split.images, mesh, FROM_BLENDSHAPES), split.labels)
    _, measures, labels = feats["PrivateTest"]
    for emotion, name, target in CHECKS:
        aucs[f"{name} for {emotion}"] = {"auc": round(auc(measures[:, MEASURE_NAMES.index(name)], labels == EMOTIONS.index(emotion)), 3),
                                         "target": target}
    # The combined actions and head pose (sides and gaze add nothing on still 48x48 faces), standardised
    # with PublicTest statistics only.
    keep = [MEASURE_NAMES.index(n) for n in ACTION_NAMES + POSE_NAMES]
    mu, sd = feats["PublicTest"][1][:, keep].mean(0), feats["PublicTest"][1][:, keep].std(0) + 1e-6
    x = {k: np.hstack([lp, (m[:, keep] - mu) / sd]) for k, (lp, m, _) in feats.items()}
    cnn_only = {k: lp for k, (lp, _, _) in feats.items()}
    y_pub, y_priv = feats["PublicTest"][2], feats["PrivateTest"][2]
    fused, l2_f, cv_f = cv_fit(x["PublicTest"], y_pub)
    recal, l2_r, cv_r = cv_fit(cnn_only["PublicTest"], y_pub)
    result = {
        "cnn_alone_private": round(float(np.mean(np.argmax(cnn_only["PrivateTest"], 1) == y_priv)), 4),
        "cnn_recalibrated_private": round(float(np.mean(predict(cnn_only["PrivateTest"], recal) == y_priv)), 4),
        "fusion_private": round(float(np.mean(predict(x["PrivateTest"], fused) == y_priv)), 4),
        "fusion_l2": l2_f, "fusion_cv_public": round(float(cv_f), 4), "recalibrated_cv_public": round(float(cv_r), 4),
    }
    return aucs, result


def real_clip(clip: Path) -> dict:
    from dataclasses import replace

    from emotion import EmotionAnalyzer
    from emotion.io.image import to_gray
    from emotion.io.video import read_frames
    from emotion.temporal.dynamics import FaceDynamics

    analyzer, dynamics = EmotionAnalyzer(actions=True), FaceDynamics()
    measures, probs, times = [], [], []
    for frame in read_frames(clip):
        faces = [replace(f, face_id=1) for f in analyzer.analyze(frame.rgb)[:1]]
        for tracked in dynamics.update(frame.time_s, to_gray(frame.rgb), faces):
            measures.append(tracked.measures)
            probs.append(tracked.face.probabilities)
            times.append(frame.time_s)
    measures, probs = np.array(measures), np.array(probs)

    def spearman(a, b):
        ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
        return float(np.corrcoef(ra, rb)[0, 1])

    pull = measures[:, MEASURE_NAMES.index("au12_lip_corner_pull")]
    happy = probs[:, EMOTIONS.index("happy")]
    events = dynamics.events(episodes=False)
    blinks = [e for e in events if e.kind == "micro" and any(n.startswith("au43_eye_closure") for n in e.signals.split("+"))]
    blink_figure(clip, np.array(times), measures, blinks)
    return {"clip": clip.name, "frames": len(measures),
            "spearman_lip_corner_pull_vs_cnn_happy": round(spearman(pull, happy), 3),
            "auc_lip_corner_pull_for_cnn_happy_frames": round(auc(pull, happy > 0.5), 3),
            "blink_events": [{"onset_s": round(e.onset_s, 3), "offset_s": round(e.offset_s, 3),
                              "magnitude": round(e.magnitude, 1)} for e in blinks],
            "micro_events": len([e for e in events if e.kind == "micro"])}


def blink_figure(clip: Path, times: np.ndarray, measures: np.ndarray, blinks) -> None:
    """RESULTS/actions_validation_blinks_CLIP.png: each eye's closure over the clip, the blinks
    found shaded, to check against the video by eye."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from results_io import RESULTS

    fig, ax = plt.subplots(figsize=(12, 3))
    for side in ("left", "right"):
        ax.plot(times, measures[:, MEASURE_NAMES.index(f"au43_eye_closure_{side}")], lw=1, label=f"au43_eye_closure_{side}")
    for b in blinks:
        ax.axvspan(b.onset_s, b.offset_s + 0.04, color="tab:red", alpha=0.3, lw=0)
    ax.set(xlabel="time, s", ylabel="eye closure (raw)", title=f"{clip.name}: eye closure; shaded: the blinks found")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / f"actions_validation_blinks_{clip.stem}.png", dpi=80)
    plt.close(fig)


def sides_and_gaze(media: Path, analyzer) -> dict:
    from skimage import data

    from emotion.io.video import read_frames
    from emotion.inference.warps import WARPS
    from emotion.validation import (blendshape_mirror, detection_threshold, dose_response, gaze_response, jitter,
                                    mirror_report, mirrored)

    mirror = {clip: mirror_report(*mirrored([f.rgb for f in read_frames(media / clip)], analyzer))
              for clip in ("single_face.mp4", "WolfgangLanger_Pexels.mp4")}
    face = data.astronaut()
    # A second face, neutral (the astronaut smiles), of another person and camera, tells a warp's or a face's quirk from
    # the measure's own behaviour: the first frame of single_face.mp4 (he faces the camera).
    faces = {"scikit-image's astronaut": face, "single_face.mp4, frame 0": next(iter(read_frames(media / "single_face.mp4"))).rgb}
    faces_used = dict(faces)
    doses = {name: [d.as_dict() for d in dose_response(analyzer, image, jitter(analyzer, image))]
             for name, image in faces.items()}
    gaze = gaze_response(analyzer, face)
    looking = {}
    from emotion.inference.actions import looking_at_camera
    for clip in ("single_face.mp4", "WolfgangLanger_Pexels.mp4"):
        votes = []
        for frame in read_frames(media / clip):
            faces = [f for f in analyzer.analyze(frame.rgb) if f.measures is not None]
            if faces:
                m = dict(zip(MEASURE_NAMES, faces[0].measures))
                votes.append(looking_at_camera(m["gaze_yaw"], m["gaze_pitch"]))
        known = [v for v in votes if v is not None]
        looking[clip] = {"frames": len(votes), "with_gaze": len(known), "share": round(sum(known) / max(len(known), 1), 3)}
    out = {"mirror": mirror, "doses": doses, "gaze": gaze, "looking": looking,
           "thresholds": {name: {a: detection_threshold(analyzer, image, jitter(analyzer, image), a) for a in WARPS}
                          for name, image in faces_used.items()}}
    if analyzer.landmarker == "v2":
        out["blendshape_mirror"] = blendshape_mirror([f.rgb for f in read_frames(media / "single_face.mp4")], analyzer)
    return out


def shipped_rows(by_source: dict) -> dict:
    """The shipped analyzer's checks, each row from the run of its column's own source (V2's
    geometry, or its blendshapes for the columns in FROM_BLENDSHAPES), watching in the other half
    of the face the columns that source ships (Dose.watching): "other side" and "other half" are
    then in the units of the measure they are compared with, which a run of the mixed analyzer
    would not give (inter-ocular distances against 0..1 coefficients)."""
    from emotion.validation import Dose

    geometry, blend = by_source["v2 geometry"], by_source["v2 blendshapes"]
    from_geometry = [n for n in MEASURE_NAMES if n not in FROM_BLENDSHAPES]

    def column(d):
        return d["action"] if d["side"] == "both" else f"{d['action']}_{d['side']}"

    def shipped(row, columns):
        fields = {k: v for k, v in row.items() if k not in ("unrelated", "passes")}
        return Dose(**fields).watching(columns).as_dict()

    doses = {face: [shipped(b, FROM_BLENDSHAPES) if column(b) in FROM_BLENDSHAPES else shipped(g, from_geometry)
                    for g, b in zip(geometry["doses"][face], blend["doses"][face])]
             for face in geometry["doses"]}
    mirror = {}
    for clip, m in geometry["mirror"].items():
        per_action = {a: (blend if f"{a}_left" in FROM_BLENDSHAPES else geometry)["mirror"][clip]["per_action"][a]
                      for a in m["per_action"]}
        mirror[clip] = {**m, "per_action": per_action}
    return {**geometry, "doses": doses, "mirror": mirror}


def comparison_lines(by_source: dict, fer_aucs: dict) -> list[str]:
    """Every source side by side: dose-response rows passing per face, mirror and gaze checks,
    the FER2013 AUCs, and the blendshapes' own mirror check."""
    names = list(by_source)
    faces = list(next(iter(by_source.values()))["doses"])
    lines = ["", "## Sources side by side: the old mesh, Face Mesh V2's geometry, Blendshape V2", "",
             "Each check below was run with each source for every action column (`SOURCES` in this script); the "
             "shipped analyzer takes, per column, the source named in `emotion/labels.py` "
             f"(landmarker `{DEFAULT_LANDMARKER}`, columns from blendshapes: "
             f"{', '.join(f'`{c}`' for c in FROM_BLENDSHAPES) or 'none'}).", "",
             "| check | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for face in faces:
        lines.append(f"| dose-response rows passing, {face} | "
                     + " | ".join(f"{sum(d['passes'] for d in r['doses'][face])} of {len(r['doses'][face])}" for r in by_source.values()) + " |")
    lines.append("| dose-response rows passing on both faces | " + " | ".join(
        str(sum(a["passes"] and b["passes"] for a, b in zip(*r["doses"].values()))) for r in by_source.values()) + " |")
    for clip in next(iter(by_source.values()))["mirror"]:
        lines.append(f"| mirror, sided actions pooled r, {clip} | " + " | ".join(f"{r['mirror'][clip]['sided_pooled']:.3f}" for r in by_source.values()) + " |")
        lines.append(f"| mirror, yaw r (near -1), {clip} | " + " | ".join(f"{r['mirror'][clip]['yaw']:.3f}" for r in by_source.values()) + " |")
        lines.append(f"| mirror, gaze yaw r (near -1), {clip} | " + " | ".join(f"{r['mirror'][clip]['gaze_yaw']:.3f}" for r in by_source.values()) + " |")
    lines.append("| gaze: Spearman of gaze yaw / pitch with the iris shift | "
                 + " | ".join(f"{r['gaze']['rho_yaw']:.2f} / {r['gaze']['rho_pitch']:.2f}" for r in by_source.values()) + " |")
    lines += ["", "Dose-response per row (change at intensity 1; **pass** or -), each face:", "",
              "| action | side | " + " | ".join(f"{n}: {f.split(',')[0].split(' ')[0]}" for n in names for f in faces) + " |",
              "|---|---|" + "---:|" * (len(names) * len(faces))]
    first = by_source[names[0]]["doses"][faces[0]]
    for k, row in enumerate(first):
        cells = []
        for r in by_source.values():
            for face in faces:
                d = r["doses"][face][k]
                cells.append(f"{d['change']:+.3f} {'**pass**' if d['passes'] else '-'}")
        lines.append(f"| `{row['action']}` | {row['side']} | " + " | ".join(cells) + " |")
    lines += ["", "Detection threshold: the lowest warp intensity, both sides, from which the combined measure stays above "
              "three times its jitter (warps past 1 exaggerate the stated movement; '-': not even at 3):", "",
              "| action | " + " | ".join(f"{n}: {f.split(',')[0].split(' ')[0]}" for n in names for f in faces) + " |",
              "|---|" + "---:|" * (len(names) * len(faces))]
    for action in next(iter(by_source.values()))["thresholds"][faces[0]]:
        cells = [r["thresholds"][f][action] for r in by_source.values() for f in faces]
        lines.append(f"| `{action}` | " + " | ".join("-" if c is None else f"{c:g}" for c in cells) + " |")
    lines += ["", "FER2013 PrivateTest ROC AUC of each column for its prototype emotion, per source:", "",
              "| column | emotion | " + " | ".join(fer_aucs) + " |", "|---|---|" + "---:|" * len(fer_aucs)]
    for key in next(iter(fer_aucs.values())):
        name, emotion = key.split(" for ")
        lines.append(f"| `{name}` | {emotion} | " + " | ".join(f"{t[key]:.3f}" for t in fer_aucs.values()) + " |")
    mirror = next((r["blendshape_mirror"] for r in by_source.values() if "blendshape_mirror" in r), None)
    if mirror:
        lines += ["", f"Blendshapes, mirror check on single_face.mp4 ({mirror['frames']} frames): each `bs_*Left` against the "
                      "mirrored frame's `bs_*Right`, and each `bs_*Right` against the mirrored `bs_*Left` (Pearson r, frame by "
                      "frame); both directions pooled in one correlation; how much the coefficient varies (std: r means little "
                      "where it hardly varies); and the side offset, what the model adds to Left over Right whatever the face "
                      "does (half the mean Left - Right on the frames minus the same on their mirror images; 0 for a "
                      "mirror-symmetric model; the baseline-relative action columns subtract it).", "",
                  "| blendshape pair | r, Left vs mirrored Right | r, Right vs mirrored Left | pooled r | std | side offset |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, v in mirror["pairs"].items():
            lines.append(f"| `{name}Left` / `{name}Right` | {v['r_left']:.3f} | {v['r_right']:.3f} | {v['pooled']:.3f} | "
                         f"{v['std']:.3f} | {v['side_offset']:+.3f} |")
    return lines


def sides_lines(r: dict) -> list[str]:
    lines = ["", "## Sides: a mirrored video swaps left and right", "",
             "Correlation, frame by frame, of each action's left value with its right value in the mirrored frame "
             "(pooled: all sided actions together, each centred); yaw and gaze yaw against their mirrored values "
             "(should be near -1).", "",
             "| clip | frames | pooled | " + " | ".join(a.split("_", 1)[0].upper() for a in r["mirror"]["single_face.mp4"]["per_action"])
             + " | yaw | gaze yaw |", "|---|---:|---:|" + "---:|" * len(r["mirror"]["single_face.mp4"]["per_action"]) + "---:|---:|"]
    for clip, m in r["mirror"].items():
        lines.append(f"| {clip} | {m['frames']} | {m['sided_pooled']:.3f} | " + " | ".join(f"{v:.2f}" for v in m["per_action"].values())
                     + f" | {m['yaw']:.3f} | {m['gaze_yaw']:.3f} |")
    names = list(r["doses"])
    both = [f"{d['action'].split('_', 1)[0].upper()} {d['side']}" for d, e in zip(*r["doses"].values()) if d["passes"] and e["passes"]]
    lines += ["", f"## Dose-response: actions warped on two real faces ({' and '.join(names)})", "",
              "Passing on " + ", ".join(f"{name}: {sum(d['passes'] for d in rows)} of {len(rows)}" for name, rows in r["doses"].items())
              + f"; on both: {len(both)} ({', '.join(both)}).", "",
              "Intensity 1 moves the action's landmarks by 0.03-0.08 inter-ocular distances (emotion/inference/warps.py); "
              "the falloffs of a side's landmarks combine by their maximum (a stated displacement is the real one) and the face "
              "frame's anchors (outer eye corners, forehead, chin, the outline at the cheekbones and temples) are held. warp reach: how far the warp itself moves those "
              "anchors and, one-sided, the other side's landmarks, as a fraction of its displacement (0: a pure warp). rho: Spearman of the matching measure against intensity (0, .25, .5, .75, 1); change: at intensity 1; other side: "
              "the other side's change (one-sided warps); other half: the largest change of a measure of the other half of the "
              "face (upper: brows, eyes; lower: nose, mouth); subtle: the lowest intensity whose change exceeds 3x the "
              "measure's jitter and stays so. Passes: rho >= 0.9, above noise, other side and other half at most half the change."]
    for name, rows in r["doses"].items():
        lines += ["", f"### {name}", "",
                  "| action | side | warp reach | rho | change | other side | other half | subtle | passes |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for d in rows:
            other = "" if d["other_side"] is None else f"{d['other_side']:+.3f}"
            lines.append(f"| `{d['action']}` | {d['side']} | {d['reach']:.2f} | {d['rho']:.2f} | {d['change']:+.3f} | {other} | {d['unrelated']:.3f} | "
                         f"{'-' if d['subtle'] is None else d['subtle']} | {'yes' if d['passes'] else '**no**'} |")
    g = r["gaze"]
    lines += ["", "## Gaze: irises moved by fractions of the eye width (astronaut)", "",
              "| iris shift (eye widths) | " + " | ".join(f"{f:+.2f}" for f in g["fractions"]) + " | Spearman |",
              "|---|" + "---:|" * (len(g["fractions"]) + 1),
              "| gaze_yaw (shifted right), degrees | " + " | ".join(f"{v:+.1f}" for v in g["gaze_yaw"]) + f" | {g['rho_yaw']:.2f} |",
              "| gaze_pitch (shifted up), degrees | " + " | ".join(f"{v:+.1f}" for v in g["gaze_pitch"]) + f" | {g['rho_pitch']:.2f} |",
              "", "## Looking at the camera (gaze within 15 degrees)", "", "| clip | frames with gaze | share looking |", "|---|---:|---:|"]
    for clip, v in r["looking"].items():
        lines.append(f"| {clip} | {v['with_gaze']} of {v['frames']} | {v['share'] * 100:.0f}% |")
    return lines


def crosstalk_lines(media: Path) -> tuple[list[str], dict]:
    """The shipped analyzer's crosstalk rows on both test faces (emotion.validation.crosstalk),
    and which of them the events' choices answer (EVENT_ACTIONS, `explained`)."""
    from skimage import data

    from emotion import EmotionAnalyzer
    from emotion.io.video import read_frames
    from emotion.temporal.events import EVENT_ACTIONS
    from emotion.validation import crosstalk

    analyzer = EmotionAnalyzer(actions=True)
    faces = {"astronaut": data.astronaut(), "single_face": next(iter(read_frames(media / "single_face.mp4"))).rgb}
    rows = {name: crosstalk(analyzer, image) for name, image in faces.items()}
    columns = list(next(iter(next(iter(rows.values())).values())))
    lines = ["", "## Crosstalk: what rises with another action (the shipped analyzer)", "",
             "Each action warped on both sides at intensity 1; each cell is how far a column rose, as a share of its rise "
             "under its own warp (astronaut / single_face; '-': the column has no warp of its own). Rises above 0.5 "
             "decide which columns make events and vote for their labels (`emotion.temporal.events.EVENT_ACTIONS`, "
             "**bold**): the nose wrinkle rises with a smile, a frown and a blink, and is left out; a frown's pressing of "
             "the lids and the widening shared by a smile and a lip stretch are explained away (`explained`).", "",
             "| warped \\ column | " + " | ".join(f"**{c.split('_')[0]}**" if c in EVENT_ACTIONS else c.split("_")[0]
                                                  for c in columns) + " |", "|---|" + "---:|" * len(columns)]
    for action in next(iter(rows.values())):
        cells = []
        for c in columns:
            values = [rows[f][action][c] for f in rows]
            cells.append("-" if any(v is None for v in values) else " / ".join(f"{v:.2f}" for v in values))
        lines.append(f"| `{action}` | " + " | ".join(cells) + " |")
    return lines, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "datasets" / "fer2013-images.tar.xz"))
    ap.add_argument("--media", default=str(ROOT.parent / "shared" / "media"), type=Path)
    args = ap.parse_args()
    from emotion import EmotionAnalyzer

    by_source = {name: sides_and_gaze(args.media, EmotionAnalyzer(actions=True, **options))
                 for name, options in SOURCES.items()}
    fer_aucs = fer_source_aucs(args.data)
    sides = shipped_rows(by_source)
    aucs, fused = fusion(args.data)
    clip = real_clip(args.media / "WolfgangLanger_Pexels.mp4")
    blink_clip = real_clip(args.media / "single_face.mp4")
    lines = ["# Facial action measurements: validation", "",
             "Command: `python benchmarks/actions_validation.py`. Data: FER2013 PrivateTest (3,589 faces, 48x48) "
             "and the shared real clip.", "",
             "## Single measurements on FER2013 PrivateTest (ROC AUC, one emotion against the rest)", "",
             "| measurement | emotion | AUC | target |", "|---|---|---:|---:|"]
    for key, v in aucs.items():
        name, emotion = key.split(" for ")
        lines.append(f"| `{name}` | {emotion} | {v['auc']:.3f} | {v['target'] or '-'} |")
    lines += ["", "## Fusion: CNN probabilities + action measurements (fitted on PublicTest, scored on PrivateTest)", "",
              "| model | PrivateTest accuracy |", "|---|---:|",
              f"| CNN alone (shipped default, flip TTA) | {fused['cnn_alone_private'] * 100:.2f}% |",
              f"| logistic regression on the CNN's log-probabilities (recalibration only) | {fused['cnn_recalibrated_private'] * 100:.2f}% |",
              f"| logistic regression on log-probabilities + {len(ACTION_NAMES + POSE_NAMES)} measurements | {fused['fusion_private'] * 100:.2f}% |",
              "", f"## Real clip: {clip['clip']} ({clip['frames']} frames)", "",
              f"- Spearman correlation, lip-corner pull vs the CNN's happy probability, frame by frame: "
              f"{clip['spearman_lip_corner_pull_vs_cnn_happy']:.3f}",
              f"- ROC AUC of lip-corner pull for frames the CNN calls happy (p > 0.5): {clip['auc_lip_corner_pull_for_cnn_happy_frames']:.3f}",
              f"- micro events found: {clip['micro_events']}; blinks (eye-closure micro events): "
              + (", ".join(f"{b['onset_s']:.2f}-{b['offset_s']:.2f} s" for b in clip["blink_events"]) or "none"),
              "", f"![eye closure and the blinks found](actions_validation_blinks_{Path(clip['clip']).stem}.png)",
              "", f"## Real clip: {blink_clip['clip']} ({blink_clip['frames']} frames)", "",
              "- blinks (eye-closure micro events): "
              + (", ".join(f"{b['onset_s']:.2f}-{b['offset_s']:.2f} s (z {b['magnitude']})" for b in blink_clip["blink_events"]) or "none")
              + f"; micro events in all: {blink_clip['micro_events']}",
              "", f"![eye closure and the blinks found](actions_validation_blinks_{Path(blink_clip['clip']).stem}.png)"] \
        + comparison_lines(by_source, fer_aucs) \
        + ["", "# The shipped analyzer in detail (each row from its column's source)"] + sides_lines(sides)
    cross_lines, cross = crosstalk_lines(args.media)
    lines += cross_lines
    write_results("actions_validation", lines, {"auc": aucs, "fusion": fused, "real_clip": clip, "blink_clip": blink_clip,
                                                "crosstalk": cross,
                                                "sides_and_gaze": sides, "by_source": by_source, "fer_auc_by_source": fer_aucs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
