"""Activation functions as modules (the math lives in Tensor methods; these hold the hyper-parameters)."""

from __future__ import annotations

from ..errors import ArgumentError, HyperparameterError
from ..tensor import Tensor
from ._checks import dim_arg, real_arg, tensor_arg
from .module import Module


def check_approximate(where: str, approximate) -> None:
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"{where}: approximate must be 'none' or 'tanh', got {approximate!r}")


def check_softplus(where: str, beta, threshold) -> None:
    """beta != 0 (the formula divides by it), both real numbers."""
    if real_arg(where, "beta", beta) == 0:
        raise HyperparameterError(f"{where}: beta=0 divides by zero in log(1 + e^(beta x)) / beta; use beta != 0")
    real_arg(where, "threshold", threshold)


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x):
        if not isinstance(x, Tensor):
            tensor_arg("ReLU", "input", x)
        return x.relu()


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = real_arg("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x):
        return tensor_arg("LeakyReLU", "input", x).leaky_relu(self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x if x > 0 else alpha (e^x - 1)."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = real_arg("ELU", "alpha", alpha)

    def forward(self, x):
        return tensor_arg("ELU", "input", x).elu(self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class GELU(Module):
    """x Phi(x) (approximate='none') or PyTorch's tanh approximation (approximate='tanh')."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        check_approximate("GELU", approximate)
        self.approximate = approximate

    def forward(self, x):
        return tensor_arg("GELU", "input", x).gelu(self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + e^-x)."""

    def forward(self, x):
        return tensor_arg("Sigmoid", "input", x).sigmoid()


class Tanh(Module):
    def forward(self, x):
        return tensor_arg("Tanh", "input", x).tanh()


class SiLU(Module):
    """x sigmoid(x) (swish)."""

    def forward(self, x):
        return tensor_arg("SiLU", "input", x).silu()


class Softplus(Module):
    """log(1 + e^(beta x)) / beta; linear (x itself) where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        check_softplus("Softplus", beta, threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return tensor_arg("Softplus", "input", x).softplus(self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


def _softmax_dim(ndim: int) -> int:
    """PyTorch's legacy choice when ``dim`` is None: 0 for 0-, 1- and 3-d input, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """e^x_i / sum_j e^x_j along ``dim`` (computed as exp(log_softmax), finite for |x| = 1e4).
    Pass ``dim`` explicitly; None keeps PyTorch's legacy rule (dim 0 for 0/1/3-d input, else 1)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        if dim is not None:
            dim_arg("Softmax", "dim", dim, 2**62)
        self.dim = dim

    def forward(self, x):
        tensor_arg("Softmax", "input", x)
        dim = _softmax_dim(x.ndim) if self.dim is None else dim_arg("Softmax", "dim", self.dim, x.ndim)
        return x.softmax(axis=dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x_i - log sum_j e^x_j along ``dim`` (same ``dim=None`` rule as Softmax)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        if dim is not None:
            dim_arg("LogSoftmax", "dim", dim, 2**62)
        self.dim = dim

    def forward(self, x):
        tensor_arg("LogSoftmax", "input", x)
        dim = _softmax_dim(x.ndim) if self.dim is None else dim_arg("LogSoftmax", "dim", self.dim, x.ndim)
        return x.log_softmax(axis=dim)

    def extra_repr(self):
        return f"dim={self.dim}"
