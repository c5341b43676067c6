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

import numpy as np

from ..autodiff import no_grad
from ..errors import ArgumentError, ArgumentTypeError, ShapeError
from ..tensor import Tensor, ones, zeros
from ._checks import dim_arg, float_input, int_arg, real_arg, shape_arg, tensor_arg
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


def _check_channels(where, x, named):
    """Each given per-channel tensor (running stats, gamma, beta) must have shape (C,)."""
    c = x.shape[1]
    for name, t in named:
        if t is not None and tensor_arg(where, name, t).shape != (c,):
            raise ShapeError(
                f"{where}: {name} of shape {t.shape} does not match the {c} channels of input {x.shape}; "
                f"it must have shape ({c},)"
            )


def _check_batch_stats(where, x, training):
    """Training normalizes with batch statistics: a single value per channel has no variance."""
    if training and math.prod(x.shape) <= x.shape[1]:
        raise ShapeError(
            f"{where}: expected more than 1 value per channel when training, got input of shape {x.shape}; "
            f"use a batch of 2 or more, or call .eval()"
        )


def _check_spatial(where, x):
    """Instance statistics over a single spatial element have no variance (PyTorch refuses them too)."""
    if math.prod(x.shape[2:]) <= 1:
        raise ShapeError(
            f"{where}: expected more than 1 spatial element when training (normalizing with the input's "
            f"statistics), got input of shape {x.shape}"
        )


def _check_eps_momentum(where, eps, momentum, allow_none=False):
    """eps >= 0 and momentum in [0, 1] (None, the cumulative average, only for the layers)."""
    real_arg(where, "eps", eps, low=0)
    if momentum is not None or not allow_none:
        real_arg(where, "momentum", momentum, low=0, high=1)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization of x (N, C, *spatial) per channel (seed 003 §10.1.3 item 4).

    training: normalize with the batch mean and BIASED variance; update the running estimates with
    the UNBIASED variance sigma^2 m / (m - 1) (m values per channel), as PyTorch does.
    Otherwise: normalize with running_mean / running_var (constants: BN is then affine in x).
    Everything is checked before a running estimate moves."""
    where = "F.batch_norm"
    float_input(where, x)
    if x.ndim < 2:
        raise ShapeError(f"{where}: input must be (N, C, ...), got shape {x.shape}")
    _check_eps_momentum(where, eps, momentum)
    named = (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias))
    _check_channels(where, x, named)
    if not training and (running_mean is None or running_var is None):
        raise ArgumentError(
            f"{where}: evaluation (training=False) normalizes with running_mean and running_var; pass both, "
            f"or training=True to use the batch statistics"
        )
    _check_batch_stats(where, x, training)
    return _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps):
    """batch_norm on checked arguments."""
    shape = _channel_shape(x)
    if not training:
        h1 = (x - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
        return _affine(h1, weight, bias, shape)
    axes = (0,) + tuple(range(2, x.ndim))
    m = math.prod(x.shape[a] for a in axes)
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
    where = "F.instance_norm"
    float_input(where, x)
    if x.ndim < 3:
        raise ShapeError(f"{where}: input must be (N, C, *spatial), got shape {x.shape}")
    _check_eps_momentum(where, eps, momentum)
    named = (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias))
    _check_channels(where, x, named)
    if not use_input_stats and (running_mean is None or running_var is None):
        raise ArgumentError(f"{where}: use_input_stats=False normalizes with running_mean and running_var; pass both")
    if use_input_stats:
        _check_spatial(where, x)
    return _instance_norm(x, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def _instance_norm(x, running_mean, running_var, weight, bias, use_input_stats, momentum, eps):
    """instance_norm on checked arguments."""
    if not use_input_stats:
        return _batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, x.ndim))
    m = math.prod(x.shape[2:])
    h1, mean, var = _normalize(x, axes, eps)
    if running_mean is not None:
        _update_running(running_mean, mean.mean(axis=0), momentum)
    if running_var is not None:
        _update_running(running_var, (var * (m / (m - 1))).mean(axis=0), momentum)
    return _affine(h1, weight, bias, _channel_shape(x))


def _check_layer_norm(where, x, normalized_shape):
    float_input(where, x)
    k = len(normalized_shape)
    if x.shape[x.ndim - k :] != normalized_shape:
        raise ShapeError(
            f"{where}: input of shape {x.shape} does not end in normalized_shape {normalized_shape}; "
            f"the last {k} axes are normalized"
        )


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing ``normalized_shape`` axes of each sample (seed 003 §10.2.1)."""
    where = "F.layer_norm"
    normalized_shape = shape_arg(where, "normalized_shape", normalized_shape)
    _check_layer_norm(where, x, normalized_shape)
    real_arg(where, "eps", eps, low=0)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tensor_arg(where, name, t).shape != normalized_shape:
            raise ShapeError(f"{where}: {name} of shape {t.shape} must have normalized_shape {normalized_shape}")
    return _layer_norm(x, normalized_shape, weight, bias, eps)


