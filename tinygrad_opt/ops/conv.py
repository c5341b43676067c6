"""Sliding windows (im2col) as a primitive pair, and conv / pooling composed from them.

``Unfold`` turns (N, C, *spatial) into (N, C, *kernel, *out) windows with strides and dilation;
its VJP is ``Fold`` (col2im: add every window back in place) and Fold's VJP is Unfold. Both are
linear, so their JVPs are themselves. Convolution is then unfold + one batched GEMM, max/avg
pooling are unfold + max/mean, and all derivatives of every order come for free.
"""

from __future__ import annotations

import itertools
import math
import numbers

from .. import autodiff, backend, kernels
from ..autodiff import Function
from ..errors import ArgumentError, ArgumentTypeError, DTypeError, ShapeError
from .elementwise import _const
from .linalg import gemm_nt


def _out_size(size, k, stride, dilation):
    return (size - dilation * (k - 1) - 1) // stride + 1


def _window_slices(kernel_index, out_shape, stride, dilation):
    return tuple(
        slice(i * d, i * d + s * (o - 1) + 1, s) for i, o, s, d in zip(kernel_index, out_shape, stride, dilation)
    )


def _windows(a, kernel, stride, dilation):
    """The sliding windows of an array (N, C, *spatial) as a view (N, C, *kernel, *out)."""
    xp = backend.xp_of(a)
    n, c, *spatial = a.shape
    out = [_out_size(sz, k, s, d) for sz, k, s, d in zip(spatial, kernel, stride, dilation)]
    st = a.strides
    strides = st[:2] + tuple(st[2 + i] * d for i, d in enumerate(dilation))
    strides += tuple(st[2 + i] * s for i, s in enumerate(stride))
    shape = (n, c, *kernel, *out)
    if xp is backend.np:
        return xp.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _fold(w, spatial, kernel, stride, dilation):
    """col2im of an array: windows (N, C, *kernel, *out) summed back into (N, C, *spatial)."""
    xp = backend.xp_of(w)
    nk = len(kernel)
    n, c = w.shape[:2]
    out_shape = w.shape[2 + nk :]
    if nk == 2 and kernels.on_device(w):  # one launch instead of kh * kw + 1
        res = xp.empty((n, c, *spatial), dtype=w.dtype)
        if res.size:
            kernels.col2im2d(
                xp.ascontiguousarray(w), n * c, *spatial, *kernel, *out_shape, *stride, *dilation, res
            )  # fmt: skip
        return res
    if xp is backend.np:
        # summed in a (*spatial, N, C) buffer, returned as its (N, C, *spatial) view: every add then runs
        # over whole (N, C) planes instead of NumPy loops as short as one output row (the small CNN's
        # col2im 895 -> 383 us; MNIST-1D CNN step -9%)
        res = xp.zeros((*spatial, n, c), dtype=w.dtype)
        _add_windows(res, w.transpose(*range(2, 2 + 2 * nk), 0, 1), 0, kernel, out_shape, stride, dilation)
        return res.transpose(nk, nk + 1, *range(nk))
    res = xp.zeros((n, c, *spatial), dtype=w.dtype)
    _add_windows(res, w, 2, kernel, out_shape, stride, dilation)
    return res


def _add_windows(res, src, lead, kernel, out_shape, stride, dilation):
    """col2im's sum: for each kernel offset k, src's entries at k added into the window of res they came
    from. The spatial axes of ``res`` and the kernel axes of ``src`` both start after ``lead`` axes."""
    pre = (slice(None),) * lead
    for k in itertools.product(*(range(k) for k in kernel)):
        window = res[pre + _window_slices(k, out_shape, stride, dilation)]
        window += src[pre + k]  # in the view: no copy of it back onto itself


class Unfold(Function):
    view = True

    def forward(self, a):
        return _windows(a, self.kernel, self.stride, self.dilation)

    def vjp(self, g):
        return (
            Fold.apply(
                g, spatial=self.parents[0].shape[2:], kernel=self.kernel, stride=self.stride, dilation=self.dilation
            ),
        )

    def jvp(self, t):
        return None if t is None else unfold(t, self.kernel, self.stride, self.dilation)


