"""Delta-bar-delta (Jacobs 1988, "Increased rates of convergence through learning rate adaptation";
seed 003 §5.1): one learning rate per parameter, raised while the partial derivative keeps its sign
and cut when it flips. With delta_t = dJ/dtheta at step t and its exponential average
delta_bar (the "bar" of the name)::

    delta_bar_{t-1} delta_t > 0:  epsilon_t = epsilon_{t-1} + kappa          (additive increase)
    delta_bar_{t-1} delta_t < 0:  epsilon_t = (1 - phi) epsilon_{t-1}        (multiplicative decrease)
    otherwise:                    epsilon_t = epsilon_{t-1}
    delta_bar_t = (1 - theta) delta_t + theta delta_bar_{t-1}
    theta_param <- theta_param - epsilon_t ⊙ delta_t

epsilon starts at ``lr``; delta_bar starts at 0, so the first step is plain GD. Comparing with the
smoothed delta_bar (not the last raw gradient) keeps one noisy flip from cutting the rate. The seed
restricts it to full-batch gradients: mini-batch noise makes the sign test meaningless.
"""

from __future__ import annotations

from .. import kernels
from ..tensor import Tensor, full_like, zeros_like
from .optimizer import Optimizer, flag, nonnegative, unit_interval


class DeltaBarDelta(Optimizer):
    rules = {"lr": nonnegative, "kappa": nonnegative, "phi": unit_interval, "theta": unit_interval, "maximize": flag}

    def __init__(self, params, lr=1e-2, kappa=1e-3, phi=0.5, theta=0.7, maximize=False):
        super().__init__(params, dict(lr=lr, kappa=kappa, phi=phi, theta=theta, maximize=maximize))

    def _init_state(self, p, group):
        return {"rate": full_like(p, group["lr"]), "delta_bar": zeros_like(p)}

    def _update(self, p, g, state, group):
        xp, rate, delta_bar = p.xp, state["rate"], state["delta_bar"]
        agreement = delta_bar.data * g.data
        rate.add_(Tensor(xp.where(agreement > 0, group["kappa"], 0.0).astype(p.dtype), device=p.device, copy=False))
        rate.mul_(Tensor(xp.where(agreement < 0, 1.0 - group["phi"], 1.0).astype(p.dtype), device=p.device, copy=False))
        delta_bar.lerp_(g, 1 - group["theta"])
        p.addcmul_(rate, g, value=-1)

    def _fused_update(self, p, g, state, group):
        kernels.delta_bar_delta(
            g.data, group["kappa"], 1.0 - group["phi"], 1 - group["theta"], *self._fused_grad_options(group),
            p.data, state["rate"].data, state["delta_bar"].data,
        )  # fmt: skip
        return True
