"""The only module that knows NumPy from CuPy: devices, array-module lookup, transfers and RNG.

Everything else asks ``xp = backend.xp_of(array)`` (chainer's ``get_array_module``) or goes through
the helpers here, so one code path serves both libraries.
"""

from __future__ import annotations

import ctypes
import math
import numbers
import os

import numpy as np

from .errors import ArgumentError, ArgumentTypeError, DeviceError

ENV_DEVICE = "TINYGRAD_OPT_DEVICE"
ENV_RETAIN_MEMORY = "TINYGRAD_OPT_RETAIN_MEMORY"
ENV_FAKE_CUDA = "TINYGRAD_OPT_FAKE_CUDA"
_INSTALL_HINT = "install the CUDA extra with `pip install 'tinygrad_opt[cuda]'` on a machine with an NVIDIA GPU"


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


FAKE_CUDA = _env_flag(ENV_FAKE_CUDA)
"""Test-only: 'cuda' is the NumPy-backed stand-in device of ``tinygrad_opt.testing.fake_cuda``, which
mixes with CPU arrays only where CuPy's arrays do and counts kernels and host transfers. Read once,
when this module loads."""

_cupy = None  # the CuPy module (or the stand-in), once loaded
_cupyx = None  # its cupyx namespace (scatter_add, scipy.special)
_cupy_error: Exception | None = None


def _load_cupy():
    """Import CuPy on first use and check that a GPU answers; raise DeviceError otherwise."""
    global _cupy, _cupyx, _cupy_error
    if _cupy is not None:
        return _cupy
    if FAKE_CUDA:
        from .testing import fake_cuda

        _cupy, _cupyx = fake_cuda, fake_cuda.cupyx
        return _cupy
    if _cupy_error is None:
        try:
            import cupy
            import cupyx
            import cupyx.scipy.special  # noqa: F401  (erf)

            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no CUDA device found")
            _cupy, _cupyx = cupy, cupyx
            return cupy
        except Exception as exc:  # ImportError, CUDARuntimeError, ...
            _cupy_error = exc
    raise DeviceError(f"device 'cuda' is unavailable ({_cupy_error}); {_INSTALL_HINT}")


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        _load_cupy()
        return True
    except DeviceError:
        return False


def parse_device(device, where: str | None = None) -> str:
    """Canonical device string: 'cpu' or 'cuda:N'. Raises DeviceError for anything else (its message
    starts with ``where``, the public function called, when given)."""
    if device is None:
        return get_default_device()
    if device == "cpu":
        return "cpu"
    spec = str(device).strip().lower()
    if spec == "cpu":
        return "cpu"
    if spec == "cuda":
        return "cuda:0"
    if spec.startswith("cuda:") and spec[5:].isdigit():
        return spec
    prefix = f"{where}: " if where else ""
    raise DeviceError(f"{prefix}unknown device {device!r}: use 'cpu', 'cuda' or 'cuda:N'")


_default_device: str | None = None


def get_default_device() -> str:
    """The device new tensors go to: set_default_device(), else $TINYGRAD_OPT_DEVICE, else 'cpu'."""
    global _default_device
    if _default_device is None:
        _default_device = parse_device(os.environ.get(ENV_DEVICE) or "cpu")
    return _default_device


def set_default_device(device) -> None:
    """Make ``device`` the default for tensors created without an explicit ``device=``. For 'cuda:N'
    it also makes GPU N CuPy's current device: array calls run on the current device, so work on one
    GPU other than 0 needs it current (several GPUs in one computation are not supported)."""
    global _default_device
    dev = parse_device(device, "set_default_device")
    if dev != "cpu":
        cp, index = _load_cupy(), int(dev.split(":")[1])
        count = cp.cuda.runtime.getDeviceCount()
        if index >= count:
            raise DeviceError(f"set_default_device: no device {dev!r}, this machine has {count} GPU(s): use cuda:0")
        cp.cuda.Device(index).use()
    _default_device = dev


def xp_for(device: str):
    """The array module (numpy or cupy) for a canonical device string."""
    return np if device == "cpu" else _load_cupy()


def xp_of(array):
    """The array module an array belongs to."""
    return np if isinstance(array, (np.ndarray, np.generic)) else _load_cupy()


def is_device_array(x) -> bool:
    """A CUDA array (CuPy's, or the stand-in's)."""
    if _cupy is None:
        if not type(x).__module__.startswith("cupy"):
            return False
        try:
            _load_cupy()
        except DeviceError:
            return False
    return isinstance(x, _cupy.ndarray)


def is_array(x) -> bool:
    """An array of either library (NumPy scalars included)."""
    return isinstance(x, (np.ndarray, np.generic)) or is_device_array(x)


