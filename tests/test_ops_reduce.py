"""Reductions composed in tensor.py (softmax family, moments, norms, min) and the exact-gradient rules
of max/min at ties and prod at zeros."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from opcheck import assert_forward, check_derivatives, distinct, grads

import tinygrad_opt as tg
from tinygrad_opt.testing.strategies import arrays, shapes

NONEMPTY = shapes(min_dims=1, max_dims=3, max_side=3)


@st.composite
def array_and_axis(draw, low=-3.0, high=3.0):
    x = draw(NONEMPTY.flatmap(lambda s: arrays(s, low, high)))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


@st.composite
def distinct_array_and_axes(draw):
    """Entries without ties and away from 0 (see opcheck.distinct), some axes or None, keepdims."""
    x = draw(distinct(NONEMPTY))
    axes = st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=1, max_size=x.ndim, unique_by=lambda a: a % x.ndim)
    return x, draw(st.none() | axes.map(tuple)), draw(st.booleans())


def np_logsumexp(x, axis, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


SOFTMAX_FAMILY = {
    "softmax": (lambda x, axis: x.softmax(axis), lambda x, axis: np.exp(x - np_logsumexp(x, axis, True))),
    "log_softmax": (lambda x, axis: x.log_softmax(axis), lambda x, axis: x - np_logsumexp(x, axis, True)),
    "logsumexp": (lambda x, axis: x.logsumexp(axis), np_logsumexp),
    "logsumexp_keepdims": (
        lambda x, axis: x.logsumexp(axis, keepdims=True),
        lambda x, axis: np_logsumexp(x, axis, True),
    ),
}


@pytest.mark.parametrize("name", SOFTMAX_FAMILY)
@given(case=array_and_axis())
def test_softmax_family_over_each_axis(name, case):
    fn, ref = SOFTMAX_FAMILY[name]
    x, axis = case
    assert_forward(lambda t: fn(t, axis), lambda a: ref(a, axis), [x])
    check_derivatives(lambda t: fn(t, axis), [x])


@given(case=array_and_axis(-50.0, 50.0))
def test_softmax_sums_to_one_and_its_gradient_sums_to_zero(case):
    x, axis = case
    p = tg.tensor(x, dtype=tg.float64).softmax(axis)
    np.testing.assert_allclose(p.numpy().sum(axis=axis), 1.0, rtol=1e-12)
    w = np.random.default_rng(0).standard_normal(x.shape)
    (g,) = grads(lambda t: (t.softmax(axis) * tg.tensor(w, dtype=tg.float64)).sum(), x)
    np.testing.assert_allclose(g.sum(axis=axis), 0.0, atol=1e-12)  # softmax is shift-invariant


MOMENTS = {  # name: (tinygrad_opt, NumPy), both called as (x, axis, keepdims)
    "mean": (lambda x, a, k: x.mean(a, k), lambda x, a, k: x.mean(a, keepdims=k)),
    "var": (lambda x, a, k: x.var(a, k), lambda x, a, k: _moment(np.var, x, a, k, ddof=1)),
    "var_population": (lambda x, a, k: x.var(a, k, correction=0), lambda x, a, k: _moment(np.var, x, a, k, ddof=0)),
    "std": (lambda x, a, k: x.std(a, k), lambda x, a, k: _moment(np.std, x, a, k, ddof=1)),
    "norm1": (lambda x, a, k: x.norm(1, a, k), lambda x, a, k: np.abs(x).sum(a, keepdims=k)),
    "norm2": (lambda x, a, k: x.norm(2, a, k), lambda x, a, k: np.sqrt((x * x).sum(a, keepdims=k))),
    "norm_inf": (lambda x, a, k: x.norm(np.inf, a, k), lambda x, a, k: np.abs(x).max(a, keepdims=k)),
    "max": (lambda x, a, k: x.max(a, k), lambda x, a, k: x.max(a, keepdims=k)),
    "min": (lambda x, a, k: x.min(a, k), lambda x, a, k: x.min(a, keepdims=k)),
}


def _moment(fn, x, axis, keepdims, ddof):
    count = x.size if axis is None else np.prod([x.shape[a] for a in axis])
    if count <= ddof:  # Bessel's correction with one sample: 0 / 0 = NaN, as in PyTorch and NumPy
        return np.full(np.sum(x, axis, keepdims=keepdims).shape, np.nan)
    return fn(x, axis, keepdims=keepdims, ddof=ddof)


@pytest.mark.parametrize("name", MOMENTS)
@given(case=distinct_array_and_axes())
def test_moments_norms_and_extrema_with_axis_and_keepdims(name, case):
    fn, ref = MOMENTS[name]
    x, axis, keepdims = case
    f = lambda t: fn(t, axis, keepdims)  # noqa: E731
    with np.errstate(invalid="ignore"):  # var/std of one sample: 0 * inf = NaN on purpose
        assert_forward(f, lambda a: ref(a, axis, keepdims), [x])
    if np.isfinite(ref(x, axis, keepdims)).all():
        check_derivatives(f, [x])


@pytest.mark.parametrize(
    "fn, x, expected",
    [
        (lambda x: x.max(), [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),  # shared evenly among tied maxima
        (lambda x: x.min(), [2.0, 2.0, 2.0, 5.0], [1 / 3, 1 / 3, 1 / 3, 0.0]),
        (lambda x: x.max(axis=1).sum(), [[1.0, 1.0], [0.0, 2.0]], [[0.5, 0.5], [0.0, 1.0]]),
        (lambda x: x.norm(2), [0.0, 0.0], [0.0, 0.0]),  # the zero vector: 0, not NaN
    ],
)
def test_exact_gradients_at_ties(fn, x, expected):
    (g,) = grads(fn, np.array(x))
    np.testing.assert_allclose(g, expected, rtol=0, atol=1e-15)


# --------------------------------------------------------------------------- prod with zeros


def prod_of_others(x, axis):
    """d prod / d x_i = prod_{j != i} x_j by brute force (no division), moved back to x's layout."""
    x = np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    others = [np.prod(np.delete(x, i, axis=-1), axis=-1) for i in range(n)]
    return np.moveaxis(np.stack(others, axis=-1), -1, axis)


