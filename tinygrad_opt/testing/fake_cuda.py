"""A stand-in CUDA device backed by NumPy, for tests and CI (which have no GPU).

``TINYGRAD_OPT_FAKE_CUDA=1`` makes the backend load this module where it would load CuPy, so
``'cuda:N'`` works everywhere and ``cuda_available()`` is True. Nothing imports it otherwise.

Its arrays (``ndarray``) hold NumPy arrays but keep apart from them exactly where CuPy's do, so the
device bugs a GPU would show surface on the CPU:

- an op that mixes a device array with a NumPy array raises ``TypeError`` ("Unsupported type"), as
  CuPy's kernels do; NumPy functions given a device array dispatch to the device (``__array_ufunc__``,
  ``__array_function__``) and refuse a NumPy array beside it;
- implicit conversion to NumPy (``np.asarray(x)``) raises; only ``.get()`` / ``asnumpy`` copy to the
  host, and ``float(x)``, ``int(x)``, ``bool(x)``, ``.item()``, ``.tolist()`` count as such copies;
- arrays on different devices do not mix (``ValueError``); reductions give 0-d device arrays, not
  NumPy scalars; the random generator's stream differs from NumPy's for the same seed;
- only names that CuPy 14.2 has exist: its top-level functions, ndarray methods and
  ``cupy.random.Generator`` methods (no ``Generator.normal``, no ``ndarray.__index__``).

It also counts what costs time on a real GPU (``stats``): array-library calls that produce data
(``kernels``: about one kernel launch each; views and metadata are free), device-to-host copies
(``to_host``: each one a full CPU/GPU synchronization) and host-to-device copies (``to_device``).
Use ``counting()`` to measure a block of code.
"""

from __future__ import annotations

import operator
import threading

import numpy as np

DEVICE_COUNT = 2

_UFUNCS = set(
    """abs absolute acos acosh add arccos arccosh arcsin arcsinh arctan arctan2 arctanh asin asinh atan atan2 atanh
bitwise_and bitwise_count bitwise_invert bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor
cbrt ceil conj conjugate copysign cos cosh deg2rad degrees divide divmod equal exp exp2 expm1 fabs float_power
floor floor_divide fmax fmin fmod frexp gcd greater greater_equal heaviside hypot invert isfinite isinf isnan lcm
ldexp left_shift less less_equal log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not logical_or
logical_xor maximum minimum mod modf multiply negative nextafter not_equal positive pow power rad2deg radians
reciprocal remainder right_shift rint sign signbit sin sinh sqrt square subtract tan tanh true_divide trunc
matmul""".split()
)
_FUNCTIONS = set(
    """all allclose amax amin angle any append apply_along_axis apply_over_axes arange argmax argmin argpartition
argsort argwhere around array_equal array_equiv array_split asarray_chkfinite astype atleast_1d atleast_2d atleast_3d
average bartlett bincount blackman broadcast_arrays broadcast_shapes broadcast_to can_cast choose clip column_stack
common_type compress concat concatenate convolve copy copyto corrcoef correlate count_nonzero cov cross cumprod
cumsum cumulative_prod cumulative_sum delete diag diag_indices diag_indices_from diagflat diagonal diff digitize dot
dsplit dstack ediff1d einsum empty empty_like expand_dims extract eye fill_diagonal fix flatnonzero flip fliplr
flipud full full_like gradient hamming hanning histogram hsplit hstack i0 identity imag indices inner interp
intersect1d isclose iscomplex iscomplexobj isdtype isfortran isin isneginf isposinf isreal isrealobj isscalar
issubdtype kaiser kron lexsort linspace logspace matrix_transpose max may_share_memory mean median meshgrid min
min_scalar_type moveaxis nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin nanprod
nanstd nansum nanvar ndim nonzero ones ones_like outer pad partition percentile permute_dims piecewise place prod
promote_types ptp put put_along_axis putmask quantile ravel ravel_multi_index real repeat require reshape resize
result_type roll rollaxis rot90 round row_stack searchsorted select setdiff1d setxor1d shape shares_memory sinc size
sort split squeeze stack std sum swapaxes take take_along_axis tensordot tile trace transpose trapezoid tri tril
tril_indices tril_indices_from trim_zeros triu triu_indices triu_indices_from union1d unique unravel_index unwrap
vander var vdot vsplit vstack where zeros zeros_like""".split()
)
_PLAIN = set(
    """bool bool_ byte cdouble complex128 complex64 complexfloating csingle double dtype e euler_gamma finfo float16
float32 float64 floating generic half iinfo inexact inf int16 int32 int64 int8 int_ intc integer intp long longlong
nan newaxis number pi short signedinteger single ubyte uint uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong
unsignedinteger ushort""".split()
)
_METHODS = set(
    """all any argmax argmin argpartition argsort astype byteswap choose clip compress conj conjugate copy cumprod
cumsum diagonal dot dump dumps fill flatten max mean min nonzero partition prod ptp put ravel repeat reshape round
searchsorted sort squeeze std sum swapaxes take tobytes tofile trace transpose var view""".split()
)
_IN_PLACE_METHODS = {"fill", "put", "sort", "partition"}
_VIEW_ATTRS = {"T", "mT", "real", "imag"}
_GENERATOR_METHODS = set(
    """beta binomial chisquare dirichlet exponential f gamma geometric hypergeometric integers logseries poisson power
random standard_exponential standard_gamma standard_normal uniform""".split()
)
_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array explicitly."
)


