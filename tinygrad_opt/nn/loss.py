"""Loss functions (functional form + module classes), PyTorch's names, arguments and semantics.

reduction: 'mean' (default) | 'sum' | 'none'. Every loss is composed of Tensor ops, so gradients,
JVPs and HVPs come from the core; logits of magnitude 1e4 give finite values and gradients because
cross-entropy goes through the max-shifted log_softmax and the binary loss through the stable form
    max(x, 0) - x y + log(1 + e^{-|x|})   (never exp of a large positive number).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend, kernels
from ..autodiff import is_anomaly_enabled
from ..errors import ArgumentError, ArgumentTypeError, DTypeError, ShapeError
from ..ops.reduce import SoftmaxCrossEntropy, WeightedSum
from ..tensor import Tensor
from ._checks import float_input, real_arg, tensor_arg
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean() if loss.numel() else _nan_mean(loss)
    if reduction == "sum":
        return loss.sum()
    return loss


def _nan_mean(loss):
    """The mean of no values: NaN, as PyTorch gives (0 * NaN, so no 0/0 warning, and the gradient of
    the empty input is empty)."""
    return loss.sum() * float("nan")


def _check_reduction(reduction, op):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ArgumentError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _as_tensor(target, like):
    return (
        target
        if isinstance(target, Tensor)
        else Tensor(backend.asarray(target, device=like.device), device=like.device, copy=False)
    )


def _same_shape(input, target, op):
    float_input(op, input)
    target = _as_tensor(target, input)
    if input.shape != target.shape:
        raise ShapeError(f"{op}: input shape {input.shape} and target shape {target.shape} must match")
    _check_float(target, op)
    return target


def _check_float(t, op):
    if t.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating tensor, got dtype {t.dtype}; convert with .float()")


def mse_loss(input, target, reduction="mean"):
    """(x - y)^2, reduced ('mean' of no elements is NaN, as in PyTorch)."""
    _check_reduction(reduction, "F.mse_loss")
    return _mse_loss(input, target, reduction, "F.mse_loss")


def _mse_loss(input, target, reduction, op):
    diff = input - _same_shape(input, target, op)
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    """|x - y| (MAE, seed 002), reduced; subgradient 0 where x = y."""
    _check_reduction(reduction, "F.l1_loss")
    return _l1_loss(input, target, reduction, "F.l1_loss")


def _l1_loss(input, target, reduction, op):
    return _reduce((input - _same_shape(input, target, op)).abs(), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = x - y: quadratic near 0, linear
    (robust to outliers) beyond delta; value and slope are continuous at |d| = delta."""
    _check_reduction(reduction, "F.huber_loss")
    real_arg("F.huber_loss", "delta", delta, low=0, low_open=True)
    return _huber_loss(input, target, reduction, delta, "F.huber_loss")


def _huber_loss(input, target, reduction, delta, op):
    diff = input - _same_shape(input, target, op)
    abs_diff = diff.abs()
    quadratic = 0.5 * diff * diff
    return _reduce(quadratic.where(abs_diff.data < delta, delta * (abs_diff - 0.5 * delta)), reduction)


def _class_axis(input):
    return 1 if input.ndim >= 2 else 0


def _class_shape(input, cls):
    """Shape that broadcasts a (C,) vector along the class axis."""
    return tuple(input.shape[cls] if a == cls else 1 for a in range(input.ndim))


def _target_array(target, like):
    """Class targets (or probabilities) as a backend array on ``like``'s device."""
    return target.data if isinstance(target, Tensor) else backend.asarray(target, device=like.device)


