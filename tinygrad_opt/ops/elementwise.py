"""Elementwise primitives. Each class: forward on arrays, then its VJP and JVP in Tensor ops.

Binary ops broadcast like NumPy; their VJPs sum the cotangent back to each input's shape
(``_to(g, parent)``), which is where the bias gradient of ``x @ W + b`` comes from.
"""

from __future__ import annotations

import math

from .. import autodiff, backend, kernels
from ..autodiff import Function


def _to(g, parent):
    """Sum a broadcast cotangent back to ``parent``'s shape and dtype."""
    if g.data.shape != parent.data.shape:
        g = g.sum_to(parent.data.shape)
    if g.data.dtype != parent.data.dtype:
        g = g.astype(parent.dtype)
    return g


def _tangent_sum(*terms):
    """Sum of the non-None tangent terms (None if there are none)."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else out + t
    return out


def _quiet(forward):
    """Run ``forward`` with NumPy's floating-point warnings off: log(0), x/0, exp overflow, sqrt(-1) give
    -inf/inf/NaN silently, as in PyTorch (anomaly mode reports them when asked). Only on the ops that
    can warn (~0.2 µs each; add, sub and mul warn on inf − inf and 0·inf); matmul does without it."""

    var = backend._errstate_var
    if var is None:  # pragma: no cover - another NumPy layout

        def quiet(self, *arrays):
            return backend.run_quietly(forward, self, *arrays)

    else:  # run_quietly inlined: Adam's sqrt and division run through here every step

        def quiet(self, *arrays):
            token = var.set(backend._IGNORE_FP)
            try:
                return forward(self, *arrays)
            finally:
                var.reset(token)

    quiet.__doc__ = forward.__doc__
    return quiet


def _const(array):
    """A constant (no-grad) Tensor around a backend array, e.g. a mask inside a derivative rule."""
    return autodiff._Tensor._make(array, False, None)


class Add(Function):
    @_quiet
    def forward(self, a, b):
        return a + b

    def vjp(self, g):
        a, b = self.parents
        return (_to(g, a) if self.needs[0] else None, _to(g, b) if self.needs[1] else None)

    def jvp(self, ta, tb):
        a, b = self.parents
        return _broadcast_tangent(_tangent_sum(ta, tb), backend.np.broadcast_shapes(a.shape, b.shape))


class Sub(Function):
    @_quiet
    def forward(self, a, b):
        return a - b

    def vjp(self, g):
        a, b = self.parents
        return (_to(g, a) if self.needs[0] else None, _to(-g, b) if self.needs[1] else None)

    def jvp(self, ta, tb):
        a, b = self.parents
        t = ta if tb is None else (-tb if ta is None else ta - tb)
        return _broadcast_tangent(t, backend.np.broadcast_shapes(a.shape, b.shape))


def _broadcast_tangent(t, shape):
    if t is None or t.shape == tuple(shape):
        return t
    return t.expand(shape)


class Mul(Function):
    @_quiet
    def forward(self, a, b):
        return a * b

    def vjp(self, g):
        a, b = self.parents
        return (_to(g * b, a) if self.needs[0] else None, _to(g * a, b) if self.needs[1] else None)

    def jvp(self, ta, tb):
        a, b = self.parents
        return _tangent_sum(None if ta is None else ta * b, None if tb is None else a * tb)


class Div(Function):
    uses_output = True

    @_quiet
    def forward(self, a, b):
        return a / b

    def vjp(self, g):
        a, b = self.parents
        ga = g / b if self.needs[0] or self.needs[1] else None
        return (_to(ga, a) if self.needs[0] else None, _to(-ga * self.output(), b) if self.needs[1] else None)

    def jvp(self, ta, tb):
        a, b = self.parents
        return _tangent_sum(None if ta is None else ta / b, None if tb is None else -tb * self.output() / b)


class Neg(Function):
    def forward(self, a):
        return -a

    def vjp(self, g):
        return (-g,)

    def jvp(self, t):
        return None if t is None else -t


class PowConst(Function):
    """x ** p for a constant real p: d/dx = p x^(p-1) (exactly 0 when p == 0, even at x = 0)."""

    @_quiet
    def forward(self, a):
        return a**self.p

    def _slope(self):
        (x,) = self.parents
        return x.new_zeros(x.shape) if self.p == 0 else self.p * x ** (self.p - 1)

    def vjp(self, g):
        return (g * self._slope(),)

    def jvp(self, t):
        return None if t is None else t * self._slope()


class Pow(Function):
    """a ** b with both operands tensors; d/db = a^b log a, taken as 0 where a <= 0."""

    uses_output = True

    @_quiet
    def forward(self, a, b):
        return a**b

    def _dlog(self):
        a, _ = self.parents
        positive = a.data > 0
        return (a.where(positive, 1.0).log()).where(positive, 0.0)

    def vjp(self, g):
        a, b = self.parents
        ga = _to(g * b * a ** (b - 1), a) if self.needs[0] else None
        gb = _to(g * self.output() * self._dlog(), b) if self.needs[1] else None
        return ga, gb

    def jvp(self, ta, tb):
        a, b = self.parents
        return _tangent_sum(
            None if ta is None else ta * b * a ** (b - 1), None if tb is None else tb * self.output() * self._dlog()
        )


class _Unary(Function):
    """f(x) with a derivative f'(x) written in Tensor ops: vjp = g f'(x), jvp = t f'(x)."""

    def slope(self):
        raise NotImplementedError

    def vjp(self, g):
        return (Mul.apply(g, self.slope()),)

    def jvp(self, t):
        return None if t is None else Mul.apply(t, self.slope())


