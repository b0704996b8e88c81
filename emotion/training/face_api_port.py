"""Port of a face-recognition network to the project's inference format: dlib's ResNet face
descriptor (128 numbers a face; faces of one person lie within about 0.6 of each other) as
published in TF.js form by the npm package `@vladmandic/face-api` (MIT), written out as a
TFLite file that LiteRT runs (`emotion/inference/embedder.py`).

Why a port and not dlib itself: the app and batch run TFLite models only, and dlib would be a
compiled dependency for one network. The TF.js file stores each weight as uint8 with a scale
and an offset (or as float32); they are dequantized here, the network is rebuilt layer by
layer in Keras exactly as face-api's `FaceRecognitionNet.forwardInput` computes it (mean RGB
subtracted, divided by 255; a strided 7x7 convolution; residual blocks; global average; a
dense layer to 128), each convolution's "scale" layer folded into its kernel and bias, and
exported with float16 weights.

    python -m emotion.training.face_api_port vladmandic-face-api-1.7.15.tgz --out models/face_embedder/face_recognition.tflite

(`npm pack @vladmandic/face-api@1.7.15` fetches the package.)
"""

from __future__ import annotations

import argparse
import json
import tarfile
from pathlib import Path

import numpy as np

MANIFEST = "package/model/face_recognition_model-weights_manifest.json"
MEAN_RGB = (122.782, 117.001, 104.298)
INPUT_SIZE = 150
# The network's blocks in order: (name, kind); "down" blocks halve the size and may widen.
BLOCKS = (("conv32_1", "same"), ("conv32_2", "same"), ("conv32_3", "same"),
          ("conv64_down", "down"), ("conv64_1", "same"), ("conv64_2", "same"), ("conv64_3", "same"),
          ("conv128_down", "down"), ("conv128_1", "same"), ("conv128_2", "same"),
          ("conv256_down", "down"), ("conv256_1", "same"), ("conv256_2", "same"), ("conv256_down_out", "down"))


def read_package(path: str | Path) -> tuple[dict[str, np.ndarray], bytes]:
    """The named float32 weights of the face recognition model in the npm tarball `path`
    (dequantized as TF.js does: q * scale + min), and the raw weights file (for its checksum)."""
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
        group = manifest[0]
        raw = b"".join(tar.extractfile(f"package/model/{p}").read() for p in group["paths"])
    weights, offset = {}, 0
    for spec in group["weights"]:
        count = int(np.prod(spec["shape"]))
        quant = spec.get("quantization")
        if quant:
            q = np.frombuffer(raw, np.dtype(quant["dtype"]), count, offset)
            offset += count * q.itemsize
            values = q.astype(np.float64) * quant["scale"] + quant["min"]
        else:
            values = np.frombuffer(raw, np.float32, count, offset)
            offset += count * 4
        weights[spec["name"]] = np.asarray(values, np.float32).reshape(spec["shape"])
    if offset != len(raw):
        raise ValueError(f"{path}: weights file has {len(raw)} bytes, the manifest describes {offset}")
    return weights, raw


def _conv(x, w: dict, name: str, stride: int, relu: bool):
    """face-api's convLayer: convolution + bias, then its scale layer (x * weights + biases),
    folded into one Conv2D."""
    import keras

    kernel = w[f"{name}/conv/filters"] * w[f"{name}/scale/weights"]
    bias = w[f"{name}/conv/bias"] * w[f"{name}/scale/weights"] + w[f"{name}/scale/biases"]
    layer = keras.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=stride,
                                padding="valid" if stride == 2 else "same", name=name.replace("/", "_"))
    y = layer(x)
    layer.set_weights([kernel, bias])
    return keras.layers.ReLU()(y) if relu else y


