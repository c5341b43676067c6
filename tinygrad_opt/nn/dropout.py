"""Inverted dropout: in training each element is kept with probability 1 - p and scaled by 1/(1 - p),
so E[y] = x and evaluation needs no rescaling; in eval mode the layer is the identity."""

from __future__ import annotations

from ._checks import float_input, real_arg, tensor_arg
from .module import Module


def dropout(x, p=0.5, training=True, generator=None):
    """y = x * m / (1 - p), m_i ~ Bernoulli(1 - p) when ``training``, else x itself."""
    return _dropout("F.dropout", x, real_arg("F.dropout", "p", p, low=0, high=1), training, generator)


def _dropout(where, x, p, training, generator):
    if training and p > 0:
        float_input(where, x)  # scaling integers by 1/(1 - p) would truncate them (PyTorch refuses them too)
    else:
        tensor_arg(where, "input", x)  # the identity: any tensor passes, as in PyTorch
    return x.dropout(p, training, generator)


class Dropout(Module):
    """y = x * m / (1 - p), m_i ~ Bernoulli(1 - p) in training; y = x in eval."""

    def __init__(self, p: float = 0.5, generator=None):
        super().__init__()
        self.p, self.generator = real_arg("Dropout", "p", p, low=0, high=1), generator

    def forward(self, x):
        return _dropout("Dropout", x, self.p, self.training, self.generator)

    def extra_repr(self):
        return f"p={self.p}"
