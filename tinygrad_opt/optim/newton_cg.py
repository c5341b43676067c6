"""Newton-CG, "Hessian-free" (Martens 2010; Nocedal & Wright Alg. 7.1): the Newton step without H.

Conjugate gradient solves (H + αI) d = -g using Hessian-vector products only (each one backward pass
through the closure's recorded gradient), so memory stays O(n)::

    z = 0, r = g, p = -g
    repeat:  q = (H + αI) p
             if pᵀq ≤ 0: stop (negative curvature: return z, or -g on the first iteration)
             a = rᵀr / pᵀq;  z ← z + a p;  r_new = r + a q
             if ‖r_new‖ ≤ tol: stop
             p ← -r_new + (r_newᵀr_new / rᵀr) p

tol is ``cg_tol``·‖g‖ or, with ``cg_tol=None``, N&W's forcing term min(0.5, √‖g‖)·‖g‖ (superlinear
convergence). d = z is then safeguarded by a line search (``'armijo'`` default, ``'strong_wolfe'``, or
None for the plain step θ ← θ + lr d). With a tight tolerance and ≥ n CG iterations the step equals
Newton's (seed 003 §6.1). One ``step(closure)`` is one outer iteration.
"""

from __future__ import annotations

import math

from .optimizer import count, nonnegative, one_of, optional
from .vector import VectorOptimizer, dot


class NewtonCG(VectorOptimizer):
    rules = {
        "lr": nonnegative,
        "cg_max_iter": count,
        "cg_tol": optional(nonnegative),
        "damping": nonnegative,
        "line_search_fn": one_of("armijo", "strong_wolfe", None),
    }

    def __init__(self, params, lr=1.0, cg_max_iter=50, cg_tol=None, damping=0.0, line_search_fn="armijo"):
        defaults = dict(lr=lr, cg_max_iter=cg_max_iter, cg_tol=cg_tol, damping=damping, line_search_fn=line_search_fn)
        super().__init__(params, defaults)

    @staticmethod
    def truncated_cg(hvp, g, damping, max_iter, tol):
        """Approximate solution of (H + damping·I) d = -g, and the CG iterations used."""
        z, r, p = g * 0, g, -g
        rr = dot(r, r)
        for j in range(max_iter):
            q = hvp(p) + damping * p
            pq = dot(p, q)
            if pq <= 0:
                return (-g if j == 0 else z), j + 1
            a = rr / pq
            z, r = z + a * p, r + a * q
            rr_new = dot(r, r)
            if math.sqrt(rr_new) <= tol:
                return z, j + 1
            p = -r + (rr_new / rr) * p
            rr = rr_new
        return z, max_iter

    def _step(self, closure, group, state):
        c = self._curvature(closure)
        g = c.grad
        gnorm = math.sqrt(dot(g, g))
        if gnorm == 0:
            return c.loss
        tol = group["cg_tol"] * gnorm if group["cg_tol"] is not None else min(0.5, math.sqrt(gnorm)) * gnorm
        d, cg_iters = self.truncated_cg(c.hvp, g, group["damping"], group["cg_max_iter"], tol)
        c.release()
        res = self._line_search(closure, group, d, group["lr"], float(c.loss), g, dot(g, d))
        state.update(d=d, t=res.t, cg_iters=cg_iters, n_iter=state.get("n_iter", 0) + 1)
        state["func_evals"] = state.get("func_evals", 0) + 1 + res.evals
        return c.loss
