"""Newton's method with the exact Hessian, for small problems (seed 003 §6.1, §6.1.2).

    θ ← θ - lr · [H + αI]⁻¹ g        (α = ``damping``)

H is built column by column from n Hessian-vector products of the closure's gradient (the closure runs
with its backward graph kept), then the n×n system is solved: O(n) backward passes and O(n³) work per
step, so only for networks with few parameters (§6.1.2 item 4). On a positive-definite quadratic one
undamped step lands on the minimum. Near a saddle the undamped step moves *towards* it (item 2: "牛顿法
会导致参数更新主动朝着鞍点的方向移动"); α > |λ_min| makes H + αI positive definite so the step descends,
and a large α turns the step into -g/α (item 3). One ``step(closure)`` is one iteration.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..errors import CurvatureError
from ..tensor import Tensor
from .optimizer import nonnegative
from .vector import VectorOptimizer


def solve(name: str, h: Tensor, rhs: Tensor, damping: float) -> Tensor:
    """(H + damping·I)⁻¹ rhs on the arrays' device; a singular system is a CurvatureError."""
    xp = backend.xp_of(h.data)
    a = h.data + damping * xp.eye(h.shape[0], dtype=h.dtype)
    try:
        x = xp.linalg.solve(a, rhs.data)
    except np.linalg.LinAlgError:  # NumPy's; CuPy reports a singular matrix with inf/nan instead
        x = None
    if x is None or not bool(xp.isfinite(x).all()):
        raise CurvatureError(
            f"{name}: H + damping·I (damping={damping}) is singular, so the Newton system has no unique solution; "
            f"pass damping > 0"
        )
    return Tensor._make(x, False, None)


class Newton(VectorOptimizer):
    rules = {"lr": nonnegative, "damping": nonnegative}

    def __init__(self, params, lr=1.0, damping=0.0):
        super().__init__(params, dict(lr=lr, damping=damping))

    def _step(self, closure, group, state):
        c = self._curvature(closure)
        d = solve(f"{type(self).__name__}.step", c.dense(), -c.grad, group["damping"])
        c.release()
        self.vector.add_(d, alpha=group["lr"])
        state.update(d=d, n_iter=state.get("n_iter", 0) + 1)
        return c.loss
