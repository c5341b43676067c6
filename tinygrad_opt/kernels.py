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

The forward and backward rules use a kernel on device arrays only; on the CPU they keep their NumPy
ops (a mask and a product cost less there than NumPy's ``where``). The optimizers call theirs on the
CPU too (``Optimizer.fused``): on NumPy arrays a kernel runs its reference, which updates the arrays
directly instead of through Tensor in-place ops. A kernel that does not compile on some GPU (CuPy
compiles on first use) warns once and runs its reference on the device arrays instead.

A body uses only what C++'s ``<cmath>`` and CUDA both have (``sqrt``, ``exp``, ``fabs``, ``max``...),
``T`` is the arrays' dtype (float or double), and scalars are passed already cast to ``T``. Write every
input that a scalar may fill as ``T name``; ``n`` and ``i`` are reserved by CuPy (``i`` is the element's
index).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from . import backend

_BROKEN = object()  # in place of a kernel that failed to compile


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

    def __post_init__(self):
        self.params = [
            (words[-2], words[-1], words[0] == "raw")
            for spec in (self.in_params, self.out_params)
            for words in (p.split() for p in spec.split(","))
        ]
        """(type, name, raw) of every parameter, inputs first."""
        self.n_in = len(self.in_params.split(","))
        self.n_params = len(self.params)

    def __call__(self, *args):
        if len(args) == self.n_params and all(type(a) is np.ndarray for a in args[self.n_in :]):
            # in place on NumPy arrays (the optimizers on the CPU): the reference without run_reference's
            # checks, since NEP 50 already gives Python scalars the arrays' dtype, as T does
            backend.run_quietly(self.reference, *args)
            return args[self.n_in] if self.n_params - self.n_in == 1 else args[self.n_in :]
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
        if kernel is _BROKEN:
            return self.reference_on_device(args)
        try:
            return kernel(*args)
        except Exception as exc:  # CuPy compiles on the first call: a GPU or CuPy where the C does not build
            if type(exc).__name__ != "CompileException":
                raise
            warnings.warn(
                f"{self.name}: the fused kernel does not compile here ({str(exc).splitlines()[0]}); running its "
                f"NumPy rule on the device instead (several launches)",
                RuntimeWarning,
                stacklevel=2,
            )
            self._compiled["kernel"] = _BROKEN
            return self.reference_on_device(args)

    def reference_on_device(self, args):
        """The reference on device arrays, NumPy's functions dispatching to CuPy's: the same numbers in
        several launches, where the kernel does not compile. Outputs not given are allocated."""
        xp = backend._load_cupy()
        t_dtype, shape = self._loop(args, backend.is_device_array)
        outs = list(args[self.n_in :]) or [xp.empty(shape, t_dtype) for _ in self.params[self.n_in :]]
        backend.run_quietly(self.reference, *args[: self.n_in], *outs)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _loop(self, values, is_array):
        """(the dtype T stands for, the loop's shape: the broadcast shape of the non-raw arrays)."""
        arrays = [(v, t, raw) for v, (t, _, raw) in zip(values, self.params) if is_array(v)]
        t_dtype = next(v.dtype for v, t, _ in arrays if t == "T")
        return t_dtype, np.broadcast_shapes(*(v.shape for v, _, raw in arrays if not raw))

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
        if any(not isinstance(out, np.ndarray) for out in values[n_in:]):  # a NumPy scalar can't be written
            raise TypeError(f"{self.name}: output arguments must be arrays, got {[type(o).__name__ for o in values]}")
        t_dtype, shape = self._loop(values, lambda v: isinstance(v, np.ndarray))
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
    res = backend.xp_of(out).zeros((n_c, h, w), out.dtype)  # (the references run on device arrays too)
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
    hit = (t == backend.xp_of(tgt).arange(n_classes).reshape(1, -1, 1)) & (t != ignore)
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
    """sign * g (+ wd * p): g itself when there is nothing to apply (1 * g is g exactly), so the common
    case makes no temporary."""
    d = g if sign == 1 else g * sign
    if wd:
        d = d + wd * p
    return d


def _adam_moments(d, b1c, b2, b2c, m, v, t):
    """m += b1c (d - m), v = v b2 + b2c d², each product and sum rounded as the kernel's (``t``: scratch)."""
    np.subtract(d, m, out=t)
    t *= b1c
    m += t
    v *= b2
    np.multiply(d, d, out=t)
    t *= b2c
    v += t


def _adam_step(nstep, bc2, eps, p, m, v, t):
    """p += nstep (m / (sqrt(v) / bc2 + eps)) through the scratch ``t``."""
    np.sqrt(v, out=t)
    t /= bc2
    t += eps
    np.divide(m, t, out=t)
    t *= nstep
    p += t


def _sgd(g, nlr, wd, sign, p):
    t = np.multiply(nlr, _decayed_grad(g, sign, wd, p), dtype=p.dtype)
    p += t


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


def _adam_start(g, sign, wd, decay, b1c, b2, b2c, p, m, v):
    """What the Adam family's rules share (``_ADAM_MOMENTS``): d with maximize and coupled decay, theta's
    decoupled decay, the two moments. Returns (d, a scratch array): one scratch instead of a temporary
    per operation, since this runs every CPU step."""
    d, t = _decayed_grad(g, sign, wd, p), np.empty_like(p)
    if decay != 1:
        p *= decay
    _adam_moments(d, b1c, b2, b2c, m, v, t)
    return d, t


def _adam(g, nstep, b1c, b2, b2c, bc2, eps, wd, sign, decay, p, m, v, vmax=None):
    _, t = _adam_start(g, sign, wd, decay, b1c, b2, b2c, p, m, v)
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
    _adam_step(nstep, bc2, eps, p, m, v if vmax is None else vmax, t)


_ADAM_PARAMS = "T g, T nstep, T b1c, T b2, T b2c, T bc2, T eps, T wd, T sign, T decay"
_ADAM_MOMENTS = (
    _DECAYED_GRAD
    + """ p = p * decay;
    m = m + b1c * (d - m);
    v = v * b2 + b2c * (d * d);"""
)

adam = Kernel(
    "tg_adam",
    _ADAM_PARAMS,
    "T p, T m, T v",
    _ADAM_MOMENTS + " p = p + nstep * (m / (sqrt(v) / bc2 + eps));",
    _adam,
)
"""Adam/AdamW: s <- s + (1 - rho1)(d - s), r <- rho2 r + (1 - rho2) d², theta <- theta - lr/(1 - rho1^t)
s / (sqrt(r)/sqrt(1 - rho2^t) + delta) (``nstep`` = -lr/(1 - rho1^t), ``b1c`` = 1 - rho1, ``b2c`` = 1 - rho2,
``bc2`` = sqrt(1 - rho2^t))."""

adam_amsgrad = Kernel(
    "tg_adam_amsgrad",
    _ADAM_PARAMS,
    "T p, T m, T v, T vmax",
    _ADAM_MOMENTS
    + """ vmax = (v > vmax || v != v) ? v : vmax;
    p = p + nstep * (m / (sqrt(vmax) / bc2 + eps));""",
    _adam,
)
"""AMSGrad (Adam/AdamW with ``amsgrad=True``): Adam's step with r replaced by its running maximum
r_max <- max(r_max, r) (NaN propagates, as ``np.maximum``); the scalars as for ``adam``."""


def _adagrad(g, nclr, eps, wd, sign, p, acc):
    d = _decayed_grad(g, sign, wd, p)
    acc += d * d
    p += nclr * (d / (np.sqrt(acc) + eps))


adagrad = Kernel(
    "tg_adagrad",
    "T g, T nclr, T eps, T wd, T sign",
    "T p, T acc",
    _DECAYED_GRAD + " acc = acc + d * d; p = p + nclr * (d / (sqrt(acc) + eps));",
    _adagrad,
)
"""AdaGrad: r <- r + d², theta <- theta - epsilon_k d / (sqrt(r) + delta) (``nclr`` = -epsilon_k =
-lr / (1 + (k - 1) lr_decay); ``acc`` is the state's ``sum``)."""


def _rmsprop_kernel(centered: bool, momentum: bool) -> Kernel:
    """RMSprop's kernel for one combination of its options: each adds a state buffer (an output), and an
    output that is not there cannot be left out of an ElementwiseKernel, so each combination is a kernel."""
    outs = ["p", "square_avg"] + ["grad_avg"] * centered + ["buf"] * momentum
    body = _DECAYED_GRAD + " square_avg = square_avg * rho + rho1 * (d * d);"
    if centered:
        body += " grad_avg = grad_avg + rho1 * (d - grad_avg);"
        body += " const T avg = sqrt(square_avg - grad_avg * grad_avg) + eps;"
    else:
        body += " const T avg = sqrt(square_avg) + eps;"
    body += " buf = buf * mu + d / avg; p = p + nlr * buf;" if momentum else " p = p + nlr * (d / avg);"

    def reference(g, nlr, rho, rho1, eps, wd, sign, *rest):
        mu, rest = (rest[0], rest[1:]) if momentum else (None, rest)
        out = dict(zip(outs, rest))
        p, square_avg = out["p"], out["square_avg"]
        d = _decayed_grad(g, sign, wd, p)
        square_avg *= rho
        square_avg += rho1 * (d * d)
        if centered:
            grad_avg = out["grad_avg"]
            grad_avg += rho1 * (d - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        if momentum:
            buf = out["buf"]
            buf *= mu
            buf += d / avg
            p += nlr * buf
        else:
            p += nlr * (d / avg)

    name = "tg_rmsprop" + "_centered" * centered + "_momentum" * momentum
    in_params = "T g, T nlr, T rho, T rho1, T eps, T wd, T sign" + ", T mu" * momentum
    return Kernel(name, in_params, ", ".join(f"T {o}" for o in outs), body, reference)


rmsprop = _rmsprop_kernel(centered=False, momentum=False)
"""RMSprop: r <- rho r + (1 - rho) d², theta <- theta - lr d / (sqrt(r) + delta) (``nlr`` = -lr, ``rho1``
= 1 - rho; ``rho`` is PyTorch's ``alpha``)."""

rmsprop_centered = _rmsprop_kernel(centered=True, momentum=False)
"""Centered RMSprop: also m <- m + (1 - rho)(d - m), and the denominator sqrt(r - m²) + delta."""

rmsprop_momentum = _rmsprop_kernel(centered=False, momentum=True)
"""RMSprop with momentum: v <- mu v + d / (sqrt(r) + delta), theta <- theta - lr v."""

rmsprop_centered_momentum = _rmsprop_kernel(centered=True, momentum=True)
"""Centered RMSprop with momentum: v <- mu v + d / (sqrt(r - m²) + delta), theta <- theta - lr v."""


def _adadelta(g, nlr, rho, rho1, eps, wd, sign, p, square_avg, acc_delta):
    d = _decayed_grad(g, sign, wd, p)
    square_avg *= rho
    square_avg += rho1 * (d * d)
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * d
    acc_delta *= rho
    acc_delta += rho1 * (delta * delta)
    p += nlr * delta


adadelta = Kernel(
    "tg_adadelta",
    "T g, T nlr, T rho, T rho1, T eps, T wd, T sign",
    "T p, T square_avg, T acc_delta",
    _DECAYED_GRAD
    + """ square_avg = square_avg * rho + rho1 * (d * d);
    const T delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * d;
    acc_delta = acc_delta * rho + rho1 * (delta * delta);
    p = p + nlr * delta;""",
    _adadelta,
)
"""AdaDelta: r <- rho r + (1 - rho) d², Delta = sqrt(s + delta) / sqrt(r + delta) d, s <- rho s + (1 - rho)
Delta², theta <- theta - lr Delta (``nlr`` = -lr, ``rho1`` = 1 - rho)."""


def _adamax(g, nstep, b1c, b2, eps, wd, sign, p, m, u):
    d = _decayed_grad(g, sign, wd, p)
    m += b1c * (d - m)
    np.maximum(u * b2, np.abs(d) + eps, out=u)
    p += nstep * (m / u)


adamax = Kernel(
    "tg_adamax",
    "T g, T nstep, T b1c, T b2, T eps, T wd, T sign",
    "T p, T m, T u",
    _DECAYED_GRAD
    + """ m = m + b1c * (d - m);
    const T a = u * b2, b = fabs(d) + eps;
    u = (b > a || b != b) ? b : a;
    p = p + nstep * (m / u);""",
    _adamax,
)
"""Adamax: s <- s + (1 - beta1)(d - s), u <- max(beta2 u, |d| + delta) (NaN propagates), theta <- theta -
lr/(1 - beta1^t) s / u (``nstep`` = -lr/(1 - beta1^t), ``b1c`` = 1 - beta1; ``u`` is ``exp_inf``)."""


def _nadam(g, b1c, b2, b2c, bc2, eps, cg, cm, wd, sign, decay, p, m, v):
    d, _ = _adam_start(g, sign, wd, decay, b1c, b2, b2c, p, m, v)
    denom = np.sqrt(v / bc2) + eps
    p += cg * (d / denom)
    p += cm * (m / denom)


nadam = Kernel(
    "tg_nadam",
    "T g, T b1c, T b2, T b2c, T bc2, T eps, T cg, T cm, T wd, T sign, T decay",
    "T p, T m, T v",
    _ADAM_MOMENTS
    + """ const T denom = sqrt(v / bc2) + eps;
    p = p + cg * (d / denom);
    p = p + cm * (m / denom);""",
    _nadam,
)
"""NAdam: Adam's moments, then theta <- theta + c_g d / D + c_s s / D with D = sqrt(r / (1 - beta2^t)) +
delta (``bc2`` = 1 - beta2^t; ``cg`` = -lr (1 - mu_t)/(1 - Pi_t), ``cm`` = -lr mu_{t+1}/(1 - Pi_t mu_{t+1}),
the momentum schedule's product Pi_t kept on the host)."""


def _radam(g, b1c, b2, b2c, bc1, lr, sbc2, rect, rectified, eps, wd, sign, decay, p, m, v):
    _adam_start(g, sign, wd, decay, b1c, b2, b2c, p, m, v)
    s = m / bc1 * lr
    p -= s * (sbc2 / (np.sqrt(v) + eps)) * rect if rectified else s


radam = Kernel(
    "tg_radam",
    "T g, T b1c, T b2, T b2c, T bc1, T lr, T sbc2, T rect, bool rectified, T eps, T wd, T sign, T decay",
    "T p, T m, T v",
    _ADAM_MOMENTS
    + """ const T s = m / bc1 * lr;
    p = p - (rectified ? s * (sbc2 / (sqrt(v) + eps)) * rect : s);""",
    _radam,
)
"""RAdam: Adam's moments, then theta <- theta - lr s_hat sqrt(1 - beta2^t)/(sqrt(r) + delta) rect when
``rectified`` (rho_t > 5), else theta - lr s_hat, s_hat = s / (1 - beta1^t) (``bc1`` = 1 - beta1^t, ``sbc2`` =
sqrt(1 - beta2^t); the branch and ``rect`` are decided on the host from t alone)."""


def _rprop(g, eta_minus, eta_plus, lo, hi, wd, sign, p, prev, step_size):
    d = _decayed_grad(g, sign, wd, p)
    a = d * prev
    step_size *= np.where(a > 0, eta_plus, np.where(a < 0, eta_minus, 1)).astype(step_size.dtype)
    np.clip(step_size, lo, hi, out=step_size)
    d = np.where(a >= 0, d, 0).astype(p.dtype)
    p += -1 * (np.sign(d) * step_size)
    prev[...] = d


rprop = Kernel(
    "tg_rprop",
    "T g, T eta_minus, T eta_plus, T lo, T hi, T wd, T sign",
    "T p, T prev, T step_size",
    _DECAYED_GRAD
    + """ const T a = d * prev;
    step_size = step_size * (a > 0 ? eta_plus : (a < 0 ? eta_minus : (T)1));
    step_size = step_size < lo ? lo : (step_size > hi ? hi : step_size);
    const T e = a >= 0 ? d : (T)0;
    const T sg = e > 0 ? (T)1 : (e < 0 ? (T)-1 : (e == 0 ? (T)0 : e));
    p = p + (T)-1 * (sg * step_size);
    prev = e;""",
    _rprop,
)
"""Rprop: Delta <- clip(Delta eta_plus, lo, hi) where d d_prev > 0, clip(Delta eta_minus, lo, hi) and d <- 0
where < 0; theta <- theta - sign(d) Delta; d_prev <- d (a NaN product neither grows nor cuts Delta and
zeroes d; NaN in Delta propagates through the clip, as ``np.clip``)."""


def _asgd(g, shrink, neta, mu, average, wd, sign, p, ax):
    d = _decayed_grad(g, sign, wd, p)
    p *= shrink
    p += neta * d
    if average:
        ax += (p - ax) * mu
    else:
        ax[...] = p


asgd = Kernel(
    "tg_asgd",
    "T g, T shrink, T neta, T mu, bool average, T wd, T sign",
    "T p, T ax",
    _DECAYED_GRAD + " p = p * shrink; p = p + neta * d; ax = average ? ax + (p - ax) * mu : p;",
    _asgd,
)
"""ASGD: theta <- (1 - lambd eta_k) theta - eta_k d, then ax <- ax + mu_k (theta - ax) when ``average`` (mu_k
!= 1), else ax <- theta (``shrink`` = 1 - lambd eta_k, ``neta`` = -eta_k; eta and mu stay on the host)."""


def _delta_bar_delta(g, kappa, shrink, b, wd, sign, p, rate, delta_bar):
    d = _decayed_grad(g, sign, wd, p)
    a = delta_bar * d
    rate += np.where(a > 0, kappa, 0).astype(rate.dtype)
    rate *= np.where(a < 0, shrink, 1).astype(rate.dtype)
    delta_bar += b * (d - delta_bar)
    p += -1 * (rate * d)


delta_bar_delta = Kernel(
    "tg_delta_bar_delta",
    "T g, T kappa, T shrink, T b, T wd, T sign",
    "T p, T rate, T delta_bar",
    _DECAYED_GRAD
    + """ const T a = delta_bar * d;
    rate = rate + (a > 0 ? kappa : (T)0);
    rate = rate * (a < 0 ? shrink : (T)1);
    delta_bar = delta_bar + b * (d - delta_bar);
    p = p + (T)-1 * (rate * d);""",
    _delta_bar_delta,
)
"""Delta-bar-delta: epsilon <- epsilon + kappa where delta_bar d > 0, (1 - phi) epsilon where < 0;
delta_bar <- delta_bar + (1 - theta)(d - delta_bar); theta_param <- theta_param - epsilon d (``shrink`` = 1 -
phi, ``b`` = 1 - theta; ``rate`` is epsilon)."""


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
    adam_amsgrad,
    adagrad,
    rmsprop,
    rmsprop_centered,
    rmsprop_momentum,
    rmsprop_centered_momentum,
    adadelta,
    adamax,
    nadam,
    radam,
    rprop,
    asgd,
    delta_bar_delta,
)
"""Every kernel, for the tests that compile and check them."""


def on_device(array) -> bool:
    """Whether ``array`` is a CUDA array (CuPy's or the stand-in's): where the kernels run."""
    return not isinstance(array, (np.ndarray, np.generic))
