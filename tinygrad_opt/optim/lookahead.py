"""Lookahead (Zhang, Lucas, Hinton & Ba 2019, "Lookahead Optimizer: k steps forward, 1 step back").

Any inner optimizer moves the "fast" weights theta for k steps; then the "slow" weights phi move a
fraction alpha of the way towards them and the fast weights restart from there::

    every k-th step:  phi <- phi + alpha (theta - phi),   theta <- phi

``param_groups`` is the inner optimizer's (so schedulers that write ``group['lr']`` work unchanged);
``state[p]`` holds phi (``slow_param``). ``state_dict()`` holds both optimizers' state.
"""

from __future__ import annotations

import numbers

from ..autodiff import no_grad
from ..errors import ArgumentTypeError, StateDictError
from .optimizer import Optimizer, _fail, check_grads, closed_unit_interval


class Lookahead(Optimizer):
    def __init__(self, optimizer: Optimizer, k: int = 5, alpha: float = 0.5):
        if not isinstance(optimizer, Optimizer):
            raise ArgumentTypeError(
                f"Lookahead: wraps an optimizer, e.g. Lookahead(SGD(model.parameters(), lr=0.1), k=5), got "
                f"{type(optimizer).__name__}"
            )
        if not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
            _fail("Lookahead", "k", k, "an integer >= 1")
        closed_unit_interval("Lookahead", "alpha", alpha)
        self.optimizer, self.k, self.alpha = optimizer, k, alpha
        self.defaults = optimizer.defaults
        self.param_groups = optimizer.param_groups
        self.state = {}
        self.steps = 0

    def step(self, closure=None):
        if closure is None:  # with a closure the inner optimizer checks the gradients it makes
            check_grads("Lookahead.step", self._params())
        new = [p for p in self._params() if p.grad is not None and p not in self.state]
        with no_grad():
            for p in new:
                self.state[p] = {"slow_param": p.detach().clone()}
        try:
            loss = self.optimizer.step(closure)
        except BaseException:
            for p in new:  # all or nothing: the inner step changed nothing, neither does this one
                del self.state[p]
            raise
        self.steps += 1
        if self.steps % self.k == 0:
            with no_grad():
                for p, s in self.state.items():
                    p.copy_(s["slow_param"].lerp_(p, self.alpha))
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none)

    def add_param_group(self, param_group: dict) -> None:
        self.optimizer.add_param_group(param_group)

    def state_dict(self) -> dict:
        return {"lookahead": {**super().state_dict(), "steps": self.steps}, "optimizer": self.optimizer.state_dict()}

    def _state_spec(self, p, group):
        return {"slow_param": "tensor"}, {}

    def _checked_state(self, state_dict: dict):
        """Validate both optimizers' parts; return (ours, the inner optimizer's, steps) without applying."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"lookahead", "optimizer"}:
            got = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise StateDictError(
                f"Lookahead.load_state_dict: expected the dict from Lookahead.state_dict() with keys "
                f"['lookahead', 'optimizer'], got {got}"
            )
        saved = state_dict["lookahead"]
        steps = saved.get("steps") if isinstance(saved, dict) else None
        if not (isinstance(steps, numbers.Integral) and not isinstance(steps, bool) and steps >= 0):
            raise StateDictError(f"Lookahead.load_state_dict: 'lookahead' needs 'steps', an int >= 0, got {steps!r}")
        ours = Optimizer._checked_state(self, saved)
        theirs = self.optimizer._checked_state(state_dict["optimizer"])
        return ours, theirs, int(steps)

    def load_state_dict(self, state_dict: dict) -> None:
        """Both optimizers' state; checked whole before anything is replaced."""
        ours, theirs, steps = self._checked_state(state_dict)
        self.optimizer.param_groups[:], self.optimizer.state = theirs
        self.state = ours[1]
        self.steps = steps
