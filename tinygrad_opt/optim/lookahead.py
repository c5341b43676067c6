"""Lookahead (Zhang, Lucas, Hinton & Ba 2019, "Lookahead Optimizer: k steps forward, 1 step back").

Any inner optimizer moves the "fast" weights theta for k steps; then the "slow" weights phi move a
fraction alpha of the way towards them and the fast weights restart from there::

    every k-th step:  phi <- phi + alpha (theta - phi),   theta <- phi

``param_groups`` is the inner optimizer's (so schedulers that write ``group['lr']`` work unchanged);
``state[p]`` holds phi (``slow_param``). ``state_dict()`` holds both optimizers' state.
"""

from __future__ import annotations

from ..autodiff import no_grad
from .optimizer import Optimizer, _fail, closed_unit_interval


class Lookahead(Optimizer):
    def __init__(self, optimizer: Optimizer, k: int = 5, alpha: float = 0.5):
        if not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
            _fail("Lookahead", "k", k, "an integer >= 1")
        closed_unit_interval("Lookahead", "alpha", alpha)
        self.optimizer, self.k, self.alpha = optimizer, k, alpha
        self.defaults = optimizer.defaults
        self.param_groups = optimizer.param_groups
        self.state = {}
        self.steps = 0

    def step(self, closure=None):
        with no_grad():
            for p in self._params():
                if p.grad is not None and p not in self.state:
                    self.state[p] = {"slow_param": p.detach().clone()}
        loss = self.optimizer.step(closure)
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

    def load_state_dict(self, state_dict: dict) -> None:
        ours = self._checked_state(state_dict["lookahead"])
        theirs = self.optimizer._checked_state(state_dict["optimizer"])
        self.optimizer.param_groups[:], self.optimizer.state = theirs
        self.state = ours[1]
        self.steps = int(state_dict["lookahead"]["steps"])
