"""Conv1d/Conv2d and the pooling layers, thin modules over the core's im2col primitives.

Conv (cross-correlation, PyTorch's convention), for output channel o in group g:
    y[n, o, p] = b[o] + sum_{c in g, k} W[o, c, k] * x_pad[n, c, p * stride + k * dilation]
Output length: floor((L + 2 padding - dilation (K - 1) - 1) / stride) + 1.
Default init as PyTorch: W ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
fan_in = in_channels / groups * prod(kernel_size) (seed 003 §9.1), and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math

from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops import conv as C
from ..tensor import zeros
from . import init
from ._checks import float_input, int_arg, int_tuple, tensor_arg
from .module import Module, Parameter

_SPATIAL = {1: "L", 2: "H, W"}


def _conv_args(where, nd, stride, padding, dilation, groups):
    """(stride, padding, dilation, groups) checked and normalized; padding stays 'valid'/'same' or ints."""
    stride = int_tuple(where, "stride", stride, nd)
    dilation = int_tuple(where, "dilation", dilation, nd)
    groups = int_arg(where, "groups", groups)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ArgumentError(f"{where}: padding must be 'valid', 'same' or ints >= 0, got {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ArgumentError(f"{where}: padding='same' needs stride 1, got stride={stride}")
        return stride, padding, dilation, groups
    return stride, int_tuple(where, "padding", padding, nd, low=0), dilation, groups


def _check_rank(where, x, nd, channels):
    float_input(where, x)
    if x.ndim != nd + 2:
        raise ShapeError(f"{where}: expected a {nd + 2}-D input (N, C, {_SPATIAL[nd]}), got shape {x.shape}")
    if channels is not None and x.shape[1] != channels:
        raise ShapeError(f"{where}: expected {channels} input channels (N, {channels}, ...), got shape {x.shape}")


def _check_window(where, x, kernel, padding, dilation):
    """The (dilated) kernel must fit in the padded input ('same' always fits)."""
    if padding == "same":
        return
    pads = (0,) * len(kernel) if padding == "valid" else padding
    spatial = x.shape[2:]
    if any(s + 2 * p < d * (k - 1) + 1 for s, k, p, d in zip(spatial, kernel, pads, dilation)):
        raise ShapeError(
            f"{where}: kernel_size={kernel} (dilation={dilation}) is larger than the input's spatial size "
            f"{spatial} plus padding={padding}; use a smaller kernel or more padding"
        )


def _padded(x, padding, kernel, dilation):
    """(input, symmetric padding): 'same' pads total dilation*(K-1) per axis, the odd one at the end."""
    if padding == "valid":
        return x, 0
    if padding != "same":
        return x, padding
    widths = [(0, 0), (0, 0)]
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        widths.append((total // 2, total - total // 2))
    return x.pad(tuple(widths)), 0


def _conv_functional(nd, x, weight, bias, stride, padding, dilation, groups):
    where = f"F.conv{nd}d"
    float_input(where, x)
    float_input(where, weight, "weight")
    if weight.ndim != nd + 2:
        raise ShapeError(
            f"{where}: weight must be {nd + 2}-D (C_out, C_in / groups, {_SPATIAL[nd]}), got {weight.shape}"
        )
    stride, padding, dilation, groups = _conv_args(where, nd, stride, padding, dilation, groups)
    _check_rank(where, x, nd, None)
    if x.dtype != weight.dtype:
        raise DTypeError(f"{where}: input dtype {x.dtype} differs from the weight's {weight.dtype}; cast one of them")
    if weight.shape[0] % groups or x.shape[1] != weight.shape[1] * groups:
        raise ShapeError(
            f"{where}: input of shape {x.shape} has {x.shape[1]} channels, the weight {weight.shape} with "
            f"groups={groups} expects {weight.shape[1] * groups}, and out_channels {weight.shape[0]} must be "
            f"divisible by groups"
        )
    if bias is not None and (tensor_arg(where, "bias", bias).shape != weight.shape[:1]):
        raise ShapeError(f"{where}: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    _check_window(where, x, weight.shape[2:], padding, dilation)
    x, padding = _padded(x, padding, weight.shape[2:], dilation)
    return C.conv(x, weight, bias, stride, padding, dilation, groups, op=where)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d cross-correlation: x (N, C_in, L), weight (C_out, C_in / groups, K); padding ints, 'valid' or 'same'."""
    return _conv_functional(1, x, weight, bias, stride, padding, dilation, groups)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d cross-correlation: x (N, C_in, H, W), weight (C_out, C_in / groups, kH, kW)."""
    return _conv_functional(2, x, weight, bias, stride, padding, dilation, groups)


class _ConvNd(Module):
    nd = 0

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        where = type(self).__name__
        in_channels = int_arg(where, "in_channels", in_channels)
        out_channels = int_arg(where, "out_channels", out_channels)
        self.kernel_size = int_tuple(where, "kernel_size", kernel_size, self.nd)
        self.stride, self.padding, self.dilation, groups = _conv_args(where, self.nd, stride, padding, dilation, groups)
        if in_channels % groups or out_channels % groups:
            raise ArgumentError(
                f"{where}: in_channels ({in_channels}) and out_channels ({out_channels}) "
                f"must be divisible by groups ({groups})"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(zeros(*shape, dtype=dtype, device=device))
        self.bias = Parameter(zeros(out_channels, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            init.bias_uniform_(self.bias, fan_in)

    def forward(self, x):
        where = type(self).__name__
        _check_rank(where, x, self.nd, self.in_channels)
        if x.dtype != self.weight.dtype:
            raise DTypeError(f"{where}: input dtype {x.dtype} differs from the weight's {self.weight.dtype}; cast it")
        _check_window(where, x, self.kernel_size, self.padding, self.dilation)
        x, padding = _padded(x, self.padding, self.kernel_size, self.dilation)
        return C.conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups, op=self._op)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.nd:
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + ("" if self.bias is not None else ", bias=False")


class Conv1d(_ConvNd):
    """1-d convolution: (N, C_in, L) -> (N, C_out, L_out)."""

    nd, _op = 1, "conv1d"


class Conv2d(_ConvNd):
    """2-d convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    nd, _op = 2, "conv2d"


