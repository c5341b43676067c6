"""examples/coordinate_descent_vs_newton.py (seed 003 §8.1 item 4): on f = (x₁ − x₂)² + a(x₁² + x₂²)
exact coordinate descent contracts by exactly (1 + a)⁻² per sweep and needs the closed-form number of
sweeps, while Newton lands on the minimum in one step."""

from __future__ import annotations

import numpy as np
import pytest
from example_loader import load_example


@pytest.fixture(scope="module")
def results():
    return load_example("coordinate_descent_vs_newton").main(["--quick"])


def test_measured_contraction_is_the_closed_form(results):
    for r in results:
        assert r["measured_rate"] == pytest.approx(1 / (1 + r["a"]) ** 2, rel=1e-12)
        assert r["max_rate_error"] < 1e-12


def test_sweeps_to_tolerance_are_the_closed_form_count_and_grow_like_one_over_a(results):
    by_a = {r["a"]: r for r in results}
    for r in results:
        assert r["cd_sweeps"] == r["closed_form_sweeps"]
        assert np.linalg.norm(r["cd_path"][-1]) <= 1e-6 < np.linalg.norm(r["cd_path"][-2])
    assert (by_a[0.1]["cd_sweeps"], by_a[0.01]["cd_sweeps"]) == (75, 712)  # ≈ ln(1e6)/(2a) for small a


def test_newton_takes_one_step_to_the_minimum(results):
    for r in results:
        assert r["newton_steps"] == 1
        np.testing.assert_allclose(r["newton_end"], 0.0, atol=1e-14)


def test_one_sweep_is_two_exact_coordinate_minimizations():
    ex = load_example("coordinate_descent_vs_newton")
    a = 0.3
    path = ex.minimize(lambda p: ex.optim.CoordinateDescent(p, blocks="coordinate"), a, max_steps=1)
    x1 = ex.START[1] / (1 + a)  # argmin over x1 with x2 fixed
    np.testing.assert_allclose(path[1], [x1, x1 / (1 + a)], rtol=1e-15)
