"""NAdam (Dozat 2016; seed 003 §5.4.1 item 3: Adam with a Nesterov look-ahead on the first moment),
with PyTorch's momentum schedule ``mu_t = beta1 (1 - 0.5 * 0.96^(t psi))`` (psi = momentum_decay)::

    s <- beta1 s + (1 - beta1) g,          r <- beta2 r + (1 - beta2) g ⊙ g
    Pi_t = prod_{i<=t} mu_i,               denominator d = sqrt(r / (1 - beta2^t)) + delta
    theta <- theta - lr (1 - mu_t) / (1 - Pi_t) g / d - lr mu_{t+1} / (1 - Pi_t mu_{t+1}) s / d

``decoupled_weight_decay=True`` gives the AdamW-style decay.
"""

from __future__ import annotations

from .. import kernels
from .adam import ADAM_RULES, moment_state, update_moments
from .optimizer import Optimizer, flag, nonnegative


class NAdam(Optimizer):
    rules = {**ADAM_RULES, "momentum_decay": nonnegative, "decoupled_weight_decay": flag}

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"mu_product": 1.0, **moment_state(p)}

    @staticmethod
    def _coefficients(state, group) -> tuple:
        """Advance Pi_t in the state; the step's coefficients of g / d and s / d (lr and the sign included)."""
        beta1, t, psi, lr = group["betas"][0], state["step"], group["momentum_decay"], group["lr"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        return -lr * (1.0 - mu) / (1.0 - mu_product), -lr * mu_next / (1.0 - mu_product * mu_next)

    def _update(self, p, g, state, group):
        c_g, c_s = self._coefficients(state, group)
        update_moments(state, g, group["betas"])
        denom = (state["exp_avg_sq"] / (1 - group["betas"][1] ** state["step"])).sqrt() + group["eps"]
        p.addcdiv_(g, denom, value=c_g)
        p.addcdiv_(state["exp_avg"], denom, value=c_s)

    def _fused_update(self, p, g, state, group):
        (beta1, beta2), t = group["betas"], state["step"]
        c_g, c_s = self._coefficients(state, group)
        kernels.nadam(
            g.data, 1 - beta1, beta2, 1 - beta2, 1 - beta2**t, group["eps"], c_g, c_s,
            *self._fused_grad_options(group), self._decay_factor(group),
            p.data, state["exp_avg"].data, state["exp_avg_sq"].data,
        )  # fmt: skip
        return True
