"""The seed-claims gallery (examples/gallery/, docs/gallery.md): each fast claim's quick measurement, asserted
against the theory the seed gives. A claim our code stops reproducing fails here, not silently on the page."""

from __future__ import annotations

import claim01_ravine
import claim02_saddle
import claim03_adagrad_rmsprop
import claim04_adam_step
import claim05_nesterov
import claim06_newton_saddle
import claim07_cg
import claim08_bn_scale
import claim10_init_depth
import claim11_minibatch_std
import numpy as np
import pytest
import run_all


def test_momentum_damps_the_oscillation_across_the_ravine():
    r = claim01_ravine.measure(quick=True)
    # the envelope of x2 shrinks by |1 - lr lambda_2| under GD and by sqrt(alpha) under heavy ball (complex roots)
    assert r["gd_envelope_rate"] == pytest.approx(r["gd_envelope_theory"], abs=1e-9)
    assert r["hb_envelope_rate"] == pytest.approx(r["hb_envelope_theory"], abs=0.01)  # a cosine rides the envelope
    assert r["hb_envelope_rate"] < r["gd_envelope_rate"]
    assert r["hb_x2_path_length"] < 0.6 * r["gd_x2_path_length"]
    # GD's shallow coordinate contracts by 1 - lr * 0.2 = 0.91: ln(5000)/-ln(0.91) = 90.3 steps to ||x|| < 1e-3
    assert r["gd_steps_to_tol"] == 91
    assert r["hb_steps_to_tol"] < r["gd_steps_to_tol"] / 2
    assert claim01_ravine.judge(r)[0]


def test_gd_stalls_on_the_saddle_axis_and_noise_or_momentum_escape():
    r = claim02_saddle.measure(quick=True)
    # on y = 0 GD contracts x by 1 - 2 lr = 0.8 per step: 0.8^150 = 2.9e-15
    assert r["final distance: GD, on axis"] == pytest.approx(0.8**150, rel=1e-9)
    assert r["escape step: GD, on axis"] is None
    assert r["escape step: momentum, on axis"] is None  # exactly on the axis momentum has nothing to amplify
    assert r["escape step: GD + noise, on axis"] is not None
    # from 1e-8 off the axis, y grows by 1.2 per step under GD and by the larger root 1.5 under heavy ball
    assert r["escape step: GD, 1e-8 off"] == int(np.ceil(np.log(1e8) / np.log(1.2)))
    assert r["escape step: momentum, 1e-8 off"] < 0.6 * r["escape step: GD, 1e-8 off"]
    assert r["hb_growth_theory"] == pytest.approx(1.5)
    assert claim02_saddle.judge(r)[0]


def test_adagrad_rate_decays_to_zero_while_rmsprop_stays_bounded():
    r = claim03_adagrad_rmsprop.measure(quick=True)
    assert r["adagrad_const_max_rel_error"] < 1e-10  # eps / (delta + sqrt(tau c)), seed 003 §5.3.2
    assert r["rmsprop_const_max_rel_error"] < 1e-10  # eps / (delta + sqrt(c (1 - rho^tau)))
    assert r["adagrad_const_slope"] == pytest.approx(-0.5, abs=1e-3)
    # random stream: r_tau / tau -> E g^2 by the law of large numbers; 256 coordinates x 2000 steps
    assert r["adagrad_random_slope"] == pytest.approx(-0.5, abs=0.02)
    assert r["rmsprop_final_over_asymptote"] == pytest.approx(1.0, abs=1e-8)  # rho^2000 = 1.9e-9
    assert r["rmsprop_random_late_min_over_asymptote"] > 0.9
    assert claim03_adagrad_rmsprop.judge(r)[0]


def test_adam_step_is_the_learning_rate_for_constant_gradients():
    r = claim04_adam_step.measure(quick=True)
    assert r["adam_max_dev_from_theory"] < 1e-9  # eps |g| / (|g| + delta) at every step
    assert r["adam_max_dev_from_1"] == pytest.approx(1e-8 / 1e-4, rel=1e-3)  # the smallest |g| sets it
    assert r["sgd_ratio_span"] == pytest.approx((1e-4, 1e4))
    assert r["adagrad_final"] == pytest.approx(1 / np.sqrt(200), rel=1e-6)
    assert r["rmsprop_first"] == pytest.approx(10.0, rel=1e-6)  # 1/sqrt(1 - rho) at the first step
    assert claim04_adam_step.judge(r)[0]


