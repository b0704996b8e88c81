"""The shipped default and seed models on the real FER2013 PrivateTest split (needs ../shared/datasets).

PrivateTest picks nothing here: these tests check that the shipped files score what their cards
say and what the issues asked for. Every choice was made on PublicTest (models/README.md)."""

import json

import numpy as np
import pytest

from helpers import ROOT
from emotion.inference.classifier import EmotionClassifier
from emotion.training.data import load_fer2013

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data

MODELS = ROOT / "models"
CARD = json.loads((MODELS / "default.metrics.json").read_text())


@pytest.fixture(scope="module")
def private_test(fer_archive):
    splits = load_fer2013(fer_archive)
    assert len(splits.test) == 3589
    return splits.test


def probabilities(model_file, split) -> np.ndarray:
    """The shipped inference path: the classifier as every front end builds it (flip TTA on; a
    merged default mirrors inside its graph and is not flipped twice)."""
    clf = EmotionClassifier.from_path(MODELS / model_file, flip_tta=True)
    return clf.predict(split.images[..., None].astype(np.float32))


@pytest.fixture(scope="module")
def shipped(private_test):
    return probabilities("default.tflite", private_test)


@pytest.fixture(scope="module")
def private_accuracy(private_test, shipped) -> float:
    return float((shipped.argmax(1) == private_test.labels).mean())


def test_shipped_model_scores_what_its_model_card_says(private_accuracy):
    assert private_accuracy == pytest.approx(CARD["scores"]["PrivateTest (tflite)"]["accuracy"], abs=0.0005)
    # the merged file (int8 weights) and the trained nets it came from: at most a few faces apart
    assert private_accuracy == pytest.approx(CARD["scores"]["PrivateTest+views"]["accuracy"], abs=0.002)


def test_shipped_seed_model_scores_what_its_model_card_says(private_test):
    claimed = json.loads((MODELS / "seed.metrics.json").read_text())["scores"]["PrivateTest+flip"]["accuracy"]
    seed = probabilities("seed.json", private_test)
    assert float((seed.argmax(1) == private_test.labels).mean()) == pytest.approx(claimed, abs=0.003)


@pytest.fixture(scope="module")
def crowd(private_test):
    from helpers import SHARED

    from emotion.training.votes import read_votes, votes_for

    votes = SHARED / "datasets" / "ferplus-votes.csv"
    if not votes.exists():
        pytest.skip(f"FER+ votes file not found at {votes} (the shared datasets folder is absent)")
    return votes_for(private_test.keys, read_votes(votes))


@pytest.fixture(scope="module")
def crowd_score_(private_test, shipped, crowd):
    from emotion.training.crowd_metrics import crowd_score

    return crowd_score("PrivateTest", shipped, crowd, private_test.labels)


def test_shipped_model_agrees_with_the_crowd_majority(crowd_score_):
    """Issue 27: at least 84% against FER+'s ten-annotator majority on PrivateTest (3,349 faces
    with a clear majority), as its card says."""
    assert crowd_score_.n_majority == 3349
    claimed = CARD["crowd"]["PrivateTest (tflite)"]["majority_accuracy"]
    assert crowd_score_.majority_accuracy == pytest.approx(claimed, abs=0.0005)
    assert crowd_score_.majority_accuracy >= 0.84, f"FER+ majority accuracy {crowd_score_.majority_accuracy * 100:.2f}%"


def test_crowd_neutral_faces_read_neutral(crowd_score_):
    """Half of the faces a crowd calls neutral got an emotion from the FER2013-trained default
    (recall 49%); the crowd-trained one must call most of them neutral."""
    assert crowd_score_.per_class_recall["neutral"] >= 0.8, crowd_score_.per_class_recall


