"""The bad-input table's machinery (SPEC §11): one ``Case`` per bad call, the runner that checks the
exception class, the message fragments and the state that must be unchanged, and the list of public
entry points that the coverage test holds the table against.

A case is data: ``call`` makes the bad call (given the objects ``setup`` built, when there is a
setup), ``raises`` is the expected ``TinygradOptError`` subclass (``None`` where the right answer is
PyTorch's value rather than an error; then ``check`` asserts on the result), ``match`` are fragments
that must all appear in the message (the public function's name, the bad value, the fix), ``state``
returns what must be the same before and after the failed call, and ``covers`` names the public
objects the case exercises (functions, classes, Tensor methods and properties, by identity).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt.optim import lr_scheduler, schedules


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[..., Any]
    raises: type[BaseException] | None
    match: tuple[str, ...] = ()
    covers: tuple[Any, ...] = ()
    setup: Callable[[], Any] | None = None
    state: Callable[[Any], Any] | None = None
    check: Callable[[Any], None] | None = None


def case(id, call, raises, *match, covers=(), setup=None, state=None, check=None) -> Case:
    """Shorthand: ``case("zeros-negative", lambda: tg.zeros(-1), tg.ArgumentError, "zeros", "-1",
    covers=[tg.zeros])``. With ``setup``, ``call`` and ``state`` receive what it returned."""
    return Case(id, call, raises, tuple(match), tuple(covers), setup, state, check)


def snapshot(obj) -> Any:
    """A deep, comparable copy of the state a failed call must not change: tensors (data, dtype,
    grad, requires_grad, version), modules (state_dict, training flag, gradients), optimizers and
    schedulers (state_dict, and an optimizer's parameters), containers of those, arrays, scalars."""
    if isinstance(obj, tg.nn.Module):
        return ("module", obj.training, snapshot(dict(obj.state_dict())), [snapshot(p.grad) for p in obj.parameters()])
    if isinstance(obj, tg.optim.Optimizer):
        params = [p for g in obj.param_groups for p in g["params"]]
        return ("optimizer", snapshot(obj.state_dict()), [snapshot(p) for p in params])
    if isinstance(obj, tg.Tensor):
        return ("tensor", obj.numpy().copy(), str(obj.dtype), obj.requires_grad, snapshot(obj.grad), obj._version)
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        return ("stateful", type(obj).__name__, snapshot(obj.state_dict()))
    if isinstance(obj, Mapping):
        return ("map", [(k, snapshot(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [snapshot(v) for v in obj])
    if isinstance(obj, np.ndarray):
        return ("array", obj.copy(), str(obj.dtype))
    return obj


def same(a, b) -> bool:
    """Exact equality of two snapshots (NaN equals NaN, dtypes must agree)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def run_case(c: Case) -> None:
    """Make the bad call with NumPy's warnings turned into errors; check exception, message, state."""
    env = c.setup() if c.setup is not None else None
    args = () if c.setup is None else (env,)
    before = snapshot(c.state(*args)) if c.state is not None else None
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        if c.raises is None:
            assert c.check is not None, f"{c.id}: a case that expects no error must check the result"
            c.check(c.call(*args))
        else:
            assert issubclass(c.raises, tg.TinygradOptError), f"{c.id}: expect a TinygradOptError subclass"
            try:
                c.call(*args)
            except c.raises as err:
                message = str(err)
                missing = [m for m in c.match if m not in message]
                assert not missing, f"{c.id}: message {message!r} lacks {missing}"
            else:
                raise AssertionError(f"{c.id}: no {c.raises.__name__} raised")
    if c.state is not None:
        assert same(before, snapshot(c.state(*args))), f"{c.id}: the failed call changed the state"


# The public surface the coverage test walks: module label -> module.
PUBLIC_MODULES = {
    "tg": tg,
    "func": tg.func,
    "nn": tg.nn,
    "nn.functional": tg.nn.functional,
    "nn.init": tg.nn.init,
    "nn.regularization": tg.nn.regularization,
    "optim": tg.optim,
    "optim.schedules": schedules,
    "optim.lr_scheduler": lr_scheduler,
    "analysis": tg.analysis,
    "data": tg.data,
    "train": tg.train,
    "strategies": tg.strategies,
    "checkpoint": tg.checkpoint,
}


def _is_entry_point(obj, module) -> bool:
    """A function or class defined in the library (a package re-exports its submodules' names; a
    plain module counts only what it defines, not what it imports)."""
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return False
    if not (inspect.isfunction(obj) or inspect.isclass(obj)):
        return False
    home = getattr(obj, "__module__", "") or ""
    return home.startswith("tinygrad_opt") if hasattr(module, "__path__") else home == module.__name__


def public_entry_points() -> dict[str, Any]:
    """Qualified name -> object for every public function and class of the modules above, each
    object once (under its first name), plus every public Tensor method and property."""
    found: dict[str, Any] = {}
    seen: set[int] = set()
    for label, module in PUBLIC_MODULES.items():
        names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if _is_entry_point(obj, module) and id(obj) not in seen:
                seen.add(id(obj))
                found[f"{label}.{name}"] = obj
    for name, obj in vars(tg.Tensor).items():
        if not name.startswith("_") and id(obj) not in seen:
            seen.add(id(obj))
            found[f"Tensor.{name}"] = obj
    return found