class Fold(Function):
    """Inverse-direction of Unfold: sums windows (N, C, *kernel, *out) into (N, C, *spatial)."""

    def forward(self, w):
        return _fold(w, self.spatial, self.kernel, self.stride, self.dilation)

    def vjp(self, g):
        return (unfold(g, self.kernel, self.stride, self.dilation),)

    def jvp(self, t):
        if t is None:
            return None
        return Fold.apply(t, spatial=self.spatial, kernel=self.kernel, stride=self.stride, dilation=self.dilation)


def int_tuple(v, n, name, op="unfold", low=1):
    """``v`` as a tuple of ``n`` ints, each at least ``low`` (1 for sizes, strides and dilations, 0 for
    padding): ArgumentTypeError for a non-int, ArgumentError for a wrong length or a value out of range,
    naming ``op``. The layers' constructors check their arguments through it too (nn/_checks.py)."""
    if type(v) is int and v >= low:  # the usual calls: one plain int, or a tuple of them (a layer's)
        return (v,) * n
    if type(v) is tuple and len(v) == n:
        for x in v:
            if type(x) is not int or x < low:
                break
        else:
            return v
    many = isinstance(v, (tuple, list))
    t = tuple(v) if many else (v,) * n
    if any(not isinstance(x, numbers.Integral) or isinstance(x, bool) for x in t):
        raise ArgumentTypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {v!r}")
    if len(t) != n:
        raise ArgumentError(f"{op}: {name} must be an int or {n} ints, got {v!r}")
    if any(x < low for x in t):
        one, several = ("a positive int", "positive ints") if low == 1 else (f"an int >= {low}", f"ints >= {low}")
        raise ArgumentError(f"{op}: {name}={v!r} must be {several if many else one}")
    return tuple(int(x) for x in t)


def _check_input(x, op, nd=None):
    """x must be a Tensor with at least (N, C, one spatial) dims (exactly nd + 2 when nd is given)."""
    if not isinstance(x, autodiff._Tensor):
        raise ArgumentTypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if (nd is None and x.ndim < 3) or (nd is not None and x.ndim != nd + 2):
        want = "at least 3-D" if nd is None else f"{nd + 2}-D"
        raise ShapeError(f"{op}: input must be {want} (N, C, ...), got shape {x.shape}")


def unfold(x, kernel, stride=1, dilation=1):
    """Windows of x (N, C, *spatial) -> (N, C, *kernel, *out); no padding (pad first)."""
    return _unfold(x, kernel, stride, dilation, "unfold")


def _unfold(x, kernel, stride, dilation, op):
    _check_input(x, op)
    nd = x.ndim - 2
    kernel, stride, dilation = (
        int_tuple(kernel, nd, "kernel_size", op),
        int_tuple(stride, nd, "stride", op),
        int_tuple(dilation, nd, "dilation", op),
    )
    _check_fits(op, x.shape[2:], kernel, dilation)
    return Unfold.apply(x, kernel=kernel, stride=stride, dilation=dilation)


def _check_fits(op, padded, kernel, dilation):
    """ShapeError naming ``op`` unless each (dilated) kernel extent fits its padded spatial size."""
    for sz, k, d in zip(padded, kernel, dilation):
        if d * (k - 1) + 1 > sz:
            raise ShapeError(
                f"{op}: kernel {tuple(kernel)} (dilation {dilation}) is larger than the padded input "
                f"{tuple(padded)}; use a smaller kernel or more padding"
            )


