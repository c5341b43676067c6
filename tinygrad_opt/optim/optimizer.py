"""The optimizer base: param_groups, per-parameter state, step(closure), state_dict.

Everything the first-order optimizers share lives here and is called, not copied:
hyper-parameter validation (``rules``), gradient preprocessing (``maximize``, coupled L2 decay
``g <- g + lambda*theta`` or decoupled decay ``theta <- (1 - lr*lambda) theta``), state created on first use,
and the PyTorch state_dict layout ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

A subclass of the usual elementwise kind gives ``rules`` (name -> check), ``_init_state(p, group)``
and ``_update(p, g, state, group)``; ``step`` runs the loop under ``no_grad`` with in-place Tensor ops,
so every update moves the parameters' version counters. Methods that need more (line searches,
curvature) override ``step`` and may call the closure several times.
"""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np

from .. import backend
from ..autodiff import enable_grad, no_grad
from ..errors import HyperparameterError, ShapeError
from ..tensor import Tensor
from . import flat

# --------------------------------------------------------------------------- validation rules


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _fail(opt, name, value, valid):
    raise HyperparameterError(f"{opt}: invalid {name}={value!r}; {name} must be {valid}")


def nonnegative(opt, name, v):
    if not (_is_real(v) and v >= 0):
        _fail(opt, name, v, "a finite number >= 0")


def positive(opt, name, v):
    if not (_is_real(v) and v > 0):
        _fail(opt, name, v, "a finite number > 0")


def unit_interval(opt, name, v):
    """[0, 1): decay rates, momentum-like averaging factors."""
    if not (_is_real(v) and 0 <= v < 1):
        _fail(opt, name, v, "in [0, 1)")


def closed_unit_interval(opt, name, v):
    if not (_is_real(v) and 0 <= v <= 1):
        _fail(opt, name, v, "in [0, 1]")


def betas(opt, name, v):
    if not (isinstance(v, (tuple, list)) and len(v) == 2 and all(_is_real(b) and 0 <= b < 1 for b in v)):
        _fail(opt, name, v, "a pair (beta1, beta2) with both in [0, 1)")


def count(opt, name, v):
    """An int >= 1: iteration limits, history sizes, update intervals."""
    if not (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1):
        _fail(opt, name, v, "an int >= 1")


def optional(rule):
    """``rule``, or None (an option that is off by default: restart_every, cg_tol, kl_clip)."""

    def check(opt, name, v):
        if v is not None:
            rule(opt, name, v)

    return check


def one_of(*choices):
    """A rule accepting exactly ``choices`` (strings or None)."""

    def check(opt, name, v):
        if v not in choices:
            _fail(opt, name, v, " or ".join(map(repr, choices)))

    return check


def flag(opt, name, v):
    if not isinstance(v, bool):
        _fail(opt, name, v, "True or False")


def _host(value):
    """A state value for state_dict: Tensors become NumPy copies (inside lists and tuples too)."""
    if isinstance(value, Tensor):
        return value.numpy().copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_host(v) for v in value)
    return value


# --------------------------------------------------------------------------- the base class