def test_shipped_model_is_calibrated_against_the_crowd(crowd_score_):
    """Issue 27: expected calibration error (15 bins) at most 3% against the majority, from a
    temperature fitted on PublicTest and baked into the file; and the vote-share reading (a
    confidence of 0.8: about 80% of annotators) as its card says."""
    cal = CARD["crowd"]["PrivateTest (tflite)"]
    assert crowd_score_.majority_calibration.ece == pytest.approx(cal["majority_calibration"]["ece"], abs=0.002)
    assert crowd_score_.share_calibration.ece == pytest.approx(cal["share_calibration"]["ece"], abs=0.002)
    assert crowd_score_.majority_calibration.ece <= 0.03, f"ECE vs majority {crowd_score_.majority_calibration.ece * 100:.2f}%"


def test_fer2013_label_accuracy_is_what_the_card_reports(private_accuracy):
    """The original single-annotator labels disagree with the crowd on a third of the faces, so a
    model trained on the crowd scores lower against them; the card reports it."""
    assert private_accuracy == pytest.approx(CARD["scores"]["PrivateTest (tflite)"]["accuracy"], abs=0.0005)
    assert private_accuracy >= 0.6


# Issue 36's targets for a model that holds up on real video, each its own assertion. Those the
# shipped default does not meet are expected to fail, with the card's number as the reason: a
# strict xfail turns into a failure the day they are met, so the card is updated with them.
UNMET_ROBUSTNESS = {
    "Gaussian blur σ1.5": "the card: blur costs 5.0 points (models/README.md, 'On real video')",
    "motion blur 5 px": "the card: motion blur costs 3.1 points",
    "JPEG quality 15": "the card: JPEG quality 15 costs 2.9 points",
}
# On the edge: 2.001 points, one face of 3,349 over the target; a processor whose kernels round
# one face differently meets it, so this one may pass without failing the suite.
EDGE_ROBUSTNESS = {"down to 24 px and back": "the card: a 24 px face costs 2.0 points, one face over the target"}


@pytest.mark.xfail(strict=True, reason="the card: 85.40% against the crowd's majority on PrivateTest, short of 87.5%")
def test_shipped_model_reaches_the_video_issue_accuracy_target(crowd_score_):
    """Issue 36: at least 87.5% against the crowd's majority on PrivateTest."""
    assert crowd_score_.majority_accuracy >= 0.875, f"FER+ majority accuracy {crowd_score_.majority_accuracy * 100:.2f}%"


@pytest.fixture(scope="module")
def majority_accuracy_on(private_test, crowd):
    """faces -> FER+ majority accuracy of the shipped default, on the faces with a clear majority
    (given as a function of those faces, so each degradation is applied to exactly them)."""
    majority = crowd.majority()
    clear = majority >= 0
    faces, majority = private_test.images[clear], majority[clear]
    clf = EmotionClassifier.from_path(MODELS / "default.tflite", flip_tta=True)

    def accuracy(degrade):
        return float((clf.predict(degrade(faces)[..., None].astype(np.float32)).argmax(1) == majority).mean())

    return accuracy


@pytest.fixture(scope="module")
def as_given(majority_accuracy_on):
    return majority_accuracy_on(lambda faces: faces)


def _robustness_cases():
    from emotion.training.degrade import CONDITIONS

    for cond in CONDITIONS:
        if cond.name == "as given" or np.isnan(cond.target):
            continue
        marks = ([pytest.mark.xfail(strict=True, reason=UNMET_ROBUSTNESS[cond.name])] if cond.name in UNMET_ROBUSTNESS else
                 [pytest.mark.xfail(strict=False, reason=EDGE_ROBUSTNESS[cond.name])] if cond.name in EDGE_ROBUSTNESS else [])
        yield pytest.param(cond, id=cond.name, marks=marks)


@pytest.mark.parametrize("condition", _robustness_cases())
def test_shipped_model_holds_up_under_a_degradation(condition, majority_accuracy_on, as_given):
    """Issue 36: each degradation of recorded video (emotion.training.degrade.CONDITIONS, the
    rows of benchmarks/robustness.py) costs at most its target (2 points; roll ±30°: 3) against
    the same faces as given."""
    drop = (as_given - majority_accuracy_on(condition.apply)) * 100
    assert drop <= condition.target, f"{condition.name} costs {drop:.1f} points (target {condition.target})"
