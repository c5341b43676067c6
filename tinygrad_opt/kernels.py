"""Fused CUDA kernels: the only CUDA C in the package, each beside the NumPy expression it must equal.

On a GPU every array call is a kernel launch and ~20 µs of host time, so a rule written as five array
ops costs five launches. Each kernel here does one such rule in one launch: an optimizer's update of a
whole flat parameter group, ReLU's backward, the softmax-cross-entropy gradient, col2im. Each is a
CuPy ``ElementwiseKernel`` (``body``: one element's CUDA C, the parameters' names bound to that
element; ``raw`` parameters are whole arrays indexed by hand) and carries ``reference``, the same rule
in NumPy, which writes the outputs in place:

- on CuPy the kernel runs, compiled once per dtype (CuPy caches it, on disk too);
- on the stand-in CUDA device (``TINYGRAD_OPT_FAKE_CUDA=1``, CI) the reference runs and counts as one
  kernel launch, so the launch budgets in CI see what a GPU would launch;
- ``tests/test_kernels.py`` compiles every body with the host C++ compiler, runs it on random and edge
  inputs and compares it with its reference, and compiles the same code with ``nvcc`` for the GPU when
  nvcc is installed, so a kernel that differs from its reference fails in CI without a GPU.

Callers use a kernel on device arrays; on the CPU they keep their NumPy ops (there a fused rule gains
little: NumPy's per-call cost is small and its temporaries stay in cache). Called on NumPy arrays, a
kernel runs its reference.

A body uses only what C++'s ``<cmath>`` and CUDA both have (``sqrt``, ``exp``, ``fabs``, ``max``...),
``T`` is the arrays' dtype (float or double), and scalars are passed already cast to ``T``. Write every
input that a scalar may fill as ``T name``; ``n`` and ``i`` are reserved by CuPy (``i`` is the element's
index).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import backend


@dataclass(eq=False)
class Kernel:
    """One fused elementwise kernel: ``kernel(*inputs)`` returns new outputs, ``kernel(*inputs,
    *outputs)`` writes into the given ones (an output may also be read: that is an in-place update)."""

    name: str
    in_params: str
    out_params: str
    body: str
    reference: object  # reference(*inputs, *outputs): the rule in NumPy, writing the outputs in place
    _compiled: dict = field(default_factory=dict, repr=False)

    @property
    def params(self) -> list[tuple[str, str, bool]]:
        """(type, name, raw) of every parameter, inputs first."""
        out = []
        for spec in (self.in_params, self.out_params):
            for p in spec.split(","):
                words = p.split()
                out.append((words[-2], words[-1], words[0] == "raw"))
        return out

    @property
    def n_in(self) -> int:
        return len(self.in_params.split(","))

    def __call__(self, *args):
        if not any(backend.is_device_array(a) for a in args):
            outs = self.run_reference(list(args))  # NumPy arrays: the reference is the kernel
            return outs[0] if len(outs) == 1 else tuple(outs)
        if backend.FAKE_CUDA:
            from .testing import fake_cuda

            return fake_cuda.elementwise(self, args)
        kernel = self._compiled.get("kernel")
        if kernel is None:
            cupy = backend._load_cupy()
            kernel = self._compiled["kernel"] = cupy.ElementwiseKernel(
                self.in_params, self.out_params, self.body, self.name
            )
        return kernel(*args)

    def run_reference(self, values: list) -> list:
        """The reference on NumPy values, as CuPy calls the kernel: inputs, then optionally the outputs
        (of the broadcast shape of the non-raw arrays); scalars cast to their parameter's type (``T``:
        the arrays' dtype); missing outputs allocated. Returns the outputs."""
        params, n_in = self.params, self.n_in
        if len(values) not in (n_in, len(params)):
            raise TypeError(
                f"Wrong number of arguments for {self.name!r}. It must be either {n_in} or {len(params)} (with "
                f"outputs), but given {len(values)}."
            )
        arrays = [(v, t, raw) for v, (t, _, raw) in zip(values, params) if isinstance(v, np.ndarray)]
        t_dtype = next(v.dtype for v, t, _ in arrays if t == "T")
        shape = np.broadcast_shapes(*(v.shape for v, _, raw in arrays if not raw))
        for i, (v, (t, _, _)) in enumerate(zip(values[:n_in], params)):
            if not isinstance(v, np.ndarray):
                values[i] = np.array(v, dtype=t_dtype if t == "T" else np.dtype(t))[()]
        outs = values[n_in:]
        if any(out.shape != shape for out in outs):
            raise ValueError("Out shape is mismatched")
        if not outs:
            outs = [np.empty(shape, t_dtype) for _ in params[n_in:]]
        backend.run_quietly(self.reference, *values[:n_in], *outs)  # a GPU kernel does not warn either
        return outs