class Optimizer:
    """Base class: ``Optimizer(params_or_param_groups, defaults)``.

    ``params`` is an iterable of leaf Tensors or of dicts ``{'params': [...], **per_group_options}``;
    options missing from a group are taken from ``defaults``.
    """

    rules: dict = {}  # hyper-parameter name -> check(opt_name, name, value); applied to every group
    requires_closure = False  # True where step(closure) must re-evaluate the loss (line searches, curvature)

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or dicts, got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            opts = ", ".join(f"{k}={v}" for k, v in g.items() if k != "params")
            lines.append(f"  group {i}: {len(g['params'])} params, {opts}")
        return "\n".join(lines) + "\n)"

    # ------------------------------------------------------------------ groups
    def _error(self, message: str) -> HyperparameterError:
        return HyperparameterError(f"{type(self).__name__}: {message}")

    def _check(self, group: dict) -> None:
        """Validate one group's hyper-parameters (override to add cross-argument checks)."""
        for name, rule in self.rules.items():
            if name in group:
                rule(type(self).__name__, name, group[name])

    def add_param_group(self, param_group: dict) -> None:
        """Add a group; a parameter may belong to one group only."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{type(self).__name__}: a param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        params = [params] if isinstance(params, Tensor) else list(params or [])
        if not params:
            raise ValueError(f"{type(self).__name__}: a param group needs a non-empty 'params' list")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf Tensor (shape {p.shape})")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: a param group contains the same parameter twice")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = p.grad.detach()
                    with no_grad():
                        p.grad.zero_()

    # ------------------------------------------------------------------ the step
    @staticmethod
    def _evaluate(closure):
        """Run the closure (which zeroes grads, computes the loss and calls backward) with grad enabled."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None).

        A group whose parameters all have gradients (one device and dtype) is updated in one go: its
        parameters and state are views of flat buffers and ``_update`` runs once on them (see
        ``flat.py``); otherwise, parameter by parameter. Both give the same numbers."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                if self._flat_step(group):
                    continue
                for p in group["params"]:
                    if p.grad is not None:
                        state = self._state(p, group)
                        state["step"] += 1
                        self._update(p, self._grad(p, group), state, group)
        return loss

    def _flat_step(self, group) -> bool:
        params = group["params"]
        if not flat.eligible(params):
            return False
        cache = self.__dict__.setdefault("_flat_groups", {})
        key = tuple(map(id, params))
        packed = cache.get(key)
        if packed is None or any(a is not b for a, b in zip(packed.params, params)):
            packed = cache[key] = flat.FlatGroup(params)
        return packed.step(self, group)

    def _state(self, p, group) -> dict:
        """p's state, created on first use as ``{'step': 0, **self._init_state(p, group)}``."""
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = {"step": 0, **self._init_state(p, group)}
        return state

    def _init_state(self, p, group) -> dict:
        return {}

    def _update(self, p, g, state, group) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update or override step")

    @staticmethod
    def _grad(p, group):
        """The gradient the update uses: negated for ``maximize``; with coupled weight decay
        ``g + lambda*theta`` or, for ``decoupled_weight_decay``, theta shrunk in place by ``1 - lr*lambda``."""
        g = -p.grad if group.get("maximize") else p.grad
        wd = group.get("weight_decay", 0)
        if wd:
            if group.get("decoupled_weight_decay"):
                p.mul_(1 - group["lr"] * wd)
            else:
                g = g + wd * p
        return g

    # ------------------------------------------------------------------ state_dict
    def _params(self) -> list:
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self) -> dict:
        """PyTorch layout; Tensors become NumPy copies, so the dict holds only arrays, numbers and tuples."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[id(p)]: {k: _host(v) for k, v in s.items()} for p, s in self.state.items()}
        groups = [
            {
                **copy.deepcopy({k: v for k, v in g.items() if k != "params"}),
                "params": [index[id(p)] for p in g["params"]],
            }
            for g in self.param_groups
        ]
        return {"state": state, "param_groups": groups}

    def _checked_state(self, state_dict: dict):
        """Validate ``state_dict`` against this optimizer; return (new groups, new state) without applying."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' keys")
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved)} param groups, the optimizer "
                f"{len(self.param_groups)}"
            )
        params, groups = [], []
        for i, (ours, theirs) in enumerate(zip(self.param_groups, saved)):
            if len(ours["params"]) != len(theirs["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(theirs['params'])} parameters in the state "
                    f"dict and {len(ours['params'])} in the optimizer"
                )
            params.extend(zip(theirs["params"], ours["params"]))
            group = {
                **ours,
                **copy.deepcopy({k: v for k, v in theirs.items() if k != "params"}),
                "params": ours["params"],
            }
            self._check(group)
            groups.append(group)
        by_index = dict(params)
        state = {}
        for idx, entry in state_dict["state"].items():
            if idx not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter index {idx}, which no group has")
            p = by_index[idx]
            state[p] = {k: self._restore(p, k, v) for k, v in entry.items()}
        return groups, state

    def _restore(self, p, key, value):
        """A saved state value back on p's device; lists and tuples of arrays element by element (arrays
        must have the shape ``_state_shape`` gives, or be 0-d)."""
        if isinstance(value, (list, tuple)):
            return type(value)(self._restore(p, key, v) for v in value)
        if not isinstance(value, Tensor) and not backend.is_array(value):
            return value
        arr = value.data if isinstance(value, Tensor) else value
        shape = self._state_shape(p, key)
        if arr.ndim and shape is not None and tuple(arr.shape) != shape:
            raise ShapeError(
                f"load_state_dict: state {key!r} has shape {tuple(arr.shape)}, the parameter has shape {shape}"
            )
        dtype = p.dtype if np.dtype(arr.dtype).kind == "f" else None
        return Tensor(backend.asarray(backend.to_numpy(arr), dtype=dtype, device=p.device).copy(), device=p.device)

    def _state_shape(self, p, key):
        """The shape a saved state array must have: p's (elementwise methods); None accepts any shape
        (methods whose state is a flat vector, a matrix or a Kronecker factor override this)."""
        return p.shape

    def load_state_dict(self, state_dict: dict) -> None:
        """Replace hyper-parameters and state; on any mismatch raise and leave the optimizer unchanged."""
        groups, state = self._checked_state(state_dict)
        self.param_groups[:] = groups
        self.state = state
