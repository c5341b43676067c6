"""Normalization layers (seed 003 §10), composed from Tensor ops so that gradients, JVPs, HVPs and
double backward come from the core with no hand-written derivative.

All share one step: over a set of axes S,
    mu = mean_S(h),  sigma^2 = mean_S((h - mu)^2)  (biased),  h1 = (h - mu) / sqrt(sigma^2 + eps),
    h2 = gamma * h1 + beta.
They differ only in S (seed 003 §10.2, figure of Wu & He):
    BatchNorm  S = (N, *spatial) per channel        InstanceNorm  S = (*spatial) per sample and channel
    LayerNorm  S = the trailing normalized_shape     GroupNorm     S = (C/G channels, *spatial) per sample
GroupNorm with G = 1 is LayerNorm over (C, H, W); with G = C it is InstanceNorm (seed 003 §10.2.3).
Weight normalization reparametrizes a weight instead: W = g * v / ||v||.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..autodiff import no_grad
from ..errors import ShapeError
from ..tensor import Tensor, ones, zeros
from .module import Module, Parameter


def _normalize(x, axes, eps):
    """(h1, mu, sigma^2) over ``axes`` with the biased variance."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return centered * (var + eps).rsqrt(), mean, var


def _affine(h1, weight, bias, shape):
    if weight is not None:
        h1 = h1 * weight.reshape(shape)
    if bias is not None:
        h1 = h1 + bias.reshape(shape)
    return h1


def _update_running(buffer, statistic, momentum):
    """buffer <- (1 - momentum) buffer + momentum statistic, outside the graph."""
    with no_grad():
        buffer.mul_(1.0 - momentum).add_(statistic.detach().reshape(buffer.shape) * momentum)


def _channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization of x (N, C, *spatial) per channel (seed 003 §10.1.3 item 4).

    training: normalize with the batch mean and BIASED variance; update the running estimates with
    the UNBIASED variance sigma^2 m / (m - 1) (m values per channel), as PyTorch does.
    Otherwise: normalize with running_mean / running_var (constants: BN is then affine in x)."""
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: input must be (N, C, ...), got shape {x.shape}")
    shape = _channel_shape(x)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation without batch statistics needs running_mean and running_var")
        h1 = (x - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
        return _affine(h1, weight, bias, shape)
    axes = (0,) + tuple(range(2, x.ndim))
    m = math.prod(x.shape[a] for a in axes)
    if m <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input {x.shape}")
    h1, mean, var = _normalize(x, axes, eps)
    if running_mean is not None:
        _update_running(running_mean, mean, momentum)
    if running_var is not None:
        _update_running(running_var, var * (m / (m - 1)), momentum)
    return _affine(h1, weight, bias, shape)


def instance_norm(
    x, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-5
):
    """Per sample and channel over the spatial axes (seed 003 §10.2.2). With running buffers, their
    update uses the batch average of the per-instance means and unbiased variances (PyTorch)."""
    if x.ndim < 3:
        raise ShapeError(f"instance_norm: input must be (N, C, *spatial), got shape {x.shape}")
    shape = _channel_shape(x)
    if not use_input_stats:
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, x.ndim))
    m = math.prod(x.shape[2:])
    h1, mean, var = _normalize(x, axes, eps)
    if running_mean is not None:
        _update_running(running_mean, mean.mean(axis=0), momentum)
    if running_var is not None:
        if m <= 1:
            raise ValueError(f"instance_norm: running statistics need more than 1 spatial value, got input {x.shape}")
        _update_running(running_var, (var * (m / (m - 1))).mean(axis=0), momentum)
    return _affine(h1, weight, bias, shape)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing ``normalized_shape`` axes of each sample (seed 003 §10.2.1)."""
    normalized_shape = _shape_tuple(normalized_shape)
    k = len(normalized_shape)
    if x.shape[x.ndim - k :] != normalized_shape:
        raise ShapeError(f"layer_norm: input {x.shape} does not end in normalized_shape {normalized_shape}")
    h1, _, _ = _normalize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return _affine(h1, weight, bias, normalized_shape)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the C channels into num_groups groups of C/G and normalize each group of each sample
    over (C/G, *spatial) (seed 003 §10.2.3); the affine part is per channel."""
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ShapeError(f"group_norm: {num_groups} groups must divide the channels of input {x.shape}")
    n, c = x.shape[:2]
    grouped = x.reshape((n, num_groups, -1))
    h1, _, _ = _normalize(grouped, (2,), eps)
    return _affine(h1.reshape(x.shape), weight, bias, _channel_shape(x))


def _shape_tuple(shape):
    return (int(shape),) if isinstance(shape, numbers.Integral) else tuple(int(s) for s in shape)


class _NormBase(Module):
    """Shared state of BatchNorm and InstanceNorm: per-channel gamma/beta and running statistics."""

    def __init__(
        self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", Tensor(0, dtype=np.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1.0)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            with no_grad():
                self.weight.fill_(1.0)
                self.bias.zero_()

    def _check_input(self, x):
        if x.ndim not in self._ndims:
            raise ShapeError(
                f"{type(self).__name__}: expected a {' or '.join(map(str, self._ndims))}-D input, got {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ShapeError(f"{type(self).__name__}: expected {self.num_features} channels, got input {x.shape}")

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """y = gamma (x - mu_B) / sqrt(sigma_B^2 + eps) + beta per channel (seed 003 §10.1.3).

    Train: batch statistics, and the running estimates move by
        running <- (1 - momentum) running + momentum statistic  (unbiased variance),
    with ``momentum=None`` meaning the cumulative average (momentum = 1 / num_batches_tracked).
    Eval (with track_running_stats): the running estimates replace the batch statistics (§10.1.5 item 2)."""

    def forward(self, x):
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # the cumulative average, 1 / n as a device scalar (no sync)
                factor = 1.0 / self.num_batches_tracked.astype(self.running_mean.dtype)
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input."""

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, per channel over (N, H, W)."""

    _ndims = (4,)


class _InstanceNorm(_NormBase):
    """y = gamma (x - mu_nc) / sqrt(sigma_nc^2 + eps) + beta, statistics per sample and channel over the
    spatial axes (seed 003 §10.2.2). PyTorch's defaults: affine=False, track_running_stats=False."""

    def __init__(
        self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, x):
        self._check_input(x)
        return instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) input."""

    _ndims = (3,)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) input."""

    _ndims = (4,)


