"""python -m emotion train-members on the CPU with miniature data: members trained side by side
by a deadline, students distilled from them, a Training+PublicTest-only copy accepted here and
refused by the command that scores PrivateTest, and the result merged into a shipped file."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from emotion.inference.classifier import EmotionClassifier
from emotion.training.data import load_fer2013
from helpers import ROOT, write_tiny_fer

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data

pytest.importorskip("torch", reason="training needs PyTorch (pip install -r requirements-train.txt)")


def run(module, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def fit_only_data(tmp_path_factory):
    """The GPU copy's layout: Training and PublicTest faces, no PrivateTest."""
    return write_tiny_fer(tmp_path_factory.mktemp("fer") / "fer", {"Training": 12, "PublicTest": 3})


@pytest.fixture(scope="module")
def teachers(fit_only_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("teachers")
    started = time.time()
    proc = run("emotion.commands.train_members", "--data", fit_only_data, "--device", "cpu", "--members", "tiny:2", "--budget", 40,
               "--views", 3, "--prefix", "t", "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out, time.time() - started


def test_members_are_trained_side_by_side_and_written_by_the_deadline(teachers):
    out, seconds = teachers
    assert seconds < 40 + 15  # the budget, plus interpreter start-up and the parent's reading of the data
    summary = json.loads((out / "members.json").read_text())
    assert [m["name"] for m in summary["members"]] == ["t-tiny-s0", "t-tiny-s1"]
    for card in summary["members"]:
        assert (out / f"{card['name']}.pt").stat().st_size > 0 and (out / f"{card['name']}.history.csv").exists()
        assert card["bank_views"] == 3 and not card["distilled"] and card["precision_used"] in ("bf16", "fp32")
        assert 1 <= card["epochs_run"] <= card["epochs_planned"] and card["measured_pace_images_per_s"] > 0
        assert 0 < card["best_epoch"] <= card["epochs_run"] and 0 <= card["public_test_flip_accuracy"] <= 1
    # the view bank was rendered once, beside the runs, and is reused by a later command
    assert (out / ".work" / "bank.npy").exists()
    assert np.load(out / ".work" / "bank.npy", mmap_mode="r").shape == (3, 84, 48, 48)


def test_students_learn_from_the_teachers_soft_targets_and_merge_into_a_shipped_file(teachers, fit_only_data, tmp_path):
    out, _ = teachers
    students = tmp_path / "students"
    proc = run("emotion.commands.train_members", "--data", fit_only_data, "--device", "cpu", "--members", "tiny:2", "--budget", 30,
               "--views", 3, "--prefix", "s", "--seed", 10, "--teachers", out / "t-tiny-s0.pt", out / "t-tiny-s1.pt",
               "--work-dir", out / ".work", "--out", students, "--quiet")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = json.loads((students / "members.json").read_text())
    teacher = summary["teacher"]
    assert len(teacher["weights"]) == 2 and sum(teacher["weights"]) == pytest.approx(1.0)
    assert all(m["distilled"] for m in summary["members"])
    targets = np.load(out / ".work" / "targets.npy")
    assert targets.shape == (3, 84, 7)
    np.testing.assert_allclose(targets.astype(np.float32).sum(axis=-1), 1.0, atol=1e-2)  # distributions, float16 on disk
    # The students' .pt files are what python -m emotion ensemble merges into the shipped format;
    # that needs PrivateTest (it scores it once), so here the merge gets a complete copy.
    full = write_tiny_fer(tmp_path / "full", {"Training": 4, "PublicTest": 3, "PrivateTest": 3})
    merged = tmp_path / "merged.tflite"
    proc = run("emotion.commands.ensemble", students / "s-tiny-s10.pt", students / "s-tiny-s11.pt", "--views", "plain,mirror",
               "--out", merged, "--data", full)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    x = np.random.default_rng(0).integers(0, 255, (4, 48, 48, 1)).astype("float32")
    np.testing.assert_allclose(EmotionClassifier.from_path(merged).predict(x).sum(axis=1), 1.0, atol=1e-5)


def test_a_copy_without_privatetest_fits_but_is_refused_by_train(fit_only_data, tmp_path):
    splits = load_fer2013(fit_only_data)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (84, 21, 0)
    assert "no PrivateTest" in splits.source
    proc = run("emotion.commands.train", "--data", fit_only_data, "--arch", "tiny", "--epochs", "1", "--out", tmp_path / "o", "--quiet")
    assert proc.returncode == 2 and "no PrivateTest faces" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_architectures_and_missing_cuda_are_clear_errors(fit_only_data, tmp_path):
    proc = run("emotion.commands.train_members", "--data", fit_only_data, "--members", "vgg-x:2", "--budget", 10, "--device", "cpu",
               "--out", tmp_path)
    assert proc.returncode == 2 and "unknown architecture 'vgg-x'" in proc.stderr
    import torch

    if not torch.cuda.is_available():
        proc = run("emotion.commands.train_members", "--data", fit_only_data, "--members", "tiny", "--budget", 10, "--out", tmp_path)
        assert proc.returncode == 2 and "sees no CUDA device" in proc.stderr
