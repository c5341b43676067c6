"""Adam first, then SGD: SWATS (Keskar & Socher 2017, "Improving Generalization Performance by
Switching from Adam to SGD", Algorithm 1), the switching strategy of seed 003 §5.4.2 item 4 with the
switching time and the SGD learning rate chosen automatically instead of by hand.

Adam phase, per parameter group (the paper's layer-wise estimate), t the step::

    m <- beta1 m + (1 - beta1) g,      a <- beta2 a + (1 - beta2) g ⊙ g
    p_t = -lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(a) + eps)          (the Adam step)
    theta <- theta + p_t
    if p_tᵀ g_t != 0:
        gamma_t = p_tᵀ p_t / (-p_tᵀ g_t)      (the SGD rate whose step, projected on p_t, equals p_t)
        lambda_t = beta2 lambda_{t-1} + (1 - beta2) gamma_t
        switch when t > 1 and |lambda_t / (1 - beta2^t) - gamma_t| < eps_switch,
        with the SGD learning rate Lambda = lambda_t / (1 - beta2^t)

SGD phase (momentum beta1, as in the paper)::

    v <- beta1 v + g,    theta <- theta - (1 - beta1) Lambda v

After the switch ``group['phase'] == 'sgd'`` and ``group['sgd_lr']`` is Lambda.
"""

from __future__ import annotations

import math

from ..autodiff import no_grad
from ..tensor import zeros_like
from .adam import ADAM_RULES, moment_state, update_moments
from .optimizer import Optimizer, check_grads, nonnegative, one_of, optional, positive


class SWATS(Optimizer):
    rules = {
        **ADAM_RULES,
        "switch_eps": positive,
        "phase": one_of("adam", "sgd"),  # the state of the switch (a loaded group is checked too)
        "sgd_lr": optional(nonnegative),
        "step": nonnegative,
    }

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, switch_eps=1e-9, weight_decay=0.0, maximize=False
    ):
        defaults = dict(
            lr=lr, betas=betas, eps=eps, switch_eps=switch_eps, weight_decay=weight_decay, maximize=maximize
        )
        defaults.update(phase="adam", sgd_lr=None, lambda_avg=0.0, step=0)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {**moment_state(p), "velocity": zeros_like(p)}

    def step(self, closure=None):
        loss = self._evaluate(closure)
        check_grads("SWATS.step", self._params())
        with no_grad():
            for group in self.param_groups:
                live = [p for p in group["params"] if p.grad is not None]
                if not live:
                    continue
                group["step"] += 1
                grads = [self._grad(p, group) for p in live]
                states = [self._state(p, group) for p in live]
                for s in states:
                    s["step"] += 1
                if group["phase"] == "sgd":
                    self._sgd(live, grads, states, group)
                else:
                    self._adam(live, grads, states, group)
        return loss

    def _sgd(self, params, grads, states, group):
        beta1 = group["betas"][0]
        for p, g, s in zip(params, grads, states):
            s["velocity"].mul_(beta1).add_(g)
            p.add_(s["velocity"], alpha=-(1 - beta1) * group["sgd_lr"])

    def _adam(self, params, grads, states, group):
        (beta1, beta2), t = group["betas"], group["step"]
        scale = -group["lr"] * math.sqrt(1 - beta2**t) / (1 - beta1**t)
        pp = pg = 0.0
        for p, g, s in zip(params, grads, states):
            update_moments(s, g, group["betas"])
            step = s["exp_avg"] / (s["exp_avg_sq"].sqrt() + group["eps"]) * scale
            p.add_(step)
            pp += float((step * step).sum().item())
            pg += float((step * g).sum().item())
        if pg != 0:
            gamma = pp / -pg
            group["lambda_avg"] = beta2 * group["lambda_avg"] + (1 - beta2) * gamma
            estimate = group["lambda_avg"] / (1 - beta2**t)
            if t > 1 and abs(estimate - gamma) < group["switch_eps"]:
                group["phase"], group["sgd_lr"] = "sgd", estimate
