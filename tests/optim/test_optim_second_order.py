"""Line-search, quasi-Newton, conjugate-gradient, Newton and coordinate-descent methods (seed 003 §6-8):
the properties the seeds state, closed forms, Rosenbrock, state_dict resume and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim
from tinygrad_opt.errors import ClosureError, CurvatureError, DeviceError, HyperparameterError, LineSearchError


def _closure(opt, f, x):
    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    return closure


def _spd(n, seed, cond=10.0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return q @ np.diag(np.geomspace(1.0, cond, n)) @ q.T, rng.normal(size=n)


def _quadratic(a, b):
    """f(x) = ½ xᵀA x - bᵀx, minimum at A⁻¹b."""
    at, bt = tg.Tensor(a), tg.Tensor(b)
    return lambda x: 0.5 * (x * (at @ x)).sum() - (bt * x).sum()


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _param(values):
    return tg.Tensor(np.array(values, dtype=np.float64), requires_grad=True)


# --------------------------------------------------------------------------- seed properties


@pytest.mark.parametrize("beta", ["fletcher_reeves", "polak_ribiere"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cg_with_exact_line_search_solves_an_spd_quadratic_in_n_iterations(beta, seed):
    n = 8
    a, b = _spd(n, seed, cond=50.0)
    x = _param(np.zeros(n))
    opt = optim.ConjugateGradient([x], beta=beta, line_search_fn="exact", tolerance_grad=0.0)
    closure = _closure(opt, _quadratic(a, b), x)
    for _ in range(n):
        opt.step(closure)
    assert np.linalg.norm(a @ x.numpy() - b) < 1e-8
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b), rtol=1e-8)


def test_steepest_descent_exact_steps_are_orthogonal_and_equal_gtg_over_gthg():
    a, b = _spd(5, 3, cond=20.0)
    x = _param(np.ones(5))
    opt = optim.SteepestDescent([x], line_search_fn="exact")
    closure = _closure(opt, _quadratic(a, b), x)
    directions = []
    for _ in range(6):
        g = a @ x.numpy() - b
        before = x.numpy().copy()
        opt.step(closure)
        np.testing.assert_allclose(x.numpy(), before - (g @ g) / (g @ a @ g) * g, rtol=1e-10)  # seed 003 §2.1
        directions.append(-g)
    for d_prev, d in zip(directions, directions[1:]):
        assert abs(d_prev @ d) <= 1e-9 * np.linalg.norm(d_prev) * np.linalg.norm(d)  # seed 003 §7.1 item 2


def test_newton_solves_a_quadratic_in_one_step():
    a, b = _spd(6, 4)
    x = _param(np.full(6, 3.0))
    opt = optim.Newton([x])
    opt.step(_closure(opt, _quadratic(a, b), x))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b), rtol=1e-12)


def saddle(x):
    return x[0] ** 2 - x[1] ** 2


def test_undamped_newton_jumps_to_the_saddle_and_damped_newton_descends():
    """Seed 003 §6.1.2: Newton moves towards the saddle of x² - y²; H + αI with α > 2 turns it downhill."""
    x = _param([1.0, 0.5])
    opt = optim.Newton([x])
    opt.step(_closure(opt, saddle, x))
    np.testing.assert_allclose(x.numpy(), [0.0, 0.0], atol=1e-15)

    alpha = 3.0
    y = _param([1.0, 0.5])
    opt = optim.Newton([y], damping=alpha)
    opt.step(_closure(opt, saddle, y))
    # (H + αI)⁻¹ g with H = diag(2, -2), g = (2, -1): the step is -(2/5, -1/1)
    np.testing.assert_allclose(y.numpy(), [1.0 - 2 / 5, 0.5 + 1.0], rtol=1e-12)
    assert float(saddle(y)) < float(saddle(_param([1.0, 0.5])))

    z = _param([1.0, 0.5])
    opt = optim.Newton([z], damping=1e6)  # large α: the step becomes -g/α (item 3)
    opt.step(_closure(opt, saddle, z))
    np.testing.assert_allclose(z.numpy() - [1.0, 0.5], -np.array([2.0, -1.0]) / 1e6, rtol=1e-5)


def test_newton_on_a_singular_hessian_asks_for_damping_and_changes_nothing():
    x = _param([1.0, 2.0])
    opt = optim.Newton([x])
    with pytest.raises(CurvatureError, match="Newton.step.*damping > 0"):
        opt.step(_closure(opt, lambda x: (x[0] + x[1]) ** 2, x))
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def _logistic_problem():
    rng = np.random.default_rng(5)
    features = tg.Tensor(rng.normal(size=(30, 4)))
    labels = tg.Tensor((rng.random(30) > 0.5).astype(np.float64))

    def f(w):
        z = features @ w
        return (z.softplus() - labels * z).mean() + 0.05 * (w * w).sum()

    return f


def test_newton_cg_equals_newton_on_a_small_convex_problem():
    f = _logistic_problem()
    x, y = _param(np.full(4, 0.7)), _param(np.full(4, 0.7))
    newton = optim.Newton([x])
    newton_cg = optim.NewtonCG([y], cg_max_iter=10, cg_tol=1e-13, line_search_fn=None)
    for _ in range(3):
        newton.step(_closure(newton, f, x))
        newton_cg.step(_closure(newton_cg, f, y))
        np.testing.assert_allclose(y.numpy(), x.numpy(), rtol=1e-10)


def test_newton_cg_takes_minus_g_at_negative_curvature():
    """At (1, 0.5) on x² - y² the first CG direction -g has pᵀHp = 4·4 - 2·1 > 0; from (0.1, 1) it is
    negative, so the first CG iteration stops and returns -g (N&W Alg. 7.1)."""
    x = _param([0.1, 1.0])
    opt = optim.NewtonCG([x], line_search_fn=None, lr=0.1)
    opt.step(_closure(opt, saddle, x))
    np.testing.assert_allclose(x.numpy(), [0.1 - 0.1 * 0.2, 1.0 + 0.1 * 2.0], rtol=1e-12)
    assert opt.state[x]["cg_iters"] == 1


def test_coordinate_descent_is_gauss_seidel_on_a_quadratic():
    a, b = _spd(4, 6)
    x = _param(np.zeros(4))
    opt = optim.CoordinateDescent([x])
    closure = _closure(opt, _quadratic(a, b), x)
    ref = np.zeros(4)
    for _ in range(3):
        opt.step(closure)
        for i in range(4):  # exact minimization over x_i with the others fixed
            ref[i] = (b[i] - a[i] @ ref + a[i, i] * ref[i]) / a[i, i]
        np.testing.assert_allclose(x.numpy(), ref, rtol=1e-12)


def test_coordinate_descent_crawls_where_newton_takes_one_step():
    """Seed 003 §8.1 item 4: f = (x₁ - x₂)² + α(x₁² + x₂²) with small α."""

    def f(x):
        return (x[0] - x[1]) ** 2 + 0.01 * (x * x).sum()

    x, y = _param([1.0, 2.0]), _param([1.0, 2.0])
    cd, newton = optim.CoordinateDescent([x]), optim.Newton([y])
    for _ in range(10):
        cd.step(_closure(cd, f, x))
    newton.step(_closure(newton, f, y))
    np.testing.assert_allclose(y.numpy(), [0.0, 0.0], atol=1e-14)
    # each sweep shrinks the iterate by (1/1.01)²: after 10 sweeps it is still 82% of the way out
    assert np.linalg.norm(x.numpy()) > 0.8 * np.linalg.norm([1.0, 2.0]) * 0.9


def test_block_coordinate_descent_minimizes_each_block_exactly():
    a, b = _spd(5, 7)
    x = _param(np.zeros(5))
    blocks = [[0, 1, 2], [3, 4]]
    opt = optim.CoordinateDescent([x], blocks=blocks)
    opt.step(_closure(opt, _quadratic(a, b), x))
    ref = np.zeros(5)
    for blk in blocks:
        rest = [i for i in range(5) if i not in blk]
        ref[blk] = np.linalg.solve(a[np.ix_(blk, blk)], b[blk] - a[np.ix_(blk, rest)] @ ref[rest])
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-12)


ROSENBROCK = {
    "BFGS": (lambda p: optim.BFGS(p, tolerance_grad=1e-10), 200),
    "LBFGS": (lambda p: optim.LBFGS(p, line_search_fn="strong_wolfe", tolerance_grad=1e-10, tolerance_change=0), 10),
    "CG-FR": (lambda p: optim.ConjugateGradient(p, tolerance_grad=1e-10), 2000),
    "CG-PR": (lambda p: optim.ConjugateGradient(p, beta="polak_ribiere", tolerance_grad=1e-10), 500),
    "NewtonCG": (lambda p: optim.NewtonCG(p), 200),
    "Newton": (lambda p: optim.Newton(p), 50),
}


@pytest.mark.parametrize("name", sorted(ROSENBROCK))
def test_reaches_the_rosenbrock_minimum_from_the_classic_start(name):
    make, steps = ROSENBROCK[name]
    x = _param([-1.2, 1.0])
    opt = make([x])
    closure = _closure(opt, rosenbrock, x)
    for _ in range(steps):
        opt.step(closure)
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0], atol=1e-6)


# --------------------------------------------------------------------------- state and bad input

RESUMABLE = {
    "LBFGS": lambda p: optim.LBFGS(p, max_iter=3, history_size=2, line_search_fn="strong_wolfe"),
    "LBFGS-plain": lambda p: optim.LBFGS(p, lr=0.05, max_iter=2),
    "BFGS": lambda p: optim.BFGS(p),
    "CG": lambda p: optim.ConjugateGradient(p, beta="polak_ribiere", restart_every=2),
    "SteepestDescent": lambda p: optim.SteepestDescent(p, line_search_fn="armijo"),
    "Newton": lambda p: optim.Newton(p, damping=0.5),
    "NewtonCG": lambda p: optim.NewtonCG(p, cg_max_iter=3),
    "CoordinateDescent": lambda p: optim.CoordinateDescent(p, blocks="parameter", lr=0.5),
}


def _two_params():
    return [_param([[-1.0, 0.5], [0.3, 0.2]]), _param([0.4, -0.7, 1.1])]


def _loss(params):
    w, v = params
    return ((w**2).sum() - 1) ** 2 + (v * v * v * v).sum() + (w.sum() * v).sum() ** 2 + 0.1 * (w * w).sum()


@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_resume_from_state_dict_is_bit_identical(name):
    make = RESUMABLE[name]
    params = _two_params()
    opt = make(params)
    closure = _closure(opt, _loss, params)
    for _ in range(3):
        opt.step(closure)
    saved = opt.state_dict()
    clones = [_param(p.numpy().copy()) for p in params]
    fresh = make(clones)
    fresh.load_state_dict(saved)
    fresh_closure = _closure(fresh, _loss, clones)
    for _ in range(3):
        a, b = opt.step(closure), fresh.step(fresh_closure)
        assert float(a) == float(b)
        for p, q in zip(params, clones):
            np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_a_closure_returning_no_tensor_is_refused_and_changes_nothing(name):
    params = _two_params()
    opt = RESUMABLE[name](params)
    good = _closure(opt, _loss, params)
    opt.step(good)
    before = [p.numpy().copy() for p in params]
    state = opt.state_dict()

    def bad():
        loss = _loss(params)
        loss.backward()
        return float(loss)

    with pytest.raises(ClosureError, match=rf"{type(opt).__name__}\.step.*one-element Tensor"):
        opt.step(bad)
    with pytest.raises(ClosureError, match="needs a closure"):
        opt.step()
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.numpy(), b)
    assert opt.state_dict().keys() == state.keys()
    for key, value in state["state"][0].items():
        now = opt.state_dict()["state"][0][key]
        assert type(now) is type(value)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("name", ["LBFGS", "BFGS", "CG"])
def test_non_finite_loss_in_the_line_search_restores_the_parameters(name):
    x = _param([-1.2, 1.0])
    opt = RESUMABLE[name]([x])
    calls = {"n": 0}

    def closure():
        opt.zero_grad()
        calls["n"] += 1
        loss = rosenbrock(x) * (np.inf if calls["n"] > 1 else 1.0)  # finite at θ, infinite in the search
        loss.backward()
        return loss

    with pytest.raises(LineSearchError, match="non-finite"):
        opt.step(closure)
    np.testing.assert_array_equal(x.numpy(), [-1.2, 1.0])
    assert opt.state == {} or "d" not in opt.state.get(x, {})


def test_one_parameter_group_only_and_hyper_parameters_validated():
    with pytest.raises(ValueError, match="single parameter group"):
        optim.LBFGS([{"params": [_param([1.0])]}, {"params": [_param([2.0])]}])
    with pytest.raises(HyperparameterError, match="line_search_fn"):
        optim.LBFGS([_param([1.0])], line_search_fn="wolfe")
    with pytest.raises(HyperparameterError, match="history_size"):
        optim.LBFGS([_param([1.0])], history_size=0)
    with pytest.raises(HyperparameterError, match="beta"):
        optim.ConjugateGradient([_param([1.0])], beta="hestenes")
    with pytest.raises(HyperparameterError, match="damping"):
        optim.Newton([_param([1.0])], damping=-1.0)
    with pytest.raises(HyperparameterError, match="blocks"):
        optim.CoordinateDescent([_param([1.0, 2.0])], blocks=[[0, 5]])


@pytest.mark.skipif(not tg.cuda_available(), reason="needs a second device (a GPU or the stand-in)")
def test_lbfgs_over_parameters_on_two_devices_is_refused():
    with pytest.raises(DeviceError, match="LBFGS.*one device"):
        optim.LBFGS(
            [tg.Tensor([1.0], requires_grad=True, device="cpu"), tg.Tensor([1.0], requires_grad=True, device="cuda")]
        )


def test_runs_on_the_test_device(device):
    x = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True, device=device)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe")
    for _ in range(3):
        opt.step(_closure(opt, rosenbrock, x))
    assert x.device == device and float(rosenbrock(x)) < 1e-3


def test_curvature_comes_from_the_plain_closure_and_grads_are_left_detached():
    x = _param([1.0, 2.0])
    opt = optim.Newton([x])
    opt.step(_closure(opt, lambda x: (x**4).sum(), x))
    assert x.grad is not None and not x.grad.requires_grad
    np.testing.assert_allclose(x.numpy(), [1.0 - 4 / 12, 2.0 - 32 / 48])  # x - 4x³ / 12x²