class Exp(_Unary):
    uses_output = True

    @_quiet
    def forward(self, a):
        return backend.xp_of(a).exp(a)

    def slope(self):
        return self.output()


class Log(_Unary):
    @_quiet
    def forward(self, a):
        return backend.xp_of(a).log(a)

    def vjp(self, g):
        return (g / self.parents[0],)

    def jvp(self, t):
        return None if t is None else t / self.parents[0]


class Log1p(_Unary):
    @_quiet
    def forward(self, a):
        return backend.xp_of(a).log1p(a)

    def slope(self):
        return 1.0 / (1.0 + self.parents[0])


class Expm1(_Unary):
    uses_output = True

    @_quiet
    def forward(self, a):
        return backend.xp_of(a).expm1(a)

    def slope(self):
        return self.output() + 1.0


class Sin(_Unary):
    @_quiet
    def forward(self, a):
        return backend.xp_of(a).sin(a)

    def slope(self):
        return self.parents[0].cos()


class Cos(_Unary):
    @_quiet
    def forward(self, a):
        return backend.xp_of(a).cos(a)

    def slope(self):
        return -self.parents[0].sin()


class Tanh(_Unary):
    uses_output = True

    def forward(self, a):
        return backend.xp_of(a).tanh(a)

    def slope(self):
        y = self.output()
        return 1.0 - y * y


class Sigmoid(_Unary):
    """1/(1+e^-x), evaluated as e^x/(1+e^x) for x < 0 so that |x| = 1e4 neither overflows nor NaNs."""

    uses_output = True

    @_quiet
    def forward(self, a):
        xp = backend.xp_of(a)
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)

    def slope(self):
        y = self.output()
        return y * (1.0 - y)


class Sqrt(_Unary):
    uses_output = True

    @_quiet
    def forward(self, a):
        return backend.xp_of(a).sqrt(a)

    def slope(self):
        return 0.5 / self.output()


class Abs(_Unary):
    """|x|; the derivative sign(x) is 0 at x = 0, as in PyTorch."""

    def forward(self, a):
        return backend.xp_of(a).abs(a)

    def slope(self):
        x = self.parents[0].data
        return _const(backend.xp_of(x).sign(x))