def _check_targets(logp, tgt, ignore_index, op) -> bool:
    """Check the class targets' shape and dtype; and their range, which needs their values on the host:
    on the CPU always, on a GPU only in ``detect_anomaly()`` mode (there it would make every training
    step wait for the device). Unchecked on a GPU, a target outside [0, C) counts as ignored. Returns
    True when every target is known to lie in [0, C) and none can be ignored."""
    cls = _class_axis(logp)
    n_classes = logp.shape[cls]
    expected = logp.shape[:cls] + logp.shape[cls + 1 :]
    if tgt.shape != expected:
        raise ShapeError(f"{op}: input {logp.shape} needs integer targets of shape {expected}, got {tgt.shape}")
    if tgt.dtype.kind not in "iu":
        raise DTypeError(f"{op}: class targets must be integers, got dtype {tgt.dtype}; convert with .long()")
    if backend.is_device_array(tgt) and not is_anomaly_enabled():
        return False
    if tgt.size and int(tgt.min()) >= 0 and int(tgt.max()) < n_classes:  # all in range: the common case
        return not 0 <= ignore_index < n_classes
    if bool(((tgt < 0) | (tgt >= n_classes))[tgt != ignore_index].any()):
        raise ArgumentError(f"{op}: targets must lie in [0, {n_classes}) or equal ignore_index={ignore_index}")
    return False


def _valid_targets(logp, tgt, ignore_index, op):
    """(targets with the ignored ones set to class 0, mask of the others or None when none is ignored)."""
    if _check_targets(logp, tgt, ignore_index, op):
        return tgt, None
    n_classes = logp.shape[_class_axis(logp)]
    valid = (tgt >= 0) & (tgt < n_classes)
    if 0 <= ignore_index < n_classes:
        valid &= tgt != ignore_index
    return backend.xp_of(tgt).where(valid, tgt, 0), valid


def _at_class_axis(a, logp, cls):
    """A per-target array (logp's shape without the class axis) with a length-1 class axis inserted."""
    return a.reshape(logp.shape[:cls] + (1,) + logp.shape[cls + 1 :])


def _target_mask(safe, valid, dtype):
    """1 for each counted target, 0 for each ignored one, as an array of ``dtype``."""
    return backend.xp_of(safe).ones(safe.shape, dtype) if valid is None else valid.astype(dtype)


def _class_weights(weight, like):
    """The constant class weights as an array on the targets' device."""
    return backend.to_device(weight.data, backend.device_of(like))


def _picked_nll(logp, tgt, weight, ignore_index, op):
    """(-w[y] log p[y] per element (0 where ignored), w[y] (0 where ignored)) for integer targets."""
    cls = _class_axis(logp)
    safe, valid = _valid_targets(logp, tgt, ignore_index, op)
    picked = logp.take_along_axis(_at_class_axis(safe, logp, cls), axis=cls).squeeze(cls)
    mask = Tensor(_target_mask(safe, valid, logp.dtype), device=logp.device, copy=False)
    w = mask if weight is None else weight[safe] * mask
    return -(picked * w), w


def _nll_kernel(logp, tgt, weight, ignore_index, reduction, op):
    """K with sum(K * logp) = the 'sum' or 'mean' NLL: K = -c_i at (i, y_i) and 0 elsewhere, where
    c_i = w[y_i] (0 if ignored), divided by sum_i c_i for 'mean' (0/0 = nan when all are ignored, as in
    PyTorch). Built from the one-hot comparison ``hit`` alone, so no step reads the targets on the host:
    an ignore_index below 0 (or a target outside [0, C)) hits no class and drops out by itself.
    ``logp`` only lends its shape and dtype; ``weight`` is a constant."""
    cls = _class_axis(logp)
    every_target_counts = _check_targets(logp, tgt, ignore_index, op)
    xp = backend.xp_of(tgt)
    dtype = logp.data.dtype
    n_classes = logp.shape[cls]
    if weight is None and kernels.on_device(tgt):  # one kernel for the hits, and a sum and a division for 'mean'
        k = xp.empty(logp.shape, dtype)
        spatial = math.prod(logp.shape[cls + 1 :])
        targets = xp.ascontiguousarray(tgt, dtype=xp.int64)
        kernels.nll_hits(targets, n_classes, spatial, ignore_index, -1.0 if reduction == "sum" else 1.0, k)
        if reduction == "mean":  # -hit / (number of hits); 0/0 = nan when every target is ignored
            kernels.divide_by_negative(k.sum(), k)
        return k
    picked = _at_class_axis(tgt, logp, cls)
    hit = picked == xp.arange(n_classes).reshape(_class_shape(logp, cls))
    if 0 <= ignore_index < n_classes:
        hit &= picked != ignore_index
    if weight is None and (every_target_counts or reduction == "sum"):  # every c_i is 1 (or 0 for 'sum')
        scale = 1.0 / tgt.size if reduction == "mean" else 1.0
        return xp.multiply(hit, -scale, dtype=dtype)
    coef = (
        hit.astype(dtype)
        if weight is None
        else hit * _class_weights(weight, tgt).astype(dtype).reshape(_class_shape(logp, cls))
    )
    return -coef if reduction == "sum" else coef / -coef.sum()


