"""Conv1d/Conv2d and the pooling layers, thin modules over the core's im2col primitives.

Conv (cross-correlation, PyTorch's convention), for output channel o in group g:
    y[n, o, p] = b[o] + sum_{c in g, k} W[o, c, k] * x_pad[n, c, p * stride + k * dilation]
Output length: floor((L + 2 padding - dilation (K - 1) - 1) / stride) + 1.
Default init as PyTorch: W ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
fan_in = in_channels / groups * prod(kernel_size) (seed 003 §9.1), and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math

from ..ops import conv as C
from ..tensor import zeros
from . import init
from .module import Module, Parameter


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
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{type(self).__name__}: in_channels ({in_channels}) and out_channels ({out_channels}) "
                f"must be divisible by groups ({groups})"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = C._tuple(kernel_size, self.nd, "kernel_size")
        self.stride = C._tuple(stride, self.nd, "stride")
        self.dilation = C._tuple(dilation, self.nd, "dilation")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{type(self).__name__}: padding must be 'valid', 'same' or ints, got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{type(self).__name__}: padding='same' needs stride 1, got {self.stride}")
            self.padding = padding
        else:
            self.padding = C._tuple(padding, self.nd, "padding")
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(zeros(*shape, dtype=dtype, device=device))
        self.bias = Parameter(zeros(out_channels, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            init.bias_uniform_(self.bias, fan_in)

    def _padded(self, x):
        """(input, symmetric padding): 'same' pads total dilation*(K-1) per axis, the odd one at the end."""
        if self.padding == "valid":
            return x, 0
        if self.padding != "same":
            return x, self.padding
        widths = [(0, 0), (0, 0)]
        for k, d in zip(self.kernel_size, self.dilation):
            total = d * (k - 1)
            widths.append((total // 2, total - total // 2))
        return x.pad(tuple(widths)), 0

    def forward(self, x):
        x, padding = self._padded(x)
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


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = (
            kernel_size,
            stride if stride is not None else kernel_size,
            padding,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__(kernel_size, stride, padding)
        self.dilation = dilation

    def forward(self, x):
        return C.max_pool(x, self.kernel_size, self.stride, self.padding, self.dilation, nd=self.nd)

    def extra_repr(self):
        return super().extra_repr() + f", dilation={self.dilation}"


class MaxPool1d(_MaxPool):
    """y[n, c, p] = max_k x_pad[n, c, p * stride + k * dilation]; padding counts as -inf."""

    nd = 1


class MaxPool2d(_MaxPool):
    """Max over each (dilated) kernel window; padding counts as -inf."""

    nd = 2


class _AvgPool(_Pool):
    def forward(self, x):
        return C.avg_pool(x, self.kernel_size, self.stride, self.padding, nd=self.nd)


class AvgPool1d(_AvgPool):
    """y[n, c, p] = mean_k x_pad[n, c, p * stride + k]; zero padding is counted (count_include_pad=True)."""

    nd = 1


class AvgPool2d(_AvgPool):
    """Mean over each kernel window; zero padding is counted (count_include_pad=True)."""

    nd = 2