def _pad_spatial(x, padding, value=0.0):
    if all(p == 0 for p in padding):
        return x
    return x.pad(((0, 0), (0, 0)) + tuple((p, p) for p in padding), value=value)


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, op="conv"):
    """N-d cross-correlation (PyTorch's convN d): x (N, C, *S), weight (O, C/groups, *K)."""
    want = {"conv1d": 3, "conv2d": 4}.get(op)
    for name, t in (("input", x), ("weight", weight), ("bias", bias)):
        if not isinstance(t, autodiff._Tensor) and not (name == "bias" and t is None):
            raise ArgumentTypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if want is not None and weight.ndim != want:
        raise ShapeError(f"{op}: weight must be {want}-D (out, in/groups, *kernel), got shape {weight.shape}")
    if weight.ndim < 3:
        raise ShapeError(f"{op}: weight must be at least 3-D (out, in/groups, *kernel), got shape {weight.shape}")
    for name, t in (("input", x), ("weight", weight), ("bias", bias)):
        if t is not None and t.dtype.kind not in "fc":
            raise DTypeError(f"{op}: {name} has dtype {t.dtype}; convolution needs floating tensors (use .float())")
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        dts = f"{x.dtype}, {weight.dtype}" + ("" if bias is None else f", {bias.dtype}")
        raise DTypeError(f"{op}: input, weight and bias dtypes differ ({dts}); cast them to one dtype")
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool):
        raise ArgumentTypeError(f"{op}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ArgumentError(f"{op}: groups={groups} must be a positive int")
    nd = weight.ndim - 2
    if x.ndim != nd + 2:
        raise ShapeError(
            f"{op}: input must be {nd + 2}-D (N, C, ...) for a weight of shape {weight.shape}, got {x.shape}"
        )
    n, c = x.shape[:2]
    o, cg = weight.shape[:2]
    if c % groups or o % groups or cg * groups != c:
        raise ShapeError(
            f"{op}: input has {c} channels but weight {weight.shape} with groups={groups} expects {cg * groups}; "
            f"in_channels and out_channels must be divisible by groups"
        )
    padding = int_tuple(padding, nd, "padding", op, low=0)
    stride, dilation = int_tuple(stride, nd, "stride", op), int_tuple(dilation, nd, "dilation", op)
    if bias is not None and bias.shape != (o,):
        raise ShapeError(f"{op}: bias must have shape ({o},), got {bias.shape}")
    _check_fits(op, [sz + 2 * p for sz, p in zip(x.shape[2:], padding)], weight.shape[2:], dilation)
    attrs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return Conv.apply(x, weight, **attrs) if bias is None else Conv.apply(x, weight, bias, **attrs)


def _memory_axes(nd, batch_last):
    """The axes of (N, C, *S) in the order the convolution lays them out in memory: (C, *S, N) with the
    batch last (the CPU), else (N, C, *S)."""
    return (1, *range(2, 2 + nd), 0) if batch_last else tuple(range(2 + nd))


def _inverse(axes):
    """The permutation that undoes ``axes``."""
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


def _conv_graph(x, weight, bias, stride, padding, dilation, groups):
    """Convolution composed of differentiable ops (pad, unfold, matmul, add): Conv's derivatives of
    second and higher order go through it."""
    nd = weight.ndim - 2
    n, o, cg = x.shape[0], weight.shape[0], weight.shape[1]
    cols = unfold(_pad_spatial(x, padding), weight.shape[2:], stride, dilation)  # (N, C, *K, *L)
    out_sp = cols.shape[2 + nd :]
    k = cg * math.prod(weight.shape[2:])
    cols = cols.permute(1, *range(2, 2 + nd), 0, *range(2 + nd, 2 + 2 * nd))  # (C, *K, N, *L)
    batch = () if groups == 1 else (groups,)
    cols = cols.reshape(batch + (k, n * math.prod(out_sp)))
    out = weight.reshape(batch + (o // groups, k)) @ cols
    out = out.reshape((o, n) + tuple(out_sp)).permute(1, 0, *range(2, 2 + nd))
    if bias is not None:
        out = out + bias.reshape((1, o) + (1,) * nd)
    return out


class Conv(Function):
    """N-d cross-correlation x (N, C, *S) with w (O, C/G, *K) (+ bias b (O,)) as one op: pad, im2col
    (the windows copied to a (C*K, N*L) matrix), one GEMM per group over the whole batch, (O/G, C/G*K)
    @ (C/G*K, N*L), and the bias added in place. A graph of a dozen ops becomes one node, which is most
    of a small convolution's cost on the CPU.

    VJP: dx = col2im(W^T G) (cropped), dW = G cols^T, db = G summed over N and L, from the columns the
    forward kept. JVP: bilinear, conv(tx, w) + conv(x, tw) + tb. Where the VJP must itself be
    differentiated (create_graph, or forward mode over it) it is taken through the same convolution
    composed of pad, unfold and matmul, so every order of derivative is the composition's.

    Layout: on the CPU the batch is the innermost axis of the columns and of the result's memory
    (C*K, L*N) and (O, *L, N), returned as an (N, O, *L) view: NumPy's loops in im2col, col2im and the
    elementwise ops after them then run over whole (L, N) planes rather than along one output row
    (the MNIST-1D CNN's Adam step 1.59 -> 1.19 ms, the small CNN's 5.7 -> 5.3 ms). On a GPU the
    columns are (C*K, N*L), the layout of the col2im kernel."""

    saved = ("cols",)  # the im2col matrix: freed with the graph, not with the output

    def forward(self, x, w, *b):
        xp = backend.xp_of(x)
        nd = w.ndim - 2
        n, o = x.shape[0], w.shape[0]
        self.batch_last = xp is backend.np
        axes = _memory_axes(nd, self.batch_last)  # where (N, C, *S) sit in memory
        if any(self.padding):
            shape = x.shape[:2] + tuple(sz + 2 * p for sz, p in zip(x.shape[2:], self.padding))
            padded = xp.zeros(tuple(shape[a] for a in axes), dtype=x.dtype).transpose(_inverse(axes))
            padded[self._interior(x.shape)] = x
            x = padded
        self.padded_shape = x.shape[2:]
        windows = _windows(x, w.shape[2:], self.stride, self.dilation)  # (N, C, *K, *L)
        out_sp = windows.shape[2 + nd :]
        batch = () if self.groups == 1 else (self.groups,)
        k = w.shape[1] * math.prod(w.shape[2:])
        # the columns (C, *K, *L, N) or (C, *K, N, *L): C, K first as in the weight, then L and N as in memory
        cols = windows.transpose(1, *range(2, 2 + nd), *(a and nd + a for a in axes if a != 1))  # N is axis 0
        self.cols = cols.reshape(batch + (k, -1))  # a copy: the im2col matrix
        out = w.reshape(batch + (o // self.groups, k)) @ self.cols
        out = out.reshape((o,) + tuple((n, *out_sp)[a if a == 0 else a - 1] for a in axes if a != 1))
        if b:
            out += b[0].reshape((o,) + (1,) * (nd + 1))
        return out.transpose(_inverse((1,) + tuple(a for a in axes if a != 1)))

    def _attrs(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)

    def _interior(self, shape):
        """The index of the unpadded input inside the padded one."""
        return (slice(None), slice(None)) + tuple(slice(p, p + sz) for p, sz in zip(self.padding, shape[2:]))

    def vjp(self, g):
        state = autodiff._state
        if state.grad_enabled or state.active_levels:  # the VJP is differentiated: through the composition
            return self._composed_vjp(g, state.grad_enabled)
        x, w = self.parents[0], self.parents[1]
        xp = backend.xp_of(g.data)
        nd = w.ndim - 2
        o, n, c, groups = w.shape[0], x.shape[0], x.shape[1], self.groups
        batch = () if groups == 1 else (groups,)
        rest = tuple(a for a in _memory_axes(nd, self.batch_last) if a != 1)  # N and L as the columns hold them
        gd = g.data.transpose(1, *rest)  # (O, *L, N) or (O, N, *L)
        g2 = xp.ascontiguousarray(gd).reshape(batch + (o // groups, -1))
        gx = gw = gb = None
        if self.needs[0]:
            kernel, out_sp = w.shape[2:], g.shape[2:]
            dcols = w.data.reshape(batch + (o // groups, -1)).swapaxes(-1, -2) @ g2
            dcols = dcols.reshape((c,) + kernel + tuple((n, *out_sp)[a if a == 0 else a - 1] for a in rest))
            if self.batch_last:  # (C, *K, *L, N) summed into (C, *S, N)
                res = xp.zeros((c,) + tuple(self.padded_shape) + (n,), x.dtype)
                _add_windows(res, dcols, 1, kernel, out_sp, self.stride, self.dilation)
                gpad = res.transpose(nd + 1, 0, *range(1, nd + 1))
            else:
                dcols = dcols.transpose(nd + 1, 0, *range(1, nd + 1), *range(nd + 2, 2 * nd + 2))
                gpad = _fold(dcols, self.padded_shape, kernel, self.stride, self.dilation)
            gx = _const(gpad[self._interior(x.shape)] if any(self.padding) else gpad)
        if self.needs[1]:
            cols = self.cols
            gw2 = gemm_nt(g2, cols) if groups == 1 else g2 @ cols.swapaxes(-1, -2)  # K = N * L: long
            gw = _const(gw2.reshape(w.shape))
        if len(self.parents) > 2 and self.needs[2]:
            gb = _const(gd.sum(axis=tuple(range(1, nd + 2))))
        return (gx, gw, gb)[: len(self.parents)]

    def _composed_vjp(self, g, create_graph):
        parents = self.parents
        wanted = [p for p, need in zip(parents, self.needs) if need]
        with autodiff.enable_grad():
            out = _conv_graph(*parents[:2], parents[2] if len(parents) > 2 else None, **self._attrs())
        # retain_graph: the parents' own history belongs to the backward pass that called this VJP
        grads = iter(autodiff.run_backward([out], [g], inputs=wanted, create_graph=create_graph, retain_graph=True))
        return tuple(next(grads) if need else None for need in self.needs)

    def jvp(self, tx, tw, *tb):
        x, w = self.parents[0], self.parents[1]
        terms = []
        if tx is not None:
            terms.append(Conv.apply(tx, w, **self._attrs()))
        if tw is not None:
            terms.append(Conv.apply(x, tw, **self._attrs()))
        t = None
        for term in terms:
            t = term if t is None else t + term
        if tb and tb[0] is not None:
            nd = w.ndim - 2
            shape = (x.shape[0], w.shape[0]) + tuple(self.out_shape(x.shape[2:], w.shape[2:]))
            tbe = tb[0].reshape((1, w.shape[0]) + (1,) * nd).expand(shape)
            t = tbe if t is None else t + tbe
        return t

    def out_shape(self, spatial, kernel):
        return [
            _out_size(sz + 2 * p, k, s, d)
            for sz, p, k, s, d in zip(spatial, self.padding, kernel, self.stride, self.dilation)
        ]


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return conv(x, weight, bias, stride, padding, dilation, groups, op="conv1d")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return conv(x, weight, bias, stride, padding, dilation, groups, op="conv2d")


def _pool_windows(x, nd, kernel_size, stride, padding, dilation, pad_value, op):
    _check_input(x, op, nd)
    kernel = int_tuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None else int_tuple(stride, nd, "stride", op)
    padding = int_tuple(padding, nd, "padding", op, low=0)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ArgumentError(f"{op}: padding {padding} should be at most half of kernel_size {kernel}")
    dilation = int_tuple(dilation, nd, "dilation", op)
    if stride == kernel and not any(padding) and all(d == 1 for d in dilation):
        return _blocks(x, kernel, op)
    w = _unfold(_pad_spatial(x, padding, pad_value), kernel, stride, dilation, op)
    axes = tuple(range(2, 2 + nd))
    return w, axes


def _blocks(x, kernel, op="pool"):
    """Non-overlapping windows (stride == kernel, the usual pooling) as a plain reshape
    (N, C, o1, k1, o2, k2, ...) of the input cropped to whole windows: no im2col, and the
    backward pass is a reshape instead of a col2im scatter."""
    spatial = x.shape[2:]
    out = [s // k for s, k in zip(spatial, kernel)]
    if any(o < 1 for o in out):
        raise ShapeError(f"{op}: kernel {kernel} is larger than the input {spatial}; use a smaller kernel or pad")
    if any(o * k != s for o, k, s in zip(out, kernel, spatial)):
        x = x[(slice(None), slice(None)) + tuple(slice(0, o * k) for o, k in zip(out, kernel))]
    shape = x.shape[:2] + tuple(v for o, k in zip(out, kernel) for v in (o, k))
    return x.reshape(shape), tuple(3 + 2 * i for i in range(len(kernel)))


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, nd=2):
    """Max over each window (padding counts as -inf, as in PyTorch)."""
    w, axes = _pool_windows(x, nd, kernel_size, stride, padding, dilation, float("-inf"), f"max_pool{nd}d")
    return w.max(axis=axes)


def avg_pool(x, kernel_size, stride=None, padding=0, nd=2):
    """Mean over each window (zero padding counted, PyTorch's count_include_pad=True)."""
    _check_input(x, f"avg_pool{nd}d", nd)
    if x.dtype.kind not in "fc":
        raise DTypeError(f"avg_pool{nd}d: input has dtype {x.dtype}; averaging needs a floating tensor (use .float())")
    w, axes = _pool_windows(x, nd, kernel_size, stride, padding, 1, 0.0, f"avg_pool{nd}d")
    return w.mean(axis=axes)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1):
    return max_pool(x, kernel_size, stride, padding, dilation, nd=1)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    return max_pool(x, kernel_size, stride, padding, dilation, nd=2)


def avg_pool1d(x, kernel_size, stride=None, padding=0):
    return avg_pool(x, kernel_size, stride, padding, nd=1)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    return avg_pool(x, kernel_size, stride, padding, nd=2)
