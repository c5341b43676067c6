"""AdaDelta (Zeiler 2012; seed 003 §5.3.4, seed 004 "AdaDelta"):

    r <- rho r + (1 - rho) g ⊙ g
    Delta <- sqrt(s + delta) / sqrt(r + delta) ⊙ g
    s <- rho s + (1 - rho) Delta ⊙ Delta
    theta <- theta - lr Delta

The ratio of two RMS windows (window ≈ 1/(1 - rho)) gives the step its units, so no learning rate is
needed: ``lr`` defaults to 1.0 as in PyTorch and only rescales the step.
"""

from __future__ import annotations

from .. import kernels
from ..tensor import zeros_like
from .optimizer import Optimizer, flag, nonnegative, positive, unit_interval


class Adadelta(Optimizer):
    rules = {"lr": nonnegative, "rho": unit_interval, "eps": positive, "weight_decay": nonnegative, "maximize": flag}

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _init_state(self, p, group):
        return {"square_avg": zeros_like(p), "acc_delta": zeros_like(p)}

    def _update(self, p, g, state, group):
        rho, eps = group["rho"], group["eps"]
        square_avg = state["square_avg"].mul_(rho).addcmul_(g, g, value=1 - rho)
        delta = (state["acc_delta"] + eps).sqrt() / (square_avg + eps).sqrt() * g
        state["acc_delta"].mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-group["lr"])

    def _fused_update(self, p, g, state, group):
        rho = group["rho"]
        kernels.adadelta(
            g.data, -group["lr"], rho, 1 - rho, group["eps"], *self._fused_grad_options(group),
            p.data, state["square_avg"].data, state["acc_delta"].data,
        )  # fmt: skip
        return True
