"""SGD with Polyak heavy-ball or Nesterov momentum (seed 003 §4.1, §4.2, §4.2.3).

Seed notation (lr epsilon, momentum alpha): heavy ball ``v <- alpha v - epsilon g``, ``theta <- theta + v``;
Nesterov evaluates the gradient at ``theta + alpha v``. Implemented in PyTorch's form, which for a
constant lr gives the same iterates with ``v = -epsilon b``::

    g <- grad (+ weight_decay * theta; negated if maximize)
    b <- g                                    at the first step
    b <- mu b + (1 - dampening) g             afterwards
    d <- g + mu b  (nesterov)  or  b
    theta <- theta - lr d

Nesterov here is the Sutskever et al. (2013) rewriting: the look-ahead gradient is replaced by the
correction ``g + mu b`` at the current point, so no second gradient evaluation is needed.
"""

from __future__ import annotations

from .. import kernels
from ..tensor import zeros_like
from .optimizer import Optimizer, flag, nonnegative


class SGD(Optimizer):
    rules = {
        "lr": nonnegative,
        "momentum": nonnegative,
        "dampening": nonnegative,
        "weight_decay": nonnegative,
        "nesterov": flag,
        "maximize": flag,
    }

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check(self, group):
        super()._check(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise self._error(
                f"nesterov=True needs momentum > 0 and dampening = 0, got momentum={group['momentum']!r} "
                f"and dampening={group['dampening']!r}"
            )

    def _state_spec(self, p, group):
        """The momentum buffer is made by the first update with momentum != 0 (and is absent without)."""
        required, optional = super()._state_spec(p, group)
        return required, {**optional, "momentum_buffer": "tensor"}

    def _update(self, p, g, state, group):
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = zeros_like(p).add_(g)  # an array even for a 0-d p (kernels write it)
            else:
                buf.mul_(mu).add_(g, alpha=1 - group["dampening"])
            g = g + mu * buf if group["nesterov"] else buf
        p.add_(g, alpha=-group["lr"])

    def _fused_update(self, p, g, state, group):
        mu = group["momentum"]
        if not mu:
            kernels.sgd(g.data, -group["lr"], *self._fused_grad_options(group), p.data)
            return True
        buf = state.get("momentum_buffer")
        if buf is None:
            return False  # the first step makes the buffer from the gradient, op by op
        kernels.sgd_momentum(
            g.data, -group["lr"], *self._fused_grad_options(group), mu, 1 - group["dampening"], group["nesterov"],
            p.data, buf.data,
        )  # fmt: skip
        return True
