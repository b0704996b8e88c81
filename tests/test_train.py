"""Training end to end under the PyTorch engine, on miniature data sets the tests write in both
supported formats: every artefact is written and loads back, runs resume, distillation and
warm starts work, and the exported file computes what the trained net computes."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from emotion.inference.classifier import EmotionClassifier
from emotion.io.model_files import load_model
from emotion.training.data import DatasetError, load_fer2013
from helpers import ROOT, tiny_fer_rows, write_tiny_fer

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data

pytest.importorskip("torch", reason="training needs PyTorch (pip install -r requirements-train.txt)")

ARTEFACTS = ["{n}.pt", "{n}.tflite", "{n}.history.csv", "{n}.training_curves.png", "{n}.confusion_matrix.png",
             "{n}.reliability.png", "{n}.metrics.json"]
SIZES = {"Training": 6, "PublicTest": 2, "PrivateTest": 2}


def run_train(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "emotion.commands.train", *map(str, args), "--quiet"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def torch_probabilities(out, name, arch, x):
    """The trained net's flip-averaged, calibrated probabilities, computed by PyTorch."""
    from emotion.training import nets, torch_nets
    from emotion.training.calibration import apply_temperature
    from emotion.training.engine import load_weights, predict_logits

    net = torch_nets.build(nets.spec(arch))
    net.load_state_dict(load_weights(out / f"{name}.pt", arch))
    temperature = json.loads((out / f"{name}.metrics.json").read_text())["temperature"]
    return apply_temperature(predict_logits(net, x[..., 0]), temperature)


def check_artefacts(out, name, epochs, arch):
    for pattern in ARTEFACTS:
        path = out / pattern.format(n=name)
        assert path.exists() and path.stat().st_size > 0, path
    card = json.loads((out / f"{name}.metrics.json").read_text())
    assert card["epochs_run"] == epochs and card["engine"].startswith("PyTorch")
    assert set(card["scores"]) == {"PublicTest+flip", "PrivateTest+flip", "PublicTest+flip (tflite)", "PrivateTest+flip (tflite)"}
    assert set(card["calibration"]["PrivateTest"]) == {"uncalibrated", "calibrated"} and card["temperature"] > 0
    with open(out / f"{name}.history.csv") as fh:
        assert len(list(csv.DictReader(fh))) == epochs
    # The shipped format computes what the trained network computes.
    x = np.random.default_rng(0).integers(0, 255, (5, 48, 48, 1)).astype("float32")
    lite = EmotionClassifier.from_path(out / f"{name}.tflite", flip_tta=True).predict(x)
    np.testing.assert_allclose(lite, torch_probabilities(out, name, arch, x), atol=1e-3)
    np.testing.assert_allclose(lite.sum(axis=1), 1.0, atol=1e-5)
    return card


