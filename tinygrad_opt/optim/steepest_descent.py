"""Steepest descent (seed 003 §7.1): gradient descent whose step length is chosen by a line search
along -g, θ ← θ - ε* g with ε* = argmin_ε f(θ - ε g).

With the exact line search successive directions are orthogonal, d_tᵀ d_{t-1} = 0 (§7.1 item 2), so
the path zig-zags and undoes part of the previous progress (item 3) — what conjugate gradient fixes.
On a quadratic the exact ε* is gᵀg / gᵀHg (seed 003 §2.1). The first trial step is min(1, 1/‖g‖₁)·lr,
later ones the previous accepted step. One ``step(closure)`` is one iteration.
"""

from __future__ import annotations

from .optimizer import nonnegative, one_of
from .vector import VectorOptimizer, dot


class SteepestDescent(VectorOptimizer):
    rules = {
        "lr": nonnegative,
        "line_search_fn": one_of("exact", "armijo", "strong_wolfe"),
        "tolerance_grad": nonnegative,
    }

    def __init__(self, params, lr=1.0, line_search_fn="exact", tolerance_grad=1e-7):
        super().__init__(params, dict(lr=lr, line_search_fn=line_search_fn, tolerance_grad=tolerance_grad))

    def _step(self, closure, group, state):
        loss_t, loss, g, curvature = self._start(closure, group)
        if float(g.abs().max()) <= group["tolerance_grad"]:
            return loss_t
        t = state.get("t") or self._first_step(g, group["lr"])
        res = self._line_search(closure, group, -g, t, loss, g, -dot(g, g), curvature=curvature)
        state.update(t=res.t, d=-g, n_iter=state.get("n_iter", 0) + 1)
        state["func_evals"] = state.get("func_evals", 0) + 1 + res.evals
        return loss_t
