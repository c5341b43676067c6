"""benchmarks/second_order.py keeps measuring what docs/optim_second_order.md reports: its Rosenbrock
table reaches 1e-6 for every method, beside scipy, and its counter sees the HVPs a step makes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("scipy")
pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("second_order_bench", ROOT / "benchmarks" / "second_order.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_rosenbrock_table_reaches_the_minimum_beside_scipy():
    rows = {r["method"]: r for r in bench.rosenbrock_table()}
    assert set(rows) == set(bench.OURS_ROSENBROCK)
    for name, row in rows.items():
        assert row["error"] <= 1e-6, name
        assert row["evaluations"] >= row["iterations"] >= 1
    assert {rows[n]["scipy"] for n in bench.SCIPY} == set(bench.SCIPY.values())
    assert "| BFGS |" in bench.markdown([], list(rows.values()))


def test_cost_counter_counts_closure_evaluations_and_hvps():
    x, y = bench.digits()
    x, y = x[:64], y[:64]
    _, evals, hvps = bench.measure(bench.OPTIMIZERS["AdaHessian"], x, y, runs=1)
    assert (evals, hvps) == (1, 1)
    _, evals, hvps = bench.measure(bench.OPTIMIZERS["SGD"], x, y, runs=1)
    assert (evals, hvps) == (1, 0)
