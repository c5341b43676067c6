"""examples/hessian_spectrum.py in --quick mode: it reports the top eigenvalues, λ_min, the critical-point
type, the trace and the spectral density at the initial and trained weights, and each is consistent with
the others (the density integrates to 1, the type follows the eigenvalue signs, the Taylor model of one
SGD step is accurate)."""

from __future__ import annotations

import numpy as np
import pytest
from example_loader import load_example


@pytest.fixture(scope="module")
def result():
    return load_example("hessian_spectrum").main(["--quick"])


@pytest.mark.parametrize("point", ["before", "after"])
def test_spectrum_report_is_consistent(result, point):
    r = result[point]
    top = r["top"]
    assert len(top) == 5 and np.all(np.diff(top) <= 0)
    assert r["lowest"] < 0 < top[-1]  # a 64-32-10 tanh net's loss has negative curvature at both points
    assert r["type"] == "saddle"  # what the signs of λ_min and λ_max say
    assert r["grad_norm"] > 1e-3  # neither point is a critical point: the type is the curvature's
    assert np.trapezoid(r["density"], r["grid"]) == pytest.approx(1.0, abs=1e-3)
    assert r["grid"][0] <= r["lowest"] and top[0] <= r["grid"][-1]
    assert r["actual"] == pytest.approx(r["predicted"], rel=1e-2)  # f(θ − εg) by its second-order model
    assert r["trace"].estimate == pytest.approx(r["slq_trace"], abs=5 * r["trace"].stderr * np.sqrt(20))


def test_training_lowers_the_loss_and_raises_the_top_eigenvalue(result):
    assert result["after"]["loss"] < 0.75 * result["before"]["loss"]  # 2.35 -> 1.39 after the one quick epoch
    assert result["after"]["top"][0] > result["before"]["top"][0]
