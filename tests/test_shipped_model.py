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
    # The shipped file is the dynamic-range export (int8 weights, activations quantized on the fly,
    # row by row: a face's answer does not depend on the batch it is in, checked below): against
    # the float32 nets, with the temperature (0.49) doubling the logits and the rounding's effect,
    # at most 0.013 on these faces and 0.015 on 500 PrivateTest faces (`parity_max_abs_difference`).
    assert np.abs(shipped - ours).max() <= 0.02
    assert (shipped.argmax(1) == ours.argmax(1)).mean() >= 0.99


def test_the_shipped_default_answers_each_face_the_same_in_any_batch(faces):
    """Dynamic-range quantization must not make a face's probabilities depend on its neighbours:
    a video's faces are classified in batches of varying size, a webcam's one at a time."""
    from emotion.inference.classifier import EmotionClassifier

    clf = EmotionClassifier.from_path(MODELS / "default.tflite")
    images = faces[:40, ..., None].astype(np.float32)
    together = clf.predict(images)
    alone = np.concatenate([clf.predict(images[i:i + 1]) for i in range(len(images))])
    assert np.array_equal(together, alone)


def test_every_front_end_runs_the_calibrated_default():
    from emotion import EmotionAnalyzer
    from emotion.io.model_files import DEFAULT_MODEL

    assert DEFAULT_MODEL == MODELS / "default.tflite"
    assert EmotionAnalyzer().classifier.name == str(DEFAULT_MODEL.resolve())
    assert CARD["temperature"] != 1.0  # a temperature was fitted and is in the file (the card says which)
