"""The seeds' convergence claims, checked numerically with the library's optimizers."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim


def _trajectory(opt_factory, grad_fn, x0, steps, before_step=None):
    x = tg.Tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    opt = opt_factory([x])
    path = [x.numpy().copy()]
    for k in range(1, steps + 1):
        if before_step is not None:
            before_step(opt, k)
        x.grad = tg.Tensor(grad_fn(x.numpy()))
        opt.step()
        path.append(x.numpy().copy())
    return np.array(path)


def ravine_grad(x):
    """f = 0.1 x1² + 2 x2² (seed 004): curvatures 0.2 and 4, a long shallow valley along x1."""
    return np.array([0.2 * x[0], 4.0 * x[1]])


def test_heavy_ball_damps_the_oscillation_across_the_ravine():
    """Seed 003 §4.2.1 item 6 / seed 004: at lr = 0.5 = 2/λ_max, GD's x2 flips sign every step with
    undamped amplitude (factor 1 - 0.5*4 = -1) while heavy ball (momentum 0.5) damps it (|z| = √0.5)
    and also moves faster along the valley."""
    gd = _trajectory(lambda p: optim.GD(p, lr=0.5), ravine_grad, [-5.0, -2.0], 40)
    hb = _trajectory(lambda p: optim.SGD(p, lr=0.5, momentum=0.5), ravine_grad, [-5.0, -2.0], 40)
    gd_flips = int(np.sum(np.sign(gd[1:, 1]) != np.sign(gd[:-1, 1])))
    assert gd_flips == 40 and np.allclose(np.abs(gd[:, 1]), 2.0), "GD oscillates across the ravine forever"
    assert np.abs(hb[20:, 1]).max() < 1e-2 * np.abs(gd[20:, 1]).max()
    assert np.abs(hb[-1, 1]) < 1e-5
    assert np.linalg.norm(hb[-1]) < 1e-3 < 0.1 < np.linalg.norm(gd[-1])


def test_adagrad_rate_decays_to_zero_while_rmsprop_stays_bounded():
    """Seed 003 §5.3.2: for a constant gradient g, AdaGrad's step is ε/√k → 0 and RMSProp's is
    ε/√(1-ρ^k) → ε (from above), independent of |g|."""
    g, lr, steps = 3.0, 0.01, 2000

    def steps_of(opt_factory):
        path = _trajectory(opt_factory, lambda x: np.full_like(x, g), [0.0], steps)
        return -np.diff(path[:, 0])

    k = np.arange(1, steps + 1)
    ada = steps_of(lambda p: optim.Adagrad(p, lr=lr, eps=1e-12))
    rms = steps_of(lambda p: optim.RMSprop(p, lr=lr, alpha=0.99, eps=1e-12))
    np.testing.assert_allclose(ada, lr / np.sqrt(k), rtol=1e-6)
    np.testing.assert_allclose(rms, lr / np.sqrt(1 - 0.99**k), rtol=1e-6)
    assert ada[-1] < 0.03 * lr and rms.min() >= lr * (1 - 1e-9)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_adam_step_is_about_lr_whatever_the_gradient_scale(scale):
    """Seed 003 §5.4.2 item 1: constant gradient → ŝ/√r̂ = g/|g|, so |Δθ| ≈ ε for every coordinate."""
    lr = 1e-2
    g = scale * np.array([0.5, -2.0, 7.0])
    path = _trajectory(lambda p: optim.Adam(p, lr=lr), lambda x: g, np.zeros(3), 50)
    np.testing.assert_allclose(np.abs(np.diff(path, axis=0)), lr, rtol=1e-4)


def test_adam_trajectory_is_invariant_to_the_loss_scale():
    """Multiplying the loss by 1e-3 or 1e3 leaves Adam's path unchanged (up to ε): the step is ~lr."""
    a = np.array([1.0, 10.0, 100.0])
    paths = [
        _trajectory(lambda p: optim.Adam(p, lr=0.05, eps=1e-12), lambda x, s=s: s * a * x, [1.0, 1.0, 1.0], 100)
        for s in (1e-3, 1.0, 1e3)
    ]
    np.testing.assert_allclose(paths[0], paths[1], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(paths[2], paths[1], rtol=1e-6, atol=1e-9)


def _log_slope(errors, k1, k2):
    return np.log(errors[k2] / errors[k1]) / np.log(k2 / k1)


def test_nesterov_error_falls_like_one_over_k_squared_and_gd_like_one_over_k():
    """Seed 003 §4.2.3: on a smooth convex problem Nesterov improves the excess error from O(1/k)
    to O(1/k²). Problem: f = ½ Σ λ_i x_i² with λ_i = i/n (n = 5000) and λ_i x_i(0)² = const, where
    GD's error is Θ(1/k) for k ≪ n; lr = 1/L = 1; Nesterov with the momentum schedule k/(k+3)."""
    n = 5000
    lam = np.arange(1, n + 1) / n
    x0 = 1 / np.sqrt(lam * n)

    def errors(opt_factory, before_step=None):
        path = _trajectory(opt_factory, lambda x: lam * x, x0, 200, before_step)
        return 0.5 * np.sum(lam * path**2, axis=1)

    def schedule(opt, k):
        opt.param_groups[0]["momentum"] = k / (k + 3)

    gd = errors(lambda p: optim.GD(p, lr=1.0))
    nag = errors(lambda p: optim.SGD(p, lr=1.0, momentum=0.25, nesterov=True), schedule)
    gd_slope, nag_slope = _log_slope(gd, 20, 200), _log_slope(nag, 20, 200)
    assert -1.1 < gd_slope < -0.9, gd_slope
    assert nag_slope < -1.8, nag_slope
    assert nag[200] < 0.02 * gd[200]
