"""Reduction primitives: sum, max (min is -max(-x)), prod, log_softmax. ``axis`` is a normalized tuple
of ints. Array methods (``a.sum``, ``a.max``) are used rather than ``ufunc.reduce``, which CuPy offers
only for some ufuncs."""

from __future__ import annotations

import itertools

from .. import backend, kernels
from ..autodiff import Function
from .elementwise import _const
from .movement import broadcast

_SMALL = 16  # reduce at most this many elements per output as an elementwise loop...
_MANY = 1 << 14  # ...and only when the array is this large (below it the loop's per-call cost dominates)


_FOLD = {"sum": "add", "max": "maximum"}


def reduce_axes(kind, a, axis, keepdims):
    """``a.sum`` / ``a.max`` over ``axis`` (``kind`` 'sum' or 'max'). When few elements meet per
    output but many outputs are made (pooling windows), the reduction crawls over the strided view;
    folding the slices together with the elementwise ufunc is many times faster, same result. (On a
    GPU the reduction is one kernel, and folding would launch one per slice: there it stays direct.)"""
    if not _folds(a, axis):
        return getattr(a, kind)(axis=axis, keepdims=keepdims)
    ufunc = getattr(backend.xp_of(a), _FOLD[kind])
    out = None
    for idx in _slices(a.shape, axis):
        part = a[idx]
        out = part.copy(order="K") if out is None else ufunc(out, part, out=out)  # K: in x's memory order
    if keepdims:
        out = out.reshape(_keep_shape(a.shape, axis))
    return out


def _folds(a, axis) -> bool:
    """Whether a reduction of the NumPy array ``a`` over ``axis`` runs as a fold over slices (see
    reduce_axes): few elements per output (pooling windows), many outputs."""
    if a.size < _MANY or not isinstance(a, backend.np.ndarray):
        return False
    count = 1
    for i in axis:
        count *= a.shape[i]
    return 0 < count <= _SMALL


def _slices(shape, axis):
    """The indices that pick one element of the ``axis`` dims and all of the others: the slices folded."""
    return itertools.product(*(range(n) if i in axis else [slice(None)] for i, n in enumerate(shape)))


def _divide_into(a, b):
    a /= b


def _keep_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _expand_back(g, shape, axis, keepdims):
    """Cotangent of a reduction broadcast back over the reduced axes."""
    if not keepdims and axis != tuple(range(len(axis))):  # reduced leading axes broadcast back as they are
        g = g.reshape(_keep_shape(shape, axis))
    return g.expand(shape)


class Sum(Function):
    def forward(self, a):
        return reduce_axes("sum", a, self.axis, self.keepdims)

    def vjp(self, g):
        x = self.parents[0]
        return (_expand_back(g, x.shape, self.axis, self.keepdims),)

    def jvp(self, t):
        return None if t is None else t.sum(axis=self.axis, keepdims=self.keepdims)


class Max(Function):
    """max over ``axis``; the cotangent is shared evenly among tied maxima (as torch.amax does)."""

    uses_output = True  # the rules compare x with the max the forward found, rather than find it again

    def forward(self, a):
        return reduce_axes("max", a, self.axis, self.keepdims)

    def _max(self):
        """The forward's max with the reduced axes kept, to compare x with."""
        return self.output().data.reshape(_keep_shape(self.parents[0].shape, self.axis))

    def _weight(self):
        return _const(_max_weight(self.parents[0].data, self._max(), self.axis))

    def vjp(self, g):
        x = self.parents[0]
        xd = x.data
        if kernels.on_device(xd) or _folds(xd, self.axis):  # one op: a kernel on a GPU, slices on the CPU
            keep = _keep_shape(x.shape, self.axis)
            return (MaxSpread.apply(g.reshape(keep), x=xd, m=self._max(), ties=None, axis=self.axis),)
        return (_expand_back(g, x.shape, self.axis, self.keepdims) * self._weight(),)

    def jvp(self, t):
        return None if t is None else (t * self._weight()).sum(axis=self.axis, keepdims=self.keepdims)


