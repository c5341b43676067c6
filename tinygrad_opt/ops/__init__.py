"""Primitive ops: one small class each, forward + vjp + jvp side by side. ``PRIMITIVES`` lists them all
(the test suite checks that every one has an entry in its table)."""

from ..autodiff import Function
from . import conv, elementwise, linalg, movement, reduce


def _all_primitives():
    seen, stack = [], list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.append(cls)
            stack.extend(cls.__subclasses__())
    return sorted((c for c in seen if not c.__name__.startswith("_")), key=lambda c: c.__name__)


PRIMITIVES = _all_primitives()

__all__ = ["Function", "PRIMITIVES", "conv", "elementwise", "linalg", "movement", "reduce"]
