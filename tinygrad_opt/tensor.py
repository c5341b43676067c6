"""Tensor: an array plus the links autodiff needs. The rich API is composed from the primitives in
``ops/``, so composites (softmax, var, conv, ...) need no derivative code of their own.
"""

from __future__ import annotations

import math
import numbers
import weakref

import numpy as np

from . import autodiff, backend
from .errors import DeviceError, DTypeError, GraphError, ShapeError

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_

_default_float = np.dtype(np.float32)


def set_default_dtype(dtype) -> None:
    """Float dtype for tensors made from Python floats and for factories without ``dtype=``."""
    global _default_float
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise DTypeError(f"set_default_dtype: {dt} is not a floating dtype; use float32 or float64")
    _default_float = dt


def get_default_dtype():
    return _default_float


def _normalize_axis(axis, ndim, op):
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, without the general checks
        return (axis % ndim,)
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ShapeError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out)))


def _axis_kw(axis, dim):
    """PyTorch's ``dim=`` wins over ``axis`` whenever it is given (``axis`` may hold a default such as -1)."""
    return axis if dim is None else dim


def _is_basic_index(idx) -> bool:
    return all(i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral)) for i in idx)


class Tensor:
    """An n-d array with reverse- and forward-mode autodiff. ``data`` is the NumPy/CuPy array."""

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_ctx",
        "_vbox",
        "_tangents",
        "_device",
        "_retains_grad",
        "__weakref__",
    )
    __array_priority__ = 1000  # ndarray op Tensor -> Tensor's reflected op

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        """Data given without ``device=`` goes to the default device (NumPy arrays, Python scalars and
        lists alike, as in PyTorch after ``set_default_device``); a Tensor or CuPy array stays where it is."""
        if device is not None:
            dev = backend.parse_device(device)
        elif isinstance(data, Tensor):
            dev = data._device
        elif backend.is_device_array(data):
            dev = backend.device_of(data)
        else:
            dev = backend.get_default_device()
        if isinstance(data, Tensor):
            data = data.data
        from_python = not backend.is_array(data)
        arr = backend.asarray(data, dtype=dtype, device=dev)
        if dtype is None and from_python and arr.dtype.kind == "f" and arr.dtype != _default_float:
            arr = arr.astype(_default_float)
        made = Tensor._make(arr, False, None, None, dev)
        for slot in _SLOTS:
            setattr(self, slot, getattr(made, slot))
        if requires_grad:
            self.requires_grad_()

    @staticmethod
    def _make(data, requires_grad, ctx, vbox=None, device=None):
        """Internal constructor (no conversion): the hot path of every op."""
        t = Tensor.__new__(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t._vbox = [0] if vbox is None else vbox
        t._tangents = None
        t._device = backend.device_of(data) if device is None else device
        t._retains_grad = False
        return t

    # ------------------------------------------------------------------ properties
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    device = property(lambda self: self._device)
    xp = property(lambda self: backend.xp_of(self.data))
    is_leaf = property(lambda self: self._ctx is None)
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))
    mT = property(lambda self: self.transpose(-2, -1))

    def numel(self) -> int:
        return int(self.data.size)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def numpy(self) -> np.ndarray:
        return backend.to_numpy(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self.numel() != 1:
            raise ShapeError(f"item: only a one-element tensor converts to a Python scalar, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.numel() != 1:
            raise ShapeError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self.item())

    __hash__ = object.__hash__

    def __repr__(self):
        extra = ""
        if self._ctx is not None:
            extra = f", grad_fn={type(self._ctx).__name__}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        dev = "" if self._device == "cpu" else f", device='{self._device}'"
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({body}, dtype={self.dtype}{dev}{extra})"

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True):
        if requires_grad and self.dtype.kind not in "fc":
            raise DTypeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}; convert with .float()"
            )
        if not requires_grad and self._ctx is not None:
            raise GraphError("requires_grad_(False) on a non-leaf tensor; use .detach() instead")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self._retains_grad = True
        return self

    def backward(self, grad=None, create_graph=False, retain_graph=None):
        """Accumulate d self / d leaf into every leaf's ``.grad`` (a scalar output needs no ``grad``).
        Inside ``autodiff.keep_backward_graph()`` the pass is recorded, as with ``create_graph=True``."""
        create_graph = create_graph or autodiff._state.keep_graph
        seed = autodiff._seed_cotangent(self, grad, "backward")
        autodiff.run_backward([self], [seed], create_graph=create_graph, retain_graph=retain_graph)

    def detach(self):
        """Same data (shared), no history, no tangents."""
        return Tensor._make(self.data, False, None, self._vbox)

    def detach_(self):
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self):
        return E.Clone.apply(self)

    def zero_grad(self):
        self.grad = None

    def tangent(self, level):
        return None if self._tangents is None else self._tangents.get(level)

    # ------------------------------------------------------------------ conversion
    def to(self, device=None, dtype=None):
        """Move to ``device`` and/or cast to ``dtype``; differentiable."""
        if isinstance(device, (type, np.dtype)) and dtype is None:
            device, dtype = None, device
        out = self
        if device is not None:
            dev = backend.parse_device(device)
            if dev != self._device:
                backend.xp_for(dev)  # fail early with the install hint
                out = E.ToDevice.apply(out, device=dev)
        if dtype is not None:
            out = out.astype(dtype)
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index: int = 0):
        return self.to(f"cuda:{index}")

    def astype(self, dtype):
        dtype = np.dtype(dtype)
        return self if dtype == self.dtype else E.Cast.apply(self, dtype=dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def long(self):
        return self.astype(np.int64)

    def contiguous(self):
        return self

    # ------------------------------------------------------------------ arithmetic
    def _other(self, other):
        """Wrap a scalar/array operand as a constant tensor (Python scalars take self's dtype)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) and not isinstance(other, bool):
            dtype = self.data.dtype
            if dtype.kind not in "fc" and not isinstance(other, numbers.Integral):
                dtype = _default_float
            if self._device == "cpu":
                array = np.asarray(other, dtype=dtype)
            else:  # filled on the device (its own, if several): no host-to-device copy
                with backend._on(self._device):
                    array = self.xp.full((), other, dtype=dtype)
            return Tensor._make(array, False, None, None, self._device)
        return Tensor(other, device=self._device)

    def _operand(self, other):
        """The array (or Python scalar) an in-place update of self applies: a real number stays a scalar
        for a float tensor (NumPy and CuPy cast it to self's dtype, as a 0-d array of that dtype would
        be; on a GPU that saves the kernel that fills one)."""
        if type(other) in (float, int) and self.data.dtype.kind == "f":
            return other
        return self._other(other).data

    def __add__(self, other):
        return E.Add.apply(self, self._other(other))

    def __radd__(self, other):
        return E.Add.apply(self._other(other), self)

    def __sub__(self, other):
        return E.Sub.apply(self, self._other(other))

    def __rsub__(self, other):
        return E.Sub.apply(self._other(other), self)

    def __mul__(self, other):
        return E.Mul.apply(self, self._other(other))

    def __rmul__(self, other):
        return E.Mul.apply(self._other(other), self)

    def __truediv__(self, other):
        return E.Div.apply(self, self._other(other))

    def __rtruediv__(self, other):
        return E.Div.apply(self._other(other), self)

    def __neg__(self):
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            if exponent == 1:
                return self
            return E.PowConst.apply(
                self, p=float(exponent) if not isinstance(exponent, numbers.Integral) else int(exponent)
            )
        return E.Pow.apply(self, self._other(exponent))

    def __rpow__(self, base):
        return E.Pow.apply(self._other(base), self)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self._other(other).matmul(self)

    def matmul(self, other):
        """Matrix product with NumPy semantics: 1-D operands are promoted, batch dims broadcast."""
        other = self._other(other)
        L.check_matmul(self, other)
        a = self.reshape((1,) + self.shape) if self.ndim == 1 else self
        b = other.reshape(other.shape + (1,)) if other.ndim == 1 else other
        out = L.Matmul.apply(a, b)
        if self.ndim == 1:  # drop the promoted row axis first, then the promoted column: (3,) @ (3,) is 0-d
            out = out.reshape(out.shape[:-2] + out.shape[-1:])
        if other.ndim == 1:
            out = out.reshape(out.shape[:-1])
        return out

    def dot(self, other):
        return self.matmul(other)

    def addmm(self, mat1, mat2, *, beta=1.0, alpha=1.0):
        """``beta * self + alpha * (mat1 @ mat2)`` (see ``tinygrad_opt.addmm``)."""
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    # comparisons: no gradient, boolean results
    def _cmp(self, other, fn):
        o = other.data if isinstance(other, Tensor) else other
        return Tensor._make(fn(self.data, o), False, None)

    def __lt__(self, other):
        return self._cmp(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._cmp(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._cmp(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._cmp(other, lambda a, b: a >= b)

    def __eq__(self, other):
        return self._cmp(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._cmp(other, lambda a, b: a != b)

    def __and__(self, other):
        return self._cmp(other, lambda a, b: a & b)

    def __or__(self, other):
        return self._cmp(other, lambda a, b: a | b)

    def __invert__(self):
        return Tensor._make(~self.data, False, None)

    def isfinite(self):
        return Tensor._make(self.xp.isfinite(self.data), False, None)

    def isnan(self):
        return Tensor._make(self.xp.isnan(self.data), False, None)

    def any(self, axis=None, keepdims=False):
        return Tensor._make(self.data.any(axis=axis, keepdims=keepdims), False, None)

    def all(self, axis=None, keepdims=False):
        return Tensor._make(self.data.all(axis=axis, keepdims=keepdims), False, None)

    def argmax(self, axis=None, keepdims=False):
        return Tensor._make(self.xp.argmax(self.data, axis=axis, keepdims=keepdims), False, None)

    def argmin(self, axis=None, keepdims=False):
        return Tensor._make(self.xp.argmin(self.data, axis=axis, keepdims=keepdims), False, None)

    def sign(self):
        return Tensor._make(self.xp.sign(self.data), False, None)

    # ------------------------------------------------------------------ unary math
    def exp(self):
        return E.Exp.apply(self)

    def log(self):
        return E.Log.apply(self)

    def log1p(self):
        return E.Log1p.apply(self)

    def expm1(self):
        return E.Expm1.apply(self)

    def sqrt(self):
        return E.Sqrt.apply(self)

    def rsqrt(self):
        return self**-0.5

    def sin(self):
        return E.Sin.apply(self)

    def cos(self):
        return E.Cos.apply(self)

    def tanh(self):
        return E.Tanh.apply(self)

    def sigmoid(self):
        return E.Sigmoid.apply(self)

    def abs(self):
        return E.Abs.apply(self)

    def erf(self):
        return E.Erf.apply(self)

    def relu(self):
        return E.Relu.apply(self)

    def leaky_relu(self, negative_slope=0.01):
        return self.where(self.data > 0, self * negative_slope)

    def elu(self, alpha=1.0):
        return self.where(self.data > 0, alpha * self.clip(max=0.0).expm1())

    def gelu(self, approximate="none"):
        """x Phi(x) (exact, with erf) or PyTorch's tanh approximation."""
        if approximate == "tanh":
            inner = math.sqrt(2.0 / math.pi) * (self + 0.044715 * self**3)
            return 0.5 * self * (1.0 + inner.tanh())
        if approximate != "none":
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return 0.5 * self * (1.0 + (self * (1.0 / math.sqrt(2.0))).erf())

    def silu(self):
        return self * self.sigmoid()

    def softplus(self, beta=1.0, threshold=20.0):
        """log(1 + e^(beta x)) / beta: z + log1p(e^-z) for z > 0, log1p(e^z) otherwise, each branch fed
        only its own side of 0 (finite at |x| = 1e4, and smooth at 0: slope 1/2, curvature 1/4)."""
        z = self * beta if beta != 1.0 else self
        pos = z.data > 0
        zp, zn = z.where(pos, 0.0), z.where(~pos, 0.0)
        stable = (zp + (-zp).exp().log1p()).where(pos, zn.exp().log1p())
        if beta != 1.0:
            stable = stable / beta
        return self.where(z.data > threshold, stable)

    def clip(self, min=None, max=None):
        """Clamp to [min, max]; gradient 1 inside (bounds included), 0 outside (PyTorch's clamp)."""
        lo = self._other(min).data if min is not None else None
        hi = self._other(max).data if max is not None else None
        clipped = self.xp.clip(self.data, lo, hi)
        inside = clipped == self.data
        return self.where(inside, Tensor._make(clipped, False, None))

    clamp = clip

    def maximum(self, other):
        return E.Maximum.apply(self, self._other(other))

    def minimum(self, other):
        return -E.Maximum.apply(-self, -self._other(other))

    def where(self, cond, other):
        """``cond ? self : other`` (cond: boolean Tensor/array, constant)."""
        cond = cond.data if isinstance(cond, Tensor) else cond
        if not backend.is_array(cond):  # a list (an array on another device is moved by the op)
            cond = backend.asarray(cond, dtype=bool, device=self._device)
        other = self._other(other)
        if other.dtype != self.dtype and other.dtype.kind == "f" and self.dtype.kind == "f":
            other = other.astype(np.result_type(self.dtype, other.dtype))
        return E.Where.apply(self, other, cond=cond)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False, dim=None):
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "sum")
        return R.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False, dim=None):
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "mean")
        count = math.prod(self.data.shape[a] for a in axis)
        return R.Sum.apply(self, axis=axis, keepdims=keepdims) * (1.0 / max(count, 1))

    def var(self, axis=None, keepdims=False, correction=1, dim=None, unbiased=None):
        """Variance with Bessel's ``correction`` (1 = unbiased, PyTorch's default; 0 = population)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "var")
        count = 1
        for a in axis:
            count *= self.shape[a]
        centered = self - self.mean(axis=axis, keepdims=True)
        return (centered * centered).sum(axis=axis, keepdims=keepdims) * (
            1.0 / max(count - correction, 0) if count > correction else math.inf
        )

    def std(self, axis=None, keepdims=False, correction=1, dim=None, unbiased=None):
        return self.var(axis, keepdims, correction, dim, unbiased).sqrt()

    def max(self, axis=None, keepdims=False, dim=None):
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "max")
        if self.numel() == 0:
            raise ShapeError(f"max: cannot reduce an empty tensor of shape {self.shape}")
        return R.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False, dim=None):
        return -(-self).max(axis, keepdims, dim)

    amax, amin = max, min

    def prod(self, axis=None, keepdims=False, dim=None):
        axis = _axis_kw(axis, dim)
        if axis is None:
            out = self.reshape((-1,)).prod(axis=0)
            return out.reshape((1,) * self.ndim) if keepdims else out
        axes = _normalize_axis(axis, self.ndim, "prod")
        out = self
        for a in sorted(axes, reverse=True):
            out = R.Prod.apply(out, axis=(a,), keepdims=keepdims)
        return out

    def logsumexp(self, axis=None, keepdims=False, dim=None):
        """log sum exp, shifted by the (constant) max m: exact for every derivative order, since
        logsumexp(x) = log sum exp(x - c) + c for any c; -inf maxima shift by 0. Finite for
        [1000, 990, 980]; gradient 0 at -inf entries."""
        axes = _normalize_axis(_axis_kw(axis, dim), self.ndim, "logsumexp")
        m = self.data.max(axis=axes, keepdims=True)
        m = Tensor._make(self.xp.where(self.xp.isfinite(m), m, 0), False, None)
        out = (self - m).exp().sum(axis=axes, keepdims=True).log() + m
        return out if keepdims else out.reshape(tuple(s for i, s in enumerate(self.shape) if i not in axes))

    def log_softmax(self, axis=-1, dim=None):
        """(x - m) - log sum exp(x - m): the max is never added back, so no precision is lost to it."""
        return R.LogSoftmax.apply(self, axis=_normalize_axis(_axis_kw(axis, dim), self.ndim, "log_softmax/softmax"))

    def softmax(self, axis=-1, dim=None):
        return self.log_softmax(axis, dim).exp()

    def norm(self, p=2, axis=None, keepdims=False, dim=None):
        """Vector p-norm over ``axis`` (all elements by default); gradient 0 at the zero vector for p=2."""
        axis = _axis_kw(axis, dim)
        if p == 2:
            sq = (self * self).sum(axis=axis, keepdims=keepdims)
            positive = sq.data > 0
            return sq.where(positive, 1.0).sqrt().where(positive, 0.0)
        if p == 1:
            return self.abs().sum(axis=axis, keepdims=keepdims)
        if p == math.inf:
            return self.abs().max(axis=axis, keepdims=keepdims)
        if p == -math.inf:
            return self.abs().min(axis=axis, keepdims=keepdims)
        if p == 0:
            return Tensor._make((self.data != 0).sum(axis=axis, keepdims=keepdims).astype(self.dtype), False, None)
        return (self.abs() ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)

    def sum_to(self, shape):
        """Sum broadcast dimensions away so the result has ``shape`` (the VJP of broadcasting)."""
        shape = tuple(shape)
        own = self.data.shape
        if own == shape:
            return self
        lead = len(own) - len(shape)
        if lead < 0:
            raise ShapeError(f"sum_to: cannot reduce shape {own} to the larger shape {shape}")
        inner = tuple(i + lead for i, s in enumerate(shape) if s == 1 and own[i + lead] != 1)
        if not inner:  # only leading axes were broadcast (a bias): one reduction, no reshape
            return R.Sum.apply(self, axis=tuple(range(lead)), keepdims=False)
        out = R.Sum.apply(self, axis=tuple(range(lead)) + inner, keepdims=True)
        return M.Reshape.apply(out, shape=shape) if out.data.shape != shape else out

    # ------------------------------------------------------------------ movement
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if shape == self.data.shape:
            return self
        if -1 in shape:
            known = 1
            for s in shape:
                if s != -1:
                    known *= s
            if shape.count(-1) > 1 or known == 0 or self.numel() % known:
                raise ShapeError(f"reshape: cannot infer -1 in {shape} for a tensor of shape {self.shape}")
            shape = tuple(self.numel() // known if s == -1 else s for s in shape)
        if math.prod(shape) != self.numel():
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {self.shape} ({self.numel()} elements) into {shape}"
            )
        return self if shape == self.shape else M.Reshape.apply(self, shape=shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:s] + (math.prod(self.shape[s : e + 1]),) + self.shape[e + 1 :])

    def permute(self, *axes):
        axes = _shape_arg(axes)
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ShapeError(f"permute: {axes} is not a permutation of the {self.ndim} axes of shape {self.shape}")
        axes = tuple(a % self.ndim for a in axes)
        return self if axes == tuple(range(self.ndim)) else M.Permute.apply(self, axes=axes)

    def transpose(self, dim0=-2, dim1=-1):
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(*axes)

    def squeeze(self, axis=None, dim=None):
        axis = _axis_kw(axis, dim)
        if axis is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        axes = _normalize_axis(axis, self.ndim, "squeeze")
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in axes and s == 1)))

    def unsqueeze(self, axis):
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def expand(self, *shape):
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand: target {shape} has fewer dimensions than the tensor {self.shape}")
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
        for i, s in enumerate(self.shape):
            if s != 1 and s != shape[i + lead]:
                raise ShapeError(f"expand: cannot broadcast shape {self.shape} to {shape}")
        return self if shape == self.shape else M.Expand.apply(self, shape=shape)

    broadcast_to = expand

    def __getitem__(self, index):
        index = _normalize_index(index, self)
        if _is_basic_index(index):
            return M.BasicIndex.apply(self, index=index, basic=True)
        return M.Index.apply(self, index=index, basic=False)

    def pad(self, pad_width, value=0.0):
        """Constant padding, NumPy's convention: one (before, after) pair per axis."""
        pad_width = tuple((int(a), int(b)) for a, b in pad_width)
        if len(pad_width) != self.ndim or any(a < 0 or b < 0 for a, b in pad_width):
            raise ShapeError(
                f"pad: need {self.ndim} non-negative (before, after) pairs for shape {self.shape}, got {pad_width}"
            )
        return M.Pad.apply(self, pad=pad_width, value=value)

    def flip(self, axis=None, dim=None):
        axes = _normalize_axis(_axis_kw(axis, dim), self.ndim, "flip")
        return M.Flip.apply(self, axes=axes)

    def split(self, split_size_or_sections, axis=0, dim=None):
        """PyTorch's split: chunks of size ``n`` (last may be smaller) or the given list of sizes."""
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "split")[0]
        n = self.shape[axis]
        if isinstance(split_size_or_sections, numbers.Integral):
            size = int(split_size_or_sections)
            sizes = [min(size, n - i) for i in range(0, n, size)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ShapeError(f"split: sizes {sizes} sum to {sum(sizes)} but axis {axis} has length {n}")
        out, start = [], 0
        for s in sizes:
            idx = [slice(None)] * self.ndim
            idx[axis] = slice(start, start + s)
            out.append(self[tuple(idx)])
            start += s
        return out

    def chunk(self, chunks, axis=0, dim=None):
        axis = _axis_kw(axis, dim)
        n = self.shape[axis]
        return self.split(-(-n // chunks), axis=axis)

    def repeat(self, *sizes):
        """PyTorch's Tensor.repeat (NumPy's tile): repeat the whole tensor ``sizes[i]`` times along axis i."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(
                f"repeat: {sizes} has fewer repeat counts than shape {self.shape} has dims; give one count per dim"
            )
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        inter = []
        for r, s in zip(sizes, x.shape):
            inter += [r, s]
        expanded = x.reshape(tuple(v for s in x.shape for v in (1, s))).expand(tuple(inter))
        return expanded.reshape(tuple(r * s for r, s in zip(sizes, x.shape)))

    def repeat_interleave(self, repeats: int, axis=0):
        axis = axis % self.ndim
        x = self.unsqueeze(axis + 1)
        shape = list(x.shape)
        shape[axis + 1] = repeats
        x = x.expand(tuple(shape))
        return x.reshape(self.shape[:axis] + (self.shape[axis] * repeats,) + self.shape[axis + 1 :])

    def take_along_axis(self, indices, axis):
        """out[..., i, ...] = self[..., indices[..., i, ...], ...] along ``axis`` (torch.gather)."""
        idx = indices.data if isinstance(indices, Tensor) else backend.asarray(indices, device=self._device)
        axis = axis % self.ndim
        if idx.ndim != self.ndim:
            raise ShapeError(
                f"take_along_axis: indices of shape {idx.shape} need {self.ndim} dims like the input {self.shape}"
            )
        full = _along_axis_index(idx, axis, self.xp)
        return M.Index.apply(self, index=full, basic=False)

    def gather(self, dim, index):
        return self.take_along_axis(index, dim)

    def scatter_add(self, dim, index, src):
        """out = self; out[..., index[i], ...] += src[i] along ``dim`` (repeated indices accumulate)."""
        idx = index.data if isinstance(index, Tensor) else backend.asarray(index, device=self._device)
        src = self._other(src)
        dim = dim % self.ndim
        if idx.ndim != self.ndim or src.ndim != self.ndim or any(i > s for i, s in zip(idx.shape, src.shape)):
            raise ShapeError(
                f"scatter_add: index {idx.shape} and src {src.shape} must have the input's {self.ndim} dims, with "
                f"index no larger than src in any dim"
            )
        src = src[tuple(slice(0, s) for s in idx.shape)] if src.shape != idx.shape else src
        return M.IndexAdd.apply(self, src, index=_along_axis_index(idx, dim, self.xp), basic=False)

    # ------------------------------------------------------------------ nn-style helpers
    def dropout(self, p=0.5, training=True, generator=None):
        """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)."""
        if not 0 <= p <= 1:
            raise ValueError(f"dropout: p must be in [0, 1], got {p}")
        if not training or p == 0:
            return self
        if p == 1:
            return self * 0.0
        gen = generator or backend.default_generator(self._device)
        keep = gen.rng.random(self.shape, dtype=np.float64 if self.dtype == np.float64 else np.float32) >= p
        return self * Tensor._make((keep / (1.0 - p)).astype(self.dtype), False, None)

    def conv2d(self, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return C.conv2d(self, weight, bias, stride, padding, dilation, groups)

    def conv1d(self, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return C.conv1d(self, weight, bias, stride, padding, dilation, groups)

    def max_pool2d(self, kernel_size, stride=None, padding=0, dilation=1):
        return C.max_pool2d(self, kernel_size, stride, padding, dilation)

    def avg_pool2d(self, kernel_size, stride=None, padding=0):
        return C.avg_pool2d(self, kernel_size, stride, padding)

    # ------------------------------------------------------------------ new tensors like self
    def new_zeros(self, shape):
        shape = shape if type(shape) is tuple else _shape_arg((shape,))
        return Tensor._make(self.xp.zeros(shape, dtype=self.data.dtype), False, None, None, self._device)

    def new_ones(self, shape):
        return Tensor._make(self.xp.ones(_shape_arg((shape,)), dtype=self.dtype), False, None)

    def new_full(self, shape, value):
        return Tensor._make(self.xp.full(_shape_arg((shape,)), value, dtype=self.dtype), False, None)

    # ------------------------------------------------------------------ in-place ops
    def _inplace(self, op: str, fast, functional, *others):
        """Update self in place. Without graph recording the array is mutated directly; with it the
        result is computed out of place and self takes over the new node (its old value is kept by a
        snapshot). Either way the version counter moves, so a stale saved tensor is caught in backward."""
        state = autodiff._state
        if not state.grad_enabled and not state.active_levels:  # the optimizer's case: nothing can record
            fast(self.data, *[self._operand(o) for o in others])
            return self._modified()
        others = tuple([self._other(o) for o in others])
        recording = tangents = False
        for t in (self, *others):
            recording = recording or t.requires_grad
            tangents = tangents or bool(t._tangents)
        recording = recording and autodiff.is_grad_enabled()
        if recording and self.requires_grad and self._ctx is None:
            raise GraphError(
                f"{op}: a leaf tensor that requires grad (shape {self.shape}) cannot be modified in place while "
                f"gradients are recorded; wrap the update in `with no_grad():`"
            )
        if not recording and not tangents:
            fast(self.data, *[o.data for o in others])
        else:
            old = Tensor._make(self.data, self.requires_grad, self._ctx, [self._vbox[0]])
            old._tangents = self._tangents
            if old._ctx is not None and hasattr(old._ctx, "out_ref"):
                old._ctx.out_ref = weakref.ref(old)
            result = functional(old, *others)
            if result.shape != self.shape:
                raise ShapeError(f"{op}: result shape {result.shape} does not match the tensor's shape {self.shape}")
            result = result.astype(self.dtype)
            self.data, self._ctx, self.requires_grad = result.data, result._ctx, result.requires_grad
            self._tangents = result._tangents
            if self._ctx is not None and hasattr(self._ctx, "out_ref"):
                self._ctx.out_ref = weakref.ref(self)
        return self._modified()

    def _modified(self):
        """Record an in-place change: the version counter catches stale saved tensors in backward, and
        the global count tells the sweep which nodes need that check at all. Every in-place path ends here."""
        self._vbox[0] += 1
        autodiff._state.mutations += 1
        return self

    def add_(self, other, alpha=1.0):
        state = autodiff._state
        if type(other) is Tensor and not state.grad_enabled and not state.active_levels:  # an optimizer step
            data = self.data
            data += other.data if alpha == 1 else alpha * other.data
            return self._modified()

        def fast(a, b):
            a += b if alpha == 1 else alpha * b

        return self._inplace("add_", fast, lambda a, b: a + (b if alpha == 1 else alpha * b), other)

    def sub_(self, other, alpha=1.0):
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        def fast(a, b):
            a *= b

        return self._inplace("mul_", fast, lambda a, b: a * b, other)

    def div_(self, other):
        def fast(a, b):
            a /= b

        return self._inplace("div_", fast, lambda a, b: a / b, other)

    def addcmul_(self, t1, t2, value=1.0):
        def fast(a, b, c):
            a += value * (b * c)

        return self._inplace("addcmul_", fast, lambda a, b, c: a + value * (b * c), t1, t2)

    def addcdiv_(self, t1, t2, value=1.0):
        def fast(a, b, c):
            a += value * (b / c)

        return self._inplace("addcdiv_", fast, lambda a, b, c: a + value * (b / c), t1, t2)

    def lerp_(self, end, weight):
        def fast(a, b):
            a += weight * (b - a)

        return self._inplace("lerp_", fast, lambda a, b: a + weight * (b - a), end)

    def copy_(self, src):
        src = self._other(src)
        if src.device != self.device:
            src = src.to(self.device)

        def fast(a, b):
            a[...] = b

        return self._inplace("copy_", fast, _replaced, src)

    def fill_(self, value):
        def fast(a):
            a.fill(value)

        return self._inplace("fill_", fast, lambda a: _replaced(a, a._other(value)))

    def zero_(self):
        return self.fill_(0.0)

    def clamp_(self, min=None, max=None):
        def fast(a):
            self.xp.clip(a, min, max, out=a)

        return self._inplace("clamp_", fast, lambda a: a.clip(min, max))

    clip_ = clamp_

    def uniform_(self, low=0.0, high=1.0, generator=None):
        gen = generator or backend.default_generator(self._device)
        with autodiff.no_grad():
            sample = low + (high - low) * gen.rng.random(self.shape)  # NumPy's uniform(low, high), CuPy's way
            return self.copy_(Tensor._make(sample.astype(self.dtype), False, None))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        gen = generator or backend.default_generator(self._device)
        with autodiff.no_grad():
            sample = mean + std * gen.rng.standard_normal(self.shape)  # NumPy's normal(); CuPy's Generator has none
            return self.copy_(Tensor._make(sample.astype(self.dtype), False, None))

    def __setitem__(self, index, value):
        index = _normalize_index(index, self)

        def fast(a, v):
            try:
                a[index] = v
            except ValueError as e:
                raise ShapeError(f"__setitem__: a value of shape {v.shape} does not fit there ({e})") from None

        self._inplace("__setitem__", fast, lambda a, v: M.IndexSet.apply(a, v, index=index), value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)


autodiff._Tensor = Tensor
autodiff._make = Tensor._make


def _replaced(a, b):
    """``b`` broadcast to a's shape, as a function of ``a`` (gradient 0 to a): copy_/fill_ out of place."""
    return a.where(a.xp.zeros(a.shape, dtype=bool), b)


_SLOTS = [s for s in Tensor.__slots__ if s != "__weakref__"]


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _normalize_index(index, x):
    """Index with Tensors unwrapped and boolean masks turned into integer arrays (so gather/scatter
    handle them alike)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    dim = 0
    for i in index:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, list):
            i = backend.asarray(i, device=x._device)
        if backend.is_array(i) and i.dtype == np.bool_:
            if i.shape != x.shape[dim : dim + i.ndim]:
                dims = x.shape[dim : dim + i.ndim]
                raise ShapeError(f"__getitem__: boolean mask of shape {i.shape} does not match the indexed dims {dims}")
            out.extend(i.nonzero())
            dim += i.ndim
            continue
        if backend.is_array(i) and i.dtype.kind not in "iu":
            raise ShapeError(f"__getitem__: index arrays must be integer or boolean, got dtype {i.dtype}")
        out.append(i)
        if i is not None and i is not Ellipsis:
            dim += 1
    return tuple(out)


def _along_axis_index(idx, axis, xp):
    """Full advanced index selecting idx along ``axis`` and every position elsewhere."""
    full = []
    for d in range(idx.ndim):
        if d == axis:
            full.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[d] = idx.shape[d]
            full.append(xp.arange(idx.shape[d]).reshape(shape))
    return tuple(full)


# --------------------------------------------------------------------------- factories


def _factory_dtype(dtype):
    return _default_float if dtype is None else np.dtype(dtype)


def tensor(data, requires_grad=False, dtype=None, device=None):
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def _made(array, requires_grad):
    t = Tensor._make(array, False, None)
    return t.requires_grad_() if requires_grad else t


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).zeros(_shape_arg(shape), dtype=_factory_dtype(dtype)), requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False):
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).ones(_shape_arg(shape), dtype=_factory_dtype(dtype)), requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).full(_shape_arg((shape,)), fill_value, dtype=_factory_dtype(dtype)), requires_grad)


def arange(start, stop=None, step=1, dtype=None, device=None, requires_grad=False):
    dev = backend.parse_device(device)
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, stop, step))
        dtype = np.int64 if is_int else _default_float
    return _made(backend.xp_for(dev).arange(start, stop, step, dtype=dtype), requires_grad)


def linspace(start, stop, num, dtype=None, device=None, requires_grad=False):
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).linspace(start, stop, num, dtype=_factory_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).eye(n, m, dtype=_factory_dtype(dtype)), requires_grad)


def _generator(generator, device, where: str):
    """``generator`` (checked against ``device`` when both are given) or the device's default one."""
    if generator is None:
        return backend.default_generator(device)
    if device is not None and backend.parse_device(device) != generator.device:
        raise DeviceError(
            f"{where}: device={device!r} but the generator draws on {generator.device!r}; pass a generator made "
            f"for that device (tinygrad_opt.Generator(seed, device={device!r})) or drop device="
        )
    return generator


def rand(*shape, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform [0, 1) samples from ``generator`` (default: the device's seeded generator)."""
    gen = _generator(generator, device, "rand")
    dt = _factory_dtype(dtype)
    return _made(gen.rng.random(_shape_arg(shape), dtype=np.float64).astype(dt), requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples from ``generator`` (default: the device's seeded generator)."""
    gen = _generator(generator, device, "randn")
    dt = _factory_dtype(dtype)
    return _made(gen.rng.standard_normal(_shape_arg(shape), dtype=np.float64).astype(dt), requires_grad)


def randint(low, high, shape, device=None, generator=None):
    gen = _generator(generator, device, "randint")
    return _made(gen.rng.integers(low, high, _shape_arg((shape,))).astype(np.int64), False)


def _like(fn):
    def like(x, dtype=None, device=None, requires_grad=False, **kw):
        return fn(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad, **kw)

    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"{fn.__name__} with the shape, dtype and device of ``x``."
    return like


zeros_like, ones_like, rand_like, randn_like = _like(zeros), _like(ones), _like(rand), _like(randn)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def where(cond, a, b):
    """Elementwise ``cond ? a : b``; a and b may be Tensors or scalars."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError("where: at least one of a, b must be a Tensor")
        a = b._other(a)
    return a.where(cond, b)


def addmm(input, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D mat1 and mat2, as torch.addmm. A dense layer
    ``addmm(b, x, W)`` = x W + b (bias row, beta = alpha = 1) is one op: one GEMM, the bias added to
    its result in place, and one node to differentiate."""
    mat1 = mat1 if isinstance(mat1, Tensor) else tensor(mat1)
    mat2 = mat1._other(mat2)
    input = mat1._other(input)
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise ShapeError(f"addmm: mat1 and mat2 must be 2-D, got shapes {mat1.shape} and {mat2.shape}")
    if beta == 1 and alpha == 1:
        return L.affine(mat1, mat2, input)
    return beta * input + alpha * (mat1 @ mat2)


def maximum(a, b):
    return a.maximum(b) if isinstance(a, Tensor) else b.maximum(a)


def minimum(a, b):
    return a.minimum(b) if isinstance(a, Tensor) else b.minimum(a)


def concatenate(tensors, axis=0, dim=None):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    axis = _normalize_axis(_axis_kw(axis, dim), tensors[0].ndim, "concatenate")[0]
    ref = tensors[0].shape
    for t in tensors[1:]:
        if t.ndim != len(ref) or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref)) if i != axis):
            raise ShapeError(f"concatenate: shapes {ref} and {t.shape} differ outside axis {axis}")
    return M.Concatenate.apply(*tensors, axis=axis)


cat = concatenate


def stack(tensors, axis=0, dim=None):
    tensors = list(tensors)
    axis = _axis_kw(axis, dim)
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: all tensors need the same shape, got {tensors[0].shape} and {t.shape}")
    return concatenate([t.unsqueeze(axis) for t in tensors], axis=axis)


def one_hot(indices, num_classes=-1, dtype=np.int64):
    """One-hot encoding along a new last axis (no gradient)."""
    idx = indices.data if isinstance(indices, Tensor) else backend.asarray(indices)
    xp = backend.xp_of(idx)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"one_hot: indices must be integers, got {idx.dtype}")
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise ValueError(f"one_hot: indices must lie in [0, {n}), got range [{int(idx.min())}, {int(idx.max())}]")
    return Tensor._make((idx[..., None] == xp.arange(n)).astype(dtype), False, None)


def einsum(spec, *operands):
    return L.einsum(spec, *operands)


from .ops import conv as C  # noqa: E402  (primitives import this module)
from .ops import elementwise as E  # noqa: E402
from .ops import linalg as L  # noqa: E402
from .ops import movement as M  # noqa: E402
from .ops import reduce as R  # noqa: E402
