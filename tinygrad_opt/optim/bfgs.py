"""BFGS with a dense inverse-Hessian approximation M ≈ H⁻¹ (seed 003 §6.2; Nocedal & Wright Alg. 6.1).

Each iteration steps along d = -M g with a line search (strong Wolfe by default, which keeps sᵀy > 0 so
M stays positive definite), then, with s = θ_{k+1} - θ_k and y = g_{k+1} - g_k, ρ = 1/yᵀs::

    M ← (I - ρ s yᵀ) M (I - ρ y sᵀ) + ρ s sᵀ

M_0 = I, rescaled to (yᵀs / yᵀy) I before the first update (N&W eq. 6.20). A pair with yᵀs ≤ 1e-10 is
skipped. M needs O(n²) memory (seed 003 §6.2: "不适用于大多数具有百万级参数的现代深度学习模型"): for
large n use LBFGS. One ``step(closure)`` is one iteration; it returns the loss before the step.
"""

from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .optimizer import nonnegative, one_of
from .vector import VectorOptimizer, dot


class BFGS(VectorOptimizer):
    rules = {
        "lr": nonnegative,
        "tolerance_grad": nonnegative,
        "line_search_fn": one_of("strong_wolfe", "armijo", None),
    }

    def __init__(self, params, lr=1.0, line_search_fn="strong_wolfe", tolerance_grad=1e-7):
        super().__init__(params, dict(lr=lr, line_search_fn=line_search_fn, tolerance_grad=tolerance_grad))

    def _step(self, closure, group, state):
        loss_t, loss, g = self._evaluate_flat(closure)
        if float(g.abs().max()) <= group["tolerance_grad"]:
            return loss_t
        m = state.get("inv_hessian")
        if m is None:
            xp = backend.xp_of(g.data)
            m = Tensor._make(xp.eye(self.vector.numel, dtype=g.dtype), False, None)
        elif "prev_flat_grad" in state:
            m = self._update(m, state["step_vector"], g - state["prev_flat_grad"], first=state["n_iter"] == 1)
        d = -(m @ g)
        gtd = dot(g, d)
        if gtd >= 0:  # M lost positive definiteness (e.g. after Armijo steps): restart from the identity
            m = Tensor._make(backend.xp_of(g.data).eye(self.vector.numel, dtype=g.dtype), False, None)
            d, gtd = -g, -dot(g, g)
        t = group["lr"] if "prev_flat_grad" in state else self._first_step(g, group["lr"])
        res = self._line_search(closure, group, d, t, loss, g, gtd)
        state.update(inv_hessian=m, prev_flat_grad=g, step_vector=d * res.t, n_iter=state.get("n_iter", 0) + 1)
        state["func_evals"] = state.get("func_evals", 0) + 1 + res.evals
        return loss_t

    @staticmethod
    def _update(m, s, y, first):
        ys = dot(y, s)
        if ys <= 1e-10:
            return m
        if first:
            m = m * (ys / dot(y, y))
        rho = 1.0 / ys
        my = m @ y
        # (I - ρ s yᵀ) M (I - ρ y sᵀ) + ρ s sᵀ, expanded: M - ρ (s (My)ᵀ + (My) sᵀ) + (ρ² yᵀMy + ρ) s sᵀ
        outer = s.reshape(-1, 1) @ my.reshape(1, -1)
        coef = rho * rho * dot(y, my) + rho
        return m - rho * (outer + outer.transpose(0, 1)) + coef * (s.reshape(-1, 1) @ s.reshape(1, -1))
