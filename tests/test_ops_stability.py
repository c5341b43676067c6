"""Overflow and underflow (seed 000 "上溢和下溢"): softmax-family ops subtract the max, sigmoid and
softplus stay finite at |x| = 1e4, and -inf logits get a zero gradient, never NaN. Values and
derivatives of every order are checked, in float32 and float64, under anomaly mode (which raises
at the first NaN/Inf in any forward, VJP or JVP)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_opt as tg

DTYPES = [tg.float32, tg.float64]


def _exact_softmax(logits):
    """softmax by math.exp of the shifted logits and an exactly rounded sum (float64 reference)."""
    m = max(logits)
    e = [math.exp(v - m) for v in logits]
    s = math.fsum(e)
    return np.array([v / s for v in e])


def _all_derivatives(f, x):
    """Reverse-mode gradient, forward-mode JVP and HVP of sum(w * f(x)), as NumPy arrays."""
    w = tg.tensor(np.linspace(0.5, 1.5, x.numel()).reshape(x.shape), dtype=x.dtype)

    def scalar(t):
        return (f(t) * w).sum()

    v = tg.ones_like(x)
    return [tg.grad(scalar)(x).numpy(), tg.jvp(f, (x,), (v,))[1].numpy(), tg.hvp(scalar, x, v).numpy()]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softmax_of_large_logits_is_finite_and_exact(dtype):
    logits = [1000.0, 990.0, 980.0]
    exact = _exact_softmax(logits)
    with tg.detect_anomaly():
        p = tg.tensor(logits, dtype=dtype).softmax()
        lsm = tg.tensor(logits, dtype=dtype).log_softmax()
    rtol = 1e-14 if dtype == tg.float64 else 1e-6  # a few units in the last place
    np.testing.assert_allclose(p.numpy(), exact, rtol=rtol, atol=0)
    np.testing.assert_allclose(lsm.numpy(), np.log(exact), rtol=0, atol=rtol)  # log-probabilities: absolute
    lse = tg.tensor(logits, dtype=dtype).logsumexp().item()
    assert lse == pytest.approx(1000 + math.log1p(math.exp(-10) + math.exp(-20)), rel=rtol)


MINUS_INF_OPS = {
    "logsumexp": lambda t: t.logsumexp(),
    "softmax": lambda t: t.softmax(),
    "log_softmax": lambda t: t.log_softmax()[1:3],  # the finite entries (the others are -inf)
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("op", MINUS_INF_OPS)
def test_minus_inf_logits_get_exactly_zero_gradient(op, dtype):
    x = tg.tensor([-np.inf, 0.0, 1.0, -np.inf], dtype=dtype)
    f = MINUS_INF_OPS[op]  # (no anomaly mode here: x - max is legitimately -inf at those entries)
    g = tg.grad(lambda t: (f(t) * 1.5).sum())(x).numpy()
    jv = tg.jvp(f, (x,), (tg.tensor([0.0, 1.0, -1.0, 0.0], dtype=dtype),))[1].numpy()
    assert np.isfinite(g).all() and np.isfinite(jv).all()
    assert g[0] == 0.0 and g[3] == 0.0
    if op == "logsumexp":
        np.testing.assert_allclose(g[1:3], 1.5 * _exact_softmax([0.0, 1.0]), rtol=1e-6)


def test_logsumexp_of_minus_inf_entries_ignores_them():
    x = tg.tensor([[-np.inf, 2.0], [1.0, -np.inf]], dtype=tg.float64)
    np.testing.assert_array_equal(x.logsumexp(axis=1).numpy(), [2.0, 1.0])
    np.testing.assert_array_equal(x.softmax(axis=1).numpy(), [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(
    "name, f, value_at_plus, value_at_minus, slope_at_plus",
    [
        ("sigmoid", lambda t: t.sigmoid(), 1.0, 0.0, 0.0),
        ("softplus", lambda t: t.softplus(), 1e4, 0.0, 1.0),
        ("softplus_beta", lambda t: t.softplus(beta=3.0, threshold=1e9), 1e4, 0.0, 1.0),
        ("silu", lambda t: t.silu(), 1e4, 0.0, 1.0),
    ],
)
def test_saturating_functions_are_finite_at_plus_minus_1e4(
    name, f, value_at_plus, value_at_minus, slope_at_plus, dtype
):
    x = tg.tensor([1e4, -1e4], dtype=dtype)
    with tg.detect_anomaly():
        y = f(x).numpy()
        g, jv, hv = _all_derivatives(f, x)
    np.testing.assert_allclose(y, [value_at_plus, value_at_minus], rtol=1e-6, atol=1e-30)
    assert np.isfinite(hv).all()
    np.testing.assert_allclose(jv, [slope_at_plus, 0.0], atol=1e-30)  # J 1 = f'(x) elementwise
    np.testing.assert_allclose(g, [0.5 * slope_at_plus, 0.0], atol=1e-30)  # weights w = (0.5, 1.5)


@pytest.mark.parametrize("dtype, huge", [(tg.float32, 1e30), (tg.float64, 1e300)], ids=["float32", "float64"])
def test_log_softmax_of_huge_logits_is_finite(dtype, huge):
    x = tg.tensor([huge, 0.0, -huge], dtype=dtype)
    with tg.detect_anomaly():
        out = x.log_softmax()
        g, jv, hv = _all_derivatives(lambda t: t.log_softmax(), x)
    np.testing.assert_array_equal(out.numpy(), np.array([0.0, -huge, -2 * huge], dtype=dtype))
    # d log_softmax_k / dx = e_k - p with p = (1, 0, 0): sum_k w_k (e_k - p) = w - sum(w) p
    np.testing.assert_allclose(g, [0.5 - 3.0, 1.0, 1.5], rtol=1e-6)
    np.testing.assert_array_equal(jv, [0.0, 0.0, 0.0])  # log_softmax is shift-invariant: J 1 = 0
    assert np.isfinite(hv).all()
