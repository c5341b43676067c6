"""Argument checks shared by the nn layers, losses and initializers (SPEC §11).

Each looks at Python metadata only (types, shapes, dtypes), never at the data, so a layer can run
them in its constructor and a functional form once per call. ``where`` is the public name the user
called ("Conv2d", "F.conv2d", "kaiming_uniform_"): every message starts with it.
"""

from __future__ import annotations

import numbers

from ..errors import ArgumentError, ArgumentTypeError, AxisError, DTypeError, HyperparameterError
from ..ops.conv import int_tuple as conv_tuple
from ..tensor import Tensor


def int_arg(where: str, name: str, value, low: int = 1) -> int:
    """An int >= ``low`` (a bool, a float or a string is a type error)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ArgumentTypeError(f"{where}: {name} must be an int, got {value!r} ({type(value).__name__})")
    if value < low:
        need = "a positive int" if low == 1 else f"an int >= {low}"
        raise ArgumentError(f"{where}: {name}={value} must be {need}")
    return int(value)


def int_tuple(where: str, name: str, value, n: int, low: int = 1) -> tuple[int, ...]:
    """An int or a tuple/list of ``n`` ints, each >= ``low``, as a tuple of ``n`` ints (the ops' check,
    with the layer's name in the message)."""
    return conv_tuple(value, n, name, where, low)


def real_arg(where: str, name: str, value, low=None, high=None, low_open=False, error=HyperparameterError) -> float:
    """A real number (not bool, not NaN) in [low, high] (``low_open``: low excluded)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ArgumentTypeError(f"{where}: {name} must be a number, got {value!r} ({type(value).__name__})")
    bad = value != value
    if low is not None:
        bad = bad or (value <= low if low_open else value < low)
    if high is not None:
        bad = bad or value > high
    if bad:
        lo = "" if low is None else (f"> {low}" if low_open else f">= {low}")
        hi = "" if high is None else f"<= {high}"
        raise error(f"{where}: {name}={value!r} must be {' and '.join(s for s in (lo, hi) if s)}")
    return value


def tensor_arg(where: str, name: str, value) -> Tensor:
    if not isinstance(value, Tensor):
        raise ArgumentTypeError(f"{where}: {name} must be a Tensor, got {type(value).__name__}")
    return value


def float_input(where: str, x, name: str = "input") -> None:
    """A floating-point Tensor (the layers and float ops refuse integer/bool data)."""
    if not isinstance(x, Tensor):
        raise ArgumentTypeError(f"{where}: {name} must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise DTypeError(f"{where}: {name} must be a floating-point tensor, got dtype {x.dtype}; convert with .float()")


def dim_arg(where: str, name: str, dim, ndim: int) -> int:
    """A dim in [-ndim, ndim) for a tensor of ``ndim`` axes, normalized to [0, ndim)."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise ArgumentTypeError(f"{where}: {name} must be an int, got {dim!r}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise AxisError(f"{where}: {name}={dim} is out of range for a {ndim}-D tensor (valid {-size}..{size - 1})")
    return int(dim) % size


def shape_arg(where: str, name: str, shape) -> tuple[int, ...]:
    """A positive int or a sequence of positive ints (a normalized_shape)."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise ArgumentTypeError(f"{where}: {name} must be an int or a non-empty tuple of ints, got {shape!r}")
    return int_tuple(where, name, tuple(shape), len(shape))
