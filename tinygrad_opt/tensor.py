"""Tensor: an array plus the links autodiff needs. The rich API is composed from the primitives in
``ops/``, so composites (softmax, var, conv, ...) need no derivative code of their own.
"""

from __future__ import annotations

import math
import numbers
import operator
import weakref

import numpy as np

from . import autodiff, backend
from .errors import (
    ArgumentError,
    ArgumentTypeError,
    AxisError,
    DeviceError,
    DTypeError,
    GraphError,
    ShapeError,
    TinygradOptError,
)

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_

_default_float = np.dtype(np.float32)


def _dtype(dtype, op: str) -> np.dtype:
    """``np.dtype(dtype)`` for a numeric dtype; a DTypeError naming ``op`` for an unknown or non-numeric one."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"{op}: unknown dtype {dtype!r}; use float32, float64, int32, int64 or bool_") from None
    if dt.kind not in "biufc":
        raise DTypeError(f"{op}: dtype {dt} holds no numbers; use float32, float64, int32, int64 or bool_")
    return dt


def set_default_dtype(dtype) -> None:
    """Float dtype for tensors made from Python floats and for factories without ``dtype=``."""
    global _default_float
    dt = _dtype(dtype, "set_default_dtype")
    if dt.kind != "f":
        raise DTypeError(f"set_default_dtype: {dt} is not a floating dtype; use float32 or float64")
    _default_float = dt


def get_default_dtype():
    return _default_float


def _normalize_axis(axis, ndim, op):
    """Sorted, non-negative axes. A 0-d tensor accepts dim 0 and -1 (as in PyTorch) and reduces over none."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, without the general checks
        return (axis % ndim,)
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)) and all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis
    ):
        axes = tuple(axis)
    else:
        raise ArgumentTypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
    n = max(ndim, 1)
    out = []
    for a in axes:
        if not -n <= a < n:
            raise AxisError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions (valid {-n}..{n - 1})")
        out.append(int(a) % n)
    return () if ndim == 0 else tuple(sorted(set(out)))


def _one_axis(axis, ndim, op, name="dim", what=None):
    """One axis in [-ndim, ndim) as a non-negative int (AxisError otherwise); ``what`` names the tensor
    the axis indexes when it is not the input (unsqueeze's result)."""
    if type(axis) is int and -ndim <= axis < ndim:
        return axis % ndim
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise ArgumentTypeError(f"{op}: {name} must be an int, got {axis!r}")
    n = max(ndim, 1)
    if not -n <= axis < n:
        target = what or f"a {ndim}-D tensor"
        raise AxisError(f"{op}: {name} {axis} is out of range for {target} (valid {-n}..{n - 1})")
    return int(axis) % n


def _axis_kw(axis, dim):
    """PyTorch's ``dim=`` wins over ``axis`` whenever it is given (``axis`` may hold a default such as -1)."""
    return axis if dim is None else dim


def _is_basic_index(idx) -> bool:
    return all(i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral)) for i in idx)


