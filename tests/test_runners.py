"""emotion.inference.runners: one place that knows the model formats, and the classifier that
keeps the path its model came from."""

import numpy as np
import pytest

from emotion import EmotionClassifier, ModelFileError
from emotion.inference.runners import MIRROR_INPUT, EnsembleRunner, KerasRunner, TFLiteRunner, open_runner
from emotion.io.model_files import DEFAULT_MODEL, MODELS_DIR


def test_each_suffix_gets_its_runner(tmp_path):
    shipped = open_runner(DEFAULT_MODEL)
    assert isinstance(shipped, TFLiteRunner) and shipped.mirrors_itself  # the default averages its mirror image itself
    seed = open_runner(MODELS_DIR / "seed.json")
    assert isinstance(seed, KerasRunner) and not seed.mirrors_itself
    manifest = tmp_path / "two.ensemble.json"
    (tmp_path / "a.tflite").write_bytes(DEFAULT_MODEL.read_bytes())
    (tmp_path / "b.tflite").write_bytes(DEFAULT_MODEL.read_bytes())
    manifest.write_text('{"members": ["a.tflite", "b.tflite"], "weights": [0.5, 0.5]}')
    both = open_runner(manifest)
    assert isinstance(both, EnsembleRunner) and len(both.runners) == 2
    faces = np.random.default_rng(0).uniform(0, 255, (3, 48, 48, 1)).astype(np.float32)
    assert np.allclose(both(faces), shipped(faces), atol=1e-6)


def test_missing_and_unknown_files_are_named(tmp_path):
    with pytest.raises(ModelFileError, match="nope.tflite: model file not found"):
        open_runner(tmp_path / "nope.tflite")
    odd = tmp_path / "model.onnx"
    odd.write_bytes(b"x")
    with pytest.raises(ModelFileError, match="model.onnx: unsupported model format"):
        open_runner(odd)


def test_the_classifier_keeps_its_path_and_reopens_it_alike(astronaut):
    import cv2

    classifier = EmotionClassifier.from_path(DEFAULT_MODEL)
    twin = classifier.reopened(threads=1)
    assert classifier.path == twin.path == DEFAULT_MODEL and twin.runner is not classifier.runner
    face = cv2.resize(cv2.cvtColor(astronaut[60:200, 160:300], cv2.COLOR_RGB2GRAY), (48, 48))
    assert np.allclose(classifier.predict(face), twin.predict(face), atol=1e-6)
    assert MIRROR_INPUT == "gray48_mirror_tta"  # the name exported graphs carry (emotion.training.convert)
