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

from . import nets
from .save import export_tflite


def to_keras(net, temperature: float = 1.0):
    """A Keras model computing what `net` (a torch_nets.EmotionNet) computes, then softmax(logits / T)."""
    from torch import nn

    model = nets.keras_model(net.arch, temperature)
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