class Stats:
    """Running counts of array-library work on the stand-in device."""

    def __init__(self):
        self.kernels = self.to_host = self.to_device = 0
        self.host_elements = 0  # elements those device-to-host copies carried (1 each: scalars only)

    def snapshot(self) -> dict:
        return {
            "kernels": self.kernels,
            "to_host": self.to_host,
            "to_device": self.to_device,
            "host_elements": self.host_elements,
        }


stats = Stats()


class counting:
    """``with counting() as c: ...`` then ``c.kernels``, ``c.to_host``, ``c.to_device`` for the block."""

    def __enter__(self):
        self._start = stats.snapshot()
        return self

    def __exit__(self, *exc):
        for key, value in stats.snapshot().items():
            setattr(self, key, value - self._start[key])


_local = threading.local()


def _current() -> int:
    return getattr(_local, "device", 0)


# --------------------------------------------------------------------------- moving between arrays


def _owner(a):
    return a if a.base is None else a.base


def _unwrap(x, devices: list):
    """The NumPy value behind an argument; device arrays note their device, NumPy arrays are refused."""
    if type(x) is ndarray:
        devices.append(x._device)
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if type(x) in (list, tuple):
        return type(x)(_unwrap(v, devices) for v in x)
    return x


def _device_of(devices: list) -> int:
    if not devices:
        return _current()
    first = devices[0]
    for d in devices:
        if d != first:
            raise ValueError(
                f"Array device must be same as the current device: array device = {d} while current = {first}"
            )
    return first


def _wrap(result, device: int, inputs: tuple, count: bool = True):
    """Device arrays around NumPy results; a result that is not a view of an input counts one kernel."""
    if isinstance(result, np.generic):
        result = np.asarray(result)
    if isinstance(result, np.ndarray):
        for x in inputs:
            if type(x) is ndarray and x._a is result:
                return x
        if count and not any(type(x) is ndarray and _owner(x._a) is _owner(result) for x in inputs):
            stats.kernels += 1
        return _from_numpy(result, device)
    if isinstance(result, (tuple, list)) and result and isinstance(result[0], (np.ndarray, np.generic)):
        stats.kernels += 1
        return tuple(_wrap(r, device, inputs, count=False) for r in result)
    return result


def _same_view(a, b) -> bool:
    """Whether two NumPy arrays are the same elements in the same layout."""
    return (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.shape == b.shape
        and a.strides == b.strides
    )


def _from_numpy(a, device: int):
    out = ndarray.__new__(ndarray)
    out._a = a
    out._device = device
    return out


