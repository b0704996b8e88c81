"""Round trips between the project's two model formats and the seed helper classes."""

import numpy as np
import pytest

from helpers import ROOT
from emotion import EMOTIONS, EmotionClassifier, FacialExpressionModel, ModelFileError, load_model
from emotion.training.save import save_json_pair, save_keras
from emotion.training.nets import keras_model, spec


def seed_cnn():
    return keras_model(spec("seed"))

MODELS = ROOT / "models"
# The Keras-trained default this project shipped before the PyTorch engine's (kept for comparison
# and as the Keras model these format tests need; artefacts/README.md).
PREVIOUS = ROOT / "artefacts" / "previous-default" / "previous-default"


def test_previous_default_keras_and_tflite_agree():
    x = np.random.default_rng(1).integers(0, 255, (8, 48, 48, 1)).astype("float32")
    a = load_model(PREVIOUS.with_suffix(".keras")).predict_on_batch(x)
    lite = EmotionClassifier.from_path(PREVIOUS.with_suffix(".tflite"), flip_tta=False).predict(x)
    np.testing.assert_allclose(lite, a, atol=5e-3)
    assert (lite.argmax(1) == a.argmax(1)).all()


def test_shipped_seed_pair_is_the_seed_architecture():
    model = load_model(MODELS / "seed.json")  # weights found beside the JSON
    kinds = [layer.__class__.__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 4 and kinds.count("Dense") == 3 and "Flatten" in kinds
    kernels = lambda m: [w.shape for layer in m.layers if layer.__class__.__name__ in ("Conv2D", "Dense")  # noqa: E731
                         for w in layer.get_weights()[:1]]
    assert kernels(model) == kernels(seed_cnn())  # the same layers and shapes as the seed spec
    x = np.random.default_rng(4).integers(0, 255, (4, 48, 48, 1)).astype("float32")
    np.testing.assert_allclose(model.predict_on_batch(x).sum(axis=1), 1.0, atol=1e-5)


def test_seed_architecture_round_trips_through_both_formats(tmp_path):
    model = seed_cnn()
    x = np.random.default_rng(2).integers(0, 255, (4, 48, 48, 1)).astype("float32")
    expected = model.predict_on_batch(x)
    save_json_pair(model, tmp_path / "seed.json", tmp_path / "seed.weights.h5", float16=False)
    save_keras(model, tmp_path / "seed.keras", float16=False)
    pair = load_model(tmp_path / "seed.json")  # weights found beside the JSON
    native = load_model(tmp_path / "seed.keras")
    np.testing.assert_allclose(pair.predict_on_batch(x), expected, atol=1e-5)
    np.testing.assert_allclose(native.predict_on_batch(x), expected, atol=1e-5)
    assert [layer.__class__.__name__ for layer in pair.layers].count("Conv2D") == 4


def test_float16_storage_halves_size_and_changes_little(tmp_path):
    model = seed_cnn()
    x = np.random.default_rng(3).integers(0, 255, (4, 48, 48, 1)).astype("float32")
    full = save_keras(model, tmp_path / "full.keras", float16=False)
    half = save_keras(model, tmp_path / "half.keras", float16=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    json_path, weights = save_json_pair(model, tmp_path / "s.json", tmp_path / "s.weights.h5", float16=True)
    assert weights.stat().st_size < 0.55 * model.count_params() * 4
    np.testing.assert_allclose(load_model(half).predict_on_batch(x), model.predict_on_batch(x), atol=2e-3)


def test_facial_expression_model_helper(astronaut):
    import cv2

    helper = FacialExpressionModel(MODELS / "seed.json", MODELS / "seed.weights.h5")  # the seed's model, its format
    face = cv2.cvtColor(astronaut[60:190, 160:290], cv2.COLOR_RGB2GRAY)
    probs = helper.predict_probabilities(face)
    assert list(probs) == list(EMOTIONS) and abs(sum(probs.values()) - 1) < 1e-5
    assert helper.predict_emotion(face) == "happy"


def test_unloadable_model_files_are_named(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "missing.keras")
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match=r"broken\.keras: not a loadable"):
        load_model(broken)
    (tmp_path / "arch.json").write_text("{}")
    with pytest.raises(ModelFileError, match="weights file not found"):
        load_model(tmp_path / "arch.json")
    with pytest.raises(ModelFileError, match="unsupported model format"):
        (tmp_path / "m.onnx").write_bytes(b"x")
        load_model(tmp_path / "m.onnx")
    (tmp_path / "bad.tflite").write_bytes(b"not a flatbuffer")
    with pytest.raises(ModelFileError, match=r"bad\.tflite: not a loadable TFLite model"):
        EmotionClassifier.from_path(tmp_path / "bad.tflite")


@pytest.mark.parametrize("quantize", ["dynamic", "int8"])
def test_quantized_exports_of_a_keras_model_agree_with_it(quantize, tmp_path, astronaut):
    from emotion.training.save import export_tflite

    import cv2

    from emotion.training.augment import REAL_AUGMENT, augment_batch

    model = load_model(PREVIOUS.with_suffix(".keras"))
    gray = cv2.resize(cv2.cvtColor(astronaut[60:190, 160:290], cv2.COLOR_RGB2GRAY), (48, 48))
    face = gray[None, :, :, None].astype(np.float32)
    # Calibration needs face-like pixels: moved, turned, mirrored, partly erased copies of a real face.
    faces = augment_batch(np.repeat(gray[None], 64, axis=0), REAL_AUGMENT, np.random.default_rng(0))[..., None]
    out = export_tflite(model, tmp_path / f"q-{quantize}.tflite", quantize=quantize, representative=faces)
    assert out.stat().st_size < 0.6 * PREVIOUS.with_suffix(".tflite").stat().st_size  # int8 weights, not float16
    quantized = EmotionClassifier.from_path(out).predict(face)[0]
    reference = EmotionClassifier(model).predict(face)[0]
    assert EMOTIONS[int(np.argmax(quantized))] == EMOTIONS[int(np.argmax(reference))] == "happy"
    assert np.abs(quantized - reference).max() < 0.05
    with pytest.raises(ValueError, match="representative"):
        export_tflite(model, tmp_path / "x.tflite", quantize="int8")


@pytest.mark.parametrize("model", ["seed.json", "default.tflite"])
def test_loading_a_model_keeps_the_terminal_clean(model):
    """No TensorFlow, absl or LiteRT start-up notices (oneDNN, cuInit on a CPU, XNNPACK) reach the user."""
    import subprocess
    import sys

    script = ("import numpy as np; from emotion import EmotionClassifier; "
              f"print(EmotionClassifier.from_path('models/{model}').predict(np.zeros((1, 48, 48, 1), 'float32')).shape)")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert proc.returncode == 0 and "(1, 7)" in proc.stdout, proc.stderr[-2000:]
    assert proc.stderr == "", proc.stderr
