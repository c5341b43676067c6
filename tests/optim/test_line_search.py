"""The shared line searches (optim/line_search.py) on one-dimensional problems with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_opt as tg
from tinygrad_opt.errors import LineSearchError
from tinygrad_opt.optim import line_search as ls


def _phi_of(f, df, x0=0.0):
    """φ along d = [1] from x0, in the searches' interface: phi(t) -> (f, flat gradient)."""
    calls = []

    def phi(t):
        calls.append(t)
        return f(x0 + t), tg.Tensor(np.array([df(x0 + t)]))

    return phi, calls


def _d():
    """The direction d = [1], on the default device (the test device)."""
    return tg.Tensor(np.array([1.0]))


def test_cubic_minimizer_is_exact_for_a_cubic():
    f = lambda t: t**3 - 6 * t**2 + 9 * t + 1  # noqa: E731 (local minimum at t = 3)
    df = lambda t: 3 * t**2 - 12 * t + 9  # noqa: E731
    assert ls.cubic_minimizer(2.0, f(2.0), df(2.0), 5.0, f(5.0), df(5.0)) == pytest.approx(3.0, abs=1e-12)
    assert ls.cubic_minimizer(5.0, f(5.0), df(5.0), 2.0, f(2.0), df(2.0)) == pytest.approx(3.0, abs=1e-12)


@given(a=st.floats(0.1, 50.0), b=st.floats(-20.0, -0.1), t0=st.floats(1e-3, 20.0))
def test_strong_wolfe_step_satisfies_both_conditions(a, b, t0):
    """φ(t) = a t² + b t + cos 3t (φ'(0) = b < 0, wiggly): both Wolfe conditions hold at the returned step."""
    f = lambda t: a * t * t + b * t + math.cos(3 * t)  # noqa: E731
    df = lambda t: 2 * a * t + b - 3 * math.sin(3 * t)  # noqa: E731
    f0, g0 = f(0.0), df(0.0)
    phi, _ = _phi_of(f, df)
    res = ls.strong_wolfe(phi, _d(), t0, f0, tg.Tensor(np.array([g0])), g0, c1=1e-4, c2=0.9, max_ls=50)
    assert res.loss == f(res.t) and res.grad.numpy()[0] == df(res.t)
    assert res.loss <= f0 + 1e-4 * res.t * g0
    assert abs(df(res.t)) <= 0.9 * abs(g0) + 1e-12


def test_armijo_backtracks_to_sufficient_decrease():
    f, df = (lambda t: (t - 0.1) ** 2), (lambda t: 2 * (t - 0.1))
    phi, calls = _phi_of(f, df)
    res = ls.armijo(phi, _d(), 1.0, f(0.0), df(0.0), c1=1e-4, shrink=0.5)
    assert calls == [1.0, 0.5, 0.25, 0.125]  # 1, 0.5 and 0.25 overshoot too far; 0.125 decreases enough
    assert res.t == 0.125 and res.evals == 4 and res.loss <= f(0.0) + 1e-4 * 0.125 * df(0.0)


@given(curv=st.floats(0.01, 1e3), slope=st.floats(-1e3, -1e-3))
def test_exact_search_finds_the_minimizer_of_a_quadratic(curv, slope):
    """φ(t) = ½ c t² + s t: t* = -s / c to 1e-9 relative, in one Newton step (+ the check evaluation)."""
    f = lambda t: 0.5 * curv * t * t + slope * t  # noqa: E731
    df = lambda t: curv * t + slope  # noqa: E731

    def phi_curvature(t):
        return f(t), tg.Tensor(np.array([df(t)])), curv

    res = ls.exact(phi_curvature, _d(), 0.0, tg.Tensor(np.array([slope])), slope, curv)
    assert res.t == pytest.approx(-slope / curv, rel=1e-9) and res.evals == 1


def test_non_finite_loss_raises_line_search_error():
    phi, _ = _phi_of(lambda t: math.inf if t > 0.5 else -t, lambda t: -1.0)
    with pytest.raises(LineSearchError, match="LBFGS.step.*non-finite"):
        ls.strong_wolfe(phi, _d(), 1.0, 0.0, tg.Tensor(np.array([-1.0])), -1.0, name="LBFGS.step")
    assert issubclass(LineSearchError, FloatingPointError)


def test_exact_search_without_curvature_needs_a_fallback():
    with pytest.raises(LineSearchError, match="curvature"):
        ls.exact(lambda t: None, _d(), 0.0, tg.Tensor(np.array([-1.0])), -1.0, -2.0)


def test_cubic_minimizer_of_a_linear_phi_has_no_interior_minimum_and_returns_the_midpoint():
    """φ(t) = −t: the interpolating cubic is the line itself, whose formula divides by zero (this raised
    ZeroDivisionError inside steepest descent on x² − y²)."""
    assert ls.cubic_minimizer(0.0, 0.0, -1.0, 1.0, -1.0, -1.0) == 0.5
    assert ls.cubic_minimizer(2.0, -2.0, -1.0, 0.0, 0.0, -1.0, lo=0.0, hi=4.0) == 2.0
