"""Adam (Kingma & Ba 2015; seed 003 §5.4.1, seed 004 "Adam"), AdamW (Loshchilov & Hutter 2019) and
AMSGrad (Reddi et al. 2018; seed 003 §5.4.2 item 3) as a flag.

Seed notation (rho1, rho2 = betas, delta = eps, t the step)::

    s <- rho1 s + (1 - rho1) g
    r <- rho2 r + (1 - rho2) g ⊙ g
    r_max <- max(r_max, r)                                   (amsgrad only; r_max replaces r below)
    theta <- theta - epsilon / (1 - rho1^t) * s / (sqrt(r) / sqrt(1 - rho2^t) + delta)

delta sits outside the square root as in Kingma & Ba and PyTorch (the seed's §5.4.1 writes it inside;
§5.4.2 outside). For a constant gradient the step is ≈ epsilon whatever the gradient's scale (§5.4.2).

Weight decay: ``Adam(weight_decay=lambda)`` couples it (``g <- g + lambda theta``, an L2 penalty that the
adaptive denominator then rescales); ``AdamW`` decouples it (``theta <- (1 - epsilon lambda) theta``
before the Adam step), so every weight decays at the same relative rate.
"""

from __future__ import annotations

import math

from .. import kernels
from ..tensor import zeros_like
from .optimizer import Optimizer, betas, flag, nonnegative, positive

ADAM_RULES = {"lr": nonnegative, "betas": betas, "eps": positive, "weight_decay": nonnegative, "maximize": flag}
"""Validation shared by the Adam family (each optimizer adds its own options)."""


def moment_state(p):
    """Zeroed first and second moments s, r of the Adam family."""
    return {"exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}


def update_moments(state, g, betas):
    """s <- rho1 s + (1 - rho1) g,  r <- rho2 r + (1 - rho2) g ⊙ g  (in place); returns (s, r)."""
    beta1, beta2 = betas
    return state["exp_avg"].lerp_(g, 1 - beta1), state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)


class Adam(Optimizer):
    rules = {**ADAM_RULES, "amsgrad": flag, "decoupled_weight_decay": flag}

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        maximize=False,
        decoupled_weight_decay=False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        state = moment_state(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)
        return state

    def _update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        t = state["step"]
        exp_avg, second = update_moments(state, g, group["betas"])
        if group["amsgrad"]:
            second = state["max_exp_avg_sq"].copy_(state["max_exp_avg_sq"].maximum(second))
        denom = second.sqrt() / math.sqrt(1 - beta2**t) + group["eps"]
        p.addcdiv_(exp_avg, denom, value=-group["lr"] / (1 - beta1**t))

    def _fused_update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        t = state["step"]
        inputs = (
            g.data, -group["lr"] / (1 - beta1**t), 1 - beta1, beta2, 1 - beta2, math.sqrt(1 - beta2**t), group["eps"],
            *self._fused_grad_options(group), self._decay_factor(group),
        )  # fmt: skip
        moments = (p.data, state["exp_avg"].data, state["exp_avg_sq"].data)
        if group["amsgrad"]:
            kernels.adam_amsgrad(*inputs, *moments, state["max_exp_avg_sq"].data)
        else:
            kernels.adam(*inputs, *moments)
        return True


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2 as in PyTorch)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay=True)
