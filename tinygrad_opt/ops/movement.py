"""Movement and indexing primitives: reshape, permute, expand, index (gather), index_add (scatter),
index_set, pad, concatenate, flip. All are linear, so each JVP is the op applied to the tangent.

Gather and scatter-add are each other's VJP; with repeated indices the scatter accumulates
(np.add.at), which is what makes ``x[[0, 0, 1]]`` get gradient 2 at position 0.
"""

from __future__ import annotations

import math

from .. import backend
from ..autodiff import Function
from .elementwise import _const

_DENSE_MIN = 1 << 14  # results at least this large ...
_DENSE_AXIS = 8  # ... repeat broadcast axes up to this long into memory ...
_DENSE_INNER = 64  # ... when fewer elements than this follow them


def broadcast(a, shape):
    """``a`` broadcast to ``shape`` (NumPy rules): a view, except that in a large result, short broadcast
    axes near the end are repeated into memory. NumPy's loops run along the innermost axes, and a
    stride-0 axis of length 2 there makes every elementwise op on the result crawl: max-pool's
    backward over (N, C, H/2, 2, W/2, 2) windows multiplied 5x slower through such a view. (A GPU
    kernel has no such inner loop: there the repeat would only be one more launch, so it stays a view.)"""
    xp = backend.xp_of(a)
    shape = tuple(shape)
    if xp is backend.np and math.prod(shape) >= _DENSE_MIN:
        a = a.reshape((1,) * (len(shape) - a.ndim) + a.shape)
        repeated = False
        for ax in range(a.ndim - 1, -1, -1):
            n = shape[ax]
            if a.shape[ax] == 1 and 1 < n <= _DENSE_AXIS and math.prod(shape[ax + 1 :]) < _DENSE_INNER:
                a, repeated = xp.repeat(a, n, axis=ax), True
        if repeated:
            a.flags.writeable = False  # read-only, like the view it stands for
    return a if a.shape == shape else xp.broadcast_to(a, shape)


def index_add(out, index, values, basic: bool):
    """out[index] += values in place, accumulating repeated indices."""
    if basic:
        view = out[index]
        if isinstance(view, backend.np.generic):  # NumPy gives a scalar, not a view, for an element
            out[index] += values
        else:
            view += values  # into the view: ``out[index] += v`` would also copy the view onto itself
    else:
        backend.scatter_add(out, index, values)
    return out


class Reshape(Function):
    view = True

    def forward(self, a):
        return a.reshape(self.shape)

    def vjp(self, g):
        return (g.reshape(self.parents[0].shape),)

    def jvp(self, t):
        return None if t is None else t.reshape(self.shape)


class Permute(Function):
    view = True

    def forward(self, a):
        return a.transpose(self.axes)

    def vjp(self, g):
        inverse = [0] * len(self.axes)
        for i, ax in enumerate(self.axes):
            inverse[ax] = i
        return (g.permute(*inverse),)

    def jvp(self, t):
        return None if t is None else t.permute(*self.axes)


class Expand(Function):
    view = True

    def forward(self, a):
        return broadcast(a, self.shape)

    def vjp(self, g):
        return (g.sum_to(self.parents[0].shape),)

    def jvp(self, t):
        return None if t is None else t.expand(self.shape)


class Index(Function):
    """x[index] for a normalized index (basic: slices/ints/None/Ellipsis; advanced: integer arrays)."""

    def forward(self, a):
        return a[self.index]

    def vjp(self, g):
        x = self.parents[0]
        zeros = backend.xp_of(x.data).zeros_like(x.data)  # in x's memory order (a view's, a conv output's)
        return (IndexAdd.apply(_const(zeros), g, index=self.index, basic=self.basic),)

    def jvp(self, t):
        return None if t is None else Index.apply(t, index=self.index, basic=self.basic)


class BasicIndex(Index):
    view = True


class IndexAdd(Function):
    """base with ``values`` added at ``index`` (scatter-add); VJP: (g, g[index])."""

    def forward(self, base, values):
        return index_add(base.copy(order="K"), self.index, values, self.basic)

    def vjp(self, g):
        _, values = self.parents
        gv = None
        if self.needs[1]:
            gv = Index.apply(g, index=self.index, basic=self.basic).sum_to(values.shape)
        return (g if self.needs[0] else None, gv)

    def jvp(self, tb, tv):
        if tb is None and tv is None:
            return None
        base, values = self.parents
        tb = base.new_zeros(base.shape) if tb is None else tb
        tv = values.new_zeros(values.shape) if tv is None else tv
        return IndexAdd.apply(tb, tv, index=self.index, basic=self.basic)


class IndexSet(Function):
    """base with base[index] = values (out of place); VJP: (g with g[index] = 0, g[index])."""

    def forward(self, base, values):
        out = base.copy()
        out[self.index] = values
        return out

    def vjp(self, g):
        _, values = self.parents
        gb = IndexSet.apply(g, g.new_zeros(()), index=self.index) if self.needs[0] else None
        gv = Index.apply(g, index=self.index, basic=False).sum_to(values.shape) if self.needs[1] else None
        return gb, gv

    def jvp(self, tb, tv):
        if tb is None and tv is None:
            return None
        base, values = self.parents
        tb = base.new_zeros(base.shape) if tb is None else tb
        tv = values.new_zeros(()) if tv is None else tv
        return IndexSet.apply(tb, tv, index=self.index)


class Pad(Function):
    """Constant padding; ``pad`` is a tuple of (before, after) per axis (NumPy's convention)."""

    def forward(self, a):
        # filled, then the input written into its middle: np.pad does the same behind ~30 µs of Python
        shape = tuple(s + lo + hi for s, (lo, hi) in zip(a.shape, self.pad))
        out = backend.xp_of(a).full(shape, self.value, dtype=a.dtype)
        out[tuple(slice(lo, lo + s) for (lo, _), s in zip(self.pad, a.shape))] = a
        return out

    def _inner(self):
        return tuple(slice(lo, lo + s) for (lo, _), s in zip(self.pad, self.parents[0].shape))

    def vjp(self, g):
        return (BasicIndex.apply(g, index=self._inner(), basic=True),)

    def jvp(self, t):
        return None if t is None else Pad.apply(t, pad=self.pad, value=0.0)


class Concatenate(Function):
    def forward(self, *arrays):
        return backend.xp_of(arrays[0]).concatenate(arrays, axis=self.axis)

    def _slices(self):
        start = 0
        for p in self.parents:
            idx = [slice(None)] * p.ndim
            idx[self.axis] = slice(start, start + p.shape[self.axis])
            start += p.shape[self.axis]
            yield tuple(idx)

    def vjp(self, g):
        return tuple(
            BasicIndex.apply(g, index=idx, basic=True) if need else None
            for idx, need in zip(self._slices(), self.needs)
        )

    def jvp(self, *tangents):
        if all(t is None for t in tangents):
            return None
        parts = [p.new_zeros(p.shape) if t is None else t for p, t in zip(self.parents, tangents)]
        return Concatenate.apply(*parts, axis=self.axis)


class Flip(Function):
    def forward(self, a):
        return backend.xp_of(a).flip(a, axis=self.axes)

    def vjp(self, g):
        return (Flip.apply(g, axes=self.axes),)

    def jvp(self, t):
        return None if t is None else Flip.apply(t, axes=self.axes)
