"""The second-order model of one gradient step, and gradient-norm tracking (seed 003 §2.1–2.2).

A step x − εg changes the loss by (seed 003 §2.1, seed 000 "Hessian")

    f(x − εg) ≈ f(x) − ε gᵀg + ½ ε² gᵀHg.

The first-order term is the descent gradient descent expects; the curvature term eats it once
½ ε gᵀHg > gᵀg, and then the step increases the loss. When gᵀHg > 0 the model is minimized at
ε* = gᵀg / gᵀHg. During training gᵀg may grow while the loss still falls, because gᵀHg grows faster
and the learning rate must shrink to match (seed 003 §2.1 item 3); a gradient norm that does not fall
also rules out minima and saddles as the cause of slow training (seed 003 §2.2).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import ArgumentError, ArgumentTypeError, HyperparameterError
from ..tensor import Tensor
from .hessian import build_operator, check_finite, check_params, to_host


def _model_terms(where: str, loss_fn, params) -> tuple[float, float, float]:
    """(f, gᵀg, gᵀHg) at params: one forward, one backward, one HVP; one device-to-host copy."""
    op = build_operator(where, loss_fn, params)
    g = op.grad
    hg = op(g)
    gg = sum((a * a).sum() for a in g)
    ghg = sum((a * b).sum() for a, b in zip(g, hg))
    f, gg, ghg = to_host(op.loss, gg, ghg)
    check_finite(where, f, gg, ghg)
    return f, gg, ghg


def taylor_prediction(loss_fn, params, eps):
    """f(x) − ε gᵀg + ½ ε² gᵀHg, the second-order prediction of the loss after the step x − εg.
    ``eps`` is a number (returns a float) or an array of step sizes (returns an array)."""
    where = "taylor_prediction"
    if isinstance(eps, Tensor):
        eps = eps.numpy()
    try:
        values = None if isinstance(eps, (bool, str, bytes)) else np.asarray(eps, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or eps is None:
        raise ArgumentTypeError(f"{where}: eps must be a step size (a number) or an array of them, got {eps!r}")
    if not np.all(np.isfinite(values)):
        raise ArgumentError(f"{where}: eps must be finite, got {eps!r}")
    f, gg, ghg = _model_terms(where, loss_fn, params)
    eps = values
    with np.errstate(over="ignore", invalid="ignore"):  # a huge ε overflows to ±inf, as float math says
        out = f - eps * gg + 0.5 * eps * eps * ghg
    return float(out) if out.ndim == 0 else out


def optimal_step(loss_fn, params) -> float:
    """ε* = gᵀg / gᵀHg, the step along −g that minimizes the second-order model. ``math.inf`` when
    gᵀHg ≤ 0: the model then keeps falling along −g (or is flat, as at g = 0), so no finite step
    is optimal."""
    _, gg, ghg = _model_terms("optimal_step", loss_fn, params)
    return gg / ghg if ghg > 0 else math.inf


class GradientNormTracker:
    """Records ‖g‖ after each backward, globally and per parameter, from ``p.grad`` (left untouched).

    Each ``step(loss_fn=None)`` appends one entry to every list in ``history``: 'grad_norm' (‖g‖ over all
    parameters), 'param_grad_norms' (a list aligned with ``params``; 0 where ``.grad`` is None), and the
    curvature terms 'gHg', 'first_order' = ε gᵀg and 'second_order' = ½ ε² gᵀHg (ε = ``lr``), whose
    difference is the step's predicted decrease. The curvature terms are measured only on steps given a
    ``loss_fn(params)`` (one extra forward, backward and HVP, with g its own gradient) and need ``lr`` for
    the ε-terms; elsewhere they are nan. Each call copies a few scalars to the host: on a GPU call it
    every N steps.
    """

    def __init__(self, params, lr=None):
        self.params = check_params("GradientNormTracker", params)
        if lr is not None and not (isinstance(lr, numbers.Real) and 0 < lr < math.inf):
            raise HyperparameterError(f"GradientNormTracker: lr must be a positive finite number or None, got {lr!r}")
        self.lr = lr
        self.history = {"grad_norm": [], "param_grad_norms": [], "gHg": [], "first_order": [], "second_order": []}

    def step(self, loss_fn=None) -> dict:
        """Record this step's norms (and curvature terms when ``loss_fn`` is given); returns the entry."""
        grads = [p.grad for p in self.params]
        live = [(g * g).sum() for g in grads if g is not None]
        squares = iter(to_host(*live) if live else ())
        per_param = [math.sqrt(next(squares)) if g is not None else 0.0 for g in grads]
        gg = ghg = lr = math.nan
        if loss_fn is not None:
            _, gg, ghg = _model_terms("GradientNormTracker.step", loss_fn, self.params)
            lr = math.nan if self.lr is None else self.lr
        record = {
            "grad_norm": math.sqrt(sum(n * n for n in per_param)),
            "param_grad_norms": per_param,
            "gHg": ghg,
            "first_order": lr * gg,
            "second_order": 0.5 * lr * lr * ghg,  # lr * lr overflows to inf, lr**2 raises
        }
        for key, value in record.items():
            self.history[key].append(value)
        return record
