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
from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    ClosureError,
    DeviceError,
    DTypeError,
    HyperparameterError,
    ShapeError,
    StateDictError,
)
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


def check_grads(name: str, params) -> None:
    """Before a step touches anything: every present gradient has its parameter's shape, dtype and device.
    Metadata only (no pass over the data); raises ShapeError/DTypeError/DeviceError naming ``name``
    (``'Adam.step'``), the parameter's index (its state_dict index) and both shapes."""
    for p in params:
        g = p.grad
        if g is not None:
            gd, pd = g.data, p.data
            if gd.shape != pd.shape or (gd.dtype is not pd.dtype and gd.dtype != pd.dtype) or g._device != p._device:
                params = list(params)
                _bad_grad(name, next(i for i, q in enumerate(params) if q is p), p, g)


def _bad_grad(name, i, p, g):
    where = f"{name}: parameter {i} (shape {tuple(p.shape)}, {p.dtype}, {p.device}) has a gradient of shape {g.shape}"
    after = "; nothing was updated"
    if g.shape != p.shape:
        raise ShapeError(
            f"{where}; a gradient must have its parameter's shape {tuple(p.shape)} (was .grad or .data replaced? "
            f"zero_grad() and run backward again){after}"
        )
    if g.dtype != p.dtype:
        raise DTypeError(
            f"{where} and dtype {g.dtype}; a gradient must have its parameter's dtype {p.dtype}; cast it with "
            f".grad = p.grad.to({p.dtype}) or recompute it{after}"
        )
    raise DeviceError(
        f"{where} on {g.device}; a gradient must be on its parameter's device {p.device}; move the model and "
        f"the data to one device{after}"
    )


def _kind(value) -> str:
    """The kind of a fresh state value, for load_state_dict's checks: 'tensor', 'number' or 'any'."""
    if isinstance(value, Tensor) or backend.is_array(value):
        return "tensor"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return "number"
    return "any"


def _fits(kind: str, value) -> bool:
    if kind == "tensor":
        if isinstance(value, Tensor):
            value = value.data
        return backend.is_array(value) and np.dtype(value.dtype).kind in "fc"
    if kind == "int":
        return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0
    if kind == "number":
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    return True


_EXPECTS = {"tensor": "a float array", "int": "an int >= 0", "number": "a number"}


def _type_name(value) -> str:
    if isinstance(value, Tensor) or backend.is_array(value):
        return f"an array of dtype {value.dtype} and shape {tuple(value.shape)}"
    return f"{type(value).__name__} {value!r}"[:80]


def _same_kind(default, value) -> bool:
    """A saved group option without a validation rule has the kind of this optimizer's default (None
    matches anything: an option that is off or not yet set)."""
    if default is None or value is None:
        return True
    for kinds in ((bool,), (str,), (list, tuple), (numbers.Real,)):
        if isinstance(default, kinds):
            return isinstance(value, kinds) and (kinds != (numbers.Real,) or not isinstance(value, bool))
    return True


