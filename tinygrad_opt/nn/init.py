"""Weight initializers (seed 003 §9, seed 000 "Initialization"), PyTorch's ``torch.nn.init`` names.

Every function fills its tensor in place, outside the graph, and returns it. Random ones take a
``generator`` (default: the seeded generator of the tensor's device, so CUDA tensors are filled on
the GPU). Fans: for a weight of shape (out, in, *kernel) the receptive field is prod(kernel) and

    fan_in = in * prod(kernel),   fan_out = out * prod(kernel).

"Incoming" weights of a unit are therefore one row of the weight flattened to (out, fan_in): a
Linear's ``weight[i, :]`` or a conv's ``weight[o, :, ...]``.
"""

from __future__ import annotations

import math
import numbers

from .. import backend
from ..autodiff import no_grad
from ..errors import ArgumentError, ArgumentTypeError, DTypeError, ShapeError
from ..tensor import Tensor
from ._checks import int_arg, real_arg

_GAIN_ONE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """Recommended gain for a nonlinearity (PyTorch's table): linear/conv/sigmoid 1, tanh 5/3,
    relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)) (slope ``param``, default 0.01), selu 3/4."""
    if not isinstance(nonlinearity, str):
        raise ArgumentTypeError(f"calculate_gain: nonlinearity must be a name such as 'relu', got {nonlinearity!r}")
    if nonlinearity in _GAIN_ONE or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ArgumentTypeError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ArgumentError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
        f"{', '.join(_GAIN_ONE + ('sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'))}"
    )


