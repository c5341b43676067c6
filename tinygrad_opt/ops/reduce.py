"""Reduction primitives: sum, max (min is -max(-x)), prod. ``axis`` is a normalized tuple of ints."""

from __future__ import annotations

from .. import backend
from ..autodiff import Function


def _keep_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _expand_back(g, shape, axis, keepdims):
    """Cotangent of a reduction broadcast back over the reduced axes."""
    if not keepdims:
        g = g.reshape(_keep_shape(shape, axis))
    return g.expand(shape)


class Sum(Function):
    def forward(self, a):
        return a.sum(axis=self.axis, keepdims=self.keepdims)

    def vjp(self, g):
        x = self.parents[0]
        return (_expand_back(g, x.shape, self.axis, self.keepdims),)

    def jvp(self, t):
        return None if t is None else t.sum(axis=self.axis, keepdims=self.keepdims)


class Max(Function):
    """max over ``axis``; the cotangent is shared evenly among tied maxima (as torch.amax does)."""

    def forward(self, a):
        return a.max(axis=self.axis, keepdims=self.keepdims)

    def _weight(self):
        x = self.parents[0].data
        hit = x == x.max(axis=self.axis, keepdims=True)
        w = hit / hit.sum(axis=self.axis, keepdims=True)
        from ..tensor import Tensor

        return Tensor._make(w.astype(x.dtype, copy=False), False, None)

    def vjp(self, g):
        x = self.parents[0]
        return (_expand_back(g, x.shape, self.axis, self.keepdims) * self._weight(),)

    def jvp(self, t):
        return None if t is None else (t * self._weight()).sum(axis=self.axis, keepdims=self.keepdims)


class Prod(Function):
    """Product over one axis (or all, axis=None flattened by the caller). d out / d x_i = prod_{j != i} x_j,
    computed as out / x_i when no factor is zero, else by masking the diagonal (exact with zeros)."""

    uses_output = True

    def forward(self, a):
        return a.prod(axis=self.axis, keepdims=self.keepdims)

    def _others(self):
        (x,) = self.parents
        (ax,) = self.axis
        if not bool((x.data == 0).any()):
            out = self.output()
            if not self.keepdims:
                out = out.reshape(_keep_shape(x.shape, self.axis))
            return out / x
        n = x.shape[ax]
        xp = backend.xp_of(x.data)
        off_diagonal = ~xp.eye(n, dtype=bool).reshape((n, n) + (1,) * (x.ndim - ax - 1))
        stacked = x.unsqueeze(ax).expand(x.shape[:ax] + (n,) + x.shape[ax:])  # [..., i, j, ...] = x_j
        return stacked.where(off_diagonal, 1.0).prod(axis=ax + 1)  # [..., i, ...] = prod_{j != i} x_j

    def vjp(self, g):
        x = self.parents[0]
        return (_expand_back(g, x.shape, self.axis, self.keepdims) * self._others(),)

    def jvp(self, t):
        return None if t is None else (t * self._others()).sum(axis=self.axis, keepdims=self.keepdims)