def test_seed_recipe_one_epoch_writes_every_artefact_in_every_format(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    out = tmp_path / "out"
    proc = run_train("--data", data, "--arch", "seed", "--epochs", "1", "--out", out, "--name", "s", "--formats", "keras,json")
    card = check_artefacts(out, "s", 1, "seed")
    assert card["recipe"]["optimizer"] == "adam" and card["recipe"]["arch"] == "seed"
    assert "official Training/PublicTest/PrivateTest" in card["data"]
    assert "PrivateTest: accuracy" in proc.stdout and "ECE" in proc.stdout
    # The seed's own format and the Keras file hold the same network.
    x = np.random.default_rng(1).integers(0, 255, (3, 48, 48, 1)).astype("float32")
    a, b = load_model(out / "s.keras").predict_on_batch(x), load_model(out / "s.json").predict_on_batch(x)
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(EmotionClassifier.from_path(out / "s.tflite", flip_tta=False).predict(x), a, atol=1e-3)


def test_csv_format_and_a_killed_run_resumes_where_it_stopped(tmp_path):
    csv_path = tmp_path / "fer2013.csv"
    sizes = {"Training": 150, "PublicTest": 4, "PrivateTest": 4}
    with csv_path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["emotion", "pixels", "Usage"])
        writer.writeheader()
        writer.writerows(tiny_fer_rows(sizes))
    out, epochs = tmp_path / "out", 30
    args = [sys.executable, "-m", "emotion.commands.train", "--data", str(csv_path), "--arch", "tiny", "--epochs", str(epochs),
            "--out", str(out), "--name", "t", "--quiet"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    checkpoint = out / "t.work" / "checkpoint.pt"
    deadline = time.time() + 300
    while time.time() < deadline and not checkpoint.exists() and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert checkpoint.exists() and not (out / "t.metrics.json").exists(), "the kill must land mid-run"
    rerun = run_train(*args[3:-1])
    done_before = int(rerun.stdout.split("epoch ")[1].split("/")[0]) - 1
    assert 1 <= done_before < epochs, rerun.stdout[-2000:]
    check_artefacts(out, "t", epochs, "tiny")
    # Other settings in the same work folder are refused rather than mixed into the run.
    other = run_train(*args[3:-1], "--lr", "0.5", check=False)
    assert other.returncode == 2 and "holds a run with other settings" in other.stderr


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
    proc = run_train("--data", tmp_path / "nope", "--arch", "tiny", check=False)
    assert proc.returncode == 2 and "nope: no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_evaluate_prints_accuracy_calibration_confusion_and_speed(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--out", tmp_path / "out", "--name", "t")
    proc = subprocess.run([sys.executable, "-m", "emotion.commands.evaluate", "--data", str(data), "--model",
                           str(tmp_path / "out" / "t.tflite"), "--json", str(tmp_path / "r.json"),
                           "--reliability-png", str(tmp_path / "rel.png")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for split in ("PublicTest", "PrivateTest"):
        line = next(x for x in proc.stdout.splitlines() if x.startswith(split) and "ECE" in x)
        assert "NLL" in line and "%" in line
    assert "true\\pred" in proc.stdout and "faces/s at batch 32" in proc.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["faces_per_second"]["batch32"] > 0 and 0 <= result["calibration"]["PrivateTest"]["ece"] <= 1
    assert (tmp_path / "rel.png").stat().st_size > 10_000


def test_distillation_from_the_shipped_model_scores_the_teacher_once_on_fixed_views(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    out, work = tmp_path / "out", tmp_path / "work"
    run_train("--data", data, "--arch", "vgg-s", "--epochs", "2", "--out", out, "--name", "d", "--work-dir", work,
              "--teacher", ROOT / "models" / "default.tflite", "--distill-alpha", "0.5", "--teacher-views", "3")
    card = check_artefacts(out, "d", 2, "vgg-s")
    assert card["distillation"] == {"teacher": str(ROOT / "models" / "default.tflite"), "alpha": 0.5, "temperature": 2.0,
                                    "views": 3}
    cached = list(work.glob("teacher.default.tflite.*.npy"))
    assert len(cached) == 1
    probs = np.load(cached[0]).astype(np.float32)
    assert probs.shape == (3, 7 * SIZES["Training"], 7)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=3e-3)
    assert np.abs(probs[0] - probs[1]).max() > 1e-3  # the views differ, so the teacher's answers do


def test_distillation_from_an_ensemble_manifest(tmp_path):
    from emotion.commands.ensemble import main as ensemble

    teacher = tmp_path / "teacher.ensemble.json"
    assert ensemble([str(ROOT / "models" / "default.tflite"), str(ROOT / "models" / "seed.json"), "--out", str(teacher)]) == 0
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    out = tmp_path / "out"
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--out", out, "--name", "e", "--teacher", teacher,
              "--teacher-views", "1")
    assert check_artefacts(out, "e", 1, "tiny")["distillation"]["teacher"] == str(teacher)


def test_init_starts_from_a_trained_net_and_refuses_another_architecture(tmp_path):
    import torch

    data = write_tiny_fer(tmp_path / "fer", SIZES)
    out = tmp_path / "out"
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--out", out, "--name", "a")
    # With a vanishing learning rate the fine-tuned kernels are the ones it started from.
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--lr", "1e-12", "--out", out, "--name", "b",
              "--init", out / "a.pt")
    a, b = (torch.load(out / f"{n}.pt", weights_only=True)["state_dict"] for n in ("a", "b"))
    kernels = [k for k, v in a.items() if v.ndim == 4]
    assert kernels and all(torch.allclose(a[k].float(), b[k].float(), atol=1e-3) for k in kernels)
    assert json.loads((out / "b.metrics.json").read_text())["initialized_from"] == str(out / "a.pt")
    proc = run_train("--data", data, "--arch", "seed", "--epochs", "1", "--out", out, "--name", "c", "--init", out / "a.pt",
                     check=False)
    assert proc.returncode == 2 and "not --arch's 'seed'" in proc.stderr and "a.pt" in proc.stderr


def test_soft_targets_mix_teacher_and_label():
    from emotion.training.engine import Distillation, soft_targets

    teacher = np.array([[0.1, 0.0, 0.0, 0.9, 0.0, 0.0, 0.0]])
    t = soft_targets(teacher, np.array([6]), Distillation("unused", alpha=0.5, temperature=1.0))
    np.testing.assert_allclose(t.sum(), 1.0, atol=1e-6)
    assert t[0, 3] == pytest.approx(0.45, abs=1e-4) and t[0, 6] == pytest.approx(0.5, abs=1e-4)
    softer = soft_targets(teacher, np.array([6]), Distillation("unused", alpha=1.0, temperature=3.0))
    assert softer[0, 0] > 0.1 and softer[0, 3] < 0.9  # temperature spreads the teacher's mass


def test_both_builders_compute_the_same_function_for_every_architecture():
    """One definition per architecture: the PyTorch module and the Keras graph made from the same
    spec agree once the weights are copied (batch norms with non-trivial statistics)."""
    import torch

    from emotion.training import convert, nets, torch_nets

    x = np.random.default_rng(2).integers(0, 255, (4, 48, 48, 1)).astype("float32")
    for arch in nets.ARCHITECTURES:
        torch.manual_seed(0)
        net = torch_nets.build(nets.spec(arch))
        for m in net.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)
        net.eval()
        with torch.no_grad():
            ours = torch.softmax(net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())) / 1.7, 1).numpy()
        theirs = convert.to_keras(net, temperature=1.7).predict_on_batch(x)
        np.testing.assert_allclose(theirs, ours, atol=1e-5, err_msg=arch)


def test_export_of_a_keras_file_adds_its_scores_to_the_card(tmp_path):
    data = write_tiny_fer(tmp_path / "fer", SIZES)
    out = tmp_path / "out"
    run_train("--data", data, "--arch", "tiny", "--epochs", "1", "--out", out, "--name", "k", "--formats", "keras")
    card_path = out / "k.metrics.json"
    proc = subprocess.run([sys.executable, "-m", "emotion.commands.export", str(out / "k.keras"), "--out", str(out / "k2.tflite"),
                           "--data", str(data), "--card", str(card_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    card = json.loads(card_path.read_text())
    assert card["files"]["tflite"] == "k2.tflite" and card["scores"]["PrivateTest+flip (tflite)"]["n"] == 14
    x = np.random.default_rng(3).integers(0, 255, (4, 48, 48, 1)).astype("float32")
    np.testing.assert_allclose(EmotionClassifier.from_path(out / "k2.tflite").predict(x),
                               EmotionClassifier.from_path(out / "k.tflite").predict(x), atol=1e-3)