def _block(x, w: dict, name: str, kind: str):
    """A residual block; "down": strided first convolution, the shortcut average-pooled (and
    zero-padded in channels and, where the shapes differ, the main path padded at the end)."""
    import keras

    down = kind == "down"
    out = _conv(x, w, f"{name}/conv1", 2 if down else 1, True)
    out = _conv(out, w, f"{name}/conv2", 1, False)
    shortcut = x
    if down:
        shortcut = keras.layers.AveragePooling2D(2, 2, padding="valid")(x)
        grow = out.shape[1] != shortcut.shape[1]
        if grow:
            out = keras.layers.ZeroPadding2D(((0, shortcut.shape[1] - out.shape[1]), (0, shortcut.shape[2] - out.shape[2])))(out)
        extra = out.shape[-1] - shortcut.shape[-1]
        if extra:
            shortcut = keras.layers.Lambda(lambda t, e=extra: keras.ops.pad(t, [[0, 0], [0, 0], [0, 0], [0, e]]))(shortcut)
    return keras.layers.ReLU()(keras.layers.Add()([out, shortcut]))


def keras_model(w: dict):
    """(150, 150, 3) RGB 0..255 -> the 128-number descriptor."""
    import keras

    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 3), name="rgb150")
    x = keras.layers.Rescaling(1 / 255, offset=-np.array(MEAN_RGB, np.float32) / 255)(inputs)
    x = _conv(x, w, "conv32_down", 2, True)
    x = keras.layers.MaxPooling2D(3, 2, padding="valid")(x)
    for name, kind in BLOCKS:
        x = _block(x, w, name, kind)
    x = keras.layers.GlobalAveragePooling2D()(x)
    fc = keras.layers.Dense(w["fc"].shape[1], use_bias=False, name="fc")
    out = fc(x)
    fc.set_weights([w["fc"]])
    return keras.Model(inputs, out, name="face_recognition")


def reference_forward(w: dict, rgb: np.ndarray) -> np.ndarray:
    """The same computation in plain TensorFlow ops, as face-api writes it (convolution, bias,
    scale, relu; pooling and padding as there): the check that the Keras rebuild is faithful."""
    import tensorflow as tf

    def conv(x, name, stride, relu):
        y = tf.nn.conv2d(x, w[f"{name}/conv/filters"], stride, "VALID" if stride == 2 else "SAME") + w[f"{name}/conv/bias"]
        y = y * w[f"{name}/scale/weights"] + w[f"{name}/scale/biases"]
        return tf.nn.relu(y) if relu else y

    x = (tf.constant(rgb, tf.float32) - np.array(MEAN_RGB, np.float32)) / 255
    x = tf.nn.max_pool2d(conv(x, "conv32_down", 2, True), 3, 2, "VALID")
    for name, kind in BLOCKS:
        down = kind == "down"
        out = conv(conv(x, f"{name}/conv1", 2 if down else 1, True), f"{name}/conv2", 1, False)
        short = tf.nn.avg_pool2d(x, 2, 2, "VALID") if down else x
        if out.shape[1] != short.shape[1]:
            out = tf.pad(out, [[0, 0], [0, short.shape[1] - out.shape[1]], [0, short.shape[2] - out.shape[2]], [0, 0]])
        if out.shape[-1] != short.shape[-1]:
            short = tf.pad(short, [[0, 0], [0, 0], [0, 0], [0, out.shape[-1] - short.shape[-1]]])
        x = tf.nn.relu(out + short)
    return (tf.reduce_mean(x, [1, 2]) @ w["fc"]).numpy()


def main(argv=None) -> int:
    import hashlib

    from .save import export_tflite

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("package", help="the npm tarball of @vladmandic/face-api (npm pack @vladmandic/face-api@1.7.15)")
    p.add_argument("--out", default="models/face_embedder/face_recognition.tflite")
    args = p.parse_args(argv)
    weights, raw = read_package(args.package)
    model = keras_model(weights)
    probe = np.random.default_rng(0).uniform(0, 255, (2, INPUT_SIZE, INPUT_SIZE, 3)).astype(np.float32)
    gap = float(np.abs(model.predict(probe, verbose=0) - reference_forward(weights, probe)).max())
    if gap > 1e-4:
        raise SystemExit(f"the Keras rebuild differs from face-api's computation by {gap:.2e}")
    export_tflite(model, args.out)
    print(f"weights sha256 {hashlib.sha256(raw).hexdigest()} ({len(raw):,} bytes); Keras vs reference max diff {gap:.1e}")
    print(f"wrote {args.out} ({Path(args.out).stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
