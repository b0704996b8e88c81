"""The shipped default is exactly its trained networks, calibrated, and it is what every front end
runs (no dataset needed: the faces are real pixels from scikit-image's astronaut, augmented)."""

import json

import numpy as np
import pytest

from helpers import ROOT

pytest.importorskip("torch", reason="the trained networks are PyTorch files (pip install -r requirements-train.txt)")

MODELS = ROOT / "models"
CARD = json.loads((MODELS / "default.metrics.json").read_text())


@pytest.fixture(scope="module")
def faces(astronaut):
    import cv2

    from emotion.training.augment import REAL_AUGMENT, augment_batch

    gray = cv2.resize(cv2.cvtColor(astronaut[40:220, 140:310], cv2.COLOR_RGB2GRAY), (48, 48), interpolation=cv2.INTER_AREA)
    return augment_batch(np.repeat(gray[None], 500, axis=0), REAL_AUGMENT, np.random.default_rng(0))


def test_the_shipped_default_computes_what_its_trained_members_compute(faces):
    from emotion.inference.classifier import EmotionClassifier
    from emotion.training.calibration import apply_temperature
    from emotion.training.ensembles import load_net, member_logits

    logits = np.concatenate([member_logits(load_net(ROOT / m), faces, v) for m, v in zip(CARD["members"], CARD["views"])])
    ours = apply_temperature(logits, CARD["temperature"])
    shipped = EmotionClassifier.from_path(MODELS / "default.tflite").predict(faces[..., None].astype(np.float32))
    # float16 weights against the float32 nets: the temperature (0.50) doubles the logits, and
    # with them the rounding's effect (at most 1.2e-3 on these faces; 9.1e-4 on 500 PrivateTest faces)
    assert np.abs(shipped - ours).max() <= 2e-3
    assert (shipped.argmax(1) == ours.argmax(1)).mean() >= 0.99


def test_every_front_end_runs_the_calibrated_default():
    from emotion import EmotionAnalyzer
    from emotion.io.model_files import DEFAULT_MODEL

    assert DEFAULT_MODEL == MODELS / "default.tflite"
    assert EmotionAnalyzer().classifier.name == str(DEFAULT_MODEL.resolve())
    assert CARD["temperature"] != 1.0  # a temperature was fitted and is in the file (the card says which)
