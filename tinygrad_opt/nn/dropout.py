"""Inverted dropout: in training each element is kept with probability 1 - p and scaled by 1/(1 - p),
so E[y] = x and evaluation needs no rescaling; in eval mode the layer is the identity."""

from __future__ import annotations

from .module import Module


class Dropout(Module):
    """y = x * m / (1 - p), m_i ~ Bernoulli(1 - p) in training; y = x in eval."""

    def __init__(self, p: float = 0.5, generator=None):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must lie in [0, 1], got {p}")
        self.p, self.generator = p, generator

    def forward(self, x):
        return x.dropout(self.p, self.training, self.generator)

    def extra_repr(self):
        return f"p={self.p}"
