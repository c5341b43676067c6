"""Rprop (Riedmiller & Braun 1993), PyTorch's variant (no weight backtracking). Per parameter, only
the sign of the gradient is used; the step size Delta adapts like delta-bar-delta's rate (seed 003
§5.1) but multiplicatively in both directions::

    sign(g_t g_{t-1}) > 0:  Delta <- min(Delta eta_plus, Delta_max)
    sign(g_t g_{t-1}) < 0:  Delta <- max(Delta eta_minus, Delta_min),  g_t <- 0 (skip this step)
    theta <- theta - sign(g_t) Delta,  remember g_t

Delta starts at ``lr``. A full-batch method: mini-batch noise flips signs at random.
"""

from __future__ import annotations

from .. import kernels
from ..tensor import full_like, zeros_like
from .optimizer import Optimizer, _fail, flag, nonnegative


def _etas(opt, name, v):
    if not (isinstance(v, (tuple, list)) and len(v) == 2 and 0 < v[0] < 1 < v[1]):
        _fail(opt, name, v, "a pair (eta_minus, eta_plus) with 0 < eta_minus < 1 < eta_plus")


def _step_sizes(opt, name, v):
    if not (isinstance(v, (tuple, list)) and len(v) == 2 and 0 <= v[0] <= v[1]):
        _fail(opt, name, v, "a pair (min_step, max_step) with 0 <= min_step <= max_step")


class Rprop(Optimizer):
    rules = {"lr": nonnegative, "etas": _etas, "step_sizes": _step_sizes, "maximize": flag}

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0), maximize=False):
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize))

    def _init_state(self, p, group):
        return {"prev": zeros_like(p), "step_size": full_like(p, group["lr"])}

    def _update(self, p, g, state, group):
        (eta_minus, eta_plus), (lo, hi) = group["etas"], group["step_sizes"]
        xp = p.xp
        agreement = xp.sign(g.data * state["prev"].data)
        factor = xp.where(agreement > 0, eta_plus, xp.where(agreement < 0, eta_minus, 1.0)).astype(p.dtype)
        state["step_size"].mul_(factor).clamp_(lo, hi)
        g = g.where(agreement >= 0, 0.0)
        p.addcmul_(g.sign(), state["step_size"], value=-1)
        state["prev"].copy_(g)

    def _fused_update(self, p, g, state, group):
        (eta_minus, eta_plus), (lo, hi) = group["etas"], group["step_sizes"]
        kernels.rprop(
            g.data, eta_minus, eta_plus, lo, hi, *self._fused_grad_options(group),
            p.data, state["prev"].data, state["step_size"].data,
        )  # fmt: skip
        return True