def _call(fn, args, kwargs):
    """fn on the NumPy values behind ``args``; the result back on their device. An ``out=`` array is
    written in place and returned."""
    devices: list = []
    a = _unwrap(args, devices)
    kw = {k: _unwrap(v, devices) for k, v in kwargs.items()} if kwargs else {}
    device = _device_of(devices)
    result = fn(*a, **kw)
    out = kwargs.get("out") if kwargs else None
    if type(out) is tuple and len(out) == 1:
        out = out[0]
    if type(out) is ndarray:
        stats.kernels += 1
        return out
    return _wrap(result, device, args)


def _index(index):
    """An index for a device array: device arrays unwrapped; NumPy arrays and lists are copied to the
    device first, as CuPy does (counted)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if type(index) is ndarray:
        return index._a
    if isinstance(index, (np.ndarray, list)):
        stats.to_device += 1
    return index


# --------------------------------------------------------------------------- the array


class Flags:
    """CuPy's flags: contiguity and ownership, no ``writeable``."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a):
        self.c_contiguous = a.flags.c_contiguous
        self.f_contiguous = a.flags.f_contiguous
        self.owndata = a.base is None


class Device:
    """``cupy.cuda.Device``: a context that makes device ``id`` current."""

    def __init__(self, device=None):
        self.id = _current() if device is None else int(device)
        if not 0 <= self.id < DEVICE_COUNT:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id}")

    def __enter__(self):
        self._prev = _current()
        _local.device = self.id
        return self

    def __exit__(self, *exc):
        _local.device = self._prev

    def use(self):
        _local.device = self.id

    def synchronize(self):
        pass

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class ndarray:
    """A device array: a NumPy array that only mixes with arrays of its own device."""

    __slots__ = ("_a", "_device", "__weakref__")
    __array_priority__ = 100  # CuPy's value: a Tensor (1000) takes the reflected operator
    __hash__ = None

    def __init__(self, shape, dtype=float):
        self._a = np.empty(shape, dtype)
        self._device = _current()

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    flags = property(lambda self: Flags(self._a))
    device = property(lambda self: Device(self._device))

    @property
    def base(self):
        return None if self._a.base is None else _from_numpy(self._a.base, self._device)

    def __getattr__(self, name):
        if name in _VIEW_ATTRS:
            return _wrap(getattr(self._a, name), self._device, (self,))
        if name not in _METHODS:
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r}")
        method = getattr(np.ndarray, name)

        def call(*args, **kwargs):
            result = _call(method, (self, *args), kwargs)
            if name in _IN_PLACE_METHODS:
                stats.kernels += 1
            return result

        return call

    # ------------------------------------------------------------------ to the host
    def get(self, stream=None, order="C", out=None):
        stats.to_host += 1
        stats.host_elements += self._a.size
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        stats.to_device += 1
        self._a[...] = arr

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for i in range(len(self._a)):
            yield self[i]

    # ------------------------------------------------------------------ NumPy's protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ not in _FUNCTIONS:
            return NotImplemented
        return _call(func, args, kwargs)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index):
        index = _index(index)
        result = self._a[index]
        if isinstance(result, np.generic):  # CuPy gives a 0-d view of the element, not a scalar
            result = self._a[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
        return _wrap(result, self._device, (self,))

    def __setitem__(self, index, value):
        devices = [self._device]
        v = _unwrap(value, devices)
        _device_of(devices)
        index = _index(index)
        if type(value) is ndarray and _owner(v) is _owner(self._a) and _same_view(self._a[index], v):
            return  # ``a[i] += b`` stores the view back onto itself: CuPy skips that copy
        self._a[index] = v
        stats.kernels += 1


def _binary(op, reflected=False):
    def method(self, other):
        if type(other) is not ndarray and getattr(other, "__array_priority__", 0) > ndarray.__array_priority__:
            return NotImplemented
        args = (other, self) if reflected else (self, other)
        return _call(op, args, {})

    return method


def _in_place(op):
    def method(self, other):
        devices = [self._device]
        v = _unwrap(other, devices)
        _device_of(devices)
        op(self._a, v)
        stats.kernels += 1
        return self

    return method


def _unary(op):
    def method(self):
        return _call(op, (self,), {})

    return method


for _name in "add sub mul truediv floordiv mod pow matmul and or xor lshift rshift".split():
    _op = getattr(operator, _name + "_" if _name in ("and", "or") else _name)
    setattr(ndarray, f"__{_name}__", _binary(_op))
    setattr(ndarray, f"__r{_name}__", _binary(_op, reflected=True))
    if _name != "matmul":  # CuPy has no __imatmul__
        setattr(ndarray, f"__i{_name}__", _in_place(getattr(operator, f"i{_name}")))
for _name in "lt le gt ge eq ne".split():
    setattr(ndarray, f"__{_name}__", _binary(getattr(operator, _name)))
for _name in "neg pos abs invert".split():
    setattr(ndarray, f"__{_name}__", _unary(getattr(operator, _name)))


def _to_host(convert):
    """A method that reads the array on the host: one device-to-host copy (a sync on a GPU)."""

    def method(self):
        stats.to_host += 1
        stats.host_elements += self._a.size
        return convert(self._a)

    return method


for _name, _convert in {
    "item": np.ndarray.item,
    "tolist": np.ndarray.tolist,
    "__bool__": bool,
    "__int__": int,
    "__float__": float,
    "__complex__": complex,
    "__repr__": repr,
    "__str__": str,
}.items():
    setattr(ndarray, _name, _to_host(_convert))


# --------------------------------------------------------------------------- module functions


class ufunc:
    """A CuPy ufunc: call, reduce, accumulate, outer and at on device arrays."""

    def __init__(self, name):
        self._u = getattr(np, name)
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return _call(self._u, args, kwargs)

    def reduce(self, *args, **kwargs):
        return _call(self._u.reduce, args, kwargs)

    def accumulate(self, *args, **kwargs):
        return _call(self._u.accumulate, args, kwargs)

    def outer(self, *args, **kwargs):
        return _call(self._u.outer, args, kwargs)

    def at(self, a, indices, b=None):
        devices = [a._device]
        values = () if b is None else (_unwrap(b, devices),)
        _device_of(devices)
        self._u.at(a._a, _index(indices), *values)
        stats.kernels += 1


def _function_of(fn, name):
    def call(*args, **kwargs):
        return _call(fn, args, kwargs)

    call.__name__ = name
    return call


def asarray(a, dtype=None, order=None, *, blocking=False):
    """To the current device: a device array stays (cast if asked; another device's is copied over), host
    data is copied over (counted)."""
    if type(a) is ndarray:
        if a._device != _current():
            return _from_numpy(np.array(a._a, dtype=dtype), _current())
        return _wrap(a._a.astype(dtype, copy=False) if dtype is not None else a._a, a._device, (a,))
    stats.to_device += 1
    return _from_numpy(np.array(a, dtype=dtype, order=order or "K"), _current())


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    if type(obj) is ndarray and obj._device == _current():
        stats.kernels += 1
        return _from_numpy(np.array(obj._a, dtype=dtype, copy=True, order=order, ndmin=ndmin), obj._device)
    return asarray(obj, dtype=dtype)


asanyarray = asarray


def ascontiguousarray(a, dtype=None):
    return _call(np.ascontiguousarray, (a,), {"dtype": dtype} if dtype is not None else {})


def empty(shape, dtype=float, order="C"):
    """Allocation only: no kernel runs (as in CuPy)."""
    return _from_numpy(np.empty(shape, dtype, order), _current())


def empty_like(a, dtype=None, order="K", subok=None, shape=None):
    devices: list = []
    proto = _unwrap(a, devices)
    return _from_numpy(np.empty_like(proto, dtype, order, shape=shape), _device_of(devices))


def elementwise(kernel, args):
    """A fused kernel of ``tinygrad_opt.kernels`` on the stand-in: its NumPy reference on the arrays
    behind ``args`` (``Kernel.run_reference`` checks and casts what CuPy's ``ElementwiseKernel`` does),
    counted as the one launch the CUDA kernel is. The arrays must share one device."""
    devices: list = []
    values = [_unwrap(a, devices) for a in args]
    device = _device_of(devices)
    outs = kernel.run_reference(values)
    stats.kernels += 1
    n_in = kernel.n_in
    wrapped = [args[n_in + j] if n_in + j < len(args) else _from_numpy(o, device) for j, o in enumerate(outs)]
    return wrapped[0] if len(wrapped) == 1 else tuple(wrapped)


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    return a.get() if type(a) is ndarray else np.asarray(a, order=order)


def get_array_module(*args):
    return __import__(__name__, fromlist=["_"]) if any(type(a) is ndarray for a in args) else np


def is_available() -> bool:
    return True


class _Runtime:
    @staticmethod
    def getDeviceCount() -> int:
        return DEVICE_COUNT


class Event:
    """``cupy.cuda.Event``: work on the stand-in is done when it returns, so there is nothing to wait for."""

    def record(self, stream=None):
        pass

    def synchronize(self):
        pass

    @property
    def done(self) -> bool:
        return True


class _Cuda:
    Device = Device
    Event = Event
    runtime = _Runtime()

    @staticmethod
    def get_device_id() -> int:
        return _current()


cuda = _Cuda()


class Generator:
    """``cupy.random.Generator``: CuPy's method set, drawing a stream of its own (not NumPy's for the
    same seed, as on a GPU)."""

    def __init__(self, seed=None):
        self._rng = np.random.default_rng(None if seed is None else [seed, 0xC0DA])
        self._device = _current()

    def __getattr__(self, name):
        if name not in _GENERATOR_METHODS:
            raise AttributeError(f"'cupy.random.Generator' object has no attribute {name!r}")
        method = getattr(self._rng, name)

        def call(*args, dtype=None, **kwargs):
            devices = [self._device]
            args = _unwrap(args, devices)
            _device_of(devices)
            out = method(*args, **kwargs)
            out = np.asarray(out if dtype is None else np.asarray(out).astype(dtype))
            stats.kernels += 1
            return _from_numpy(out, self._device)

        return call


class _Random:
    Generator = Generator

    @staticmethod
    def default_rng(seed=None):
        return Generator(seed)


random = _Random()


class _Namespace:
    """A CuPy submodule whose functions run NumPy's on device arrays."""

    def __init__(self, module, names):
        for name in names.split():
            setattr(self, name, _function_of(getattr(module, name), name))


linalg = _Namespace(
    np.linalg, "cholesky det eigh eigvalsh inv lstsq matrix_power matrix_rank norm pinv qr slogdet solve svd"
)


class _StrideTricks:
    @staticmethod
    def as_strided(x, shape=None, strides=None):
        view = np.lib.stride_tricks.as_strided(x._a, shape, strides)
        return _from_numpy(view, x._device)


class _Lib:
    stride_tricks = _StrideTricks()


lib = _Lib()


def _erf(x):
    from scipy.special import erf

    return _call(erf, (x,), {})


def _scatter_add(a, slices, value):
    ufunc("add").at(a, slices, value)


class _Special:
    erf = staticmethod(_erf)


class _Scipy:
    special = _Special()


class cupyx:
    """The parts of ``cupyx`` the backend uses."""

    scatter_add = staticmethod(_scatter_add)
    scipy = _Scipy()

    @staticmethod
    def empty_pinned(shape, dtype=float, order="C"):
        """A host (NumPy) array, as ``cupyx.empty_pinned`` gives (page-locked there)."""
        return np.empty(shape, dtype, order)


def __getattr__(name):
    if name in _UFUNCS:
        value = ufunc(name)
    elif name in _FUNCTIONS:
        value = _function_of(getattr(np, name), name)
    elif name in _PLAIN:
        value = getattr(np, name)
    else:
        raise AttributeError(f"module 'cupy' has no attribute {name!r}")
    globals()[name] = value
    return value
