"""Network architectures. Backend-agnostic Keras 3 only, so the same code trains under
TensorFlow on a CPU and under JAX on a GPU, and the saved files load under either.

Every network takes (48, 48, 1) gray pixels in 0..255 and rescales them itself, so that
callers never have to know a model's normalisation.
"""

from __future__ import annotations

import keras
from keras import layers

from ..errors import UsageError
from ..labels import FACE_SIZE, NUM_CLASSES

INPUT_SHAPE = (FACE_SIZE, FACE_SIZE, 1)


def seed_cnn() -> keras.Model:
    """The seed project's network, layer for layer: four Conv-BN-ReLU-MaxPool-Dropout blocks
    (64 3x3, 128 5x5, 512 3x3, 512 3x3), Flatten, two Dense-BN-ReLU-Dropout blocks (256, 512),
    softmax over the 7 classes."""
    inputs = keras.Input(INPUT_SHAPE, name="gray48")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    for filters, kernel in ((64, 3), (128, 5), (512, 3), (512, 3)):
        x = layers.Conv2D(filters, kernel, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(0.25)(x)
    x = layers.Flatten()(x)
    for units in (256, 512):
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="seed_cnn")


def vgg_gap(widths: tuple[int, ...] = (48, 96, 192, 384), dropout: float = 0.3, spatial_dropout: float = 0.1) -> keras.Model:
    """A compact VGG-style network: per stage two 3x3 Conv-BN-ReLU and a 2x2 max-pool, then
    global average pooling instead of the seed's large Flatten+Dense head. The GAP head has
    few parameters, which is what lets a 2.6M-parameter network generalise on 28k faces."""
    inputs = keras.Input(INPUT_SHAPE, name="gray48")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    for stage, filters in enumerate(widths):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
        if stage >= 1 and spatial_dropout:
            x = layers.SpatialDropout2D(spatial_dropout * stage)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="vgg_gap")


def tiny_cnn() -> keras.Model:
    """A very small network for smoke tests of the training pipeline (seconds per epoch)."""
    inputs = keras.Input(INPUT_SHAPE, name="gray48")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    for filters in (8, 16):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="tiny_cnn")


ARCHITECTURES = {
    "seed": seed_cnn,
    "vgg": vgg_gap,  # 2.6M parameters, ~264M multiply-adds per face
    # 1.2M parameters, ~118M multiply-adds per face; lightly regularised for short CPU schedules.
    "vgg-s": lambda: vgg_gap((32, 64, 128, 256), dropout=0.2, spatial_dropout=0.0),
    "tiny": tiny_cnn,
}


def build(arch: str) -> keras.Model:
    if arch not in ARCHITECTURES:
        raise UsageError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch]()
