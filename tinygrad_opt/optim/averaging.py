"""Polyak averaging of the iterates (seed 003 §8.2).

The optimizer may keep crossing the minimum without landing on it; averaging the path smooths the
output::

    arithmetic (convex problems):  theta_hat_t = (1/t) sum_i theta_i = theta_hat_{t-1} + (theta_t - theta_hat_{t-1}) / t
    exponential (non-convex):      theta_hat_t = alpha theta_hat_{t-1} + (1 - alpha) theta_t

``ASGD`` is SGD with the arithmetic average built in (Polyak & Juditsky 1992; PyTorch's algorithm,
averaging from step ``t0`` on). ``AveragedModel`` keeps either average of any set of parameters next
to any optimizer (call ``update_parameters()`` after each step), ``EMA`` is the exponential one.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import backend, kernels
from ..autodiff import no_grad
from ..errors import ShapeError, StateDictError
from ..tensor import Tensor
from .optimizer import Optimizer, _fail, flag, nonnegative, tensor_list, unit_interval


class ASGD(Optimizer):
    """Averaged SGD. Per step k (eta_k the step size, mu_k the averaging weight)::

    theta <- (1 - lambd eta_k) theta - eta_k g
    ax <- ax + mu_k (theta - ax)            (ax <- theta while mu_k = 1)
    eta_{k+1} = lr / (1 + lambd lr k)^alpha,   mu_{k+1} = 1 / max(1, k - t0)

    The average is ``optimizer.state[p]['ax']``.
    """

    rules = {
        "lr": nonnegative,
        "lambd": nonnegative,
        "alpha": nonnegative,
        "t0": nonnegative,
        "weight_decay": nonnegative,
        "maximize": flag,
    }

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False):
        super().__init__(
            params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        )

    def _init_state(self, p, group):
        return {"eta": group["lr"], "mu": 1.0, "ax": p.detach().clone()}

    def _update(self, p, g, state, group):
        eta = state["eta"]
        p.mul_(1 - group["lambd"] * eta).add_(g, alpha=-eta)
        if state["mu"] != 1:
            state["ax"].add_((p - state["ax"]) * state["mu"])
        else:
            state["ax"].copy_(p)
        self._schedule(state, group)

    def _fused_update(self, p, g, state, group):
        eta, mu = state["eta"], state["mu"]
        kernels.asgd(
            g.data, 1 - group["lambd"] * eta, -eta, mu, mu != 1, *self._fused_grad_options(group),
            p.data, state["ax"].data,
        )  # fmt: skip
        self._schedule(state, group)
        return True

    @staticmethod
    def _schedule(state, group) -> None:
        """eta_{k+1} and mu_{k+1} (host scalars) after step k."""
        k = state["step"]
        state["eta"] = group["lr"] / (1 + group["lambd"] * group["lr"] * k) ** group["alpha"]
        state["mu"] = 1 / max(1, k - group["t0"])


class AveragedModel:
    """Running average of ``params`` (Tensors, or anything with ``.parameters()``).

    ``mode='arithmetic'`` is Polyak's mean of every iterate seen by ``update_parameters``;
    ``mode='ema'`` the exponential average with ``decay`` (the seed's alpha). The first update copies.
    ``averaged`` holds the averages; ``copy_to()`` writes them into the tracked parameters.
    """

    def __init__(self, params, mode: str = "arithmetic", decay: float = 0.999):
        name = type(self).__name__
        if mode not in ("arithmetic", "ema"):
            _fail(name, "mode", mode, "'arithmetic' or 'ema'")
        unit_interval(name, "decay", decay)
        self.params = tensor_list(name, params)
        self.mode, self.decay, self.n_averaged = mode, decay, 0
        self.averaged = [p.detach().clone() for p in self.params]

    def _check_shapes(self, call, params) -> None:
        if len(params) != len(self.averaged) or any(p.shape != a.shape for p, a in zip(params, self.averaged)):
            raise ShapeError(
                f"{type(self).__name__}.{call}: parameters of shapes {[tuple(p.shape) for p in params]} do not "
                f"match the averaged ones {[tuple(a.shape) for a in self.averaged]}; nothing was changed"
            )

    def update_parameters(self) -> None:
        self._check_shapes("update_parameters", self.params)
        with no_grad():
            for avg, p in zip(self.averaged, self.params):
                if self.n_averaged == 0:
                    avg.copy_(p)
                elif self.mode == "ema":
                    avg.lerp_(p, 1 - self.decay)
                else:
                    avg.add_((p - avg) / (self.n_averaged + 1))
        self.n_averaged += 1

    def copy_to(self, params=None) -> None:
        """Overwrite ``params`` (default: the tracked ones) with the averages."""
        targets = self.params if params is None else tensor_list(f"{type(self).__name__}.copy_to", params)
        self._check_shapes("copy_to", targets)
        with no_grad():
            for p, avg in zip(targets, self.averaged):
                p.copy_(avg)

    def state_dict(self) -> dict:
        return {"n_averaged": self.n_averaged, "averaged": [a.numpy().copy() for a in self.averaged]}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the averages; a dict that does not fit raises StateDictError and changes nothing."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"n_averaged", "averaged"}:
            got = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise StateDictError(
                f"{name}: expected the dict from state_dict() with keys ['averaged', 'n_averaged'], got {got}"
            )
        n, arrays = state_dict["n_averaged"], state_dict["averaged"]
        if not (isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0):
            raise StateDictError(f"{name}: 'n_averaged' must be an int >= 0, got {n!r}", mismatched=["n_averaged"])
        if not isinstance(arrays, (list, tuple)) or not all(
            (backend.is_array(a) or isinstance(a, Tensor)) and np.dtype(a.dtype).kind in "fc" for a in arrays
        ):
            raise StateDictError(f"{name}: 'averaged' must be a list of float arrays", mismatched=["averaged"])
        if len(arrays) != len(self.averaged) or any(tuple(a.shape) != p.shape for a, p in zip(arrays, self.averaged)):
            raise StateDictError(
                f"{name}: saved shapes {[tuple(a.shape) for a in arrays]} do not match "
                f"{[p.shape for p in self.averaged]}",
                mismatched=["averaged"],
            )
        with no_grad():
            for avg, a in zip(self.averaged, arrays):
                avg.copy_(Tensor(a.numpy() if isinstance(a, Tensor) else a, dtype=avg.dtype, device=avg.device))
        self.n_averaged = int(n)


class EMA(AveragedModel):
    """Exponential moving average of the parameters: theta_hat <- decay theta_hat + (1 - decay) theta."""

    def __init__(self, params, decay: float = 0.999):
        super().__init__(params, mode="ema", decay=decay)