def device_of(array) -> str:
    if isinstance(array, (np.ndarray, np.generic)):
        return "cpu"
    return f"cuda:{array.device.id}"


class _on:
    """Context that makes CUDA device N current while arrays are created there (no-op on CPU)."""

    def __init__(self, device: str):
        self.ctx = None if device == "cpu" else _load_cupy().cuda.Device(int(device.split(":")[1]))

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


def asarray(data, dtype=None, device: str = "cpu"):
    """Convert data (array of either library, scalar, nested list) to an array on ``device``: the one
    explicit place where data crosses between host and GPU."""
    if device == "cpu":
        if is_device_array(data):
            data = data.get()  # device -> host
        return np.asarray(data, dtype=dtype)
    cp = _load_cupy()
    with _on(device):
        return cp.asarray(data, dtype=dtype)


class PinnedStaging:
    """Host arrays to a GPU through page-locked (pinned) host buffers, so each copy runs asynchronously
    and the host goes on queueing work (from pageable memory CUDA copies synchronously, through a
    staging buffer of its own). A buffer is kept until its copy is done: an event recorded after the
    copy is waited on before more than ``depth`` copies are in flight (a wait for that copy only, not
    for the whole device). PyTorch's ``pin_memory=True`` with ``non_blocking`` copies."""

    def __init__(self, depth: int = 2):
        self.depth = depth
        self._in_flight: list = []  # (event, pinned buffer) of the copies not known to be done

    def to_device(self, host, device: str):
        cp = _load_cupy()
        while len(self._in_flight) >= self.depth:
            event, _ = self._in_flight.pop(0)
            event.synchronize()
        with _on(device):
            pinned = _cupyx.empty_pinned(host.shape, host.dtype)
            pinned[...] = host
            out = cp.asarray(pinned, blocking=False)
            event = cp.cuda.Event()
            event.record()
        self._in_flight.append((event, pinned))
        return out


def to_numpy(array) -> np.ndarray:
    if isinstance(array, np.ndarray):
        return array
    return np.asarray(array) if isinstance(array, np.generic) else array.get()


def to_device(array, device: str):
    """``array`` on ``device`` (the same object when it is there already)."""
    if device_of(array) == device:
        return array
    return asarray(array, device=device)


def erf(x):
    """Elementwise error function for either library (SciPy when present, else math.erf)."""
    if not isinstance(x, (np.ndarray, np.generic)):  # 0-d NumPy results are np.generic scalars
        _load_cupy()
        return _cupyx.scipy.special.erf(x)
    try:
        from scipy.special import erf as _erf
    except ImportError:  # pragma: no cover - SciPy ships with the test extra
        return np.vectorize(math.erf, otypes=[x.dtype])(x).astype(x.dtype, copy=False)
    return _erf(x).astype(x.dtype, copy=False)


try:  # NumPy keeps its floating-point error state in a context variable: setting it is ~10x cheaper
    from numpy._core import _ufunc_config as _ufunc_state  # than entering np.errstate (~0.2 vs ~1.6 µs)

    _errstate_var = _ufunc_state._extobj_contextvar
    with np.errstate(all="ignore"):
        _IGNORE_FP = _errstate_var.get()
except (ImportError, AttributeError):  # pragma: no cover - another NumPy layout: the public (slower) way
    _errstate_var = None


def run_quietly(fn, *args):
    """``fn(*args)`` with NumPy's floating-point warnings off (overflow, x/0, log(0), sqrt(-1) give
    inf/NaN silently, as in PyTorch); the caller's error state is restored afterwards."""
    if _errstate_var is None:
        with np.errstate(all="ignore"):
            return fn(*args)
    token = _errstate_var.set(_IGNORE_FP)
    try:
        return fn(*args)
    finally:
        _errstate_var.reset(token)


def scatter_add(out, index, values):
    """out[index] += values in place, repeated indices accumulating (np.add.at / cupyx.scatter_add)."""
    if isinstance(out, np.ndarray):
        np.add.at(out, index, values)
    else:
        _load_cupy()
        _cupyx.scatter_add(out, index, values)
    return out


# --------------------------------------------------------------------------- random numbers


