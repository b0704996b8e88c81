"""The training code is backend-agnostic: a model trained under JAX (the GPU route) or PyTorch
(the faster CPU route) loads and predicts under TensorFlow with identical outputs."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import ROOT, write_tiny_fer
from emotion.io.model_files import load_model

BACKENDS = [
    pytest.param("jax", marks=pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                 reason="jax is not installed (pip install -r requirements-test.txt)")),
    # Optional: not in requirements-test.txt, because PyPI's default torch wheel pulls several GB of
    # CUDA libraries; install the CPU build to train faster on a CPU.
    pytest.param("torch", marks=pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                 reason="torch is not installed (optional CPU training backend: pip install torch, CPU build)")),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_model_trained_under_another_backend_loads_under_tensorflow(tmp_path, backend):
    data = write_tiny_fer(tmp_path / "fer", {"Training": 6, "PublicTest": 2, "PrivateTest": 2})
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "emotion.train", "--data", str(data), "--arch", "vgg-s",
                           "--epochs", "1", "--out", str(out), "--name", "j", "--float32", "--formats", "keras,json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    assert json.loads((out / "j.metrics.json").read_text())["backend"] == backend
    x = np.random.default_rng(0).integers(0, 255, (4, 48, 48, 1)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    script = ("import numpy as np, sys; from emotion.io.model_files import load_model; "
              "m = load_model(sys.argv[1]); np.save(sys.argv[2], m.predict_on_batch(np.load(sys.argv[3])))")
    proc = subprocess.run([sys.executable, "-c", script, str(out / "j.keras"), str(tmp_path / "other.npy"),
                           str(tmp_path / "x.npy")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import keras

    assert keras.backend.backend() == "tensorflow"
    under_tf = load_model(out / "j.keras").predict_on_batch(x)
    np.testing.assert_allclose(under_tf, np.load(tmp_path / "other.npy"), atol=1e-4)

    # No TFLite converter outside TensorFlow: the export under TensorFlow completes the model card.
    card_path = out / "j.metrics.json"
    assert "PrivateTest+flip (tflite)" not in json.loads(card_path.read_text())["scores"]
    env_tf = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    proc = subprocess.run([sys.executable, "-m", "emotion.export", str(out / "j.keras"), "--data", str(data),
                           "--card", str(card_path)], cwd=ROOT, env=env_tf, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    card = json.loads(card_path.read_text())
    assert set(card["scores"]) == {"PublicTest", "PrivateTest", "PublicTest+flip", "PrivateTest+flip",
                                   "PublicTest+flip (tflite)", "PrivateTest+flip (tflite)"}
    assert card["files"]["tflite"] == "j.tflite" and (out / "j.tflite").stat().st_size > 0
    assert card["scores"]["PrivateTest+flip (tflite)"]["n"] == card["scores"]["PrivateTest"]["n"] == 14  # 2 a class