def tensor_list(name: str, params, allow_empty: bool = False) -> list:
    """The Tensors of ``params`` (a Module's parameters, or an iterable of Tensors), checked."""
    if isinstance(params, Tensor):
        params = [params]
    elif hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    try:
        params = list(params)
    except TypeError:
        params = None
    if params is None or not all(isinstance(p, Tensor) for p in params):
        raise ArgumentTypeError(
            f"{name}: expects a Tensor, a Module or an iterable of Tensors (e.g. model.parameters()), got "
            f"{type(params).__name__ if params is None else [type(p).__name__ for p in params][:4]}"
        )
    if not params and not allow_empty:
        raise ArgumentError(
            f"{name}: got no parameters; pass model or model.parameters() (a generator is used up once)"
        )
    return params


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
    fused = True
    """Whether ``step`` runs the optimizer's fused kernel (``_fused_update``, ``kernels.py``) where it has one:
    one CUDA kernel per flat group on a GPU, and the kernel's NumPy reference on the CPU (no Tensor
    machinery per op: an Adam step of the MNIST-1D MLP takes a third of the time). ``opt.fused = False``
    runs ``_update`` op by op instead (the same rule, as Tensor ops; PyTorch's ``fused=False``)."""
    requires_closure = False  # True where step(closure) must re-evaluate the loss (line searches, curvature)

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise ArgumentTypeError(
                f"{name}: params must be an iterable of Tensors or dicts, got a Tensor; wrap it in a list: "
                f"{name}([w], ...)"
            )
        try:
            groups = list(params)
        except TypeError:
            hint = "pass model.parameters()" if hasattr(params, "parameters") else "pass a list of Tensors"
            raise ArgumentTypeError(
                f"{name}: params must be an iterable of Tensors or dicts, got {type(params).__name__}; {hint}"
            ) from None
        if not groups:
            raise ArgumentError(
                f"{name}: got an empty parameter list; pass the Tensors to optimize (a generator such as "
                f"model.parameters() is exhausted after one use: call it again for each optimizer)"
            )
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
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise ArgumentTypeError(
                f"{name}: a param group must be a dict {{'params': [...], **options}}, got {type(param_group).__name__}"
            )
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        else:
            try:
                params = list(params or [])
            except TypeError:
                raise ArgumentTypeError(
                    f"{name}: a param group's 'params' must be a list of Tensors, got {type(params).__name__}"
                ) from None
        if not params:
            raise ArgumentError(f"{name}: a param group needs a non-empty 'params' list of Tensors")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise ArgumentTypeError(
                    f"{name}: can only optimize Tensors, but params[{i}] is a {type(p).__name__}; pass Tensors "
                    f"(e.g. model.parameters())"
                )
            if not p.is_leaf:
                raise ArgumentError(
                    f"{name}: can't optimize a non-leaf Tensor (params[{i}], shape {p.shape}); pass the leaf "
                    f"parameters, or .detach().requires_grad_() a copy"
                )
            if p.dtype.kind not in "fc":
                raise DTypeError(f"{name}: can only optimize float Tensors, params[{i}] has dtype {p.dtype}")
        if len({id(p) for p in params}) != len(params):
            raise ArgumentError(f"{name}: a param group contains the same parameter twice; pass each once")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ArgumentError(
                f"{name}: some parameters appear in more than one parameter group; each may belong to one group"
            )
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
    def _evaluate(self, closure):
        """Run the closure (which zeroes grads, computes the loss and calls backward) with grad enabled."""
        if closure is None:
            return None
        if not callable(closure):
            raise ClosureError(
                f"{type(self).__name__}.step: closure must be a function (zero_grad, loss, backward, return loss) "
                f"or None, got {type(closure).__name__}"
            )
        with enable_grad():
            return closure()

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None).

        A group whose parameters all have gradients (one device and dtype) is updated in one go: its
        parameters and state are views of flat buffers and ``_update`` runs once on them (see
        ``flat.py``); otherwise, parameter by parameter. Both give the same numbers. All or nothing: every
        gradient is checked against its parameter (shape, dtype, device) before anything changes."""
        loss = self._evaluate(closure)
        check_grads(f"{type(self).__name__}.step", self._params())
        with no_grad():
            for group in self.param_groups:
                if self._flat_step(group):
                    continue
                for p in group["params"]:
                    if p.grad is not None:
                        state = self._state(p, group)
                        state["step"] += 1
                        if self._fuses(p) and self._fused_update(p, p.grad, state, group):
                            p._modified()  # the kernel wrote p's array: its version moves as with in-place ops
                        else:
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

    def _fused_update(self, p, g, state, group) -> bool:
        """The update of ``p`` (a parameter, or a flat group's buffer) as one fused kernel (``kernels.py``),
        from the raw gradient ``g`` (maximize and weight decay applied in the kernel); False where this
        optimizer, or these options, have no kernel: then ``_update`` runs op by op. The kernel and
        ``_update`` are one rule (tests/test_kernels.py holds them to each other)."""
        return False

    def _fuses(self, p) -> bool:
        """Whether ``p``'s update may run as a fused kernel: ``fused`` is on and p is real (the kernels'
        C is written for float and double; complex parameters update op by op)."""
        return self.fused and p.dtype.kind == "f"

    @staticmethod
    def _fused_grad_options(group) -> tuple:
        """(wd, sign) for a fused kernel, as ``_grad`` applies them: coupled weight decay ``wd`` (0 when
        it is decoupled; that one scales theta by ``decay_factor``) and ``sign`` = -1 for maximize."""
        return (0.0 if group.get("decoupled_weight_decay") else group.get("weight_decay", 0),
                -1.0 if group.get("maximize") else 1.0)  # fmt: skip

    @staticmethod
    def _decay_factor(group) -> float:
        """1 - lr * wd with decoupled weight decay (theta shrinks before the step), else 1."""
        wd = group.get("weight_decay", 0)
        return 1 - group["lr"] * wd if wd and group.get("decoupled_weight_decay") else 1.0

    @staticmethod
    def _grad(p, group):
        """The gradient the update uses: negated for ``maximize``; with coupled weight decay
        ``g + lambda*theta`` or, for ``decoupled_weight_decay``, theta shrunk in place by ``1 - lr*lambda``."""
        g = -p.grad if group.get("maximize") else p.grad
        wd = group.get("weight_decay", 0)
        if wd:
            if group.get("decoupled_weight_decay"):
                p.mul_(Optimizer._decay_factor(group))  # 1 - lr*lambda, the fused kernels' factor too
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
        """Validate ``state_dict`` against this optimizer; return (new groups, new state) without applying.
        It must be this optimizer's kind: each saved group has this optimizer's hyper-parameter keys (with
        valid values), each parameter's state the keys this optimizer's update keeps (``_state_spec``),
        with arrays of the parameter's shape and numbers where numbers are kept."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            keys = f" with keys {sorted(map(str, state_dict))}" if isinstance(state_dict, dict) else ""
            raise StateDictError(
                f"{name}: expected a dict with 'state' and 'param_groups' keys (from "
                f"{type(self).__name__}.state_dict()), got {type(state_dict).__name__}{keys}"
            )
        saved, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved, (list, tuple)) or not all(isinstance(g, dict) for g in saved):
            raise StateDictError(f"{name}: 'param_groups' must be a list of dicts, got {_type_name(saved)}")
        if not isinstance(saved_state, dict) or not all(isinstance(e, dict) for e in saved_state.values()):
            raise StateDictError(
                f"{name}: 'state' must be a dict of per-parameter dicts, got {_type_name(saved_state)}"
            )
        if len(saved) != len(self.param_groups):
            raise StateDictError(
                f"{name}: the state dict has {len(saved)} param groups, the optimizer {len(self.param_groups)}"
            )
        params, groups = [], []
        for i, (ours, theirs) in enumerate(zip(self.param_groups, saved)):
            indices = theirs.get("params")
            if not isinstance(indices, (list, tuple)):
                raise StateDictError(f"{name}: group {i} has no 'params' list of parameter indices")
            if len(ours["params"]) != len(indices):
                raise StateDictError(
                    f"{name}: group {i} has {len(indices)} parameters in the state dict and {len(ours['params'])} "
                    f"in the optimizer"
                )
            missing = sorted(set(self.defaults) - set(theirs))
            if missing:
                raise StateDictError(
                    f"{name}: group {i} lacks the hyper-parameters {missing} of {type(self).__name__}; is it another "
                    f"optimizer's state dict? Pass the dict from {type(self).__name__}.state_dict()",
                    missing_keys=missing,
                )
            for key, default in self.defaults.items():
                value = theirs[key]
                if key not in self.rules and not _same_kind(default, value):
                    raise StateDictError(
                        f"{name}: group {i} has {key}={value!r} ({type(value).__name__}) where "
                        f"{type(self).__name__} keeps a {type(default).__name__}",
                        mismatched=[key],
                    )
            params.extend(zip(indices, ours["params"]))
            group = {
                **ours,
                **copy.deepcopy({k: v for k, v in theirs.items() if k != "params"}),
                "params": ours["params"],
            }
            try:
                self._check(group)
            except (HyperparameterError, TypeError) as err:
                raise StateDictError(f"{name}: group {i}: {err}", mismatched=[str(err)]) from None
            groups.append(group)
        by_index = dict(params)
        group_of = {id(p): g for g in groups for p in g["params"]}
        state = {}
        for idx, entry in saved_state.items():
            if isinstance(idx, bool) or idx not in by_index:
                raise StateDictError(f"{name}: state for parameter index {idx!r}, which no group has")
            p = by_index[idx]
            self._check_entry(name, idx, p, group_of[id(p)], entry)
            state[p] = {k: self._restore(p, k, v) for k, v in entry.items()}
        return groups, state

    def _state_spec(self, p, group):
        """(required, optional): state key -> kind ('tensor', 'int', 'number', 'any') that a parameter's state
        holds after a step; derived from a fresh state, so a class's own ``_init_state`` defines it. None: the
        keys are not fixed (vector methods), only the values' types are checked."""
        fresh = {k: _kind(v) for k, v in self._init_state(p, group).items()}
        return {"step": "int", **fresh}, {}

    def _check_entry(self, name, idx, p, group, entry) -> None:
        spec = self._state_spec(p, group)
        if spec is None:
            for key, value in entry.items():
                if isinstance(value, (str, bytes)):
                    raise StateDictError(
                        f"{name}: state {key!r} of parameter {idx} is {_type_name(value)}; expected arrays or numbers",
                        mismatched=[key],
                    )
            return
        required, optional = spec
        missing = sorted(set(required) - set(entry))
        unexpected = sorted(set(entry) - set(required) - set(optional))
        if missing or unexpected:
            raise StateDictError(
                f"{name}: the state of parameter {idx} has missing keys {missing} and unexpected keys {unexpected} for "
                f"{type(self).__name__} with these hyper-parameters (expected {sorted(required)}); is it another "
                f"optimizer's state dict?",
                missing_keys=missing,
                unexpected_keys=unexpected,
            )
        for key, value in entry.items():
            kind = required.get(key) or optional[key]
            if not _fits(kind, value):
                raise StateDictError(
                    f"{name}: state {key!r} of parameter {idx} is {_type_name(value)}; {type(self).__name__} "
                    f"keeps {_EXPECTS[kind]} there",
                    mismatched=[key],
                )
            shape = self._state_shape(p, key) if kind == "tensor" else None
            if shape is not None and tuple(value.shape) != tuple(shape):
                raise StateDictError(
                    f"{name}: state {key!r} of parameter {idx} has shape {tuple(value.shape)}, the parameter has "
                    f"shape {tuple(shape)}; the state dict was saved for another model",
                    mismatched=[key],
                )

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
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: state {key!r} has shape {tuple(arr.shape)}, the parameter "
                f"has shape {shape}",
                mismatched=[key],
            )
        dtype = p.dtype if np.dtype(arr.dtype).kind == "f" else None
        return Tensor(backend.asarray(backend.to_numpy(arr), dtype=dtype, device=p.device), device=p.device)

    def _state_shape(self, p, key):
        """The shape a saved state array must have: p's (elementwise methods); None accepts any shape
        (methods whose state is a flat vector, a matrix or a Kronecker factor override this)."""
        return p.shape

    def load_state_dict(self, state_dict: dict) -> None:
        """Replace hyper-parameters and state; on any mismatch raise and leave the optimizer unchanged."""
        groups, state = self._checked_state(state_dict)
        self.param_groups[:] = groups
        self.state = state