@pytest.mark.parametrize(
    "x, expected",
    [
        ([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),  # one zero: only its own entry sees the others' product
        ([0.0, 2.0, 0.0], [0.0, 0.0, 0.0]),  # two zeros: every gradient entry is exactly 0
        ([0.0], [1.0]),
        ([1.5, -2.0, 4.0], [-8.0, 6.0, -3.0]),
    ],
)
def test_prod_gradient_is_exact_with_zeros(x, expected):
    (g,) = grads(lambda t: t.prod(), np.array(x))
    np.testing.assert_array_equal(g, expected)


def test_prod_hessian_with_two_zeros_is_the_pairwise_product():
    """prod(x) at (0, 2, 0): d2/dx0 dx2 = 2, the only nonzero second derivative."""
    h = tg.hessian(lambda t: t.prod())(tg.tensor([0.0, 2.0, 0.0], dtype=tg.float64)).numpy()
    np.testing.assert_array_equal(h, [[0, 0, 2], [0, 0, 0], [2, 0, 0]])


@given(data=st.data())
def test_prod_gradient_along_an_axis_equals_product_of_the_others(data):
    """Entries on the grid {-1, -0.5, 0, 0.5, 1}: zeros (several per slice too) come up often."""
    x = data.draw(NONEMPTY.flatmap(lambda s: arrays(s, -1.0, 1.0)).map(lambda a: np.round(2 * a) / 2))
    axis = data.draw(st.integers(0, x.ndim - 1))
    (g,) = grads(lambda t: t.prod(axis=axis).sum(), x)
    np.testing.assert_array_equal(g, prod_of_others(x, axis))
    check_derivatives(lambda t: t.prod(axis=axis), [x])