def _fusable(target, weight):
    """Whether the reduced NLL can be the one-op form: constant class weights and at least one target
    (an empty 'mean' is 0/0 = nan, which the per-element form gives)."""
    return target.size > 0 and (weight is None or not weight.requires_grad)


def _check_classes(input, weight, ignore_index, reduction, op):
    """Logits/log-probabilities (N, C, ...) or (C,) of a floating dtype, class weights of shape (C,)."""
    if not isinstance(input, Tensor) or input.data.dtype.kind != "f":
        float_input(op, input)
    if reduction not in _REDUCTIONS:
        _check_reduction(reduction, op)
    if not input.data.ndim:
        raise ShapeError(f"{op}: input must be (N, C, ...) or (C,) scores, got a 0-d tensor")
    if weight is not None:
        n_classes = input.shape[_class_axis(input)]
        if tensor_arg(op, "weight", weight).shape != (n_classes,):
            raise ShapeError(
                f"{op}: weight of shape {weight.shape} must have one entry per class: shape ({n_classes},) "
                f"for input of shape {input.shape}"
            )
    if type(ignore_index) is not int and (
        not isinstance(ignore_index, numbers.Integral) or isinstance(ignore_index, bool)
    ):
        raise ArgumentTypeError(f"{op}: ignore_index must be an int, got {ignore_index!r}")