class Tensor:
    """An n-d array with reverse- and forward-mode autodiff. ``data`` is the NumPy/CuPy array."""

    __slots__ = (
        "data",
        "_grad",
        "_requires_grad",
        "_ctx",
        "_vbox",
        "_tangents",
        "_device",
        "_retains_grad",
        "__weakref__",
    )
    __array_priority__ = 1000  # ndarray op Tensor -> Tensor's reflected op

    def __init__(self, data, requires_grad=False, dtype=None, device=None, *, copy=True):
        """A new tensor holding a copy of ``data`` (a Tensor, a NumPy/CuPy array, a Python number or nested
        list), as ``torch.tensor`` does. ``copy=False`` shares an array's or Tensor's memory where dtype and
        device allow it (a Tensor's version counter too, so in-place changes stay visible to autograd):
        that is ``as_tensor``. Data given without ``device=`` goes to the default device (NumPy arrays,
        Python scalars and lists alike, as in PyTorch after ``set_default_device``); a Tensor or CuPy
        array stays where it is."""
        where = type(self).__name__ if type(self) is not Tensor else ("Tensor" if copy else "as_tensor")
        made = _convert(data, dtype, device, copy, where)
        for slot in _SLOTS:
            setattr(self, slot, getattr(made, slot))
        if requires_grad:
            self._require_grad(requires_grad, where)

    @staticmethod
    def _make(data, requires_grad, ctx, vbox=None, device=None):
        """Internal constructor (no conversion): the hot path of every op."""
        t = Tensor.__new__(Tensor)
        t.data = data
        t._grad = None
        t._requires_grad = requires_grad
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
    _version = property(lambda self: self._vbox[0], doc="In-place modification count (PyTorch's ``_version``).")

    def _set_grad(self, value):
        """``.grad = value`` checked as PyTorch does: None, or a Tensor of this tensor's shape, dtype and
        device (autodiff writes ``_grad`` directly, unchecked)."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise ArgumentTypeError(
                    f"Tensor.grad: assigned gradient must be a Tensor or None, got {type(value).__name__}"
                )
            if value.data.shape != self.data.shape:
                raise ShapeError(
                    f"Tensor.grad: assigned gradient of shape {value.shape} does not match the tensor's shape "
                    f"{self.shape}; assign a gradient of shape {self.shape}"
                )
            if value.data.dtype != self.data.dtype:
                raise DTypeError(
                    f"Tensor.grad: assigned gradient has dtype {value.dtype} but the tensor has dtype {self.dtype}; "
                    f"cast it with .astype({self.dtype})"
                )
            if value._device != self._device:
                raise DeviceError(
                    f"Tensor.grad: assigned gradient is on {value._device} but the tensor is on {self._device}; "
                    f"move it with .to({self._device!r})"
                )
        self._grad = value

    def _set_requires_grad(self, value):
        self._require_grad(value, "Tensor.requires_grad")

    grad = property(operator.attrgetter("_grad"), _set_grad, doc="Accumulated gradient (None until backward).")
    requires_grad = property(
        operator.attrgetter("_requires_grad"), _set_requires_grad, doc="Whether backward records this tensor."
    )
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))
    mT = property(lambda self: self.transpose(-2, -1))

    def numel(self) -> int:
        return int(self.data.size)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[_one_axis(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self.ndim

    def __len__(self):
        if self.ndim == 0:
            raise ArgumentTypeError("len: len() of a 0-d tensor is undefined; use .numel() or .item()")
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
            raise ShapeError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
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
        return self._require_grad(requires_grad, "requires_grad_")

    def _require_grad(self, requires_grad, op: str):
        """Set ``requires_grad`` after PyTorch's checks (a float tensor; a leaf when turning it off)."""
        if not isinstance(requires_grad, (bool, np.bool_, int)) or requires_grad not in (0, 1):
            raise ArgumentTypeError(f"{op}: requires_grad must be True or False, got {requires_grad!r}")
        if requires_grad and self.data.dtype.kind not in "fc":
            raise DTypeError(
                f"{op}: only floating-point tensors can require gradients, got dtype {self.dtype}; "
                f"convert with .float()"
            )
        if not requires_grad and self._ctx is not None:
            raise GraphError(f"{op}: requires_grad=False on a non-leaf tensor; use .detach() instead")
        self._requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise GraphError(
                "retain_grad: the tensor does not require grad, so it would never get one; call it on a tensor "
                "computed from inputs that require grad"
            )
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
        self._requires_grad = False
        return self

    def clone(self):
        return E.Clone.apply(self)

    def zero_grad(self):
        self._grad = None

    def tangent(self, level):
        return None if self._tangents is None else self._tangents.get(level)

    # ------------------------------------------------------------------ conversion
    def to(self, device=None, dtype=None):
        """Move to ``device`` and/or cast to ``dtype``; differentiable."""
        if isinstance(device, (type, np.dtype)) and dtype is None:
            device, dtype = None, device
        out = self
        if dtype is not None:
            dtype = _dtype(dtype, "to")
        if device is not None:
            dev = backend.parse_device(device, "to")
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
        dtype = dtype if type(dtype) is np.dtype else _dtype(dtype, "astype")
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
        return _convert(other, None, self._device, False, "Tensor")

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

    def __abs__(self):
        return E.Abs.apply(self)

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
    def _cmp(self, other, fn, op="comparison"):
        o = other.data if isinstance(other, Tensor) else other
        try:
            return Tensor._make(fn(self.data, o), False, None)
        except TypeError as e:  # NumPy's refusal (a string operand, & on floats): ours, naming the op
            if not (isinstance(o, numbers.Number) or backend.is_array(o)):
                raise ArgumentTypeError(f"{op}: cannot compare a tensor with {type(other).__name__} ({e})") from None
            other_dtype = getattr(o, "dtype", type(o).__name__)
            raise DTypeError(
                f"{op}: not defined for dtypes {self.dtype} and {other_dtype}; bitwise ops need bool or int tensors"
            ) from None

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
        return self._cmp(other, lambda a, b: a & b, "__and__")

    def __or__(self, other):
        return self._cmp(other, lambda a, b: a | b, "__or__")

    def __invert__(self):
        if self.data.dtype.kind not in "biu":
            raise DTypeError(f"__invert__: ~ needs a bool or int tensor, got dtype {self.dtype}")
        return Tensor._make(~self.data, False, None)

    def isfinite(self):
        return Tensor._make(self.xp.isfinite(self.data), False, None)

    def isnan(self):
        return Tensor._make(self.xp.isnan(self.data), False, None)

    def any(self, axis=None, keepdims=False, dim=None):
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "any")
        return Tensor._make(self.data.any(axis=axis, keepdims=keepdims), False, None)

    def all(self, axis=None, keepdims=False, dim=None):
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "all")
        return Tensor._make(self.data.all(axis=axis, keepdims=keepdims), False, None)

    def _arg_extreme(self, fn, axis, keepdims, op):
        if axis is not None:
            axis = _one_axis(axis, self.ndim, op) if self.ndim else None
        if self.data.size == 0 and (axis is None or self.shape[axis] == 0):
            raise ArgumentError(
                f"{op}: cannot take the {op[3:]} of an empty dimension (tensor of shape {self.shape}); "
                f"reduce over a non-empty dim"
            )
        return Tensor._make(fn(self.data, axis=axis, keepdims=keepdims), False, None)

    def argmax(self, axis=None, keepdims=False, dim=None):
        return self._arg_extreme(self.xp.argmax, _axis_kw(axis, dim), keepdims, "argmax")

    def argmin(self, axis=None, keepdims=False, dim=None):
        return self._arg_extreme(self.xp.argmin, _axis_kw(axis, dim), keepdims, "argmin")

    def sign(self):
        return Tensor._make(self.xp.sign(self.data), False, None)

    # ------------------------------------------------------------------ unary math
    def exp(self):
        return E.Exp.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def log(self):
        return E.Log.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def log1p(self):
        return E.Log1p.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def expm1(self):
        return E.Expm1.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def sqrt(self):
        return E.Sqrt.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def rsqrt(self):
        return (self if self.data.dtype.kind in "fc" else self._promoted()) ** -0.5

    def _promoted(self):
        """An int/bool tensor cast to the default float dtype: the input of a float-only op (PyTorch's
        unary float ops promote integers the same way, ``torch.sigmoid(int_tensor)`` is float)."""
        return self.astype(_default_float)

    def _need_float(self, op: str):
        """DTypeError for an op that PyTorch defines for floating tensors only (silu, softmax, mean...)."""
        if self.data.dtype.kind not in "fc":
            raise DTypeError(
                f"{op}: needs a floating-point tensor, got dtype {self.dtype}; convert with .float() first"
            )

    def sin(self):
        return E.Sin.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def cos(self):
        return E.Cos.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def tanh(self):
        return E.Tanh.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def sigmoid(self):
        return E.Sigmoid.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def abs(self):
        return E.Abs.apply(self)

    def erf(self):
        return E.Erf.apply(self if self.data.dtype.kind in "fc" else self._promoted())

    def relu(self):
        return E.Relu.apply(self)

    def leaky_relu(self, negative_slope=0.01):
        self._need_float("leaky_relu")
        return self.where(self.data > 0, self * negative_slope)

    def elu(self, alpha=1.0):
        self._need_float("elu")
        return self.where(self.data > 0, alpha * self.clip(max=0.0).expm1())

    def gelu(self, approximate="none"):
        """x Phi(x) (exact, with erf) or PyTorch's tanh approximation."""
        self._need_float("gelu")
        if approximate == "tanh":
            inner = math.sqrt(2.0 / math.pi) * (self + 0.044715 * self**3)
            return 0.5 * self * (1.0 + inner.tanh())
        if approximate != "none":
            raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return 0.5 * self * (1.0 + (self * (1.0 / math.sqrt(2.0))).erf())

    def silu(self):
        self._need_float("silu")
        return self * self.sigmoid()

    def softplus(self, beta=1.0, threshold=20.0):
        """log(1 + e^(beta x)) / beta: z + log1p(e^-z) for z > 0, log1p(e^z) otherwise, each branch fed
        only its own side of 0 (finite at |x| = 1e4, and smooth at 0: slope 1/2, curvature 1/4)."""
        self._need_float("softplus")
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
        other = self._other(other)
        if self.data.dtype.kind == "b" or other.data.dtype.kind == "b":  # -x is not defined for bool
            return Tensor._make(self.xp.minimum(self.data, other.data), False, None)
        return -E.Maximum.apply(-self, -other)

    def where(self, cond, other):
        """``cond ? self : other`` (cond: boolean Tensor/array, constant)."""
        cond = cond.data if isinstance(cond, Tensor) else cond
        if not backend.is_array(cond):  # a list (an array on another device is moved by the op)
            cond = _convert(cond, None, self._device, False, "where").data
        if cond.dtype != bool:
            raise DTypeError(
                f"where: the condition must be a bool tensor, got dtype {cond.dtype}; compare first "
                f"(e.g. `x > 0`) or cast with .astype(bool)"
            )
        other = self._other(other)
        if other.dtype != self.dtype and other.dtype.kind == "f" and self.dtype.kind == "f":
            other = other.astype(np.result_type(self.dtype, other.dtype))
        return E.Where.apply(self, other, cond=cond)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False, dim=None):
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "sum")
        return R.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False, dim=None):
        """Mean over ``axis`` (all elements by default); NaN over an empty axis, as in PyTorch."""
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "mean")
        if self.data.dtype.kind not in "fc":
            self._need_float("mean")
        count = math.prod(self.data.shape[a] for a in axis)
        return R.Sum.apply(self, axis=axis, keepdims=keepdims) * (1.0 / count if count else math.nan)

    def var(self, axis=None, keepdims=False, correction=1, dim=None, unbiased=None):
        """Variance with Bessel's ``correction`` (1 = unbiased, PyTorch's default; 0 = population)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "var")
        self._need_float("var")
        if not isinstance(correction, numbers.Real) or correction < 0:
            raise ArgumentError(f"var: correction must be a non-negative number, got {correction!r}")
        count = 1
        for a in axis:
            count *= self.shape[a]
        centered = self - self.mean(axis=axis, keepdims=True)
        # no degrees of freedom left (one element, correction 1): NaN, as PyTorch gives
        return (centered * centered).sum(axis=axis, keepdims=keepdims) * (
            1.0 / (count - correction) if count > correction else math.nan
        )

    def std(self, axis=None, keepdims=False, correction=1, dim=None, unbiased=None):
        self._need_float("std")
        return self.var(axis, keepdims, correction, dim, unbiased).sqrt()

    def max(self, axis=None, keepdims=False, dim=None):
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "max")
        if self.data.size == 0:
            _empty_reduction(self, axis, "max")
        return R.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False, dim=None):
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "min")
        if self.data.size == 0:
            _empty_reduction(self, axis, "min")
        if self.data.dtype.kind == "b":
            return Tensor._make(self.data.min(axis=axis, keepdims=keepdims), False, None)
        return -R.Max.apply(-self, axis=axis, keepdims=keepdims)

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
        [1000, 990, 980]; gradient 0 at -inf entries. Integers are promoted to the default float."""
        axes = _normalize_axis(_axis_kw(axis, dim), self.ndim, "logsumexp")
        if self.data.dtype.kind not in "fc":
            return self._promoted().logsumexp(axes, keepdims)
        if self.data.size == 0:
            _empty_reduction(self, axes, "logsumexp")
        m = self.data.max(axis=axes, keepdims=True)
        m = Tensor._make(self.xp.where(self.xp.isfinite(m), m, 0), False, None)
        out = (self - m).exp().sum(axis=axes, keepdims=True).log() + m
        return out if keepdims else out.reshape(tuple(s for i, s in enumerate(self.shape) if i not in axes))

    def log_softmax(self, axis=-1, dim=None):
        """(x - m) - log sum exp(x - m): the max is never added back, so no precision is lost to it.
        A 0-d tensor (dim 0 or -1) gives 0, as in PyTorch."""
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "log_softmax/softmax")
        self._need_float("log_softmax/softmax")
        return R.LogSoftmax.apply(self, axis=axis)

    def softmax(self, axis=-1, dim=None):
        return self.log_softmax(axis, dim).exp()

    def norm(self, p=2, axis=None, keepdims=False, dim=None):
        """Vector p-norm over ``axis`` (all elements by default); gradient 0 at the zero vector for p=2."""
        axis = _normalize_axis(_axis_kw(axis, dim), self.ndim, "norm")
        self._need_float("norm")
        if not isinstance(p, numbers.Real) or isinstance(p, bool):
            raise ArgumentTypeError(f"norm: p must be a number (2, 1, inf, -inf, 0 or any real), got {p!r}")
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
        s = _one_axis(start_dim, self.ndim, "flatten", "start_dim")
        e = _one_axis(end_dim, self.ndim, "flatten", "end_dim")
        if s > e:
            raise ArgumentError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        if self.ndim == 0:
            return self.reshape(1)
        return self.reshape(self.shape[:s] + (math.prod(self.shape[s : e + 1]),) + self.shape[e + 1 :])

    def permute(self, *axes):
        axes = _shape_arg(axes, "permute")
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ShapeError(f"permute: {axes} is not a permutation of the {self.ndim} axes of shape {self.shape}")
        axes = tuple(a % self.ndim for a in axes)
        return self if axes == tuple(range(self.ndim)) else M.Permute.apply(self, axes=axes)

    def transpose(self, dim0=-2, dim1=-1):
        dim0, dim1 = _one_axis(dim0, self.ndim, "transpose", "dim0"), _one_axis(dim1, self.ndim, "transpose", "dim1")
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
        if not (type(axis) is int and 0 <= axis <= self.ndim):  # the new axis may sit after the last one
            axis = _one_axis(axis, self.ndim + 1, f"unsqueeze of a {self.ndim}-D tensor", what="the result")
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def expand(self, *shape):
        shape = _shape_arg(shape, "expand")
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
        try:
            if _is_basic_index(index):
                return M.BasicIndex.apply(self, index=index, basic=True)
            return M.Index.apply(self, index=index, basic=False)
        except IndexError as e:
            if isinstance(e, AxisError):
                raise
            raise AxisError(f"__getitem__: {e} (tensor of shape {self.shape})") from None

    def pad(self, pad_width, value=0.0):
        """Constant padding, NumPy's convention: one (before, after) pair per axis."""
        try:
            pad_width = tuple((int(a), int(b)) for a, b in pad_width)
        except (TypeError, ValueError):
            raise ArgumentTypeError(
                f"pad: pad_width must be one (before, after) pair of ints per axis, got {pad_width!r}"
            ) from None
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
        axis = _one_axis(_axis_kw(axis, dim), self.ndim, "split")
        if self.ndim == 0:
            raise ShapeError("split: a 0-d tensor cannot be split; reshape it to 1-D first")
        n = self.shape[axis]
        if isinstance(split_size_or_sections, numbers.Integral) and not isinstance(split_size_or_sections, bool):
            size = int(split_size_or_sections)
            if size <= 0:
                raise ArgumentError(f"split: split_size must be a positive int, got {size}")
            sizes = [min(size, n - i) for i in range(0, n, size)] or [0]
        else:
            if not isinstance(split_size_or_sections, (list, tuple)):
                raise ArgumentTypeError(f"split: give an int size or a list of sizes, got {split_size_or_sections!r}")
            sizes = list(_shape_arg(tuple(split_size_or_sections), "split"))
            if any(v < 0 for v in sizes):
                raise ArgumentError(f"split: sizes must be non-negative, got {sizes}")
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
        if not isinstance(chunks, numbers.Integral) or isinstance(chunks, bool):
            raise ArgumentTypeError(f"chunk: chunks must be an int, got {chunks!r}")
        if chunks <= 0:
            raise ArgumentError(f"chunk: chunks must be a positive int, got {chunks}")
        axis = _one_axis(_axis_kw(axis, dim), self.ndim, "chunk")
        n = self.shape[axis] if self.ndim else 1
        return self.split(max(-(-n // chunks), 1), axis=axis)

    def repeat(self, *sizes):
        """PyTorch's Tensor.repeat (NumPy's tile): repeat the whole tensor ``sizes[i]`` times along axis i."""
        sizes = _shape_arg(sizes, "repeat")
        if any(r < 0 for r in sizes):
            raise ArgumentError(f"repeat: repeat counts must be non-negative, got {sizes}")
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

    def repeat_interleave(self, repeats: int, axis=0, dim=None):
        """Repeat each element ``repeats`` times along ``axis`` (an int count, as PyTorch's with a scalar)."""
        if not isinstance(repeats, numbers.Integral) or isinstance(repeats, bool):
            raise ArgumentTypeError(f"repeat_interleave: repeats must be an int, got {repeats!r}")
        if repeats < 0:
            raise ArgumentError(f"repeat_interleave: repeats must be non-negative, got {repeats}")
        if self.ndim == 0:
            return self.reshape(1).repeat_interleave(int(repeats))
        axis = _one_axis(_axis_kw(axis, dim), self.ndim, "repeat_interleave")
        x = self.unsqueeze(axis + 1)
        shape = list(x.shape)
        shape[axis + 1] = repeats
        x = x.expand(tuple(shape))
        return x.reshape(self.shape[:axis] + (self.shape[axis] * repeats,) + self.shape[axis + 1 :])

    def take_along_axis(self, indices, axis, _op="take_along_axis"):
        """out[..., i, ...] = self[..., indices[..., i, ...], ...] along ``axis`` (torch.gather)."""
        idx = indices.data if isinstance(indices, Tensor) else backend.asarray(indices, device=self._device)
        axis = _one_axis(axis, self.ndim, _op, "axis")
        if idx.dtype.kind not in "iu":
            raise DTypeError(f"{_op}: indices must be integers, got dtype {idx.dtype}")
        if idx.ndim != self.ndim:
            raise ShapeError(f"{_op}: indices of shape {idx.shape} need {self.ndim} dims like the input {self.shape}")
        full = _along_axis_index(idx, axis, self.xp)
        return M.Index.apply(self, index=full, basic=False)

    def gather(self, dim, index):
        """PyTorch's gather: out[..., i, ...] = self[..., index[..., i, ...], ...] along ``dim``."""
        return self.take_along_axis(index, dim, _op="gather")

    def scatter_add(self, dim, index, src):
        """out = self; out[..., index[i], ...] += src[i] along ``dim`` (repeated indices accumulate)."""
        idx = index.data if isinstance(index, Tensor) else backend.asarray(index, device=self._device)
        src = self._other(src)
        dim = _one_axis(dim, self.ndim, "scatter_add")
        if idx.dtype.kind not in "iu":
            raise DTypeError(f"scatter_add: index must hold integers, got dtype {idx.dtype}")
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
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ArgumentError(f"dropout: p must be a probability in [0, 1], got {p!r}")
        if not training or p == 0:
            return self
        self._need_float("dropout")
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
        """Zeros of ``shape`` with this tensor's dtype and device."""
        if type(shape) is not tuple or not all(type(s) is int and s >= 0 for s in shape):
            shape = _sizes(shape if isinstance(shape, tuple) else (shape,), "new_zeros")  # checked, named
        return Tensor._make(self.xp.zeros(shape, dtype=self.data.dtype), False, None, None, self._device)

    def new_ones(self, shape):
        """Ones of ``shape`` with this tensor's dtype and device."""
        return Tensor._make(self.xp.ones(_sizes((shape,), "new_ones"), dtype=self.dtype), False, None)

    def new_full(self, shape, value):
        """``value`` everywhere in ``shape``, with this tensor's dtype and device."""
        shape, value = _sizes((shape,), "new_full"), _real(value, "new_full", "value")
        return Tensor._make(self.xp.full(shape, value, dtype=self.dtype), False, None)

    # ------------------------------------------------------------------ in-place ops
    def _inplace(self, op: str, fast, functional, *others):
        """Update self in place. Without graph recording the array is mutated directly; with it the
        result is computed out of place and self takes over the new node (its old value is kept by a
        snapshot). Either way the version counter moves, so a stale saved tensor is caught in backward."""
        state = autodiff._state
        if not state.grad_enabled and not state.active_levels:  # the optimizer's case: nothing can record
            operands = [self._operand(o) for o in others]
            try:
                fast(self.data, *operands)
            except (TypeError, ValueError) as e:  # NumPy refused before writing: self is unchanged
                raise _inplace_error(self, op, e) from None
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
            try:
                fast(self.data, *[o.data for o in others])
            except (TypeError, ValueError) as e:
                raise _inplace_error(self, op, e) from None
        else:
            old = Tensor._make(self.data, self.requires_grad, self._ctx, [self._vbox[0]])
            old._tangents = self._tangents
            if old._ctx is not None and hasattr(old._ctx, "out_ref"):
                old._ctx.out_ref = weakref.ref(old)
            result = functional(old, *others)
            if result.shape != self.shape:
                raise ShapeError(f"{op}: result shape {result.shape} does not match the tensor's shape {self.shape}")
            if result.dtype != self.dtype and not np.can_cast(result.dtype, self.dtype, "same_kind"):
                raise DTypeError(f"{op}: result type {result.dtype} can't be cast to the tensor's dtype {self.dtype}")
            result = result.astype(self.dtype)
            self.data, self._ctx, self._requires_grad = result.data, result._ctx, result._requires_grad
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
            try:
                data += other.data if alpha == 1 else alpha * other.data
            except (TypeError, ValueError) as e:  # NumPy refused before writing: self is unchanged
                raise _inplace_error(self, "add_", e) from None
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
        value = _real(value, "fill_", "value")

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
        """Fill with U(low, high) samples (a float tensor; low <= high, as PyTorch requires)."""
        self._need_float("uniform_")
        low, high = _real(low, "uniform_", "low"), _real(high, "uniform_", "high")
        if not low <= high:
            raise ArgumentError(f"uniform_: low ({low}) must not exceed high ({high})")
        gen = _generator(generator, None, "uniform_") if generator is not None else None
        gen = gen or backend.default_generator(self._device)
        with autodiff.no_grad():
            sample = low + (high - low) * gen.rng.random(self.shape)  # NumPy's uniform(low, high), CuPy's way
            return self.copy_(Tensor._make(sample.astype(self.dtype), False, None))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill with N(mean, std^2) samples (a float tensor; std >= 0)."""
        self._need_float("normal_")
        mean, std = _real(mean, "normal_", "mean"), _real(std, "normal_", "std")
        if not std >= 0:
            raise ArgumentError(f"normal_: std must be non-negative, got {std}")
        gen = _generator(generator, None, "normal_") if generator is not None else None
        gen = gen or backend.default_generator(self._device)
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
            except IndexError as e:
                raise AxisError(f"__setitem__: {e} (tensor of shape {a.shape})") from None

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


def _inplace_error(x, op, e):
    """The family error for an in-place update NumPy/CuPy refused (before writing anything)."""
    if isinstance(e, TinygradOptError):  # already ours (a bad index in __setitem__)
        return e
    if isinstance(e, TypeError):
        return DTypeError(
            f"{op}: the result can't be stored in a tensor of dtype {x.dtype} ({e}); use the out-of-place op, or "
            f"convert the tensor first (e.g. .float())"
        )
    return ShapeError(
        f"{op}: the operand does not broadcast to the tensor's shape {x.shape} ({e}); an in-place result must keep "
        f"the tensor's shape"
    )


def _replaced(a, b):
    """``b`` broadcast to a's shape, as a function of ``a`` (gradient 0 to a): copy_/fill_ out of place."""
    return a.where(a.xp.zeros(a.shape, dtype=bool), b)


_SLOTS = [s for s in Tensor.__slots__ if s != "__weakref__"]


def _shape_arg(shape, op="reshape") -> tuple:
    """``(2, 3)`` from ``f(2, 3)`` or ``f((2, 3))``; every entry an int (ArgumentTypeError naming ``op``)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    try:
        return tuple([operator.index(s) for s in shape])  # ints and NumPy ints; not floats (one C call each)
    except TypeError:
        bad = next((s for s in shape if not isinstance(s, numbers.Integral)), shape)
        raise ArgumentTypeError(f"{op}: sizes must be ints, got {bad!r} in {tuple(shape)!r}") from None


def _sizes(shape, op) -> tuple:
    """A factory's shape: ints (ArgumentTypeError) that are not negative (ArgumentError)."""
    shape = _shape_arg(shape, op)
    for s in shape:
        if s < 0:
            raise ArgumentError(f"{op}: sizes must be non-negative, got {s} in {shape}")
    return shape


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


def _empty_reduction(x, axis, op):
    """ArgumentError when ``op`` (max, min, logsumexp) would reduce over a dimension of length 0: it has no
    identity (PyTorch raises too); reductions over other dims of an empty tensor are fine."""
    empty = [a for a in axis if x.shape[a] == 0]
    if empty:
        raise ArgumentError(
            f"{op}: cannot reduce over the empty dim {empty[0]} of a tensor of shape {x.shape} (the operation has no "
            f"identity); reduce over a non-empty dim or check the input"
        )


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


def _factory_dtype(dtype, op="tensor"):
    return _default_float if dtype is None else _dtype(dtype, op)


def _float_dtype(dtype, op):
    dt = _factory_dtype(dtype, op)
    if dt.kind != "f":
        raise DTypeError(f"{op}: samples need a floating dtype, got {dt}; use float32 or float64 (or randint)")
    return dt


def _real(value, op, name):
    """A Python/NumPy real number argument (ArgumentTypeError otherwise)."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{op}: {name} must be a number, got {value!r}")
    return value


def _convert(data, dtype, device, copy: bool, where: str) -> Tensor:
    """The Tensor that ``Tensor(data)`` / ``as_tensor(data)`` build (no requires_grad yet). A Tensor
    or array is copied when ``copy``; otherwise it is shared when dtype and device allow it, a Tensor
    with its version counter. Python data becomes a new array, floats in the default float dtype."""
    if dtype is not None:
        dtype = _dtype(dtype, where)
    if device is not None:
        dev = backend.parse_device(device)
    elif isinstance(data, Tensor):
        dev = data._device
    elif backend.is_device_array(data):
        dev = backend.device_of(data)
    else:
        dev = backend.get_default_device()
    source = data
    if isinstance(data, Tensor):
        data = data.data
    from_python = not backend.is_array(data)
    if from_python and (data is None or isinstance(data, (str, bytes))):
        raise ArgumentTypeError(f"{where}: cannot make a tensor from {data!r}; give numbers, a nested list or an array")
    try:
        arr = backend.asarray(data, dtype=dtype, device=dev)
    except OverflowError as e:
        raise ArgumentError(f"{where}: a value does not fit dtype {dtype} ({e})") from None
    except (ValueError, TypeError) as e:
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            raise ShapeError(f"{where}: nested lists of unequal lengths do not make a tensor ({e})") from None
        raise ArgumentTypeError(f"{where}: cannot make a tensor of dtype {dtype} from this data ({e})") from None
    if arr.dtype.kind == "O" and from_python and any(isinstance(v, Tensor) for v in arr.ravel().tolist()):
        # a (nested) list of Tensors, e.g. of 0-d ones, as torch.tensor takes it: their values
        return _convert(_tensors_to_lists(data), dtype, dev, copy, where)
    if arr.dtype.kind not in "biufc":
        if arr.dtype.kind == "O" and all(isinstance(v, numbers.Integral) for v in arr.ravel().tolist()):
            raise ArgumentError(f"{where}: an integer beyond the int64 range makes no tensor; give it as a float")
        raise ArgumentTypeError(
            f"{where}: data of dtype {arr.dtype} (not numbers) makes no tensor; give numbers (bool, int, float), "
            f"a nested list of them or a numeric array"
        )
    if from_python:
        if dtype is None and arr.dtype.kind == "f" and arr.dtype != _default_float:
            arr = arr.astype(_default_float)
        return Tensor._make(arr, False, None, None, dev)
    if arr is data or getattr(arr, "base", None) is not None:  # the source's memory
        if copy:
            arr = arr.copy()
        elif isinstance(source, Tensor) and arr is data:
            return Tensor._make(arr, False, None, source._vbox, dev)
    return Tensor._make(arr, False, None, None, dev)


def _tensors_to_lists(data):
    """Nested lists/tuples with every Tensor replaced by its values (as Python numbers/lists)."""
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(v) for v in data]
    return data


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A new tensor holding a copy of ``data`` (PyTorch's ``torch.tensor``): changing one never changes
    the other. Python floats become the default float dtype; arrays keep theirs. See ``as_tensor``
    for the form that shares memory."""
    t = _convert(data, dtype, device, True, "tensor")
    return t._require_grad(requires_grad, "tensor") if requires_grad else t


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing its memory where it can (PyTorch's ``torch.as_tensor``): a Tensor of
    the requested dtype and device is returned as it is; an array of that dtype on that device is
    wrapped without a copy (writes through either show in both); anything else is converted."""
    if isinstance(data, Tensor):
        out = data
        if device is not None:
            out = out.to(backend.parse_device(device))
        return out if dtype is None else out.astype(_dtype(dtype, "as_tensor"))
    return _convert(data, dtype, device, False, "as_tensor")


def from_numpy(ndarray):
    """A CPU tensor sharing ``ndarray``'s memory and dtype (PyTorch's ``torch.from_numpy``)."""
    if not isinstance(ndarray, np.ndarray):
        raise ArgumentTypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    if ndarray.dtype.kind not in "biufc":
        raise DTypeError(
            f"from_numpy: arrays of dtype {ndarray.dtype} are not supported; use a bool, int or float array"
        )
    return Tensor._make(ndarray, False, None, None, "cpu")


def _made(array, requires_grad, op="tensor"):
    t = Tensor._make(array, False, None)
    return t._require_grad(requires_grad, op) if requires_grad else t


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    shape, dtype = _sizes(shape, "zeros"), _factory_dtype(dtype, "zeros")
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).zeros(shape, dtype=dtype), requires_grad, "zeros")


def ones(*shape, dtype=None, device=None, requires_grad=False):
    shape, dtype = _sizes(shape, "ones"), _factory_dtype(dtype, "ones")
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).ones(shape, dtype=dtype), requires_grad, "ones")


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    shape, dtype = _sizes((shape,), "full"), _factory_dtype(dtype, "full")
    fill_value = _real(fill_value, "full", "fill_value")
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).full(shape, fill_value, dtype=dtype), requires_grad, "full")


def arange(start, stop=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` (inclusive) to ``stop`` (exclusive) by ``step``; ints give int64."""
    dev = backend.parse_device(device)
    if stop is None:
        start, stop = 0, start
    start, stop, step = (_real(v, "arange", n) for v, n in ((start, "start"), (stop, "stop"), (step, "step")))
    if step == 0 or not all(math.isfinite(v) for v in (start, stop, step)):
        raise ArgumentError(f"arange: step must be non-zero and the bounds finite, got ({start}, {stop}, {step})")
    if (stop - start) * step < 0:
        raise ArgumentError(
            f"arange: step {step} points away from stop ({start} -> {stop}); flip its sign or swap start and stop"
        )
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, stop, step))
        dtype = np.int64 if is_int else _default_float
    dtype = _dtype(dtype, "arange")
    return _made(backend.xp_for(dev).arange(start, stop, step, dtype=dtype), requires_grad, "arange")


def linspace(start, stop, num, dtype=None, device=None, requires_grad=False):
    start, stop = _real(start, "linspace", "start"), _real(stop, "linspace", "stop")
    (num,) = _sizes((num,), "linspace")
    dtype = _factory_dtype(dtype, "linspace")
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).linspace(start, stop, num, dtype=dtype), requires_grad, "linspace")


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    n, m = _sizes((n,) if m is None else (n, m), "eye") + ((None,) if m is None else ())
    dtype = _factory_dtype(dtype, "eye")
    dev = backend.parse_device(device)
    return _made(backend.xp_for(dev).eye(n, m, dtype=dtype), requires_grad, "eye")


