"""RAdam (Liu et al. 2020, "On the variance of the adaptive learning rate and beyond"; seed 002's
pointer from warm-up to RAdam). Adam whose adaptive rate is switched on only once its variance is
tractable, and then rectified — an automatic warm-up::

    s <- beta1 s + (1 - beta1) g,    r <- beta2 r + (1 - beta2) g ⊙ g,    s_hat = s / (1 - beta1^t)
    rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    rho_t > 5:  l = sqrt(1 - beta2^t) / (sqrt(r) + delta),
                rect = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                theta <- theta - lr s_hat rect l
    otherwise:  theta <- theta - lr s_hat            (SGD with momentum during the first steps)
"""

from __future__ import annotations

import math

from .. import kernels
from .adam import ADAM_RULES, moment_state, update_moments
from .optimizer import Optimizer, flag


class RAdam(Optimizer):
    rules = {**ADAM_RULES, "decoupled_weight_decay": flag}

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        decoupled_weight_decay=False,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return moment_state(p)

    @staticmethod
    def _rectification(t, beta2):
        """rect for step t, or None while rho_t <= 5 (no adaptive rate yet): a host-side decision on t alone."""
        bc2 = 1 - beta2**t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / bc2
        if rho_t > 5.0:
            return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return None

    def _update(self, p, g, state, group):
        (beta1, beta2), t = group["betas"], state["step"]
        update_moments(state, g, group["betas"])
        s_hat = state["exp_avg"] / (1 - beta1**t)
        rect = self._rectification(t, beta2)
        if rect is not None:
            adaptive = math.sqrt(1 - beta2**t) / (state["exp_avg_sq"].sqrt() + group["eps"])
            p.sub_(s_hat * group["lr"] * adaptive * rect)
        else:
            p.sub_(s_hat * group["lr"])

    def _fused_update(self, p, g, state, group):
        (beta1, beta2), t = group["betas"], state["step"]
        rect = self._rectification(t, beta2)
        kernels.radam(
            g.data, 1 - beta1, beta2, 1 - beta2, 1 - beta1**t, group["lr"], math.sqrt(1 - beta2**t),
            0.0 if rect is None else rect, rect is not None, group["eps"],
            *self._fused_grad_options(group), self._decay_factor(group),
            p.data, state["exp_avg"].data, state["exp_avg_sq"].data,
        )  # fmt: skip
        return True
