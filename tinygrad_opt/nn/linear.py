"""Linear, Identity and Flatten.

Linear: y = x W^T + b with W of shape (out_features, in_features). PyTorch's default init:
W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (the U(-sqrt(1/m), sqrt(1/m))
heuristic of seed 003 §9.1 item 4) and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math

from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops.linalg import Matmul, affine
from ..tensor import Tensor, zeros
from . import init
from ._checks import dim_arg, int_arg, tensor_arg
from .module import Module, Parameter


def _check_linear(where, x, weight, bias):
    """Shapes and dtypes of x W^T + b, on metadata only (once per call; read off the arrays, which is
    cheaper than the Tensor properties on this hot path)."""
    if not isinstance(x, Tensor):
        tensor_arg(where, "input", x)
    xd, wd = x.data, weight.data
    if xd.dtype != wd.dtype:
        raise DTypeError(
            f"{where}: input dtype {x.dtype} differs from the weight's {weight.dtype}; "
            f"cast the input with .astype({str(weight.dtype)!r})"
        )
    if not xd.shape or xd.shape[-1] != wd.shape[-1]:
        raise ShapeError(
            f"{where}: input of shape {x.shape} has {x.shape[-1] if x.ndim else 'no'} features, expected "
            f"in_features={weight.shape[-1]} (weight of shape {weight.shape}); the last axis of the input "
            f"holds the features"
        )
    if bias is not None and bias.data.shape != wd.shape[:-1]:
        raise ShapeError(
            f"{where}: bias of shape {bias.shape} does not match the {weight.shape[0]} output features of the "
            f"weight {weight.shape}; pass a bias of shape {weight.shape[:-1]}"
        )


def _linear(x, weight, bias):
    """x W^T + b over the last axis of x, unchecked (the callers check)."""
    flat = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])  # one GEMM over all leading axes
    if bias is not None:
        out = affine(flat, weight, bias, transposed=True)
    elif weight.ndim == 2:
        out = Matmul.apply(flat, weight, tb=True)  # x W^T with no transpose op
    else:
        out = flat @ weight.T
    return out if x.ndim == 2 else out.reshape(*x.shape[:-1], *weight.shape[:-1])


def linear(x, weight, bias=None):
    """x W^T + b over the last axis of x: x (*, in), W (out, in) or (in,), b (out,) or None."""
    tensor_arg("F.linear", "weight", weight)
    if weight.ndim not in (1, 2):
        raise ShapeError(f"F.linear: weight must be 2-D (out_features, in_features) or 1-D, got shape {weight.shape}")
    if bias is not None:
        tensor_arg("F.linear", "bias", bias)
    _check_linear("F.linear", x, weight, bias)
    return _linear(x, weight, bias)


class Linear(Module):
    """y = x W^T + b; x (*, in_features) -> (*, out_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        in_features = int_arg("Linear", "in_features", in_features, low=0)
        out_features = int_arg("Linear", "out_features", out_features, low=0)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype, device=device))
        self.bias = Parameter(zeros(out_features, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            init.bias_uniform_(self.bias, self.in_features)

    def forward(self, x):
        _check_linear("Linear", x, self.weight, self.bias)
        return _linear(x, self.weight, self.bias)

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
        for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
            int_arg("Flatten", name, d, low=-(2**62))
        if (start_dim >= 0) == (end_dim >= 0) and start_dim > end_dim:
            raise _order_error(start_dim, end_dim)
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        start = dim_arg("Flatten", "start_dim", self.start_dim, x.ndim)
        end = dim_arg("Flatten", "end_dim", self.end_dim, x.ndim)
        if start > end:
            raise _order_error(self.start_dim, self.end_dim, x.shape)
        return x.flatten(start, end)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _order_error(start_dim, end_dim, shape=None):
    on = "" if shape is None else f" for input of shape {shape}"
    return ArgumentError(f"Flatten: start_dim={start_dim} comes after end_dim={end_dim}{on}; swap them")
