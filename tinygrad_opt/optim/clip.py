"""Gradient clipping against cliffs and exploding gradients (seed 003 §2.4).

``clip_grad_norm_`` rescales all gradients together when their joint p-norm exceeds ``max_norm``
(direction kept, length capped)::

    N = || (||g_1||_p, ..., ||g_n||_p) ||_p          (= max_i max|g_i| for p = inf)
    g_i <- g_i * min(1, max_norm / (N + 1e-6))

``clip_grad_value_`` clamps each gradient entry to [-clip_value, clip_value] (direction may change).
"""

from __future__ import annotations

import math
import numbers

from ..autodiff import no_grad
from ..errors import AnomalyError, DeviceError
from ..tensor import Tensor
from .optimizer import _fail, nonnegative, tensor_list


def _grads(name, parameters) -> list:
    grads = [p.grad for p in tensor_list(name, parameters, allow_empty=True) if p.grad is not None]
    for g in grads:
        if g.device != grads[0].device:
            raise DeviceError(
                f"{name}: the gradients are on {grads[0].device} and {g.device}; clip the parameters of each "
                f"device separately, or move the model to one device"
            )
    return grads


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients in place so their total ``norm_type``-norm is at most ``max_norm``; return the
    total norm before clipping (a 0-d Tensor). ``error_if_nonfinite`` raises if that norm is NaN or Inf."""
    nonnegative("clip_grad_norm_", "max_norm", max_norm)
    if isinstance(norm_type, str) and norm_type.lower() in ("inf", "infinity"):
        norm_type = math.inf
    if not (isinstance(norm_type, numbers.Real) and not isinstance(norm_type, bool) and norm_type > 0):
        _fail("clip_grad_norm_", "norm_type", norm_type, "a number > 0 or inf ('inf' or math.inf)")
    p = float(norm_type)
    grads = [g for g in _grads("clip_grad_norm_", parameters) if g.numel()]
    if not grads:
        return Tensor(0.0)
    xp = grads[0].xp
    if math.isinf(p):
        norms = xp.stack([xp.abs(g.data).max() for g in grads])
        total = norms.max()
    else:
        norms = xp.stack([xp.linalg.norm(g.data.ravel(), ord=p) for g in grads])
        total = xp.linalg.norm(norms, ord=p)
    total = xp.asarray(total)
    total_norm = Tensor._make(total, False, None)
    if error_if_nonfinite and not bool(xp.isfinite(total)):  # the one check that reads the norm on the host
        raise AnomalyError(
            f"clip_grad_norm_: the total {norm_type}-norm of the gradients is {float(total)}; a gradient holds "
            "NaN or Inf. Find where with detect_anomaly(), or pass error_if_nonfinite=False to clip anyway"
        )
    # min(1, max_norm / (N + 1e-6)) stays on the device (no sync); multiplying by exactly 1 changes nothing
    coef = Tensor._make(xp.minimum(max_norm / (total + 1e-6), 1.0).astype(grads[0].dtype), False, None)
    with no_grad():
        for g in grads:
            g.mul_(coef)
    return total_norm


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value] in place."""
    nonnegative("clip_grad_value_", "clip_value", clip_value)
    grads = _grads("clip_grad_value_", parameters)
    with no_grad():
        for g in grads:
            g.clamp_(-clip_value, clip_value)
