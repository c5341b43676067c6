"""Nonlinear conjugate gradient (seed 003 §7.2.3; Nocedal & Wright §5.2).

    d_t = -g_t + β_t d_{t-1},   θ_{t+1} = θ_t + ε* d_t   (ε* from the line search)

    Fletcher-Reeves:  β_t = g_tᵀ g_t / g_{t-1}ᵀ g_{t-1}
    Polak-Ribière:    β_t = max(0, (g_t - g_{t-1})ᵀ g_t / g_{t-1}ᵀ g_{t-1})   (PR+, which restarts itself)

β is reset to 0 (a steepest-descent step, seed 003 §7.2.3 "以一定的频率重置 β_t 为零") every
``restart_every`` iterations (default: never; n is the classic choice) and whenever d_t is not a
descent direction. With the exact line search on a quadratic both formulas are linear CG and reach the
minimum in at most n iterations (§7.2.4). The strong Wolfe search uses c2 = 0.1, as Nocedal & Wright
advise for CG (c2 = 0.9 would let FR's directions stall). The first step length is min(1, 1/‖g‖₁)·lr,
later ones t_{k-1} g_{k-1}ᵀd_{k-1} / g_kᵀd_k (N&W eq. 3.60). One ``step(closure)`` is one iteration.
"""

from __future__ import annotations

from .optimizer import count, nonnegative, one_of, optional
from .vector import VectorOptimizer, dot


class ConjugateGradient(VectorOptimizer):
    rules = {
        "lr": nonnegative,
        "beta": one_of("fletcher_reeves", "polak_ribiere"),
        "restart_every": optional(count),
        "line_search_fn": one_of("strong_wolfe", "exact", "armijo"),
        "tolerance_grad": nonnegative,
    }

    def __init__(
        self,
        params,
        lr=1.0,
        beta="fletcher_reeves",
        restart_every=None,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-7,
    ):
        defaults = dict(
            lr=lr, beta=beta, restart_every=restart_every, line_search_fn=line_search_fn, tolerance_grad=tolerance_grad
        )
        super().__init__(params, defaults)

    def _step(self, closure, group, state):
        loss_t, loss, g, curvature = self._start(closure, group)
        if float(g.abs().max()) <= group["tolerance_grad"]:
            return loss_t
        n_iter = state.get("n_iter", 0)
        gg = dot(g, g)
        d = -g
        restart = n_iter == 0 or (group["restart_every"] and n_iter % group["restart_every"] == 0)
        if not restart:
            prev_g, prev_gg = state["prev_flat_grad"], state["prev_gg"]
            if group["beta"] == "fletcher_reeves":
                beta = gg / prev_gg
            else:
                beta = max(0.0, (gg - dot(g, prev_g)) / prev_gg)
            d = d + beta * state["d"]
        gtd = dot(g, d)
        if gtd >= 0:  # not a descent direction: restart along -g
            d, gtd = -g, -gg
        t = state["t"] * state["gtd"] / gtd if state.get("t") else 0.0
        if not 0 < t < float("inf"):  # first iteration, or the last search made no progress
            t = self._first_step(g, group["lr"])
        res = self._line_search(closure, group, d, t, loss, g, gtd, curvature=curvature, c2=0.1)
        state.update(d=d, t=res.t, gtd=gtd, prev_flat_grad=g, prev_gg=gg, n_iter=n_iter + 1)
        state["func_evals"] = state.get("func_evals", 0) + 1 + res.evals
        return loss_t
