"""SophiaH: Sophia with the Hutchinson estimator (Liu, Li, Hall, Liang & Ma, "Sophia: A Scalable Stochastic
Second-order Optimizer for Language Model Pre-training", ICLR 2024, arXiv:2305.14342, Algorithm 3; seed 000
"二阶优化器": a diagonal Hessian approximation in the family of AdaHessian, syllabus §10).

Algorithm 3 with t counted from 1, the paper's γ named ``rho`` and ε ``eps``::

    m ← β₁ m + (1 − β₁) g
    if t mod k = 1:  h ← β₂ h + (1 − β₂) ĥ,   ĥ = z ⊙ Hz      (h starts at 0; otherwise h is kept)
    θ ← (1 − lr·λ) θ                                        decoupled weight decay
    θ ← θ − lr · clip(m / max(ρ·h, ε), −1, 1)

Every coordinate moves by at most lr: where the curvature is small, negative (a saddle direction, max
picks ε) or not yet estimated, the step is lr·sign(m). There is no bias correction, as in the paper;
m and h start at 0, so early steps are mostly clipped. The paper's Hutchinson estimator draws u from
N(0, I); here z is Rademacher (Hutchinson's original choice, also unbiased, with lower variance and
exact for a diagonal H), drawn and saved as AdaHessian's (``adahessian.HutchinsonOptimizer``). The
first version of the paper wrote the step as lr·clip(m / max(h, ε), ρ): the same method with lr·ρ as
the learning rate. Steps with t mod k ≠ 1 evaluate the closure without keeping its graph.
"""

from __future__ import annotations

from ..tensor import zeros_like
from .adahessian import HutchinsonOptimizer
from .optimizer import betas, count, nonnegative, positive


class SophiaH(HutchinsonOptimizer):
    rules = {
        "lr": nonnegative,
        "betas": betas,
        "rho": positive,
        "weight_decay": nonnegative,
        "k": count,
        "eps": positive,
    }
    interval = "k"

    def __init__(self, params, lr=1e-3, betas=(0.965, 0.99), rho=0.04, weight_decay=1e-1, k=10, eps=1e-12, seed=None):
        defaults = dict(lr=lr, betas=betas, rho=rho, weight_decay=weight_decay, k=k, eps=eps)
        super().__init__(params, defaults, seed=seed)

    def _init_state(self, p, group):
        return {"exp_avg": zeros_like(p), "hessian": zeros_like(p), **super()._init_state(p, group)}

    def _update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        exp_avg = state["exp_avg"].lerp_(g, 1 - beta1)
        if (state["step"] - 1) % group["k"] == 0:
            state["hessian"].lerp_(state["hessian_diag"], 1 - beta2)
        ratio = exp_avg / (group["rho"] * state["hessian"]).maximum(group["eps"])
        p.add_(ratio.clip(-1.0, 1.0), alpha=-group["lr"])