class Relu(_Unary):
    """max(x, 0); derivative 1[x > 0] (0 at x = 0, as in PyTorch)."""

    def forward(self, a):
        return backend.xp_of(a).maximum(a, 0)

    def vjp(self, g):
        return (ReluMask.apply(g, x=self.parents[0].data),)

    def jvp(self, t):
        return None if t is None else ReluMask.apply(t, x=self.parents[0].data)


class ReluMask(Function):
    """g where x > 0, else 0, for a constant ``x``: ReLU's VJP and JVP as one op (one kernel on a GPU,
    kernels.relu_backward, where a mask and a product take two). Linear in g, so its own VJP and JVP
    are the same mask again (second-order derivatives through ReLU need nothing else)."""

    def forward(self, g):
        if kernels.on_device(g):
            return kernels.relu_backward(g, self.x)
        return g * (self.x > 0)  # 10x faster than np.where; an infinite g at x <= 0 gives NaN here, 0 on a GPU

    def vjp(self, h):
        return (ReluMask.apply(h, x=self.x),)

    def jvp(self, t):
        return None if t is None else ReluMask.apply(t, x=self.x)


class Erf(_Unary):
    def forward(self, a):
        return backend.erf(a)

    def slope(self):
        x = self.parents[0]
        return (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()


class Maximum(Function):
    """Elementwise max(a, b); at ties the gradient is split half and half (PyTorch's rule)."""

    def forward(self, a, b):
        return backend.xp_of(a).maximum(a, b)

    def _weight(self):
        a, b = self.parents
        w = (a.data > b.data) + 0.5 * (a.data == b.data)
        return _const(w.astype(a.dtype if a.dtype.kind == "f" else b.dtype, copy=False))

    def vjp(self, g):
        a, b = self.parents
        w = self._weight()
        return (_to(g * w, a) if self.needs[0] else None, _to(g * (1.0 - w), b) if self.needs[1] else None)

    def jvp(self, ta, tb):
        w = self._weight()
        out = _tangent_sum(None if ta is None else ta * w, None if tb is None else tb * (1.0 - w))
        a, b = self.parents
        return _broadcast_tangent(out, backend.np.broadcast_shapes(a.shape, b.shape))


class Where(Function):
    """cond ? a : b with a constant boolean ``cond``; the unchosen branch gets a zero cotangent."""

    def forward(self, a, b):
        return backend.xp_of(a).where(self.cond, a, b)

    def vjp(self, g):
        a, b = self.parents
        zero = g.new_zeros(())
        return (
            _to(g.where(self.cond, zero), a) if self.needs[0] else None,
            _to(zero.where(self.cond, g), b) if self.needs[1] else None,
        )

    def jvp(self, ta, tb):
        a, b = self.parents
        shape = backend.np.broadcast_shapes(self.cond.shape, a.shape, b.shape)
        ta = a.new_zeros(()) if ta is None else ta
        tb = b.new_zeros(()) if tb is None else tb
        return _broadcast_tangent(ta.where(self.cond, tb), shape)


class Cast(Function):
    @_quiet
    def forward(self, a):
        return a.astype(self.dtype)

    def vjp(self, g):
        return (g.astype(self.parents[0].dtype),)

    def jvp(self, t):
        return None if t is None else t.astype(self.dtype)


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def vjp(self, g):
        return (g,)

    def jvp(self, t):
        return t


class ToDevice(Function):
    moves_device = True

    def forward(self, a):
        return backend.asarray(a, device=self.device)

    def vjp(self, g):
        return (g.to(self.parents[0].device),)

    def jvp(self, t):
        return None if t is None else t.to(self.device)


class Identity(Function):
    """The same array under a new graph node: lets transforms watch a tensor that already has history."""

    view = True

    def forward(self, a):
        return a

    def vjp(self, g):
        return (g,)

    def jvp(self, t):
        return t
