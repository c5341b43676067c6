"""examples/optimizer_zoo.py in --quick mode (at most 100 steps; 30 on the saddle): the claims its table makes
(docs/examples.md) hold — Newton solves the ravine in one step and CG with the exact line search in two
(seed 003 §6.1, §7.2), coordinate descent solves the separable ravine in one sweep, Adam and momentum
escape the saddle from a start just off its stable axis while nothing leaves the axis itself, undamped
Newton jumps onto the saddle and damping fixes it (§6.1.2) — and the script prints its table and writes
one figure per function."""

from __future__ import annotations

import numpy as np
import pytest
from example_loader import load_example


@pytest.fixture(scope="module")
def zoo():
    return load_example("optimizer_zoo")


@pytest.fixture(scope="module")
def quick(zoo):
    """Every optimizer on every function with the short budgets of ``--quick``."""
    return zoo.main(["--quick", "--no-plot"]), None


def test_every_optimizer_has_tuned_settings_for_every_function(zoo):
    for name, (_, key, _) in zoo.OPTIMIZERS.items():
        for problem in zoo.PROBLEMS:
            kw = zoo.settings(name, problem)
            if key is not None:
                assert kw[key] in zoo.GRID, (name, problem)


def test_newton_one_step_cg_two_steps_coordinate_descent_one_sweep_on_the_ravine(quick):
    runs, _ = quick
    assert runs["Newton"]["ravine"].steps == 1
    np.testing.assert_array_equal(runs["Newton"]["ravine"].path[-1], [0.0, 0.0])
    for cg in ("CG Fletcher-Reeves", "CG Polak-Ribière"):
        assert runs[cg]["ravine"].steps == 2
    assert runs["CoordinateDescent"]["ravine"].steps == 1  # the ravine is separable


def test_newton_jumps_onto_the_saddle_and_damping_escapes(quick):
    runs, _ = quick
    newton = runs["Newton"]["saddle"]
    assert newton.steps is None
    np.testing.assert_array_equal(newton.path[1], [0.0, 0.0])  # H⁻¹g lands on the critical point
    assert runs["Newton damped"]["saddle"].steps is not None


def test_adam_and_momentum_escape_the_saddle_off_its_axis(quick):
    runs, _ = quick
    for name in ("Adam", "SGD momentum 0.9", "GD"):
        r = runs[name]["saddle"]
        assert r.steps is not None and abs(r.path[-1][1]) >= 1.0, name


def test_nothing_leaves_the_stable_axis_of_the_saddle(quick):
    """From (1, 0) the y-gradient 2y is exactly 0 for every iterate: no optimizer of the suite moves y."""
    runs, _ = quick
    for name, rs in runs.items():
        assert np.all(rs["saddle_axis"].path[:, 1] == 0.0), name
    gd = runs["GD"]["saddle_axis"].path
    assert abs(gd[-1][0]) < 1e-6  # GD converges to the saddle point (0, 0) and stalls there


def test_newton_on_sin_sin_ends_on_the_saddle_at_the_origin(quick, zoo):
    runs, _ = quick
    assert zoo.sinsin_end(runs["Newton"]["sinsin"].path[-1]) == "saddle (0, 0)"


def test_step_counts_match_the_full_budget_runs(zoo):
    """The quick budgets cut runs short but never change a count that fits in them: a full-budget run
    of the same optimizer gives the same number (the runs are deterministic)."""
    for name in ("GD", "Adam", "LBFGS", "BFGS", "NewtonCG"):
        full = zoo.run(name, "ravine", zoo.settings(name, "ravine"))
        short = zoo.run(name, "ravine", zoo.settings(name, "ravine"), max_steps=100)
        assert short.steps in (None, full.steps)


def test_the_table_has_a_row_per_optimizer(quick, zoo, capsys):
    table = zoo.table(quick[0])
    assert table.count("\n") == len(zoo.OPTIMIZERS) + 1
    assert "| Newton | 1 | stuck at (0, 0) |" in table


def test_the_script_writes_a_figure_per_function(zoo, tmp_path):
    pytest.importorskip("matplotlib")
    zoo.main(["--quick", "--only", "GD", "Newton", "--out", str(tmp_path)])
    for problem in zoo.PROBLEMS:
        assert (tmp_path / f"optim_{problem}.png").stat().st_size > 3_000
    assert (tmp_path / "optim_loss_curves.png").stat().st_size > 3_000
