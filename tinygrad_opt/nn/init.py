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

from .. import backend
from ..autodiff import no_grad
from ..tensor import Tensor

_GAIN_ONE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """Recommended gain for a nonlinearity (PyTorch's table): linear/conv/sigmoid 1, tanh 5/3,
    relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)) (slope ``param``, default 0.01), selu 3/4."""
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
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
        f"{', '.join(_GAIN_ONE + ('sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'))}"
    )


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions (out, in, *kernel), got shape {tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _rng(tensor: Tensor, generator):
    return (generator or backend.default_generator(tensor.device)).rng


def _fill(tensor: Tensor, array) -> Tensor:
    """Write ``array`` into ``tensor`` outside the graph (cast to its dtype, moved to its device)."""
    with no_grad():
        tensor.copy_(Tensor(backend.asarray(array, dtype=tensor.dtype, device=tensor.device), device=tensor.device))
    return tensor


# --------------------------------------------------------------------------- plain fills


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """W ~ U(a, b)."""
    return _fill(tensor, a + (b - a) * _rng(tensor, generator).random(tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """W ~ N(mean, std^2)."""
    return _fill(tensor, mean + std * _rng(tensor, generator).standard_normal(tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        tensor.fill_(val)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """The usual bias initialization (seed 003 §9.2 item 1)."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (a 2-D tensor; non-square gets ones on the main diagonal)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tensor.shape}")
    return _fill(tensor, backend.xp_for(tensor.device).eye(*tensor.shape))


def relu_bias_(tensor: Tensor, value: float = 0.1) -> Tensor:
    """A small positive constant bias so ReLU units start in their active region (seed 003 §9.2 item 2)."""
    if value <= 0:
        raise ValueError(f"relu_bias_: value must be positive, got {value}")
    return constant_(tensor, value)


def bias_uniform_(tensor: Tensor, fan_in: int, generator=None) -> Tensor:
    """PyTorch's default Linear/Conv bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (0 for fan_in = 0)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(tensor, -bound, bound, generator)


# --------------------------------------------------------------------------- variance scaling


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (seed 003 §9.1 item 4, seed 000).
    Var W = 2 / (fan_in + fan_out): a compromise between equal activation and equal gradient variance."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: W ~ N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
) -> Tensor:
    """He: W ~ U(-bound, bound), bound = gain * sqrt(3 / fan) with gain = calculate_gain(nonlinearity, a)
    (seed 000: a = sqrt(6 / n_in) for ReLU). ReLU halves the second moment, the gain sqrt(2) restores it.
    ``mode='fan_out'`` preserves the gradient variance in the backward pass instead."""
    fan = _calculate_correct_fan(tensor, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
) -> Tensor:
    """He: W ~ N(0, std^2), std = gain / sqrt(fan) (seed 000: sigma^2 = 2 / n_in for ReLU)."""
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def lecun_uniform_(tensor: Tensor, generator=None) -> Tensor:
    """W ~ U(-sqrt(1/m), sqrt(1/m)) with m = fan_in: the common heuristic of seed 003 §9.1 item 4.

    Its variance is 1/(3m), a third of LeCun's recommended Var W = 1/m (which is U(-sqrt(3/m), sqrt(3/m)),
    i.e. ``kaiming_uniform_(t, nonlinearity='linear')``). It is exactly PyTorch's default Linear/Conv
    weight init, kaiming_uniform_ with a = sqrt(5): gain sqrt(2/6) times sqrt(3/m) = sqrt(1/m)."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(1.0 / fan_in)
    return uniform_(tensor, -bound, bound, generator)


def lecun_normal_(tensor: Tensor, generator=None) -> Tensor:
    """LeCun's variance: W ~ N(0, 1/m), m = fan_in (keeps Var of a linear unit's output equal to its input's)."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, math.sqrt(1.0 / fan_in), generator)


# --------------------------------------------------------------------------- structured


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None
) -> Tensor:
    """N(mean, std^2) conditioned on [a, b] (absolute bounds, as in PyTorch), by rejection sampling."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    mass = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2))))
    if mass < 1e-4:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.1e} of N({mean}, {std}^2); "
            f"move the bounds closer to the mean"
        )
    rng = _rng(tensor, generator)
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
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: need at least 2 dimensions, got shape {tensor.shape}")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows if rows else 0
    rng = _rng(tensor, generator)
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
    if (sparsity is None) == (k is None):
        raise ValueError(
            "sparse_: give exactly one of sparsity (fraction of zeros per column) or k (non-zeros per row)"
        )
    rng = _rng(tensor, generator)
    if k is not None:
        if tensor.ndim < 2:
            raise ValueError(f"sparse_: need at least 2 dimensions (out, fan_in), got shape {tensor.shape}")
        rows = tensor.shape[0]
        cols = tensor.numel() // rows
        if not 0 <= k <= cols:
            raise ValueError(f"sparse_: k must lie in [0, {cols}] (the fan-in), got {k}")
        ranks = rng.random((rows, cols)).argsort(axis=1).argsort(axis=1)
        keep = ranks < k
    else:
        if tensor.ndim != 2:
            raise ValueError(f"sparse_: the sparsity form needs a 2-D tensor, got shape {tensor.shape}")
        if not 0 <= sparsity <= 1:
            raise ValueError(f"sparse_: sparsity must lie in [0, 1], got {sparsity}")
        rows, cols = tensor.shape
        zeros_per_col = math.ceil(sparsity * rows)
        ranks = rng.random((rows, cols)).argsort(axis=0).argsort(axis=0)
        keep = ranks >= zeros_per_col
    values = std * rng.standard_normal(keep.shape) * keep
    return _fill(tensor, values.reshape(tensor.shape))
