"""Network architectures, each defined once as a list of layers (`ArchSpec`).

Two builders read the same list: `torch_nets.build` makes the PyTorch module the training engine
trains, and `keras_model` here makes the Keras graph that is exported to TFLite for inference,
with the trained weights copied layer by layer. So an architecture cannot drift between what is
trained and what ships, and `tests/test_training.py` checks that both compute the same function.

Every network takes (48, 48, 1) gray pixels in 0..255: it normalises them itself and, for nets
that look at a smaller centre (`view` < 48), crops inside the graph. Training feeds randomly
shifted 48x48 faces, so the centre crop a net sees in training is a random crop of the face;
at inference the same graph sees the centre of the face. Callers never need to know either.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..labels import FACE_SIZE, NUM_CLASSES

BN_EPSILON = 1e-5  # PyTorch's default, used by both builders so their batch norms agree


@dataclass(frozen=True)
class ArchSpec:
    """`layers`: ("conv", filters, kernel) | ("bn",) | ("relu",) | ("maxpool",) | ("dropout", rate)
    | ("gap",) | ("flatten",) | ("dense", units); the classifier (dense to the 7 logits) and the
    softmax are added by the builders. A conv followed by "bn" has no bias."""

    name: str
    layers: tuple[tuple, ...]
    view: int = FACE_SIZE  # side of the centre the convolutions see
    scale: str = "pm1"  # input scaling: "pm1" maps 0..255 to -1..1, "unit" to 0..1

    @property
    def margin(self) -> int:
        return (FACE_SIZE - self.view) // 2


def vgg(name: str, widths: tuple[int, ...], view: int = 40, convs: int = 2, dropout: float = 0.3) -> ArchSpec:
    """VGG-style: per stage `convs` 3x3 Conv-BN-ReLU and a 2x2 max-pool, then global average
    pooling (few parameters in the head, which is what lets a wide net generalise on 28k faces)."""
    layers = []
    for width in widths:
        for _ in range(convs):
            layers += [("conv", width, 3), ("bn",), ("relu",)]
        layers.append(("maxpool",))
    return ArchSpec(name, tuple(layers) + (("gap",), ("dropout", dropout)), view)


def seed_net() -> ArchSpec:
    """The seed project's network, layer for layer: four Conv-BN-ReLU-MaxPool-Dropout blocks
    (64 3x3, 128 5x5, 512 3x3, 512 3x3), Flatten, two Dense-BN-ReLU-Dropout blocks (256, 512)."""
    layers = []
    for filters, kernel in ((64, 3), (128, 5), (512, 3), (512, 3)):
        layers += [("conv", filters, kernel), ("bn",), ("relu",), ("maxpool",), ("dropout", 0.25)]
    layers.append(("flatten",))
    for units in (256, 512):
        layers += [("dense", units), ("bn",), ("relu",), ("dropout", 0.25)]
    return ArchSpec("seed", tuple(layers), FACE_SIZE, scale="unit")


ARCHITECTURES: dict[str, ArchSpec] = {
    "seed": seed_net(),
    # ~1.2M parameters; at a 40x40 view ~82M multiply-adds per face: the shipped default's shape.
    "vgg-s": vgg("vgg-s", (32, 64, 128, 256)),
    # ~2.6M parameters, ~180M multiply-adds: an ensemble member.
    "vgg-m": vgg("vgg-m", (48, 96, 192, 384)),
    # ~4.7M parameters, ~330M multiply-adds: the widths of the published VGG variants that reach
    # 73% on FER2013 alone; a teacher, too slow to ship (CPU budget: about 160M per face).
    "vgg-l": vgg("vgg-l", (64, 128, 256, 512)),
    # Three convs per stage: deeper, for diversity in the ensemble.
    "vgg-d": vgg("vgg-d", (32, 64, 128, 256), convs=3),
    "tiny": ArchSpec("tiny", (("conv", 8, 3), ("relu",), ("maxpool",), ("conv", 16, 3), ("relu",), ("maxpool",), ("gap",)), 40),
}


def spec(arch: str) -> ArchSpec:
    if arch not in ARCHITECTURES:
        raise UsageError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch]


def keras_logits(arch: ArchSpec, x):
    """The layers of `arch` applied to a Keras tensor of 48x48x1 pixels 0..255 -> the 7 logits
    (centre crop, input scaling, the layers, the classifier)."""
    from keras import layers

    if arch.margin:
        x = layers.Cropping2D(arch.margin)(x)
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(x) if arch.scale == "pm1" else layers.Rescaling(1 / 255.0)(x)
    for i, layer in enumerate(arch.layers):
        kind, followed_by_bn = layer[0], i + 1 < len(arch.layers) and arch.layers[i + 1][0] == "bn"
        if kind == "conv":
            x = layers.Conv2D(layer[1], layer[2], padding="same", use_bias=not followed_by_bn)(x)
        elif kind == "dense":
            x = layers.Dense(layer[1], use_bias=not followed_by_bn)(x)
        elif kind == "bn":
            x = layers.BatchNormalization(epsilon=BN_EPSILON)(x)
        elif kind == "relu":
            x = layers.Activation("relu")(x)
        elif kind == "maxpool":
            x = layers.MaxPooling2D(2)(x)
        elif kind == "dropout":
            x = layers.Dropout(layer[1])(x)
        elif kind == "gap":
            x = layers.GlobalAveragePooling2D()(x)
        elif kind == "flatten":
            x = layers.Flatten()(x)
        else:
            raise UsageError(f"{arch.name}: unknown layer {layer!r}")
    return layers.Dense(NUM_CLASSES)(x)


def keras_model(arch: ArchSpec, temperature: float = 1.0):
    """The inference graph of `arch` in Keras (weights untrained; `convert.to_keras` copies them
    in). `temperature` divides the logits before the softmax: calibration, baked into the file."""
    import keras
    from keras import layers

    inputs = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="gray48")
    x = keras_logits(arch, inputs)
    if temperature != 1.0:
        x = layers.Rescaling(1.0 / temperature, name="temperature")(x)
    outputs = layers.Softmax(name="emotion")(x)
    return keras.Model(inputs, outputs, name=arch.name.replace("-", "_"))