# --------------------------------------------------------------------------- forward and backward


def _relu_backward(g, x, out):
    np.copyto(out, np.where(x > 0, g, 0))


relu_backward = Kernel(
    "tg_relu_backward",
    "T g, T x",
    "T out",
    "out = x > 0 ? g : (T)0;",
    _relu_backward,
)
"""ReLU's VJP: g where x > 0, else 0 (0 at x = 0 and for NaN x; one launch instead of a mask and a product)."""


def _softmax_xent_grad(logp, s, k, out):
    np.subtract(k, np.exp(logp) * s, out=out)


softmax_xent_grad = Kernel(
    "tg_softmax_xent_grad",
    "T logp, T s, T k",
    "T out",
    "out = k - exp(logp) * s;",
    _softmax_xent_grad,
)
"""D = K - softmax(x) * s from log softmax(x), ``s`` = sum_axis K broadcast along the class axis: the
gradient of sum(K * log softmax(x)) (ops/reduce.py, SoftmaxCrossEntropyGrad)."""


def _col2im2d(cols, n_c, h, w, kh, kw, oh, ow, sh, sw, dh, dw, out):
    # cols (N, C, kh, kw, oh, ow) contiguous; out (N, C, h, w): every window added back where it came from
    windows = cols.reshape(n_c, kh, kw, oh, ow)
    res = np.zeros((n_c, h, w), out.dtype)
    for ky in range(kh):
        for kx in range(kw):
            res[:, ky * dh : ky * dh + sh * (oh - 1) + 1 : sh, kx * dw : kx * dw + sw * (ow - 1) + 1 : sw] += windows[
                :, ky, kx
            ]
    np.copyto(out, res.reshape(out.shape))


col2im2d = Kernel(
    "tg_col2im2d",
    "raw T cols, int64 n_c, int64 h, int64 w, int64 kh, int64 kw, int64 oh, int64 ow, "
    "int64 sh, int64 sw, int64 dh, int64 dw",
    "T out",
    """
    const long long x = i % w, y = (i / w) % h, nc = i / (w * h);
    T acc = 0;
    for (long long ky = 0; ky < kh; ++ky) {
        const long long ty = y - ky * dh;
        if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
        for (long long kx = 0; kx < kw; ++kx) {
            const long long tx = x - kx * dw;
            if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
            acc += cols[(((nc * kh + ky) * kw + kx) * oh + ty / sh) * ow + tx / sw];
        }
    }
    out = acc;
    """,
    _col2im2d,
)
"""col2im of 2-D windows: out (N, C, H, W) gathers, for each pixel, the window entries that read it
(cols (N, C, kh, kw, oh, ow), C-contiguous; ``n_c`` = N * C). One launch where adding the kh*kw window views back one by
one takes kh*kw + 1 (ops/conv.py, Fold). The kernel runs over ``out``: pass it (uninitialized) to fix
the shape."""


def _shift_exp(a, m, z, e):
    np.subtract(a, m, out=z)
    np.exp(z, out=e)


shift_exp = Kernel("tg_shift_exp", "T a, T m", "T z, T e", "z = a - m; e = exp(z);", _shift_exp)
"""z = a - m and e = exp(z) in one pass: the first half of a log softmax shifted by its max ``m``."""


def _sub_log(s, z):
    z -= np.log(s)


sub_log = Kernel("tg_sub_log", "T s", "T z", "z = z - log(s);", _sub_log)
"""z <- z - log(s) in place: the second half of that log softmax (``s`` = sum exp(z) along the axis)."""


def _max_spread(x, m, g, ties, out):
    np.multiply(g, (x == m).astype(out.dtype) / ties, out=out)


max_spread = Kernel(
    "tg_max_spread",
    "T x, T m, T g, T ties",
    "T out",
    "out = g * ((x == m ? (T)1 : (T)0) / ties);",
    _max_spread,
)
"""The VJP of a max: g shared evenly among the entries equal to the max ``m`` (``ties`` of them; 0/0 =
NaN where the max was NaN, as in PyTorch). One launch for a mask, a cast, a division and a product."""


def _nll_hits(tgt, n_classes, spatial, ignore, scale, k):
    t = tgt.reshape(-1, 1, spatial)
    hit = (t == np.arange(n_classes).reshape(1, -1, 1)) & (t != ignore)
    np.copyto(k, np.where(hit, scale, 0).reshape(k.shape))


