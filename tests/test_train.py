"""Training end to end on miniature data sets the tests write in both supported formats."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from helpers import ROOT, tiny_fer_rows, write_tiny_fer
from emotion.training.data import DatasetError, load_fer2013
from emotion.inference.classifier import EmotionClassifier
from emotion.io.model_files import load_model

ARTEFACTS = ["{n}.keras", "{n}.json", "{n}.weights.h5", "{n}.tflite", "{n}.history.csv", "{n}.training_curves.png",
             "{n}.confusion_matrix.png", "{n}.metrics.json"]
SIZES = {"Training": 6, "PublicTest": 2, "PrivateTest": 2}


def run_train(*args, env=None):
    proc = subprocess.run([sys.executable, "-m", "emotion.train", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def check_artefacts(out, name, epochs):
    for pattern in ARTEFACTS:
        path = out / pattern.format(n=name)
        assert path.exists() and path.stat().st_size > 0, path
    card = json.loads((out / f"{name}.metrics.json").read_text())
    assert card["epochs_run"] == epochs
    assert set(card["scores"]) == {"PublicTest", "PrivateTest", "PublicTest+flip", "PrivateTest+flip",
                                   "PublicTest+flip (tflite)", "PrivateTest+flip (tflite)"}
    with open(out / f"{name}.history.csv") as fh:
        assert len(list(csv.DictReader(fh))) == epochs
    x = np.random.default_rng(0).integers(0, 255, (3, 48, 48, 1)).astype("float32")
    a = load_model(out / f"{name}.keras").predict_on_batch(x)
    b = load_model(out / f"{name}.json").predict_on_batch(x)
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, atol=1e-5)
    lite = EmotionClassifier.from_path(out / f"{name}.tflite", flip_tta=False).predict(x)
    np.testing.assert_allclose(lite, a, atol=2e-2)  # float16 weights in the TFLite file
    return card


def test_seed_recipe_one_epoch_on_kaggle_layout(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    proc = run_train("--data", data, "--arch", "seed", "--epochs", "1", "--out", tmp_path / "out", "--name", "s")
    card = check_artefacts(tmp_path / "out", "s", 1)
    assert card["recipe"]["optimizer"] == "adam" and card["recipe"]["arch"] == "seed"
    assert "official Training/PublicTest/PrivateTest" in card["data"]
    assert "PrivateTest: accuracy" in proc.stdout


def test_csv_format_and_resume(tmp_path):
    csv_path = tmp_path / "fer2013.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["emotion", "pixels", "Usage"])
        writer.writeheader()
        writer.writerows(tiny_fer_rows(SIZES))
    out = tmp_path / "out"
    run_train("--data", csv_path, "--arch", "tiny", "--epochs", "2", "--out", out, "--name", "t")
    check_artefacts(out, "t", 2)
    # Asking for more epochs with the same work folder resumes from the backup, not from zero.
    proc = run_train("--data", csv_path, "--arch", "tiny", "--epochs", "3", "--out", out, "--name", "t")
    check_artefacts(out, "t", 3)
    assert "epoch 1/3" not in proc.stdout + proc.stderr and "epoch 3/3" in proc.stdout + proc.stderr


def test_other_layouts_fall_back_to_a_stratified_split(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", {"Training": 10, "PublicTest": 3}, prefixes=False)
    splits = load_fer2013(data)
    assert "stratified" in splits.source
    assert len(splits.test) == 3 * 7  # test/ kept whole as the final test set
    assert set(np.unique(splits.val.labels)) == set(range(7))
    assert len(splits.train) + len(splits.val) == 10 * 7


def test_unusable_data_paths_are_named(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        load_fer2013(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="found no images"):
        load_fer2013(tmp_path / "empty")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="missing column"):
        load_fer2013(bad)


def test_evaluate_prints_accuracy_confusion_and_speed(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--out", tmp_path / "out", "--name", "t")
    proc = subprocess.run([sys.executable, "-m", "emotion.evaluate", "--data", str(data), "--model",
                           str(tmp_path / "out" / "t.keras"), "--json", str(tmp_path / "r.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "PublicTest: accuracy" in proc.stdout and "PrivateTest: accuracy" in proc.stdout
    assert "true\\pred" in proc.stdout and "faces/s at batch 64" in proc.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["faces_per_second"]["batch64"] > 0


def test_distillation_from_the_shipped_model(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    out = tmp_path / "out"
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--out", out, "--name", "d",
              "--teacher", ROOT / "models" / "default.tflite", "--distill-alpha", "0.5")
    card = check_artefacts(out, "d", 1)
    assert card["distillation"] == {"teacher": str(ROOT / "models" / "default.tflite"), "alpha": 0.5, "temperature": 2.0,
                                    "once": False}


def test_distillation_from_an_ensemble_scored_once(tmp_path):
    from emotion.ensemble import main as ensemble

    teacher = tmp_path / "teacher.ensemble.json"
    assert ensemble([str(ROOT / "models" / "default.tflite"), str(ROOT / "models" / "seed.json"), "--out", str(teacher)]) == 0
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    out = tmp_path / "out"
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--out", out, "--name", "e",
              "--teacher", teacher, "--teacher-once", "--work-dir", tmp_path / "work")
    card = check_artefacts(out, "e", 1)
    assert card["distillation"]["once"] is True
    probs = np.load(tmp_path / "work" / "teacher_probs.teacher.ensemble.json.npy")
    assert probs.shape == (7 * SIZES["Training"], 7)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_init_starts_from_a_trained_model_and_refuses_another_architecture(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    out = tmp_path / "out"
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--out", out, "--name", "a")
    # With a vanishing learning rate the fine-tuned kernels are the ones it started from.
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--lr", "1e-12", "--out", out, "--name", "b",
              "--init", out / "a.keras")
    a, b = (load_model(out / f"{n}.keras") for n in ("a", "b"))
    kernels = [(x, y) for x, y in zip(a.get_weights(), b.get_weights()) if x.ndim == 4]
    assert kernels and all(np.allclose(x, y, atol=1e-3) for x, y in kernels)
    assert json.loads((out / "b.metrics.json").read_text())["initialized_from"] == str(out / "a.keras")
    proc = subprocess.run([sys.executable, "-m", "emotion.train", "--data", str(data), "--arch", "seed", "--epochs", "1",
                           "--out", str(out), "--name", "c", "--init", str(out / "a.keras")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "is not --arch's" in proc.stderr and "a.keras" in proc.stderr


def test_soft_targets_mix_teacher_and_label():
    from emotion.training.fit import Distillation, soft_targets

    teacher = np.array([[0.1, 0.0, 0.0, 0.9, 0.0, 0.0, 0.0]])
    t = soft_targets(teacher, np.array([6]), Distillation("unused", alpha=0.5, temperature=1.0))
    np.testing.assert_allclose(t.sum(), 1.0, atol=1e-6)
    assert t[0, 3] == pytest.approx(0.45, abs=1e-4) and t[0, 6] == pytest.approx(0.5, abs=1e-4)
    softer = soft_targets(teacher, np.array([6]), Distillation("unused", alpha=1.0, temperature=3.0))
    assert softer[0, 0] > 0.1 and softer[0, 3] < 0.9  # temperature spreads the teacher's mass