def _max_weight(x, m, axis, ties=None):
    """(x == m) / ties as an array: each entry's share of a max's cotangent, for x and its max ``m``
    (kept dims) along ``axis``; ``ties`` counted here when None. 0/0 = NaN where the max was NaN (quietly,
    as in PyTorch)."""
    w = (x == broadcast(m, x.shape)).astype(x.dtype)
    if ties is None:
        ties = reduce_axes("sum", w, axis, True)
    # ties are rare: skip the division on the CPU when there are none (asking would sync a GPU)
    if not isinstance(x, backend.np.ndarray) or (ties.size and (float(ties.max()) > 1 or float(ties.min()) < 1)):
        backend.run_quietly(_divide_into, w, broadcast(ties, x.shape))
    return w


def _spread_over_slices(x, m, g, axis):
    """MaxSpread's forward on the CPU for windows that fold: g (1 / ties) written into each window
    position's slice where x equals the max (a product with the mask: 0 elsewhere, NaN where 1/ties
    is inf, as (x == m) / ties * g gives)."""
    np = backend.np
    rest = [x.shape[i] for i in range(x.ndim) if i not in axis]
    m, g = m.reshape(rest), g.reshape(rest)
    slices = list(_slices(x.shape, axis))
    masks = [x[idx] == m for idx in slices]
    ties = masks[0].astype(x.dtype)
    for mask in masks[1:]:
        ties += mask
    scale = np.empty_like(ties, dtype=np.result_type(g.dtype, x.dtype))  # x's memory order, whatever g's is
    np.multiply(g, np.divide(1, ties, dtype=x.dtype), out=scale)
    out = np.empty_like(x, dtype=scale.dtype)  # in x's memory order, as the next ops (ReLU's mask) read it
    for idx, mask in zip(slices, masks):
        np.multiply(scale, mask, out=out[idx])
    return out


class MaxSpread(Function):
    """g (x == m) / ties: a max's cotangent ``g`` (of the max's kept-dims shape) shared evenly among the
    entries of x equal to their max ``m`` along ``axis`` (``ties`` of them, counted here when None; 0/0 =
    NaN where the max was NaN, as in PyTorch). Max's VJP as one op: one kernel on a GPU
    (kernels.max_spread), and on the CPU, for pooling windows, a pass per window position over
    quarter-size slices, where the broadcast form would repeat g and m over the windows first. Linear
    in g: its JVP is itself, its VJP gathers sum_axis(h (x == m) / ties)."""

    def forward(self, g):
        if kernels.on_device(g):
            return kernels.max_spread(self.x, self.m, g, self._ties())
        x, m, axis = self.x, self.m, self.axis
        if not _folds(x, axis):
            return g * self._weight()
        return backend.run_quietly(_spread_over_slices, x, m, g, axis)

    def _ties(self):
        """The kernel's count of tied maxima, made once."""
        if self.ties is None:
            self.ties = (self.x == self.m).sum(axis=self.axis, keepdims=True, dtype=self.x.dtype)
        return self.ties

    def _weight(self):
        return _max_weight(self.x, self.m, self.axis, self.ties)

    def vjp(self, h):
        return ((h * _const(self._weight())).sum(axis=self.axis, keepdims=True),)

    def jvp(self, t):
        return None if t is None else MaxSpread.apply(t, x=self.x, m=self.m, ties=self.ties, axis=self.axis)


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


class LogSoftmax(Function):
    """log softmax over ``axis``, fused because the loss of every classifier runs through it:
    out = (x - m) - log sum exp(x - m) with m the max, so [1000, 990, 980] is exact (a row holding +inf,
    or only -inf, gives NaN, whatever finite stand-in one would use for m).
    With p = exp(out):  vjp = g - p sum(g),  jvp = t - sum(p t)  (both in Tensor ops, so they
    differentiate again)."""

    uses_output = True

    def forward(self, a):
        return _log_softmax(a, self.axis)

    def vjp(self, g):
        return (g - self.output().exp() * Sum.apply(g, axis=self.axis, keepdims=True),)

    def jvp(self, t):
        return None if t is None else t - (self.output().exp() * t).sum(axis=self.axis, keepdims=True)


