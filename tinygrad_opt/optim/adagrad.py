"""AdaGrad (Duchi et al. 2011; seed 003 §5.2, seed 002 "AdaGrad"):

    r <- r + g ⊙ g
    theta <- theta - epsilon_k / (delta + sqrt(r)) ⊙ g,      epsilon_k = lr / (1 + (k - 1) lr_decay)

r starts at ``initial_accumulator_value``; delta is ``eps`` (PyTorch default 1e-10, the seed suggests
~1e-7). Because r only grows, the effective rate epsilon/(delta + sqrt(r)) falls to 0: for a constant
gradient c it is epsilon/(delta + sqrt(k) |c|) (seed 003 §5.3.2 item 2).
"""

from __future__ import annotations

from .. import kernels
from ..tensor import full_like
from .optimizer import Optimizer, flag, nonnegative, positive


class Adagrad(Optimizer):
    rules = {
        "lr": nonnegative,
        "lr_decay": nonnegative,
        "weight_decay": nonnegative,
        "initial_accumulator_value": nonnegative,
        "eps": positive,
        "maximize": flag,
    }

    def __init__(
        self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, maximize=False
    ):
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"sum": full_like(p, group["initial_accumulator_value"])}

    @staticmethod
    def _clr(state, group) -> float:
        """epsilon_k = lr / (1 + (k - 1) lr_decay)."""
        return group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])

    def _update(self, p, g, state, group):
        state["sum"].addcmul_(g, g)
        p.addcdiv_(g, state["sum"].sqrt() + group["eps"], value=-self._clr(state, group))

    def _fused_update(self, p, g, state, group):
        kernels.adagrad(
            g.data, -self._clr(state, group), group["eps"], *self._fused_grad_options(group), p.data, state["sum"].data
        )
        return True
