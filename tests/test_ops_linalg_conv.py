"""matmul (1-D..N-D, batch broadcasting), einsum, conv1d/conv2d and pooling: forward values against
NumPy or a direct loop written here, derivatives against finite differences in both modes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from opcheck import assert_forward, check_derivatives, grads

import tinygrad_opt as tg
from tinygrad_opt.testing.strategies import arrays


def _random(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


MATMUL_SHAPES = [
    ((3,), (3,)),  # dot product: a 0-d result
    ((2, 3), (3,)),  # matrix @ vector
    ((3,), (3, 2)),  # vector @ matrix
    ((2, 3), (3, 4)),
    ((2, 3, 4), (4,)),  # batch of matrices @ vector
    ((3,), (2, 3, 4)),  # vector @ batch of matrices
    ((4, 1, 2, 3), (5, 3, 2)),  # batch dims (4, 1) and (5,) broadcast to (4, 5)
    ((1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=str)
def test_matmul_matches_numpy_and_finite_differences(sa, sb):
    a, b = _random(sa, sb)
    assert_forward(lambda x, y: x @ y, np.matmul, [a, b])
    check_derivatives(lambda x, y: x.matmul(y), [a, b])


def test_conv_frees_its_columns_with_the_graph_and_keeps_them_when_retained(device):
    """The im2col matrix Conv keeps for its VJP goes when backward frees the graph, even while the
    output itself is still held; with retain_graph=True it stays, and a second backward agrees."""
    x = tg.randn(2, 3, 6, 6, device=device)
    w = tg.randn(4, 3, 3, 3, device=device).requires_grad_()
    out = tg.conv2d(x, w)
    out.sum().backward(retain_graph=True)
    first = w.grad.numpy().copy()
    assert "cols" in out._ctx.__dict__
    w.grad = None
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), first, rtol=1e-6)
    assert "cols" not in out._ctx.__dict__


def test_matmul_gradient_sums_over_broadcast_batch_dims():
    a, b = _random((4, 2, 3), (3, 5))
    ga, gb = grads(lambda x, y: (x @ y).sum(), a, b)
    np.testing.assert_allclose(ga, np.broadcast_to(b.sum(axis=1), (4, 2, 3)))
    np.testing.assert_allclose(gb, np.broadcast_to(a.sum(axis=(0, 1))[:, None], (3, 5)))


@st.composite
def dense_layer(draw):
    n, d, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return draw(arrays((n, d))), draw(arrays((d, k))), draw(arrays((k,)))


@given(dense_layer())
def test_tanh_of_affine_layer_gradient_is_the_textbook_formula(layer):
    """loss = sum tanh(x W + b): dW = x^T (1 - y^2), db = sum_rows (1 - y^2), dx = (1 - y^2) W^T."""
    x, w, b = layer
    loss = lambda x, w, b: (x @ w + b).tanh().sum()  # noqa: E731
    assert_forward(loss, lambda x, w, b: np.tanh(x @ w + b).sum(), layer)
    gx, gw, gb = grads(loss, x, w, b)
    d = 1 - np.tanh(x @ w + b) ** 2
    np.testing.assert_allclose(gw, x.T @ d, atol=1e-12)
    np.testing.assert_allclose(gb, d.sum(axis=0), atol=1e-12)
    np.testing.assert_allclose(gx, d @ w.T, atol=1e-12)
    check_derivatives(loss, layer)


EINSUM_SPECS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ij->ji", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("ij,k->i", [(2, 3), (4,)]),  # k appears in one operand only: summed away
    ("ij->", [(2, 3)]),
    ("ij,jk", [(2, 3), (3, 2)]),  # implicit output: the letters used once, sorted
    ("i,j->ij", [(2,), (3,)]),  # outer product
]


@pytest.mark.parametrize("spec, shapes", EINSUM_SPECS, ids=[s[0] for s in EINSUM_SPECS])
def test_einsum_matches_numpy_and_finite_differences(spec, shapes):
    operands = _random(*shapes)
    assert_forward(lambda *xs: tg.einsum(spec, *xs), lambda *xs: np.einsum(spec, *xs), operands)
    check_derivatives(lambda *xs: tg.einsum(spec, *xs), operands)


# --------------------------------------------------------------------------- convolution


def conv_loop(x, w, b, stride, padding, dilation, groups):
    """Cross-correlation by the definition: out[n, o, p] = b[o] + sum_{c, k} w[o, c, k] x[n, g c, p s + k d]."""
    nd = w.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    n_out, cg, kernel = w.shape[0], w.shape[1], w.shape[2:]
    out_sp = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], n_out, *out_sp))
    for n, o in itertools.product(range(x.shape[0]), range(n_out)):
        group = o // (n_out // groups)
        for pos in itertools.product(*map(range, out_sp)):
            acc = 0.0 if b is None else b[o]
            for c, k in itertools.product(range(cg), itertools.product(*map(range, kernel))):
                src = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(nd))
                acc += w[(o, c) + k] * xp[(n, group * cg + c) + src]
            out[(n, o) + pos] = acc
    return out


CONVS = [  # x shape, weight shape, bias?, stride, padding, dilation, groups
    ((2, 2, 5), (3, 2, 3), False, 1, 0, 1, 1),
    ((1, 2, 6), (2, 2, 2), True, 2, 1, 1, 1),
    ((1, 1, 7), (2, 1, 2), False, 1, 0, 3, 1),
    ((1, 4, 5), (4, 2, 2), True, 1, 1, 1, 2),
    ((1, 2, 4, 4), (2, 2, 2, 2), False, 1, 0, 1, 1),
    ((1, 1, 5, 4), (2, 1, 3, 2), True, (2, 1), 1, 1, 1),
    ((1, 1, 5, 5), (1, 1, 2, 2), False, 1, (0, 1), (2, 1), 1),
    ((1, 2, 3, 3), (4, 1, 2, 2), True, 1, 0, 1, 2),
]


def _per_dim(v, nd):
    return tuple(v) if isinstance(v, tuple) else (v,) * nd


@pytest.mark.parametrize("xs, ws, bias, stride, padding, dilation, groups", CONVS, ids=str)
def test_conv_matches_loop_reference_and_finite_differences(xs, ws, bias, stride, padding, dilation, groups):
    nd = len(ws) - 2
    conv = tg.conv1d if nd == 1 else tg.conv2d
    x, w, b = _random(xs, ws, (ws[0],))
    inputs = [x, w, b] if bias else [x, w]

    def f(x, w, b=None):
        return conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def ref(x, w, b=None):
        per = [_per_dim(v, nd) for v in (stride, padding, dilation)]
        return conv_loop(x, w, b, *per, groups)

    assert_forward(f, ref, inputs)
    check_derivatives(f, inputs)


# --------------------------------------------------------------------------- pooling


def pool_loop(x, kernel, stride, padding, dilation, reduce, pad_value):
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding], constant_values=pad_value)
    out_sp = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    out = np.zeros(x.shape[:2] + tuple(out_sp))
    for n, c in itertools.product(*map(range, x.shape[:2])):
        for pos in itertools.product(*map(range, out_sp)):
            window = [
                xp[(n, c) + tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(nd))]
                for k in itertools.product(*map(range, kernel))
            ]
            out[(n, c) + pos] = reduce(window)
    return out


POOLS = [  # x shape, kernel, stride (None: = kernel), padding, dilation (max only)
    ((1, 2, 6), 2, None, 0, 1),
    ((2, 1, 7), 3, 2, 1, 1),
    ((1, 1, 7), 2, 1, 0, 2),
    ((1, 2, 4, 4), 2, None, 0, 1),
    ((1, 1, 5, 4), (2, 3), (1, 2), (1, 1), 1),
    ((1, 1, 5, 5), 2, 1, 0, (2, 1)),
]


def _distinct(shape, seed=0):
    """Distinct values (no ties in a window, where max has no derivative), in random order."""
    return np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.31 - 1.0


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", POOLS, ids=str)
def test_max_pool_matches_loop_reference_and_finite_differences(shape, kernel, stride, padding, dilation):
    nd = len(shape) - 2
    pool = tg.max_pool1d if nd == 1 else tg.max_pool2d
    k, p, d = (_per_dim(v, nd) for v in (kernel, padding, dilation))
    s = k if stride is None else _per_dim(stride, nd)
    x = _distinct(shape)

    def f(x):
        return pool(x, kernel, stride, padding, dilation)

    assert_forward(f, lambda x: pool_loop(x, k, s, p, d, max, -np.inf), [x])
    check_derivatives(f, [x])


@pytest.mark.parametrize("shape, kernel, stride, padding, _", POOLS, ids=str)
def test_avg_pool_matches_loop_reference_and_finite_differences(shape, kernel, stride, padding, _):
    nd = len(shape) - 2
    pool = tg.avg_pool1d if nd == 1 else tg.avg_pool2d
    k, p = _per_dim(kernel, nd), _per_dim(padding, nd)
    s = k if stride is None else _per_dim(stride, nd)
    (x,) = _random(shape)

    def f(x):
        return pool(x, kernel, stride, padding)

    assert_forward(f, lambda x: pool_loop(x, k, s, p, (1,) * nd, np.mean, 0.0), [x])
    check_derivatives(f, [x])


def test_max_pool_gradient_goes_to_the_window_maximum_only():
    x = np.array([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0]]]])
    (g,) = grads(lambda x: tg.max_pool2d(x, 2).sum(), x)
    np.testing.assert_array_equal(g, [[[[0, 1, 0, 0], [0, 0, 1, 0]]]])


@pytest.mark.parametrize("k", [32, 1 << 14, 2 * 16411])  # (B G^T)^T; in cache-sized slices; no slices fit
def test_matmul_over_a_long_inner_axis_is_exact_contiguous_and_differentiable(device, k):
    """G B^T with K far longer than the result (a convolution's weight gradient) runs as (B G^T)^T on
    the CPU, summed in slices of K once the operands outgrow the cache: the same numbers, and a
    contiguous result like any other matmul's."""
    from tinygrad_opt.ops.linalg import Matmul
    from tinygrad_opt.testing import gradcheck, jvpcheck

    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((3, k)), rng.standard_normal((4, k))
    out = Matmul.apply(tg.Tensor(a, device=device), tg.Tensor(b, device=device), tb=True)
    np.testing.assert_allclose(out.numpy(), a @ b.T, rtol=1e-12)
    assert out.data.flags.c_contiguous

    def f(x, y):
        return Matmul.apply(x, y, tb=True)

    if k <= 64:  # finite differences over every entry: the small case
        inputs = [tg.Tensor(a, device=device), tg.Tensor(b, device=device)]
        assert gradcheck(f, inputs) and jvpcheck(f, inputs)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_transpose_flags_match_numpy_and_all_derivative_checks(ta, tb):
    """The VJP of matmul uses op(a) @ op(b) with transposes folded in; every flag combination is exact."""
    from tinygrad_opt.ops.linalg import Matmul
    from tinygrad_opt.testing import gradcheck, gradgradcheck, hvpcheck, jvpcheck

    rng = np.random.default_rng(int(ta) * 2 + int(tb))
    a = rng.standard_normal((2, 3, 4) if ta else (2, 4, 3))
    b = rng.standard_normal((5, 3) if tb else (3, 5))
    want = (a.swapaxes(-1, -2) if ta else a) @ (b.T if tb else b)

    def f(x, y):
        return Matmul.apply(x, y, ta=ta, tb=tb)

    inputs = [tg.Tensor(a), tg.Tensor(b)]
    np.testing.assert_allclose(f(*inputs).numpy(), want, rtol=1e-12)
    assert gradcheck(f, inputs) and jvpcheck(f, inputs) and hvpcheck(f, inputs) and gradgradcheck(f, inputs)


@given(dense_layer(), st.sampled_from(["row", "matrix", "scalar"]), st.sampled_from([(1.0, 1.0), (0.5, -2.0)]))
def test_addmm_matches_torch_semantics_and_fuses_the_dense_layer(layer, bias_kind, scales):
    """addmm(input, x, W) = beta input + alpha x W. A bias row with beta = alpha = 1 is one Affine node
    (the textbook dense layer); other inputs and scales compose matmul and add. All derivative checks."""
    x, w, b = layer
    bias = {"row": b, "matrix": np.outer(x[:, 0], b), "scalar": np.array(1.5)}[bias_kind]
    beta, alpha = scales

    def f(inp, m1, m2):
        return tg.addmm(inp, m1, m2, beta=beta, alpha=alpha)

    assert_forward(f, lambda inp, m1, m2: beta * inp + alpha * (m1 @ m2), [bias, x, w])
    check_derivatives(f, [bias, x, w])
    out = tg.Tensor(bias).addmm(tg.Tensor(x).requires_grad_(), tg.Tensor(w), beta=beta, alpha=alpha)
    fused = bias_kind == "row" and scales == (1.0, 1.0)
    assert (type(out._ctx).__name__ == "Affine") == fused


def test_addmm_refuses_non_matrices_and_names_the_shapes():
    with pytest.raises(tg.ShapeError, match=r"addmm: .*2-D.*\(3,\) and \(3, 2\)"):
        tg.addmm(tg.zeros(2), tg.ones(3), tg.ones(3, 2))
    with pytest.raises(tg.ShapeError, match=r"\(2, 3\).*\(4, 2\)"):
        tg.addmm(tg.zeros(2), tg.ones(2, 3), tg.ones(4, 2))
