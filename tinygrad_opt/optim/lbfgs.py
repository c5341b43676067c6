"""L-BFGS (Nocedal 1980; Liu & Nocedal 1989; seed 003 §6.2), with PyTorch's signature and iterates.

BFGS keeps an approximation M ≈ H⁻¹ and steps along d = -M g; L-BFGS never forms M: it keeps the last
m pairs s_k = θ_{k+1} - θ_k, y_k = g_{k+1} - g_k (O(m n) memory, seed 003 §6.2 "每一步的存储代价是 O(n)")
and applies M to -g by the two-loop recursion (Nocedal & Wright Alg. 7.4) from M_0 = γ I,
γ = sᵀy / yᵀy of the newest pair. A pair is kept only when sᵀy > 1e-10 (the curvature condition).

One ``step(closure)`` runs up to ``max_iter`` iterations (``max_eval`` closure evaluations) and returns
the loss at the step's start, exactly as ``torch.optim.LBFGS``: the first iteration's step is
min(1, 1/‖g‖₁)·lr, later ones lr, then refined by the line search when ``line_search_fn`` is
``'strong_wolfe'`` (c1 = 1e-4, c2 = 0.9) or ``'armijo'``; without one, the step is taken as is. It
stops early when max|g| ≤ tolerance_grad, when max|t d| or the change of loss is ≤ tolerance_change.
"""

from __future__ import annotations

from .optimizer import count, nonnegative, one_of
from .vector import VectorOptimizer, dot


class LBFGS(VectorOptimizer):
    rules = {
        "lr": nonnegative,
        "max_iter": count,
        "max_eval": count,
        "tolerance_grad": nonnegative,
        "tolerance_change": nonnegative,
        "history_size": count,
        "line_search_fn": one_of(None, "strong_wolfe", "armijo"),
    }

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        if max_eval is None:
            max_eval = max_iter * 5 // 4 if isinstance(max_iter, int) else max_iter
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)

    @staticmethod
    def _direction(g, old_dirs, old_stps, ro, h_diag):
        """-M g by the two-loop recursion over the stored (y, s) pairs."""
        q = -g
        al = [0.0] * len(old_dirs)
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = dot(old_stps[i], q) * ro[i]
            q = q - al[i] * old_dirs[i]
        r = q * h_diag
        for i in range(len(old_dirs)):
            be = dot(old_dirs[i], r) * ro[i]
            r = r + (al[i] - be) * old_stps[i]
        return r

    def _step(self, closure, group, state):
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss, loss, g = self._evaluate_flat(closure)
        evals = 1
        state["func_evals"] += 1
        if float(g.abs().max()) <= tol_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs", []), state.get("old_stps", []), state.get("ro", [])
        h_diag, prev_g, prev_loss = state.get("H_diag", 1.0), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -g, [], [], [], 1.0
            else:
                y, s = g - prev_g, d * t
                ys = dot(y, s)
                if ys > 1e-10:  # keep the pair only if it has positive curvature
                    if len(old_dirs) == group["history_size"]:
                        old_dirs, old_stps, ro = old_dirs[1:], old_stps[1:], ro[1:]
                    old_dirs, old_stps, ro = old_dirs + [y], old_stps + [s], ro + [1.0 / ys]
                    h_diag = ys / dot(y, y)
                d = self._direction(g, old_dirs, old_stps, ro, h_diag)
            prev_g, prev_loss = g, loss
            t = self._first_step(g, lr) if state["n_iter"] == 1 else lr
            gtd = dot(g, d)
            if gtd > -tol_change:  # not a descent direction any more
                break
            spent = 0
            if group["line_search_fn"] is not None:
                t, loss, g, spent = self._line_search(closure, group, d, t, loss, g, gtd, max_ls=max_eval - evals)
                converged = float(g.abs().max()) <= tol_grad
            else:
                self.vector.add_(d, alpha=t)
                converged = False
                if n_iter != max_iter:
                    _, loss, g = self._evaluate_flat(closure)
                    converged = float(g.abs().max()) <= tol_grad
                    spent = 1
            evals += spent
            state["func_evals"] += spent
            if n_iter == max_iter or evals >= max_eval or converged:
                break
            if float((d * t).abs().max()) <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update(
            d=d,
            t=t,
            old_dirs=old_dirs,
            old_stps=old_stps,
            ro=ro,
            H_diag=h_diag,
            prev_flat_grad=prev_g,
            prev_loss=prev_loss,
        )
        return orig_loss