nll_hits = Kernel(
    "tg_nll_hits",
    "raw int64 tgt, int64 n_classes, int64 spatial, int64 ignore, T scale",
    "T k",
    """
    const long long c = (i / spatial) % n_classes;
    const long long t = tgt[(i / (spatial * n_classes)) * spatial + i % spatial];
    k = (t == c && t != ignore) ? scale : (T)0;
    """,
    _nll_hits,
)
"""K for the NLL of class targets: ``scale`` at (n, y_n, s), 0 elsewhere and where y_n = ``ignore``, for
input (N, C, *spatial) and targets (N, *spatial) (C-contiguous int64; ``spatial`` = their product).
A target outside [0, C) hits no class, so it drops out as an ignored one does (nn/loss.py)."""


def _divide_by_negative(s, k):
    np.divide(k, -s, out=k)


divide_by_negative = Kernel("tg_divide_by_negative", "T s", "T k", "k = k / -s;", _divide_by_negative)
"""k <- k / -s in place (``s`` a 0-d array): the 'mean' NLL's weights from the hits and their count."""


# --------------------------------------------------------------------------- optimizer updates
# Each takes the raw gradient and applies maximize (``sign`` = -1) and weight decay itself: coupled
# ``g + wd * theta`` when ``wd`` != 0, decoupled ``theta * decay`` (decay = 1 - lr * wd, else 1), as
# Optimizer._grad does for the op-by-op path.

_DECAYED_GRAD = "T d = sign * g; if (wd != 0) d += wd * p;"


def _decayed_grad(g, sign, wd, p):
    d = g * sign
    if wd:
        d = d + wd * p
    return d


def _sgd(g, nlr, wd, sign, p):
    p += nlr * _decayed_grad(g, sign, wd, p)


sgd = Kernel(
    "tg_sgd",
    "T g, T nlr, T wd, T sign",
    "T p",
    _DECAYED_GRAD + " p = p + nlr * d;",
    _sgd,
)
"""SGD without momentum: theta <- theta - lr d (``nlr`` = -lr)."""


def _sgd_momentum(g, nlr, wd, sign, mu, damp1, nesterov, p, buf):
    d = _decayed_grad(g, sign, wd, p)
    buf *= mu
    buf += damp1 * d
    p += nlr * (d + mu * buf if nesterov else buf)


sgd_momentum = Kernel(
    "tg_sgd_momentum",
    "T g, T nlr, T wd, T sign, T mu, T damp1, bool nesterov",
    "T p, T buf",
    _DECAYED_GRAD + " buf = buf * mu + damp1 * d; p = p + nlr * (nesterov ? d + mu * buf : buf);",
    _sgd_momentum,
)
"""SGD with a momentum buffer b (after the first step): b <- mu b + (1 - dampening) d, then theta <-
theta - lr (d + mu b) with Nesterov, else theta - lr b (``damp1`` = 1 - dampening)."""


def _adam(g, nstep, b1c, b2, b2c, bc2, eps, wd, sign, decay, p, m, v):
    d = _decayed_grad(g, sign, wd, p)
    p *= decay
    m += b1c * (d - m)
    v *= b2
    v += b2c * (d * d)
    p += nstep * (m / (np.sqrt(v) / bc2 + eps))


adam = Kernel(
    "tg_adam",
    "T g, T nstep, T b1c, T b2, T b2c, T bc2, T eps, T wd, T sign, T decay",
    "T p, T m, T v",
    _DECAYED_GRAD
    + """ p = p * decay;
    m = m + b1c * (d - m);
    v = v * b2 + b2c * (d * d);
    p = p + nstep * (m / (sqrt(v) / bc2 + eps));""",
    _adam,
)
"""Adam/AdamW: s <- s + (1 - rho1)(d - s), r <- rho2 r + (1 - rho2) d², theta <- theta - lr/(1 - rho1^t)
s / (sqrt(r)/sqrt(1 - rho2^t) + delta) (``nstep`` = -lr/(1 - rho1^t), ``b1c`` = 1 - rho1, ``b2c`` = 1 - rho2,
``bc2`` = sqrt(1 - rho2^t))."""


KERNELS = (
    relu_backward,
    softmax_xent_grad,
    col2im2d,
    shift_exp,
    sub_log,
    max_spread,
    nll_hits,
    divide_by_negative,
    sgd,
    sgd_momentum,
    adam,
)
"""Every kernel, for the tests that compile and check them."""


def on_device(array) -> bool:
    """Whether ``array`` is a CUDA array (CuPy's or the stand-in's): where the kernels run."""
    return not isinstance(array, np.ndarray)
