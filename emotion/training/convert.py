"""From a trained PyTorch `EmotionNet` to the shipped inference format.

The Keras graph of the same `ArchSpec` receives the trained weights layer by layer (convolution
kernels from OIHW to HWIO, dense matrices transposed, batch-norm statistics as they are, and the
first dense layer after a flatten reordered from channels-first to channels-last), then
TensorFlow's converter writes the TFLite file that LiteRT runs in the app and batch. The
calibration temperature is baked into that graph, so every front end gets calibrated
probabilities without knowing about it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..inference.runners import MIRROR_INPUT
from . import nets
from .save import export_tflite




def to_keras(net, temperature: float = 1.0):
    """A Keras model computing what `net` (a torch_nets.EmotionNet) computes, then softmax(logits / T)."""
    return _copy_weights(net, nets.keras_model(net.arch, temperature))


def logits_model(net, name: str):
    """A Keras model of `net` up to its 7 logits, trained weights copied in."""
    import keras

    inputs = keras.Input((48, 48, 1))
    return _copy_weights(net, keras.Model(inputs, nets.keras_logits(net.arch, inputs), name=name))


def ensemble_to_keras(members: list[tuple[object, bool]], temperature: float = 1.0, weights: list[float] | None = None):
    """One graph for several trained nets: member i sees the face (or, if its flag is set, the
    face's mirror image), each gives softmax(logits / T), the graph outputs their weighted mean.
    Mirrored members make the graph its own test-time augmentation: its input is then named
    MIRROR_INPUT, which tells the classifier not to average with the mirror image again."""
    import keras
    from keras import layers

    weights = weights or [1.0 / len(members)] * len(members)
    mirrored = any(flag for _, flag in members)
    inputs = keras.Input((48, 48, 1), name=MIRROR_INPUT if mirrored else "gray48")
    parts = []
    for k, ((net, flag), weight) in enumerate(zip(members, weights)):
        view = _mirror()(inputs) if flag else inputs
        z = logits_model(net, f"member{k}")(view)
        p = layers.Softmax()(layers.Rescaling(1.0 / temperature)(z))
        parts.append(layers.Rescaling(float(weight))(p))
    output = layers.Add(name="emotion")(parts) if len(parts) > 1 else parts[0]
    return keras.Model(inputs, output, name="ensemble")


def _mirror():
    """A Keras layer giving the image flipped left-right (the face's mirror image)."""
    import keras

    class Mirror(keras.layers.Layer):
        def call(self, x):
            return keras.ops.flip(x, axis=2)

    return Mirror()


def _copy_weights(net, model):
    """Copy the trained weights of `net` into `model`, a Keras graph of the same spec."""
    from torch import nn

    ours = [m for m in net.body if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d))]
    theirs = [layer for layer in model.layers if layer.__class__.__name__ in ("Conv2D", "Dense", "BatchNormalization")]
    if len(ours) != len(theirs):
        raise ValueError(f"{net.arch.name}: {len(ours)} weighted layers in PyTorch, {len(theirs)} in Keras")
    side, after_flatten = net.arch.view, False
    for spec_layer in net.arch.layers:  # the spatial side left when the net flattens
        if spec_layer[0] == "maxpool":
            side //= 2
        if spec_layer[0] == "flatten":
            after_flatten = True
            break
    for module, layer in zip(ours, theirs):
        if isinstance(module, nn.Conv2d):
            weights = [module.weight.detach().numpy().transpose(2, 3, 1, 0)]
        elif isinstance(module, nn.Linear):
            w = module.weight.detach().numpy()  # (out, in)
            if after_flatten:  # torch input index c*s*s + y*s + x -> keras (y*s + x)*c + c
                channels = w.shape[1] // (side * side)
                w = w.reshape(-1, channels, side, side).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
                after_flatten = False
            weights = [w.T]
        else:
            weights = [module.weight.detach().numpy(), module.bias.detach().numpy(),
                       module.running_mean.numpy(), module.running_var.numpy()]
        if getattr(module, "bias", None) is not None and not isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            weights.append(module.bias.detach().numpy())
        layer.set_weights([np.asarray(v, np.float32) for v in weights])
    return model


def export(net, path: str | Path, temperature: float = 1.0, quantize: str = "float32") -> Path:
    """Write the TFLite file of a trained net (needs TensorFlow for the conversion itself)."""
    return export_tflite(to_keras(net, temperature), path, quantize=quantize)


def export_ensemble(members: list[tuple[object, bool]], path: str | Path, temperature: float = 1.0,
                    weights: list[float] | None = None, quantize: str = "float16") -> Path:
    return export_tflite(ensemble_to_keras(members, temperature, weights), path, quantize=quantize)