def _generator(generator, device, where: str):
    """``generator`` (checked against ``device`` when both are given) or the device's default one."""
    if generator is None:
        return backend.default_generator(device)
    if not isinstance(generator, backend.Generator):
        raise ArgumentTypeError(f"{where}: generator must be a tinygrad_opt.Generator, got {type(generator).__name__}")
    if device is not None and backend.parse_device(device) != generator.device:
        raise DeviceError(
            f"{where}: device={device!r} but the generator draws on {generator.device!r}; pass a generator made "
            f"for that device (tinygrad_opt.Generator(seed, device={device!r})) or drop device="
        )
    return generator


def rand(*shape, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform [0, 1) samples from ``generator`` (default: the device's seeded generator)."""
    gen = _generator(generator, device, "rand")
    shape, dt = _sizes(shape, "rand"), _float_dtype(dtype, "rand")
    return _made(gen.rng.random(shape, dtype=np.float64).astype(dt), requires_grad, "rand")


def randn(*shape, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples from ``generator`` (default: the device's seeded generator)."""
    gen = _generator(generator, device, "randn")
    shape, dt = _sizes(shape, "randn"), _float_dtype(dtype, "randn")
    return _made(gen.rng.standard_normal(shape, dtype=np.float64).astype(dt), requires_grad, "randn")


def randint(low, high, shape, device=None, generator=None):
    """Integers drawn uniformly from [low, high) (int64)."""
    gen = _generator(generator, device, "randint")
    shape = _sizes((shape,), "randint")
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise ArgumentTypeError(f"randint: {name} must be an int, got {v!r}")
    if low >= high:
        raise ArgumentError(f"randint: low ({low}) must be smaller than high ({high}); the range is [low, high)")
    return _made(gen.rng.integers(low, high, shape).astype(np.int64), False)


def _like(fn):
    def like(x, dtype=None, device=None, requires_grad=False, **kw):
        _need_tensor(x, fn.__name__ + "_like")
        return fn(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad, **kw)

    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"{fn.__name__} with the shape, dtype and device of ``x``."
    return like


zeros_like, ones_like, rand_like, randn_like = _like(zeros), _like(ones), _like(rand), _like(randn)


def _need_tensor(x, op, name="input"):
    if not isinstance(x, Tensor):
        raise ArgumentTypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}; wrap it with tensor()")


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    _need_tensor(x, "full_like")
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def where(cond, a, b):
    """Elementwise ``cond ? a : b``; a and b may be Tensors or scalars."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise ArgumentTypeError(
                f"where: at least one of a, b must be a Tensor, got {type(a).__name__} and {type(b).__name__}"
            )
        a = b._other(a)
    return a.where(cond, b)


def addmm(input, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D mat1 and mat2, as torch.addmm. A dense layer
    ``addmm(b, x, W)`` = x W + b (bias row, beta = alpha = 1) is one op: one GEMM, the bias added to
    its result in place, and one node to differentiate."""
    mat1 = mat1 if isinstance(mat1, Tensor) else _convert(mat1, None, None, False, "addmm")
    mat2 = mat1._other(mat2)
    input = mat1._other(input)
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise ShapeError(f"addmm: mat1 and mat2 must be 2-D, got shapes {mat1.shape} and {mat2.shape}")
    if beta == 1 and alpha == 1:
        return L.affine(mat1, mat2, input)
    return beta * input + alpha * (mat1 @ mat2)


def maximum(a, b):
    """Elementwise maximum; one of a, b may be a number or an array."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise ArgumentTypeError(f"maximum: a or b must be a Tensor, got {type(a).__name__} and {type(b).__name__}")
    return a.maximum(b) if isinstance(a, Tensor) else b.maximum(a)


def minimum(a, b):
    """Elementwise minimum; one of a, b may be a number or an array."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise ArgumentTypeError(f"minimum: a or b must be a Tensor, got {type(a).__name__} and {type(b).__name__}")
    return a.minimum(b) if isinstance(a, Tensor) else b.minimum(a)


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__"):
        raise ArgumentTypeError(f"{op}: expected a list or tuple of Tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ArgumentError(f"{op}: need at least one tensor, got an empty sequence")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise ArgumentTypeError(f"{op}: every element must be a Tensor, got {type(t).__name__}")
    return tensors


def concatenate(tensors, axis=0, dim=None, _op="concatenate"):
    tensors = _tensor_list(tensors, _op)
    if tensors[0].ndim == 0:
        raise ShapeError(f"{_op}: 0-d tensors cannot be concatenated; use stack, or reshape them to 1-D")
    axis = _one_axis(_axis_kw(axis, dim), tensors[0].ndim, _op)
    ref = tensors[0].shape
    for t in tensors[1:]:
        if t.ndim != len(ref) or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref)) if i != axis):
            raise ShapeError(f"concatenate: shapes {ref} and {t.shape} differ outside axis {axis}")
    return M.Concatenate.apply(*tensors, axis=axis)


cat = concatenate


def stack(tensors, axis=0, dim=None):
    tensors = _tensor_list(tensors, "stack")
    axis = _one_axis(_axis_kw(axis, dim), tensors[0].ndim + 1, "stack")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: all tensors need the same shape, got {tensors[0].shape} and {t.shape}")
    return concatenate([t.unsqueeze(axis) for t in tensors], axis=axis, _op="stack")


def one_hot(indices, num_classes=-1, dtype=np.int64):
    """One-hot encoding along a new last axis (no gradient)."""
    idx = indices.data if isinstance(indices, Tensor) else _convert(indices, None, None, False, "one_hot").data
    xp = backend.xp_of(idx)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"one_hot: indices must be integers, got {idx.dtype}")
    if not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool):
        raise ArgumentTypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if num_classes < -1 or num_classes == 0 or (num_classes == -1 and idx.size == 0):
        raise ArgumentError(
            f"one_hot: num_classes must be positive (or -1 to infer it from non-empty indices), got {num_classes}"
        )
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise ArgumentError(f"one_hot: indices must lie in [0, {n}), got range [{int(idx.min())}, {int(idx.max())}]")
    return Tensor._make((idx[..., None] == xp.arange(n)).astype(dtype), False, None)


def einsum(spec, *operands):
    """Differentiable einsum over explicit subscripts, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if not isinstance(spec, str):
        raise ArgumentTypeError(f"einsum: the first argument must be the subscript string, got {type(spec).__name__}")
    for x in operands:
        _need_tensor(x, "einsum", "every operand")
    return L.einsum(spec, *operands)


from .ops import conv as C  # noqa: E402  (primitives import this module)
from .ops import elementwise as E  # noqa: E402
from .ops import linalg as L  # noqa: E402
from .ops import movement as M  # noqa: E402
from .ops import reduce as R  # noqa: E402