def _layer_norm(x, normalized_shape, weight, bias, eps):
    k = len(normalized_shape)
    h1, _, _ = _normalize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return _affine(h1, weight, bias, normalized_shape)


def _check_group_norm(where, x, num_groups):
    float_input(where, x)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ShapeError(
            f"{where}: input must be (N, C, ...) with C divisible by num_groups={num_groups}, got shape {x.shape}"
        )


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the C channels into num_groups groups of C/G and normalize each group of each sample
    over (C/G, *spatial) (seed 003 §10.2.3); the affine part is per channel."""
    where = "F.group_norm"
    num_groups = int_arg(where, "num_groups", num_groups)
    _check_group_norm(where, x, num_groups)
    real_arg(where, "eps", eps, low=0)
    _check_channels(where, x, (("weight", weight), ("bias", bias)))
    return _group_norm(x, num_groups, weight, bias, eps)


def _group_norm(x, num_groups, weight, bias, eps):
    n = x.shape[0]
    grouped = x.reshape((n, num_groups, -1))
    h1, _, _ = _normalize(grouped, (2,), eps)
    return _affine(h1.reshape(x.shape), weight, bias, _channel_shape(x))


class _NormBase(Module):
    """Shared state of BatchNorm and InstanceNorm: per-channel gamma/beta and running statistics."""

    def __init__(
        self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None
    ):
        super().__init__()
        where = type(self).__name__
        num_features = int_arg(where, "num_features", num_features)
        _check_eps_momentum(where, eps, momentum, allow_none=True)
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
        where = type(self).__name__
        float_input(where, x)
        if x.ndim not in self._ndims:
            raise ShapeError(
                f"{where}: expected a {' or '.join(map(str, self._ndims))}-D input "
                f"(N, {self.num_features}, ...), got shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ShapeError(
                f"{where}: expected {self.num_features} channels (num_features), got input of shape {x.shape}"
            )

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
        use_batch = self.training or self.running_mean is None
        _check_batch_stats(type(self).__name__, x, use_batch)  # before num_batches_tracked moves
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # the cumulative average, 1 / n as a device scalar (no sync)
                factor = 1.0 / self.num_batches_tracked.astype(self.running_mean.dtype)
        track = not self.training or self.track_running_stats
        return _batch_norm(
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
        use_input_stats = self.training or not self.track_running_stats
        if use_input_stats:
            _check_spatial(type(self).__name__, x)
        return _instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input_stats,
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
        self.normalized_shape = shape_arg("LayerNorm", "normalized_shape", normalized_shape)
        self.eps, self.elementwise_affine = real_arg("LayerNorm", "eps", eps, low=0), elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device))
            self.bias = Parameter(zeros(self.normalized_shape, dtype=dtype, device=device)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        _check_layer_norm("LayerNorm", x, self.normalized_shape)
        return _layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalize groups of C/G channels of each sample over (C/G, *spatial) (seed 003 §10.2.3);
    gamma, beta are per channel. Independent of the batch size, unlike BatchNorm (§10.2.4)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        num_groups = int_arg("GroupNorm", "num_groups", num_groups)
        if int_arg("GroupNorm", "num_channels", num_channels) % num_groups:
            raise ArgumentError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        real_arg("GroupNorm", "eps", eps, low=0)
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=dtype, device=device))
            self.bias = Parameter(zeros(num_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        float_input("GroupNorm", x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm: expected (N, {self.num_channels}, ...) input, got shape {x.shape}")
        return _group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

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
    if not isinstance(module, Module):
        raise ArgumentTypeError(f"weight_norm: module must be a Module, got {type(module).__name__}")
    weight = module._parameters.get(name)
    if weight is None:
        raise ArgumentError(
            f"weight_norm: {type(module).__name__} has no parameter named {name!r} "
            f"(its parameters: {[k for k, p in module._parameters.items() if p is not None]})"
        )
    if dim is not None:
        dim = dim_arg("weight_norm", "dim", dim, weight.ndim)
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
    if not isinstance(module, Module):
        raise ArgumentTypeError(f"remove_weight_norm: module must be a Module, got {type(module).__name__}")
    for hook in module._forward_pre_hooks:
        if isinstance(hook, _WeightNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute(module)
            module._forward_pre_hooks.remove(hook)
            del module._parameters[name + "_g"], module._parameters[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight.data.copy()))
            return module
    raise ArgumentError(f"remove_weight_norm: weight_norm of {name!r} not found in {type(module).__name__}")