def _pool_args(where, nd, kernel_size, stride, padding, dilation):
    """(kernel, stride, padding, dilation) as checked tuples; stride None means the kernel size."""
    kernel = int_tuple(where, "kernel_size", kernel_size, nd)
    stride = kernel if stride is None else int_tuple(where, "stride", stride, nd)
    padding = int_tuple(where, "padding", padding, nd, low=0)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ArgumentError(f"{where}: padding={padding} must be at most half of kernel_size={kernel}")
    return kernel, stride, padding, int_tuple(where, "dilation", dilation, nd)


def _pool(where, kind, nd, x, args):
    """Check the input against checked pooling ``args`` and pool it (``kind`` 'max' or 'avg')."""
    kernel, stride, padding, dilation = args
    _check_rank(where, x, nd, None)
    _check_window(where, x, kernel, padding, dilation)
    if kind == "max":
        return C.max_pool(x, kernel, stride, padding, dilation, nd=nd)
    return C.avg_pool(x, kernel, stride, padding, nd=nd)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1):
    """Max over windows of x (N, C, L); padding counts as -inf."""
    return _pool("F.max_pool1d", "max", 1, x, _pool_args("F.max_pool1d", 1, kernel_size, stride, padding, dilation))


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """Max over windows of x (N, C, H, W); padding counts as -inf."""
    return _pool("F.max_pool2d", "max", 2, x, _pool_args("F.max_pool2d", 2, kernel_size, stride, padding, dilation))


def avg_pool1d(x, kernel_size, stride=None, padding=0):
    """Mean over windows of x (N, C, L); zero padding is counted."""
    return _pool("F.avg_pool1d", "avg", 1, x, _pool_args("F.avg_pool1d", 1, kernel_size, stride, padding, 1))


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over windows of x (N, C, H, W); zero padding is counted."""
    return _pool("F.avg_pool2d", "avg", 2, x, _pool_args("F.avg_pool2d", 2, kernel_size, stride, padding, 1))


class _Pool(Module):
    """Pooling hyper-parameters, checked once here and kept as given (for the repr) and as tuples."""

    kind = ""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self._args = _pool_args(type(self).__name__, self.nd, kernel_size, stride, padding, dilation)
        self.kernel_size, self.stride, self.padding = (
            kernel_size,
            stride if stride is not None else kernel_size,
            padding,
        )

    def forward(self, x):
        return _pool(type(self).__name__, self.kind, self.nd, x, self._args)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPool(_Pool):
    kind = "max"

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__(kernel_size, stride, padding, dilation)
        self.dilation = dilation

    def extra_repr(self):
        return super().extra_repr() + f", dilation={self.dilation}"


class MaxPool1d(_MaxPool):
    """y[n, c, p] = max_k x_pad[n, c, p * stride + k * dilation]; padding counts as -inf."""

    nd = 1


class MaxPool2d(_MaxPool):
    """Max over each (dilated) kernel window; padding counts as -inf."""

    nd = 2


class _AvgPool(_Pool):
    kind = "avg"

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride, padding)


class AvgPool1d(_AvgPool):
    """y[n, c, p] = mean_k x_pad[n, c, p * stride + k]; zero padding is counted (count_include_pad=True)."""

    nd = 1


class AvgPool2d(_AvgPool):
    """Mean over each kernel window; zero padding is counted (count_include_pad=True)."""

    nd = 2