def _calculate_fan_in_and_fan_out(tensor: Tensor, where: str = "init") -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ShapeError(
            f"{where}: fan in and fan out need a tensor with at least 2 dimensions (out, in, *kernel), "
            f"got shape {tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str, where: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, where)
    return fan_in if mode == "fan_in" else fan_out


def _target(where: str, tensor, random: bool = True) -> Tensor:
    """The tensor an initializer fills: a Tensor, of a floating dtype when the values are random
    (random floats written into an integer tensor would be truncated to garbage)."""
    if not isinstance(tensor, Tensor):
        raise ArgumentTypeError(f"{where}: expected a Tensor to fill, got {type(tensor).__name__}")
    if random and tensor.dtype.kind != "f":
        raise DTypeError(
            f"{where}: cannot fill a tensor of dtype {tensor.dtype} with random values; "
            f"initialize a floating-point tensor (convert with .float())"
        )
    return tensor


def _rng(tensor: Tensor, generator, where: str = "init"):
    if generator is not None and not isinstance(generator, backend.Generator):
        raise ArgumentTypeError(f"{where}: generator must be a tinygrad_opt Generator, got {type(generator).__name__}")
    return (generator or backend.default_generator(tensor.device)).rng


def _fill(tensor: Tensor, array) -> Tensor:
    """Write ``array`` into ``tensor`` outside the graph (cast to its dtype, moved to its device)."""
    with no_grad():
        tensor.copy_(
            Tensor(backend.asarray(array, dtype=tensor.dtype, device=tensor.device), device=tensor.device, copy=False)
        )
    return tensor


# --------------------------------------------------------------------------- plain fills


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """W ~ U(a, b)."""
    _target("uniform_", tensor)
    real_arg("uniform_", "a", a, error=ArgumentError)
    if not a <= real_arg("uniform_", "b", b, error=ArgumentError):
        raise ArgumentError(f"uniform_: needs a <= b, got a={a}, b={b}")
    return _fill(tensor, a + (b - a) * _rng(tensor, generator, "uniform_").random(tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """W ~ N(mean, std^2)."""
    _target("normal_", tensor)
    real_arg("normal_", "mean", mean, error=ArgumentError)
    real_arg("normal_", "std", std, low=0, error=ArgumentError)
    return _fill(tensor, mean + std * _rng(tensor, generator, "normal_").standard_normal(tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """W = val everywhere (an integer tensor takes integer values only: 0.5 would be truncated)."""
    _constant_check("constant_", tensor, val)
    with no_grad():
        tensor.fill_(val)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """The usual bias initialization (seed 003 §9.2 item 1)."""
    _target("zeros_", tensor, random=False)
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    _target("ones_", tensor, random=False)
    return constant_(tensor, 1)


def _constant_check(where, tensor, val):
    _target(where, tensor, random=False)
    if not isinstance(val, numbers.Real):
        raise ArgumentTypeError(f"{where}: val must be a number, got {val!r} ({type(val).__name__})")
    if tensor.dtype.kind != "f" and not float(val).is_integer():
        raise DTypeError(f"{where}: val={val!r} does not fit the integer dtype {tensor.dtype}; use an integer value")


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (a 2-D tensor; non-square gets ones on the main diagonal)."""
    _target("eye_", tensor, random=False)
    if tensor.ndim != 2:
        raise ShapeError(f"eye_: only 2-D tensors are supported, got shape {tensor.shape}")
    return _fill(tensor, backend.xp_for(tensor.device).eye(*tensor.shape))


def relu_bias_(tensor: Tensor, value: float = 0.1) -> Tensor:
    """A small positive constant bias so ReLU units start in their active region (seed 003 §9.2 item 2)."""
    _target("relu_bias_", tensor)
    real_arg("relu_bias_", "value", value, low=0, low_open=True, error=ArgumentError)
    return constant_(tensor, value)


def bias_uniform_(tensor: Tensor, fan_in: int, generator=None) -> Tensor:
    """PyTorch's default Linear/Conv bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (0 for fan_in = 0)."""
    _target("bias_uniform_", tensor)
    int_arg("bias_uniform_", "fan_in", fan_in, low=0)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(tensor, -bound, bound, generator)


# --------------------------------------------------------------------------- variance scaling


def _fans(where: str, tensor, gain=1.0) -> tuple[int, int]:
    """(fan_in, fan_out) of a floating tensor to be filled, with a numeric gain."""
    _target(where, tensor)
    real_arg(where, "gain", gain, error=ArgumentError)
    return _calculate_fan_in_and_fan_out(tensor, where)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (seed 003 §9.1 item 4, seed 000).
    Var W = 2 / (fan_in + fan_out): a compromise between equal activation and equal gradient variance."""
    fan_in, fan_out = _fans("xavier_uniform_", tensor, gain)
    if tensor.numel() == 0:
        return tensor
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: W ~ N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans("xavier_normal_", tensor, gain)
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
) -> Tensor:
    """He: W ~ U(-bound, bound), bound = gain * sqrt(3 / fan) with gain = calculate_gain(nonlinearity, a)
    (seed 000: a = sqrt(6 / n_in) for ReLU). ReLU halves the second moment, the gain sqrt(2) restores it.
    ``mode='fan_out'`` preserves the gradient variance in the backward pass instead.
    A tensor with no elements is left as it is (PyTorch's no-op), so ``Linear(0, 3)`` can be built."""
    _target("kaiming_uniform_", tensor)
    fan = _calculate_correct_fan(tensor, mode, "kaiming_uniform_")
    if tensor.numel() == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
) -> Tensor:
    """He: W ~ N(0, std^2), std = gain / sqrt(fan) (seed 000: sigma^2 = 2 / n_in for ReLU)."""
    _target("kaiming_normal_", tensor)
    fan = _calculate_correct_fan(tensor, mode, "kaiming_normal_")
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def lecun_uniform_(tensor: Tensor, generator=None) -> Tensor:
    """W ~ U(-sqrt(1/m), sqrt(1/m)) with m = fan_in: the common heuristic of seed 003 §9.1 item 4.

    Its variance is 1/(3m), a third of LeCun's recommended Var W = 1/m (which is U(-sqrt(3/m), sqrt(3/m)),
    i.e. ``kaiming_uniform_(t, nonlinearity='linear')``). It is exactly PyTorch's default Linear/Conv
    weight init, kaiming_uniform_ with a = sqrt(5): gain sqrt(2/6) times sqrt(3/m) = sqrt(1/m)."""
    fan_in, _ = _fans("lecun_uniform_", tensor)
    if tensor.numel() == 0:
        return tensor
    bound = math.sqrt(1.0 / fan_in)
    return uniform_(tensor, -bound, bound, generator)


def lecun_normal_(tensor: Tensor, generator=None) -> Tensor:
    """LeCun's variance: W ~ N(0, 1/m), m = fan_in (keeps Var of a linear unit's output equal to its input's)."""
    fan_in, _ = _fans("lecun_normal_", tensor)
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, math.sqrt(1.0 / fan_in), generator)


# --------------------------------------------------------------------------- structured


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None
) -> Tensor:
    """N(mean, std^2) conditioned on [a, b] (absolute bounds, as in PyTorch), by rejection sampling."""
    _target("trunc_normal_", tensor)
    for name, value in (("mean", mean), ("a", a), ("b", b)):
        real_arg("trunc_normal_", name, value, error=ArgumentError)
    real_arg("trunc_normal_", "std", std, low=0, low_open=True, error=ArgumentError)
    if not a < b:
        raise ArgumentError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    mass = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2))))
    if mass < 1e-4:
        raise ArgumentError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.1e} of N({mean}, {std}^2); "
            f"move the bounds closer to the mean"
        )
    rng = _rng(tensor, generator, "trunc_normal_")
    out = mean + std * rng.standard_normal(tensor.shape)
    xp = backend.xp_of(out)
    bad = (out < a) | (out > b)
    while bool(bad.any()):
        out = xp.where(bad, mean + std * rng.standard_normal(tensor.shape), out)
        bad = (out < a) | (out > b)
    return _fill(tensor, out)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR factorization of a Gaussian matrix (seed 000, "unitary
    matrices"). The signs of diag(R) are folded into Q so Q is Haar-distributed (without the fix,
    LAPACK's Householder QR makes Q[0, 0] negative every time). Shape (rows, rest):
    W W^T = gain^2 I when rows <= cols, W^T W = gain^2 I otherwise."""
    _target("orthogonal_", tensor)
    real_arg("orthogonal_", "gain", gain, error=ArgumentError)
    if tensor.ndim < 2:
        raise ShapeError(f"orthogonal_: need at least 2 dimensions, got shape {tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    rng = _rng(tensor, generator, "orthogonal_")
    flat = rng.standard_normal((rows, cols))
    xp = backend.xp_of(flat)
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    d = xp.sign(xp.diagonal(r))
    q = q * xp.where(d == 0, 1.0, d)
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float | None = None, std: float = 0.01, generator=None, *, k: int | None = None):
    """Sparse initialization, non-zero entries ~ N(0, std^2). Give exactly one of:

    - ``sparsity`` (PyTorch's form, 2-D only): in every column, ceil(sparsity * rows) entries are zero.
    - ``k`` (Martens' form, seed 003 §9.1 item 6): every unit gets EXACTLY k non-zero incoming weights,
      i.e. each row of the weight flattened to (out, fan_in) has k non-zeros at random positions.
      The incoming weights' scale no longer depends on fan_in, so units are diverse from the start."""
    _target("sparse_", tensor)
    if (sparsity is None) == (k is None):
        raise ArgumentError(
            "sparse_: give exactly one of sparsity (fraction of zeros per column) or k (non-zeros per row)"
        )
    real_arg("sparse_", "std", std, low=0, error=ArgumentError)
    rng = _rng(tensor, generator, "sparse_")
    if k is not None:
        if tensor.ndim < 2:
            raise ShapeError(f"sparse_: need at least 2 dimensions (out, fan_in), got shape {tensor.shape}")
        rows = tensor.shape[0]
        cols = tensor.numel() // rows if rows else 0
        if not 0 <= int_arg("sparse_", "k", k, low=0) <= cols:
            raise ArgumentError(f"sparse_: k must lie in [0, {cols}] (the fan-in), got {k}")
        ranks = rng.random((rows, cols)).argsort(axis=1).argsort(axis=1)
        keep = ranks < k
    else:
        if tensor.ndim != 2:
            raise ShapeError(f"sparse_: the sparsity form needs a 2-D tensor, got shape {tensor.shape}")
        real_arg("sparse_", "sparsity", sparsity, low=0, high=1, error=ArgumentError)
        rows, cols = tensor.shape
        zeros_per_col = math.ceil(sparsity * rows)
        ranks = rng.random((rows, cols)).argsort(axis=0).argsort(axis=0)
        keep = ranks >= zeros_per_col
    values = std * rng.standard_normal(keep.shape) * keep
    return _fill(tensor, values.reshape(tensor.shape))