def _weighted_mean(loss, w, target):
    """sum(loss) / sum(w): PyTorch's weighted mean (NaN for no targets at all)."""
    return loss.sum() / w.sum() if target.size else _nan_mean(loss)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-w[y_i] input[i, y_i] for log-probabilities ``input`` (N, C, ...) and integer targets.
    'mean' divides by sum_i w[y_i] over the non-ignored targets (PyTorch's weighted mean)."""
    return _nll_loss(input, target, weight, ignore_index, reduction, "F.nll_loss")


def _nll_loss(input, target, weight, ignore_index, reduction, op):
    _check_classes(input, weight, ignore_index, reduction, op)
    target = _target_array(target, input)
    if reduction != "none" and _fusable(target, weight):
        return WeightedSum.apply(input, weights=_nll_kernel(input, target, weight, ignore_index, reduction, op))
    loss, w = _picked_nll(input, target, weight, ignore_index, op)
    return _weighted_mean(loss, w, target) if reduction == "mean" else _reduce(loss, reduction)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits ``input`` (N, C, ...) or (C,) along the class axis.

    Integer targets: (1 - eps) * (-w[y] log p_y) + eps / C * (-sum_c w_c log p_c), ignored targets
    contribute 0, 'mean' divides by sum w[y] over non-ignored targets (as PyTorch).
    Probability targets (same shape as input): -sum_c w_c t'_c log p_c with t' = (1 - eps) t + eps / C;
    'mean' divides by the number of samples (N times the spatial size)."""
    return _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing, "F.cross_entropy")


def _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing, op):
    _check_classes(input, weight, ignore_index, reduction, op)
    if label_smoothing != 0.0:
        real_arg(op, "label_smoothing", label_smoothing, low=0, high=1)
    target = _target_array(target, input)
    cls = _class_axis(input)
    n_classes = input.shape[cls]
    if target.dtype.kind != "f" and label_smoothing == 0 and reduction != "none" and _fusable(target, weight):
        kernel = _nll_kernel(input, target, weight, ignore_index, reduction, op)
        return SoftmaxCrossEntropy.apply(input, weights=kernel, axis=(cls,))
    logp = input.log_softmax(axis=cls)
    w_cls = None if weight is None else weight.reshape(_class_shape(input, cls))
    weighted = logp if w_cls is None else logp * w_cls
    if target.dtype.kind == "f":
        if target.shape != input.shape:
            raise ShapeError(f"{op}: probability targets must have the input's shape {input.shape}, got {target.shape}")
        target = Tensor(target, device=input.device, copy=False)
        if label_smoothing > 0:
            target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
        return _reduce(-(weighted * target).sum(axis=cls), reduction)
    loss, w = _picked_nll(logp, target, weight, ignore_index, op)
    if label_smoothing > 0:
        valid = Tensor((target != ignore_index).astype(logp.dtype), device=logp.device, copy=False)
        smooth = -weighted.sum(axis=cls) * valid
        loss = (1.0 - label_smoothing) * loss + (label_smoothing / n_classes) * smooth
    return _weighted_mean(loss, w, target) if reduction == "mean" else _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """-w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] with p = pos_weight (broadcast along the
    last axis), computed as (1 - y) x + (1 + (p - 1) y) softplus(-x), where
    softplus(-x) = max(-x, 0) + log1p(e^{-|x|}). The max and |x| take the same branch at x = 0,
    so the derivative there is the true sigmoid(0) - y."""
    op = "F.binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    return _bce_with_logits(input, target, weight, reduction, pos_weight, op)


def _bce_with_logits(input, target, weight, reduction, pos_weight, op):
    target = _same_shape(input, target, op)
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None and _broadcast_shape(tensor_arg(op, name, t).shape, input.shape) != input.shape:
            raise ShapeError(
                f"{op}: {name} of shape {t.shape} does not broadcast to the input's shape {input.shape}"
                + ("; pos_weight holds one value per class (the last axis)" if name == "pos_weight" else "")
            )
    nonpositive = input.data <= 0
    abs_x = (-input).where(nonpositive, input)
    softplus_neg = (-input).where(nonpositive, 0.0) + (-abs_x).exp().log1p()
    if pos_weight is not None:
        softplus_neg = (1.0 + (pos_weight - 1.0) * target) * softplus_neg
    loss = (1.0 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _broadcast_shape(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


class _Loss(Module):
    """A loss module: its hyper-parameters checked once here, its forward the functional form's formula
    with the module's name in the messages."""

    def __init__(self, reduction="mean"):
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def _weight_buffer(self, name, t):
        """A class/element weight: a constant Tensor or None, saved with the module."""
        if t is not None:
            tensor_arg(type(self).__name__, name, t)
        self.register_buffer(name, t)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    def forward(self, input, target):
        return _mse_loss(input, target, self.reduction, "MSELoss")


class L1Loss(_Loss):
    def forward(self, input, target):
        return _l1_loss(input, target, self.reduction, "L1Loss")


class HuberLoss(_Loss):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = real_arg("HuberLoss", "delta", delta, low=0, low_open=True)

    def forward(self, input, target):
        return _huber_loss(input, target, self.reduction, self.delta, "HuberLoss")


class NLLLoss(_Loss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self._weight_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return _nll_loss(input, target, self.weight, self.ignore_index, self.reduction, "NLLLoss")


class CrossEntropyLoss(_Loss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self._weight_buffer("weight", weight)
        real_arg("CrossEntropyLoss", "label_smoothing", label_smoothing, low=0, high=1)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return _cross_entropy(
            input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing, "CrossEntropyLoss"
        )


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self._weight_buffer("weight", weight)
        self._weight_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return _bce_with_logits(input, target, self.weight, self.reduction, self.pos_weight, "BCEWithLogitsLoss")