class Generator:
    """A seeded random generator bound to one device (NumPy's PCG64 on CPU, CuPy's on CUDA)."""

    def __init__(self, seed: int | None = None, device=None):
        check_seed(seed, "Generator")
        self.device = parse_device(device, "Generator")
        self.manual_seed(seed)

    def manual_seed(self, seed: int | None):
        check_seed(seed, "Generator.manual_seed")
        self.seed = seed
        xp = xp_for(self.device)
        with _on(self.device):
            self.rng = xp.random.default_rng(seed)
        return self

    def get_state(self) -> dict:
        """Plain-data snapshot of the generator (for checkpoints)."""
        if self.device == "cpu":
            return {"device": "cpu", "bit_generator": self.rng.bit_generator.state}
        raise DeviceError("saving the state of a CUDA generator is not supported; reseed it instead")

    def set_state(self, state: dict) -> None:
        """Restore a ``get_state()`` snapshot (CPU generators only)."""
        if not isinstance(state, dict) or "bit_generator" not in state:
            raise ArgumentTypeError(
                f"Generator.set_state: expected the dict that get_state() returns, got {type(state).__name__}"
            )
        if self.device != "cpu" or state.get("device") != "cpu":
            raise DeviceError("Generator.set_state: generator state can only be restored on CPU")
        try:
            self.rng.bit_generator.state = state["bit_generator"]
        except (TypeError, ValueError, KeyError) as e:
            raise ArgumentError(f"Generator.set_state: the state does not fit this generator ({e})") from None


def check_seed(seed, where: str) -> None:
    """A seed is None or a non-negative int (NumPy's and PyTorch's rule)."""
    if seed is None:
        return
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise ArgumentTypeError(f"{where}: seed must be an int >= 0 or None, got {seed!r}")
    if seed < 0:
        raise ArgumentError(f"{where}: seed must be an int >= 0 or None, got {seed}")


_generators: dict[str, Generator] = {}
_global_seed: int | None = None  # the last manual_seed: also seeds a device's generator made after it


def default_generator(device=None) -> Generator:
    dev = parse_device(device)
    if dev not in _generators:
        _generators[dev] = Generator(_global_seed, dev)
    return _generators[dev]


def manual_seed(seed: int) -> None:
    """Seed the default generator of every device: those in use now, and those first used later."""
    global _global_seed
    if seed is None:
        raise ArgumentTypeError("manual_seed: seed must be a non-negative int, got None")
    check_seed(seed, "manual_seed")
    _global_seed = seed
    default_generator("cpu").manual_seed(seed)
    for dev, gen in _generators.items():
        if dev != "cpu":
            gen.manual_seed(seed)


# --------------------------------------------------------------------------- the C allocator

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_MMAP_THRESHOLD_MAX = 1 << 25  # glibc refuses larger values on 64-bit (32 MiB)
memory_retained = False


def retain_freed_memory(trim_threshold: int = 1 << 30) -> bool:
    """Ask glibc's malloc to keep freed array memory for reuse instead of handing it back to the OS.

    A training step frees and allocates the same large arrays every step. By default glibc serves big
    blocks with fresh mappings or trims the heap when much of it is free, and the next step faults the
    pages back in: 2,460 page faults per step of the benchmark's small CNN, about a quarter of its time.
    After this call blocks up to 32 MiB come from the heap and the heap keeps up to ``trim_threshold``
    bytes of free memory, so steady-state steps fault nothing; the price is that the process keeps its
    high-water mark of memory. Process-wide and lasting (it also applies to NumPy and everything else in
    the process); also enabled at import by ``TINYGRAD_OPT_RETAIN_MEMORY=1``. Returns whether it took
    effect: False, doing nothing, where the C library is not glibc."""
    global memory_retained
    if not 0 <= trim_threshold < 2**31:
        raise ArgumentError(f"retain_freed_memory: trim_threshold must lie in [0, 2**31), got {trim_threshold}")
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) == 1 and mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1
    memory_retained = memory_retained or ok
    return ok


if _env_flag(ENV_RETAIN_MEMORY):
    retain_freed_memory()


def _check_env_device() -> None:
    """Check $TINYGRAD_OPT_DEVICE when the package is imported, not at the first tensor: an unknown value,
    or 'cuda' where CuPy or a GPU is missing, is a DeviceError naming the variable."""
    value = os.environ.get(ENV_DEVICE)
    if not value:
        return
    try:
        dev = parse_device(value)
    except DeviceError:
        raise DeviceError(
            f"{ENV_DEVICE}={value!r} is not a device: use 'cpu', 'cuda' or 'cuda:N' (or unset it for 'cpu')"
        ) from None
    if dev != "cpu" and not FAKE_CUDA:  # the stand-in device is always there (and imports the package)
        try:
            _load_cupy()
        except DeviceError:
            raise DeviceError(
                f"{ENV_DEVICE}={value!r} but device 'cuda' is unavailable ({_cupy_error}); {_INSTALL_HINT}, or "
                f"set {ENV_DEVICE}=cpu"
            ) from None


_check_env_device()
