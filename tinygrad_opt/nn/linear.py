"""Linear, Identity and Flatten.

Linear: y = x W^T + b with W of shape (out_features, in_features). PyTorch's default init:
W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (the U(-sqrt(1/m), sqrt(1/m))
heuristic of seed 003 §9.1 item 4) and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math

from ..errors import ShapeError
from ..ops.linalg import Matmul, affine
from ..tensor import zeros
from . import init
from .module import Module, Parameter


def linear(x, weight, bias=None):
    """x W^T + b over the last axis of x."""
    if x.shape[-1:] != weight.shape[1:]:
        raise ShapeError(
            f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features, "
            f"the weight {weight.shape} expects {weight.shape[1]}"
        )
    flat = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])  # one GEMM over all leading axes
    if bias is not None:
        out = affine(flat, weight, bias, transposed=True)
    elif weight.ndim == 2 and flat.dtype == weight.dtype:
        out = Matmul.apply(flat, weight, tb=True)  # x W^T with no transpose op
    else:
        out = flat @ weight.T
    return out if x.ndim == 2 else out.reshape(*x.shape[:-1], weight.shape[0])


class Linear(Module):
    """y = x W^T + b; x (*, in_features) -> (*, out_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype, device=device))
        self.bias = Parameter(zeros(out_features, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            init.bias_uniform_(self.bias, self.in_features)

    def forward(self, x):
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input (arguments are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge dims start_dim..end_dim into one (default: everything but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