class WeightedSum(Function):
    """sum(w * x) over every element, for a constant array ``w`` of x's shape (``weights``): a linear
    functional. nll_loss and cross_entropy are one such op on the log-probabilities, w holding
    -weight[y_i] / normalizer at each target entry and 0 elsewhere, so their backward is one product.
    vjp = g w,  jvp = sum(w t)."""

    def forward(self, a):
        return _weighted_total(self.weights, a)

    def vjp(self, g):
        return (g * _const(self.weights),)

    def jvp(self, t):
        return None if t is None else WeightedSum.apply(t, weights=self.weights)


def _weighted_total(weights, a):
    """sum(weights * a) over every element as a 0-d array of a's dtype (one dot product, no temporary)."""
    xp = backend.xp_of(a)
    return xp.asarray(xp.vdot(weights, a), dtype=a.dtype)


def _log_softmax(a, axis):
    """log softmax of an array along ``axis`` (a tuple), shifted by the max so large logits are exact."""
    return backend.run_quietly(_shifted_log_softmax, a, axis)  # an inf logit gives NaN silently, as in PyTorch


def _shifted_log_softmax(a, axis):
    xp = backend.xp_of(a)
    if kernels.on_device(a):  # max, sum and two fused passes: four launches instead of six
        z, e = kernels.shift_exp(a, a.max(axis=axis, keepdims=True))
        kernels.sub_log(e.sum(axis=axis, keepdims=True), z)
        return z
    z = a - a.max(axis=axis, keepdims=True)
    z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
    return z


class SoftmaxCrossEntropy(Function):
    """sum(K * log softmax(x)) over every element, softmax along ``axis``, for a constant K of x's shape
    (``weights``): cross_entropy as one op (K as in WeightedSum: -weight[y_i] / normalizer at the
    targets). With D(x) = K - softmax(x) * sum_axis K  (``SoftmaxCrossEntropyGrad``):
    vjp = g D(x),  jvp = sum(t D(x))."""

    def forward(self, a):
        self.logp = _log_softmax(a, self.axis)  # kept for the slope, which needs softmax(x) again
        return _weighted_total(self.weights, self.logp)

    def _slope(self):
        return SoftmaxCrossEntropyGrad.apply(self.parents[0], axis=self.axis, weights=self.weights, logp=self.logp)

    def vjp(self, g):
        return (g * self._slope(),)

    def jvp(self, t):
        return None if t is None else (t * self._slope()).sum()


class SoftmaxCrossEntropyGrad(Function):
    """D(x) = K - p * s with p = softmax(x) along ``axis`` and s = sum_axis K: the gradient of
    SoftmaxCrossEntropy, as an op of its own so its backward is one product. Its derivatives (for
    second order): dp = p (dx - sum(p dx)), so  jvp = -s p (t - sum(p t)),  and, the softmax Jacobian
    being symmetric,  vjp = -p (u - sum(p u)) with u = s h. ``logp``: log softmax(x) when the caller
    has it already (SoftmaxCrossEntropy does)."""

    logp = None

    def forward(self, a):
        logp = _log_softmax(a, self.axis) if self.logp is None else self.logp
        if kernels.on_device(a):
            return kernels.softmax_xent_grad(logp, self.weights.sum(axis=self.axis, keepdims=True), self.weights)
        out = backend.xp_of(a).exp(logp)
        out *= -self.weights.sum(axis=self.axis, keepdims=True)
        out += self.weights
        return out

    def _softmax_jvp(self, t):
        """p (t - sum(p t)): the softmax Jacobian (symmetric) applied to t, in Tensor ops."""
        p = self.parents[0].log_softmax(self.axis).exp()
        return p * (t - (p * t).sum(axis=self.axis, keepdims=True))

    def _s(self):
        return _const(self.weights.sum(axis=self.axis, keepdims=True))

    def vjp(self, h):
        return (-self._softmax_jvp(h * self._s()),)

    def jvp(self, t):
        return None if t is None else -(self._s() * self._softmax_jvp(t))