def test_nesterov_error_falls_as_one_over_k_squared_and_gd_as_one_over_k():
    r = claim05_nesterov.measure(quick=True)
    assert r["gd_slope"] == pytest.approx(-1.0, abs=0.03)
    assert r["gd_times_k"] == pytest.approx(r["gd_times_k_theory"], rel=0.01)
    assert r["nesterov_slope"] == pytest.approx(-2.0, abs=0.15)
    # O(1/k^2): k^2 (f - f*) levels off (within 10% between k/2 and k)
    assert r["nesterov_times_k2"] == pytest.approx(r["nesterov_times_k2_half"], rel=0.1)
    assert claim05_nesterov.judge(r)[0]


def test_undamped_newton_lands_on_the_saddle_and_damped_newton_descends():
    r = claim06_newton_saddle.measure(quick=True)
    u, d = r["undamped"], r["damped"]
    assert np.abs(u["path"][-1]).max() < 1e-12 and u["grad_norm"] < 1e-12
    assert u["type"] == "saddle"
    assert u["eigs"] == pytest.approx([1.0, -1.0], abs=1e-9)
    assert u["losses"][-1] > u["losses"][0]  # it climbed
    assert d["path"][-1] == pytest.approx([0.0, 1.0], abs=1e-9)
    assert d["type"] == "minimum" and d["losses"][-1] == pytest.approx(-0.25, abs=1e-12)
    assert np.all(np.diff(d["losses"]) <= 1e-15)
    assert claim06_newton_saddle.judge(r)[0]


def test_cg_solves_an_n_dimensional_quadratic_in_n_steps():
    r = claim07_cg.measure(quick=True)
    for n in r["sizes"]:
        assert r["even"]["after_n"][n] < 1e-8
        assert r["even"]["after_n_minus_1"][n] > 1e-6  # not converged before: finite termination, not speed
    # what floating point does to a log-spaced spectrum (the page says so): exact for small n, late for n = 20
    assert r["log"]["after_n"][5] < 1e-8
    assert r["log"]["after_n"][20] > 1e-8
    assert claim07_cg.judge(r)[0]


def test_batchnorm_is_invariant_to_weight_scale():
    r = claim08_bn_scale.measure(quick=True)
    assert r["worst_exact"] < 1e-12
    assert r["grad_w_norm_ratio"] == pytest.approx(1 / np.array(r["scales"]), rel=1e-10)
    assert r["worst_default_eps"] > 1e-3  # eps = 1e-5 breaks it where a^2 Var(h) is not >> eps
    assert claim08_bn_scale.judge(r)[0]


def test_xavier_and_kaiming_keep_the_variance_naive_inits_do_not():
    r = claim10_init_depth.measure(quick=True)
    g = r["growth_per_layer"]
    assert abs(np.log(g["Kaiming normal, ReLU"])) < 0.1 and abs(np.log(g["Xavier gain 5/3, tanh"])) < 0.1
    assert g["N(0, 1), ReLU"] == pytest.approx(claim10_init_depth.WIDTH / 2, rel=0.1)
    assert g["N(0, 0.01^2), tanh"] == pytest.approx(claim10_init_depth.WIDTH * 1e-4, rel=0.1)
    # the seed's gain-1 Xavier under tanh drifts down (q -> q - 2q^2), but far from exponentially
    assert 1e-2 < r["relative"]["Xavier gain 1 (seed), tanh"][-1] < 0.5
    assert claim10_init_depth.judge(r)[0]


def test_minibatch_gradient_std_falls_as_sigma_over_sqrt_m():
    r = claim11_minibatch_std.measure(quick=True)
    assert r["slope_with"] == pytest.approx(-0.5, abs=0.05)
    assert np.abs(r["z_with"]).max() < 5  # every batch size within 5 standard errors of sigma/sqrt(m)
    assert np.abs(r["z_without"]).max() < 5  # with the finite-population factor
    assert claim11_minibatch_std.judge(r)[0]


def test_run_all_writes_the_verdict_table_and_figures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    table = tmp_path / "verdicts.md"
    results = run_all.main(["--quick", "--out", str(tmp_path), "--table", str(table), "--only", "claim01_ravine"])
    assert [(name, agrees) for name, _, agrees, _, _ in results] == [("claim01_ravine", True)]
    text = table.read_text()
    assert text.splitlines()[0] == "| # | claim | verdict | measured | seconds |"
    assert "| 01 | Momentum damps oscillation across a ravine | agrees |" in text
    assert (tmp_path / claim01_ravine.FIGURE).stat().st_size > 1000
    assert "verdict: agrees" in capsys.readouterr().out


def test_every_claim_script_is_in_the_runner():
    from pathlib import Path

    scripts = sorted(p.stem for p in Path(run_all.__file__).parent.glob("claim*.py"))
    assert scripts == run_all.CLAIMS
