"""Loss functions (functional form + module classes), PyTorch's names, arguments and semantics.

reduction: 'mean' (default) | 'sum' | 'none'. Every loss is composed of Tensor ops, so gradients,
JVPs and HVPs come from the core; logits of magnitude 1e4 give finite values and gradients because
cross-entropy goes through the max-shifted log_softmax and the binary loss through the stable form
    max(x, 0) - x y + log(1 + e^{-|x|})   (never exp of a large positive number).
"""

from __future__ import annotations

from .. import backend
from ..autodiff import is_anomaly_enabled
from ..errors import DTypeError, ShapeError
from ..ops.reduce import SoftmaxCrossEntropy, WeightedSum
from ..tensor import Tensor
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _as_tensor(target, like):
    return (
        target
        if isinstance(target, Tensor)
        else Tensor(backend.asarray(target, device=like.device), device=like.device)
    )


def _same_shape(input, target, op):
    target = _as_tensor(target, input)
    if input.shape != target.shape:
        raise ShapeError(f"{op}: input shape {input.shape} and target shape {target.shape} must match")
    _check_float(target, op)
    return target


def _check_float(t, op):
    if t.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating tensor, got dtype {t.dtype}; convert with .float()")


def mse_loss(input, target, reduction="mean"):
    """(x - y)^2, reduced."""
    _check_reduction(reduction, "mse_loss")
    diff = input - _same_shape(input, target, "mse_loss")
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    """|x - y| (MAE, seed 002), reduced; subgradient 0 where x = y."""
    _check_reduction(reduction, "l1_loss")
    return _reduce((input - _same_shape(input, target, "l1_loss")).abs(), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = x - y: quadratic near 0, linear
    (robust to outliers) beyond delta; value and slope are continuous at |d| = delta."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    diff = input - _same_shape(input, target, "huber_loss")
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
        raise ValueError(f"{op}: targets must lie in [0, {n_classes}) or equal ignore_index={ignore_index}")
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
    mask = Tensor(_target_mask(safe, valid, logp.dtype), device=logp.device)
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


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-w[y_i] input[i, y_i] for log-probabilities ``input`` (N, C, ...) and integer targets.
    'mean' divides by sum_i w[y_i] over the non-ignored targets (PyTorch's weighted mean)."""
    _check_reduction(reduction, "nll_loss")
    target = _target_array(target, input)
    if reduction != "none" and _fusable(target, weight):
        return WeightedSum.apply(input, weights=_nll_kernel(input, target, weight, ignore_index, reduction, "nll_loss"))
    loss, w = _picked_nll(input, target, weight, ignore_index, "nll_loss")
    return loss.sum() / w.sum() if reduction == "mean" else _reduce(loss, reduction)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits ``input`` (N, C, ...) or (C,) along the class axis.

    Integer targets: (1 - eps) * (-w[y] log p_y) + eps / C * (-sum_c w_c log p_c), ignored targets
    contribute 0, 'mean' divides by sum w[y] over non-ignored targets (as PyTorch).
    Probability targets (same shape as input): -sum_c w_c t'_c log p_c with t' = (1 - eps) t + eps / C;
    'mean' divides by the number of samples (N times the spatial size)."""
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    target = _target_array(target, input)
    cls = _class_axis(input)
    n_classes = input.shape[cls]
    if target.dtype.kind != "f" and label_smoothing == 0 and reduction != "none" and _fusable(target, weight):
        kernel = _nll_kernel(input, target, weight, ignore_index, reduction, "cross_entropy")
        return SoftmaxCrossEntropy.apply(input, weights=kernel, axis=(cls,))
    logp = input.log_softmax(axis=cls)
    w_cls = None if weight is None else weight.reshape(_class_shape(input, cls))
    weighted = logp if w_cls is None else logp * w_cls
    if target.dtype.kind == "f":
        if target.shape != input.shape:
            raise ShapeError(
                f"cross_entropy: probability targets must have the input's shape {input.shape}, got {target.shape}"
            )
        target = Tensor(target, device=input.device)
        if label_smoothing > 0:
            target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
        return _reduce(-(weighted * target).sum(axis=cls), reduction)
    loss, w = _picked_nll(logp, target, weight, ignore_index, "cross_entropy")
    if label_smoothing > 0:
        valid = Tensor((target != ignore_index).astype(logp.dtype), device=logp.device)
        smooth = -weighted.sum(axis=cls) * valid
        loss = (1.0 - label_smoothing) * loss + (label_smoothing / n_classes) * smooth
    return loss.sum() / w.sum() if reduction == "mean" else _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """-w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] with p = pos_weight (broadcast along the
    last axis), computed as (1 - y) x + (1 + (p - 1) y) softplus(-x), where
    softplus(-x) = max(-x, 0) + log1p(e^{-|x|}). The max and |x| take the same branch at x = 0,
    so the derivative there is the true sigmoid(0) - y."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _same_shape(input, target, "binary_cross_entropy_with_logits")
    nonpositive = input.data <= 0
    abs_x = (-input).where(nonpositive, input)
    softplus_neg = (-input).where(nonpositive, 0.0) + (-abs_x).exp().log1p()
    if pos_weight is not None:
        softplus_neg = (1.0 + (pos_weight - 1.0) * target) * softplus_neg
    loss = (1.0 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    def forward(self, input, target):
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    def forward(self, input, target):
        return l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, self.reduction, self.delta)


class NLLLoss(_Loss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)