class LayerNorm(Module):
    """y = gamma * (h - mu) / sqrt(sigma^2 + eps) + beta with mu, sigma^2 over the trailing
    ``normalized_shape`` of each sample (seed 003 §10.2.1); gamma, beta have that shape."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device))
            self.bias = Parameter(zeros(self.normalized_shape, dtype=dtype, device=device)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalize groups of C/G channels of each sample over (C/G, *spatial) (seed 003 §10.2.3);
    gamma, beta are per channel. Independent of the batch size, unlike BatchNorm (§10.2.4)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=dtype, device=device))
            self.bias = Parameter(zeros(num_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm: expected (N, {self.num_channels}, ...) input, got {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


# --------------------------------------------------------------------------- weight normalization


def _norm_except_dim(v, dim):
    """||v|| over every axis but ``dim`` (kept as size-1 axes); over all axes when dim is None."""
    if dim is None:
        return v.norm()
    return v.norm(axis=tuple(a for a in range(v.ndim) if a != dim), keepdims=True)


class _WeightNorm:
    """Forward pre-hook that rebuilds ``name`` = g * v / ||v|| from ``name_g`` and ``name_v``."""

    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module, args):
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as w = g * v / ||v|| (Salimans & Kingma; seed 000 syllabus §8),
    PyTorch's ``torch.nn.utils.weight_norm``: the parameter is replaced by ``<name>_g`` (the norm, one
    value per slice along ``dim``; a scalar for dim=None) and ``<name>_v`` (the direction), initialized
    so w is unchanged; w is recomputed before every forward. Gradient descent on (g, v) decouples the
    length of each weight vector from its direction."""
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter named {name!r}")
    if dim is not None:
        dim = dim % weight.ndim
    hook = _WeightNorm(name, dim)
    g = Parameter(_norm_except_dim(weight.detach(), dim).data.copy())
    v = Parameter(weight.data.copy())
    del module._parameters[name]
    module.register_parameter(name + "_g", g)
    module.register_parameter(name + "_v", v)
    hook(module, ())
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo weight_norm: fold g * v / ||v|| back into a single parameter ``name``."""
    for hook in module._forward_pre_hooks:
        if isinstance(hook, _WeightNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute(module)
            module._forward_pre_hooks.remove(hook)
            del module._parameters[name + "_g"], module._parameters[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight.data.copy()))
            return module
    raise ValueError(f"remove_weight_norm: weight_norm of {name!r} not found in {type(module).__name__}")
