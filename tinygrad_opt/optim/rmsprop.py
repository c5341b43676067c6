"""RMSProp (Hinton 2012; seed 003 §5.3.1, §5.3.3; seed 002 "RMSProp"):

    r <- rho r + (1 - rho) g ⊙ g                     (rho is ``alpha`` as in PyTorch)
    centered:  m <- rho m + (1 - rho) g,   denominator sqrt(r - m ⊙ m) + delta
    otherwise: denominator sqrt(r) + delta
    momentum alpha_v > 0:  v <- alpha_v v + g / denominator,  theta <- theta - epsilon v
    else:                  theta <- theta - epsilon g / denominator

The exponential average forgets old gradients, so for a constant gradient the effective rate stays
at epsilon/(delta + sqrt(c (1 - rho^k))) >= epsilon/(delta + |g|) instead of falling to 0 as in
AdaGrad (seed 003 §5.3.2). ``momentum`` is the heavy-ball variant of seed 003 §5.3.3 (PyTorch's form:
the velocity accumulates the RMS-scaled gradient).
"""

from __future__ import annotations

from .. import kernels
from ..tensor import zeros_like
from .optimizer import Optimizer, flag, nonnegative, positive, unit_interval


class RMSprop(Optimizer):
    rules = {
        "lr": nonnegative,
        "alpha": unit_interval,
        "eps": positive,
        "weight_decay": nonnegative,
        "momentum": nonnegative,
        "centered": flag,
        "maximize": flag,
    }

    def __init__(
        self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False
    ):
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        state = {"square_avg": zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)
        return state

    def _update(self, p, g, state, group):
        rho = group["alpha"]
        square_avg = state["square_avg"].mul_(rho).addcmul_(g, g, value=1 - rho)
        if group["centered"]:
            grad_avg = state["grad_avg"].lerp_(g, 1 - rho)
            avg = (square_avg - grad_avg * grad_avg).sqrt() + group["eps"]
        else:
            avg = square_avg.sqrt() + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"].mul_(group["momentum"]).addcdiv_(g, avg)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.addcdiv_(g, avg, value=-group["lr"])

    def _fused_update(self, p, g, state, group):
        rho, mu, centered = group["alpha"], group["momentum"], group["centered"]
        inputs = [g.data, -group["lr"], rho, 1 - rho, group["eps"], *self._fused_grad_options(group)]
        buffers = [p.data, state["square_avg"].data]
        if centered:
            buffers.append(state["grad_avg"].data)
        if mu > 0:
            inputs.append(mu)
            buffers.append(state["momentum_buffer"].data)
        kernel = {
            (False, False): kernels.rmsprop,
            (True, False): kernels.rmsprop_centered,
            (False, True): kernels.rmsprop_momentum,
            (True, True): kernels.rmsprop_centered_momentum,
        }[centered, mu > 0]
        kernel(*inputs, *buffers)
        return True
