"""Adamax (Kingma & Ba 2015, §7.1): Adam with the L2 norm of the second moment replaced by L-infinity::

    s <- beta1 s + (1 - beta1) g
    u <- max(beta2 u, |g| + delta)
    theta <- theta - lr / (1 - beta1^t) * s / u

u needs no bias correction (it is a max, not an average started at 0). delta inside the max as in
PyTorch, so u > 0 even for a zero gradient.
"""

from __future__ import annotations

from .. import kernels
from ..tensor import zeros_like
from .adam import ADAM_RULES
from .optimizer import Optimizer


class Adamax(Optimizer):
    rules = ADAM_RULES

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _init_state(self, p, group):
        return {"exp_avg": zeros_like(p), "exp_inf": zeros_like(p)}

    def _update(self, p, g, state, group):
        (beta1, beta2), t = group["betas"], state["step"]
        state["exp_avg"].lerp_(g, 1 - beta1)
        exp_inf = state["exp_inf"]
        exp_inf.copy_((exp_inf * beta2).maximum(g.abs() + group["eps"]))
        p.addcdiv_(state["exp_avg"], exp_inf, value=-group["lr"] / (1 - beta1**t))

    def _fused_update(self, p, g, state, group):
        (beta1, beta2), t = group["betas"], state["step"]
        kernels.adamax(
            g.data, -group["lr"] / (1 - beta1**t), 1 - beta1, beta2, group["eps"], *self._fused_grad_options(group),
            p.data, state["exp_avg"].data, state["exp_inf"].data,
        )  # fmt: skip
        return True
