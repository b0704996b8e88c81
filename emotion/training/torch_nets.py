"""The PyTorch side of `nets.ArchSpec`: the module the training engine trains.

It computes the same function as `nets.keras_model` of the same spec (centre crop, input
scaling, layers, logits); `convert.to_keras` copies its weights across.
"""

from __future__ import annotations

import torch
from torch import nn

from ..labels import NUM_CLASSES
from .nets import BN_EPSILON, ArchSpec


class EmotionNet(nn.Module):
    """(n, 1, 48, 48) float pixels 0..255 -> (n, 7) logits."""

    def __init__(self, arch: ArchSpec):
        super().__init__()
        self.arch = arch
        self.body = nn.Sequential(*_modules(arch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.arch.margin
        if m:
            x = x[:, :, m:-m, m:-m]
        x = x * (1 / 127.5) - 1.0 if self.arch.scale == "pm1" else x * (1 / 255.0)
        return self.body(x)


def _modules(arch: ArchSpec) -> list[nn.Module]:
    modules, channels, side, flat = [], 1, arch.view, None
    for i, layer in enumerate(arch.layers):
        kind, followed_by_bn = layer[0], i + 1 < len(arch.layers) and arch.layers[i + 1][0] == "bn"
        if kind == "conv":
            modules.append(nn.Conv2d(channels, layer[1], layer[2], padding=layer[2] // 2, bias=not followed_by_bn))
            channels = layer[1]
        elif kind == "dense":
            modules.append(nn.Linear(flat, layer[1], bias=not followed_by_bn))
            flat = layer[1]
        elif kind == "bn":
            modules.append(nn.BatchNorm2d(channels, eps=BN_EPSILON) if flat is None else nn.BatchNorm1d(flat, eps=BN_EPSILON))
        elif kind == "relu":
            modules.append(nn.ReLU(inplace=True))
        elif kind == "maxpool":
            modules.append(nn.MaxPool2d(2))
            side //= 2
        elif kind == "dropout":
            modules.append(nn.Dropout(layer[1]))
        elif kind == "gap":
            modules += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            flat = channels
        elif kind == "flatten":
            # Keras flattens height, width, channels; PyTorch channels, height, width. The
            # converter reorders the next dense layer's weights accordingly.
            modules.append(nn.Flatten())
            flat = channels * side * side
        else:
            raise ValueError(f"{arch.name}: unknown layer {layer!r}")
    modules.append(nn.Linear(flat, NUM_CLASSES))
    return modules


def build(arch: ArchSpec) -> EmotionNet:
    return EmotionNet(arch)
