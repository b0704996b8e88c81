"""Ensembles of the shipped models: a manifest that every front end loads like one model (built
here from the shipped default and seed models; the project ships no manifest)."""

import json

import numpy as np
import pytest

from helpers import ROOT
from emotion import EmotionClassifier, ModelFileError, analyze_image
from emotion.commands.ensemble import main
from emotion.training.ensembles import best_weights, simplex_grid

MODELS = ROOT / "models"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("ens") / "pair.ensemble.json"
    assert main([str(MODELS / "default.tflite"), str(MODELS / "seed.json"), "--out", str(out), "--weights", "3,1"]) == 0
    return out


def test_ensemble_is_the_weighted_mean_of_its_members(pair):
    manifest = json.loads(pair.read_text())
    assert manifest["weights"] == [0.75, 0.25]  # normalised to sum to 1
    x = np.random.default_rng(5).integers(0, 255, (6, 48, 48, 1)).astype("float32")
    fast = EmotionClassifier.from_path(MODELS / "default.tflite", flip_tta=False).predict(x)
    seed = EmotionClassifier.from_path(MODELS / "seed.json", flip_tta=False).predict(x)
    mixed = EmotionClassifier.from_path(pair, flip_tta=False).predict(x)
    np.testing.assert_allclose(mixed, 0.75 * fast + 0.25 * seed, atol=1e-5)
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-5)


def test_front_ends_load_an_ensemble_like_one_model(pair, astronaut):
    faces = analyze_image(astronaut, model=pair)
    assert len(faces) == 1 and faces[0].emotion == "happy"


def test_members_are_found_relative_to_the_manifest(pair, tmp_path):
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / pair.name).write_text(pair.read_text())
    with pytest.raises(ModelFileError, match="ensemble member not found"):
        EmotionClassifier.from_path(moved / pair.name)  # members are found relative to the manifest


def test_bad_manifests_and_arguments_are_named(tmp_path, capsys):
    broken = tmp_path / "broken.ensemble.json"
    broken.write_text("{not json")
    with pytest.raises(ModelFileError, match="broken.ensemble.json: not a valid ensemble manifest"):
        EmotionClassifier.from_path(broken)
    one = tmp_path / "one.ensemble.json"
    one.write_text(json.dumps({"members": ["a.tflite"], "weights": [1.0]}))
    with pytest.raises(ModelFileError, match="two or more members"):
        EmotionClassifier.from_path(one)
    assert main([str(MODELS / "default.tflite"), str(tmp_path / "missing.keras"), "--out", str(tmp_path / "x.ensemble.json")]) == 2
    assert "missing.keras: ensemble member not found" in capsys.readouterr().err
    assert main([str(MODELS / "default.tflite"), str(MODELS / "seed.json"), "--out", str(tmp_path / "x.ensemble.json"),
                 "--weights", "auto"]) == 2
    assert "needs --data" in capsys.readouterr().err
    assert not (tmp_path / "x.ensemble.json").exists()


def test_weights_are_chosen_by_accuracy_on_the_labels_given():
    labels = np.array([1, 2, 3, 4])
    right = np.eye(7)[labels]
    wrong = np.eye(7)[labels - 1]  # an even mix ties, and argmax then picks the wrong (lower) class
    # Every weight above 0.5 on `right` scores 100%; of those the most even mix is chosen.
    assert best_weights([wrong, right], labels) == (0.4, 0.6)
    assert all(abs(sum(w) - 1) < 1e-9 for w in simplex_grid(3))
    assert len(simplex_grid(3)) == 66
