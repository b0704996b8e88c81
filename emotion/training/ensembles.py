"""Ensembles: several trained emotion models mixed into one by weights chosen on PublicTest.

Independently trained networks make different mistakes, so the weighted mean of their
probabilities is more accurate than any one of them. The result is a small manifest naming the
member files (relative to itself) and their weights, which every front end loads like one model.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from ..draw import charts
from ..errors import UsageError
from ..inference.classifier import EmotionClassifier
from ..io.files import write_json_atomic
from ..io.model_files import ENSEMBLE_SUFFIX
from . import nets
from .data import load_fer2013
from .metrics import format_score, score_split
from .save import write_ensemble
from .scoring import faces_of, score_splits


def simplex_grid(n: int, step: float = 0.1) -> list[tuple[float, ...]]:
    """Every vector of n non-negative multiples of `step` that sums to 1."""
    units = round(1 / step)
    return [tuple(c / units for c in combo) + ((units - sum(combo)) / units,)
            for combo in itertools.product(range(units + 1), repeat=n - 1) if sum(combo) <= units]


def best_weights(probabilities: list[np.ndarray], labels: np.ndarray, step: float = 0.1) -> tuple[float, ...]:
    """The weights with the highest accuracy on `labels` (PublicTest); ties go to the most even
    mix, the safer bet on faces it has not seen."""
    def score(w):
        mixed = sum(wi * p for wi, p in zip(w, probabilities))
        return float((mixed.argmax(1) == labels).mean()), -float(np.var(w))

    return max(simplex_grid(len(probabilities), step), key=score)


def build_ensemble(members: list[str], out: Path, weights: list[float] | str, data: str | None = None) -> dict:
    """Write the manifest (and, with `data`, its scores and confusion matrix beside it)."""
    stem = out.name[: -len(ENSEMBLE_SUFFIX)] if out.name.endswith(ENSEMBLE_SUFFIX) else out.stem
    card: dict = {"name": stem, "members": [str(m) for m in members]}
    fer = None
    if weights == "auto" and not data:
        raise UsageError("--weights auto needs --data: the weights are chosen on PublicTest")
    if data:
        fer = load_fer2013(data)
        faces = faces_of(fer.val)
        public = [EmotionClassifier.from_path(m, flip_tta=True).predict(faces) for m in members]
        card["member_public_test"] = [float((p.argmax(1) == fer.val.labels).mean()) for p in public]
        for member, acc in zip(members, card["member_public_test"]):
            print(f"member {member}: PublicTest {acc * 100:.2f}% (flip TTA)")
    if weights == "auto":
        weights = list(best_weights(public, fer.val.labels))
        print("weights chosen on PublicTest: " + ", ".join(f"{w:.1f}" for w in weights))
    manifest = write_ensemble(out, members, list(weights))
    card["weights"] = json.loads(manifest.read_text())["weights"]
    if fer is not None:
        scores = score_splits(EmotionClassifier.from_path(manifest, flip_tta=True), fer)
        for s in scores.values():
            print(format_score(s, f" ({manifest.name}, flip TTA)"))
        private = scores["PrivateTest"]
        png = charts.save_figure(charts.confusion_matrix_figure(
            np.array(private.confusion), f"{stem}: PrivateTest {private.accuracy * 100:.1f}% (flip TTA)"),
            out.with_name(f"{stem}.confusion_matrix.png"))
        card.update(data=fer.source, scores={f"{k}+flip": v.to_dict() for k, v in scores.items()}, confusion=png.name)
        write_json_atomic(out.with_name(f"{stem}.metrics.json"), card)
    print(f"wrote {manifest}")
    return card


VIEWS = ("plain", "mirror", "both")


def load_net(path: str | Path):
    """A trained net from its NAME.pt (the architecture is recorded in the file)."""
    import torch

    from . import torch_nets
    from .engine import load_weights

    saved = torch.load(path, map_location="cpu", weights_only=True) if Path(path).exists() else {}
    arch = saved.get("arch")
    if arch is None:
        raise UsageError(f"{path}: not a trained net's .pt file (python -m emotion train writes them)")
    net = torch_nets.build(nets.spec(arch))
    net.load_state_dict(load_weights(path, arch))
    return net.eval()


def member_logits(net, faces: np.ndarray, view: str) -> np.ndarray:
    """(views, n, 7) logits of one member on the view(s) it is given."""
    from .engine import predict_logits

    if view == "both":
        return predict_logits(net, faces)
    return predict_logits(net, faces[:, :, ::-1] if view == "mirror" else faces, flip=False)


def build_merged(members: list[str], views: list[str], out: Path, data: str, quantize: str = "float16",
                 votes: str | Path | None = None, calibrate: str = "shares") -> dict:
    """One shipped .tflite from several trained nets (their .pt files): each member looks at the
    face, its mirror image or both; the mean of their calibrated probabilities is the output.
    The temperature is fitted on PublicTest; PrivateTest is scored once. Writes the file, its
    card (NAME.metrics.json), confusion matrix and reliability diagram.

    With `votes` (a FER+ votes file) the model is scored against the crowd too, its confusion
    matrix is against the crowd's majority, and the temperature is fitted to the crowd:
    `calibrate` "shares" minimises the cross-entropy against the vote distribution (a
    probability then reads as the share of annotators expected to pick the class), "majority"
    the NLL of the majority class on faces that have one."""
    from . import convert
    from .calibration import apply_temperature, calibration, fit_temperature
    from .crowd_metrics import crowd_lines, crowd_score
    from .fit import PARITY_FACES
    from .votes import read_votes, votes_for

    if len(views) != len(members) or any(v not in VIEWS for v in views):
        raise UsageError(f"one view per member, each of {', '.join(VIEWS)}; got {views}")
    if calibrate not in ("shares", "majority"):
        raise UsageError(f"calibrate to 'shares' or 'majority', not {calibrate!r}")
    fer = load_fer2013(data)
    nets_ = [load_net(m) for m in members]
    splits = {"PublicTest": fer.val, "PrivateTest": fer.test}
    crowd = {}
    if votes:
        table = read_votes(votes)
        crowd = {name: votes_for(s.keys, table, f"{votes} ({name})") for name, s in splits.items()}
    logits = {name: np.concatenate([member_logits(n, s.images, v) for n, v in zip(nets_, views)])
              for name, s in splits.items()}
    if not crowd:
        temperature = fit_temperature(logits["PublicTest"], fer.val.labels)
    elif calibrate == "shares":
        voted = crowd["PublicTest"].ours.sum(axis=1) > 0
        temperature = fit_temperature(logits["PublicTest"][:, voted], crowd["PublicTest"].distribution()[voted])
    else:
        clear = crowd["PublicTest"].majority() >= 0
        temperature = fit_temperature(logits["PublicTest"][:, clear], crowd["PublicTest"].majority()[clear])
    card = {"name": out.stem, "members": [str(m) for m in members], "views": list(views), "temperature": round(temperature, 4),
            "calibrated_to": (f"crowd {calibrate}" if crowd else "FER2013 labels"),
            "forward_passes_per_face": sum(2 if v == "both" else 1 for v in views), "quantize": quantize, "data": fer.source, "scores": {},
            "calibration": {}}
    if crowd:
        card.update(votes=str(votes), crowd={})
    for name, split in splits.items():
        raw, calibrated = apply_temperature(logits[name], 1.0), apply_temperature(logits[name], temperature)
        score = score_split(name, split.labels, calibrated)
        card["scores"][f"{name}+views"] = score.to_dict()
        card["calibration"][name] = {"uncalibrated": calibration(raw, split.labels).to_dict(),
                                     "calibrated": calibration(calibrated, split.labels).to_dict()}
        print(format_score(score, f" ({out.name}: {' + '.join(f'{Path(m).stem} ({v})' for m, v in zip(members, views))})"))
        if crowd:
            card["crowd"][name] = {"uncalibrated": crowd_score(name, raw, crowd[name], split.labels).to_dict(),
                                   "calibrated": crowd_score(name, calibrated, crowd[name], split.labels).to_dict()}
            print("\n".join(crowd_lines(card["crowd"][name]["calibrated"])))
    weighted = [(n, v == "mirror") for n, v in zip(nets_, views) if v != "both"]
    for n, v in zip(nets_, views):
        if v == "both":
            weighted += [(n, False), (n, True)]
    tflite = convert.export_ensemble(weighted, out, temperature, quantize=quantize)
    # The exported file, through the shipped inference path, once per split: its scores, its crowd
    # scores and its parity with the trained nets all come from these probabilities.
    runner = EmotionClassifier.from_path(tflite)
    shipped = {name: runner.predict(faces_of(split)) for name, split in splits.items()}
    card["scores"].update({f"{name} (tflite)": score_split(name, split.labels, shipped[name]).to_dict()
                           for name, split in splits.items()})
    if crowd:
        card["crowd"]["PrivateTest (tflite)"] = crowd_score("PrivateTest", shipped["PrivateTest"], crowd["PrivateTest"],
                                                            fer.test.labels).to_dict()
    faces = fer.test.images[:PARITY_FACES]
    ours = apply_temperature(np.concatenate([member_logits(n, faces, v) for n, v in zip(nets_, views)]), temperature)
    card["parity_max_abs_difference"] = float(np.abs(shipped["PrivateTest"][:PARITY_FACES] - ours).max())
    _merged_charts(card, out, temperature)
    write_json_atomic(f"{out.with_suffix('')}.metrics.json", card)
    if crowd:
        cal = {k: v["majority_calibration"] for k, v in card["crowd"]["PrivateTest"].items()}
        against = "against the crowd's majority"
    else:
        cal, against = card["calibration"]["PrivateTest"], "against the labels"
    print(f"wrote {tflite} (parity with the trained nets: {card['parity_max_abs_difference']:.1e}); "
          f"PrivateTest ECE {against} {cal['uncalibrated']['ece'] * 100:.2f}% -> {cal['calibrated']['ece'] * 100:.2f}%")
    return card


def _merged_charts(card: dict, out: Path, temperature: float) -> None:
    """The merged file's confusion matrix (PrivateTest; against the crowd's majority when there
    are votes) and reliability diagram, beside it."""
    stem = out.with_suffix("")
    if "crowd" in card:
        private = card["crowd"]["PrivateTest"]["calibrated"]
        title = f"{out.stem}: PrivateTest, FER+ majority {private['majority_accuracy'] * 100:.1f}%"
        curves = {f"PrivateTest vs vote shares, {k}": (v["share_calibration"]["bins"], v["share_calibration"]["ece"])
                  for k, v in card["crowd"]["PrivateTest"].items()}
        calibrated = card["crowd"]["PrivateTest"]["calibrated"]["majority_calibration"]
        curves["PrivateTest vs majority, calibrated"] = (calibrated["bins"], calibrated["ece"])
        ylabel = "mean vote share of the top class / accuracy vs majority"
    else:
        private = card["scores"]["PrivateTest+views"]
        title = f"{out.stem}: PrivateTest {private['accuracy'] * 100:.1f}%"
        curves = {f"PrivateTest, {k}": (v["bins"], v["ece"]) for k, v in card["calibration"]["PrivateTest"].items()}
        ylabel = "accuracy"
    charts.save_figure(charts.confusion_matrix_figure(np.array(private["confusion"]), title), f"{stem}.confusion_matrix.png")
    charts.save_figure(charts.reliability_figure(curves, f"{out.stem}: reliability (temperature {temperature:.2f} fitted on "
                                                 f"PublicTest)", ylabel=ylabel), f"{stem}.reliability.png")
