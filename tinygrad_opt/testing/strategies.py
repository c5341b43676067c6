"""Hypothesis strategies for shapes and arrays, shared by the test suite (and usable by users).

Values stay in moderate ranges (finite differences in float64 are then accurate to ~1e-8).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Array shapes (small by default: checks build full Jacobians)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(shape, min_dims=0, max_dims=None, min_side=1, max_side=4):
    """Shapes that broadcast against ``shape`` (NumPy rules)."""
    return hnp.broadcastable_shapes(shape, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def arrays(shape, low=-2.0, high=2.0, dtype=np.float64):
    """Float arrays with elements in [low, high] (no NaN/Inf)."""
    elems = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.dtype(dtype), shape, elements=elems)


def away_from(values, low=-2.0, high=2.0, gap=1e-2, dtype=np.float64):
    """A strategy factory for arrays that avoid kinks of non-smooth ops (relu at 0, abs at 0, ...)."""

    def build(shape):
        return arrays(shape, low, high, dtype).filter(
            lambda a: np.all(np.min(np.abs(a[..., None] - np.asarray(values)), axis=-1) > gap)
        )

    return build


def tensors(shape=None, low=-2.0, high=2.0, dtype=np.float64):
    """Tensors (float64 by default) of a given or drawn shape."""
    shape_st = shapes() if shape is None else st.just(tuple(shape))
    return shape_st.flatmap(lambda s: arrays(s, low, high, dtype)).map(Tensor)
