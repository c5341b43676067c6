"""Hessian analysis against the dense Hessian (``tg.hessian`` on a flat vector, forward-over-reverse), the
estimators' expectations and variances in closed form, and the seeds' second-order statements."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import analysis
from tinygrad_opt.errors import ClosureError, GraphError, HyperparameterError, ShapeError

SHAPES = [(3, 4), (4,), (4, 2), (2,)]  # a 3-4-2 tanh MLP: 26 parameters


def _mlp_loss(ps, x, y):
    w1, b1, w2, b2 = ps
    return (((x @ w1 + b1).tanh() @ w2 + b2 - y) ** 2).mean()


class MLP:
    """A 3-4-2 tanh MLP with squared error on 20 fixed samples (float64), away from any critical point,
    and its dense 26×26 Hessian computed independently of the analysis package."""

    def __init__(self, device=None):
        rng = np.random.default_rng(0)
        self.x = tg.tensor(rng.normal(size=(20, 3)), dtype="float64", device=device)
        self.y = tg.tensor(rng.normal(size=(20, 2)), dtype="float64", device=device)
        self.params = [
            tg.tensor(rng.normal(size=s), dtype="float64", device=device, requires_grad=True) for s in SHAPES
        ]
        self.sizes = [math.prod(s) for s in SHAPES]
        self.n = sum(self.sizes)
        theta = tg.cat([p.detach().reshape(-1) for p in self.params])
        self.hessian = tg.hessian(lambda t: self.loss_fn(self.unflatten(t)))(theta).numpy()

    def loss_fn(self, ps):
        return _mlp_loss(ps, self.x, self.y)

    def unflatten(self, theta):
        bounds = np.cumsum([0] + self.sizes)
        return [theta[a:b].reshape(s) for a, b, s in zip(bounds[:-1], bounds[1:], SHAPES)]

    def blocks(self):
        bounds = np.cumsum([0] + self.sizes)
        return [self.hessian[a:b, a:b] for a, b in zip(bounds[:-1], bounds[1:])]


@pytest.fixture
def mlp():
    return MLP()


def _flat(tensors):
    return np.concatenate([t.numpy().reshape(-1) for t in tensors])


def _quadratic(d, device=None):
    """f = ½ Σ dᵢ xᵢ² over two parameter tensors: H = diag(d), exactly."""
    d = np.asarray(d, dtype=np.float64)
    half = len(d) // 2
    coef = [tg.tensor(d[:half], device=device), tg.tensor(d[half:], device=device)]
    params = [
        tg.tensor(np.linspace(-1, 1, m), dtype="float64", device=device, requires_grad=True)
        for m in (half, len(d) - half)
    ]
    return (lambda ps: 0.5 * sum((c * p * p).sum() for c, p in zip(coef, ps))), params


def _point(*values):
    return [tg.tensor(np.array(values, dtype=np.float64), requires_grad=True)]


def _rademacher_std(h, samples):
    """Standard deviation of the Hutchinson mean of vᵀHv: Var(vᵀHv) = 2 Σ_{i≠j} Hᵢⱼ² for Rademacher v."""
    off = h - np.diag(np.diag(h))
    return math.sqrt(2 * (off**2).sum() / samples)


# --------------------------------------------------------------------------- the HVP operator


def test_hvp_operator_equals_the_dense_hessian_times_v_and_runs_the_loss_once(mlp):
    calls = []

    def counted(ps):
        calls.append(1)
        return mlp.loss_fn(ps)

    op = analysis.hvp_operator(counted, mlp.params)
    rng = np.random.default_rng(1)
    for _ in range(3):
        vs = [tg.tensor(rng.normal(size=s), dtype="float64") for s in SHAPES]
        np.testing.assert_allclose(_flat(op(vs)), mlp.hessian @ _flat(vs), rtol=1e-12, atol=1e-12)
    assert len(calls) == 1 and op.num_hvps == 3
    assert op.loss.item() == pytest.approx(mlp.loss_fn(mlp.params).item(), rel=1e-15)


def test_hvp_operator_leaves_values_and_grad_untouched(mlp):
    before = [p.numpy().copy() for p in mlp.params]
    analysis.hessian_eigenvalues(mlp.loss_fn, mlp.params, k=2)
    analysis.hutchinson_trace(mlp.loss_fn, mlp.params, samples=3)
    assert all(p.grad is None for p in mlp.params)
    for p, b in zip(mlp.params, before):
        np.testing.assert_array_equal(p.numpy(), b)


def test_hessian_of_a_loss_linear_in_the_params_is_zero():
    params = _point(1.0, 2.0)
    loss_fn = lambda ps: (ps[0] * tg.tensor([3.0, -1.0], dtype="float64")).sum()  # noqa: E731
    op = analysis.hvp_operator(loss_fn, params)
    np.testing.assert_array_equal(op([tg.tensor([1.0, 1.0], dtype="float64")])[0].numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(analysis.hessian_eigenvalues(loss_fn, params, k=2), [0.0, 0.0])
    assert analysis.classify_critical_point(loss_fn, params, grad_tol=math.inf) == "degenerate"


def test_a_parameter_the_loss_does_not_use_has_zero_rows_and_columns():
    used, unused = _point(1.0, 2.0)[0], _point(5.0)[0]
    loss_fn = lambda ps: (ps[0] ** 3).sum()  # noqa: E731
    values = analysis.hessian_eigenvalues(loss_fn, [used, unused], k=3)
    np.testing.assert_allclose(values, [12.0, 6.0, 0.0], atol=1e-12)


# --------------------------------------------------------------------------- eigenvalues


@pytest.mark.parametrize("which", ["LA", "SA", "LM"])
def test_lanczos_top_k_equals_eigvalsh_of_the_dense_hessian(mlp, which):
    exact = np.linalg.eigvalsh(mlp.hessian)
    order = {"LA": np.argsort(-exact), "SA": np.argsort(exact), "LM": np.argsort(-np.abs(exact))}[which]
    values = analysis.hessian_eigenvalues(mlp.loss_fn, mlp.params, k=4, which=which, tol=1e-12, seed=0)
    np.testing.assert_allclose(values, exact[order][:4], rtol=0, atol=1e-9)


def test_lanczos_stops_early_with_each_eigenvalue_within_its_residual_bound(monkeypatch):
    # n = 300 with four outliers above a bulk on [0, 5]: the top of the spectrum converges long before n
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(300, 300)))
    spectrum = np.concatenate([[10.0, 9.0, 8.0, 7.0], rng.uniform(0, 5, 296)])
    a = tg.tensor(q @ np.diag(spectrum) @ q.T)
    hvps = []
    matvec = analysis.HVPOperator.matvec
    monkeypatch.setattr(analysis.HVPOperator, "matvec", lambda self, v: hvps.append(1) or matvec(self, v))
    loss_fn = lambda ps: 0.5 * (ps[0] * (a @ ps[0])).sum()  # noqa: E731
    values = analysis.hessian_eigenvalues(loss_fn, [tg.tensor(np.ones(300), requires_grad=True)], k=4, tol=1e-10)
    assert len(hvps) <= 50  # measured: 30
    np.testing.assert_allclose(values, [10.0, 9.0, 8.0, 7.0], rtol=0, atol=1e-10 * 10)


def test_lanczos_eigenvectors_are_shaped_like_params_and_satisfy_h_u_equals_lambda_u(mlp):
    values, vectors = analysis.hessian_eigenvalues(mlp.loss_fn, mlp.params, k=2, tol=1e-12, return_eigenvectors=True)
    for lam, vec in zip(values, vectors):
        assert [v.shape for v in vec] == SHAPES
        u = _flat(vec)
        assert np.linalg.norm(u) == pytest.approx(1.0, abs=1e-10)
        assert np.linalg.norm(mlp.hessian @ u - lam * u) < 1e-8


def test_lanczos_finds_a_repeated_eigenvalue_with_its_multiplicity():
    # H = diag(2, 2, 2, 1, 1): the Krylov space of any start holds only two directions, so the restarts are needed
    loss_fn, params = _quadratic([2.0, 2.0, 2.0, 1.0, 1.0])
    np.testing.assert_allclose(analysis.hessian_eigenvalues(loss_fn, params, k=4), [2, 2, 2, 1], atol=1e-12)


@pytest.mark.parametrize("which", ["LA", "SA", "LM"])
def test_power_iteration_is_within_its_residual_tolerance_of_the_extreme_eigenvalue(mlp, which):
    # it stops at ‖Hu − μu‖ ≤ tol·|μ|; for symmetric H some eigenvalue lies within the residual of μ
    exact = np.linalg.eigvalsh(mlp.hessian)
    target = {"LA": exact[-1], "SA": exact[0], "LM": exact[np.argmax(np.abs(exact))]}[which]
    tol = 1e-9
    (mu,) = analysis.hessian_eigenvalues(mlp.loss_fn, mlp.params, method="power", which=which, tol=tol, max_iter=20000)
    assert abs(mu - target) <= 2 * tol * np.abs(exact).max()


def test_power_iteration_with_deflation_finds_the_top_three(mlp):
    exact = np.sort(np.linalg.eigvalsh(mlp.hessian))[::-1]
    values = analysis.hessian_eigenvalues(mlp.loss_fn, mlp.params, k=3, method="power", tol=1e-10, max_iter=50000)
    np.testing.assert_allclose(values, exact[:3], atol=1e-8)


def test_power_iteration_warns_when_max_iter_runs_out(mlp):
    with pytest.warns(RuntimeWarning, match="hessian_eigenvalues: power did not reach"):
        analysis.hessian_eigenvalues(mlp.loss_fn, mlp.params, method="power", tol=1e-14, max_iter=3)


def test_block_eigenvalues_equal_those_of_the_dense_diagonal_blocks(mlp):
    got = analysis.block_eigenvalues(mlp.loss_fn, mlp.params, k=2, tol=1e-12)
    smallest = analysis.block_eigenvalues(mlp.loss_fn, mlp.params, k=1, which="SA", tol=1e-12)
    for top, low, block in zip(got, smallest, mlp.blocks()):
        exact = np.linalg.eigvalsh(block)
        np.testing.assert_allclose(top, exact[::-1][:2], atol=1e-10)
        np.testing.assert_allclose(low, exact[:1], atol=1e-10)


def test_condition_number_is_the_eigenvalue_ratio_and_inf_when_not_positive_definite(mlp):
    loss_fn, params = _quadratic([0.2, 4.0, 1.0, 3.0])  # seed 004's 0.1x₁² + 2x₂², plus two more
    assert analysis.condition_number(loss_fn, params) == pytest.approx(20.0, rel=1e-12)
    assert np.linalg.eigvalsh(mlp.hessian)[0] < 0  # the MLP's random point has negative curvature
    assert analysis.condition_number(mlp.loss_fn, mlp.params) == math.inf


# --------------------------------------------------------------------------- Hutchinson


def test_hutchinson_trace_is_unbiased_within_four_standard_errors(mlp):
    samples = 400
    result = analysis.hutchinson_trace(mlp.loss_fn, mlp.params, samples=samples, seed=3)
    std = _rademacher_std(mlp.hessian, samples)
    assert abs(result.estimate - np.trace(mlp.hessian)) < 4 * std
    assert result.stderr == pytest.approx(std, rel=0.25)  # the reported error estimates the true one
    assert result.samples == samples


def test_hutchinson_diagonal_is_unbiased_within_four_standard_errors(mlp):
    samples = 400
    diag = _flat(analysis.hutchinson_diagonal(mlp.loss_fn, mlp.params, samples=samples, seed=4))
    h = mlp.hessian
    std = np.sqrt(((h - np.diag(np.diag(h))) ** 2).sum(axis=1) / samples)  # Var(vᵢ(Hv)ᵢ) = Σ_{j≠i} Hᵢⱼ²
    assert np.all(np.abs(diag - np.diag(h)) < 4 * std + 1e-12)


def test_rademacher_hutchinson_is_exact_for_a_diagonal_hessian():
    d = [0.5, -2.0, 3.0, 7.0, 0.25]
    loss_fn, params = _quadratic(d)
    result = analysis.hutchinson_trace(loss_fn, params, samples=7, seed=0)
    assert result.estimate == pytest.approx(sum(d), rel=1e-15) and result.stderr == 0.0
    np.testing.assert_allclose(_flat(analysis.hutchinson_diagonal(loss_fn, params, samples=7)), d, rtol=1e-15)
    assert math.isnan(analysis.hutchinson_trace(loss_fn, params, samples=1).stderr)  # no error from one sample


def test_block_trace_equals_the_trace_of_each_diagonal_block(mlp):
    samples = 300
    estimates = analysis.block_trace(mlp.loss_fn, mlp.params, samples=samples, seed=5)
    for est, block in zip(estimates, mlp.blocks()):
        assert abs(est.estimate - np.trace(block)) < 4 * _rademacher_std(block, samples) + 1e-12
    # the output bias b₂ enters each residual once, so its block is I (diagonal) and Hutchinson is exact there
    assert estimates[-1].stderr == 0.0 and estimates[-1].estimate == pytest.approx(np.trace(mlp.blocks()[-1]))


def test_hutchinson_with_the_same_seed_repeats(mlp):
    a = analysis.hutchinson_trace(mlp.loss_fn, mlp.params, samples=5, seed=11)
    b = analysis.hutchinson_trace(mlp.loss_fn, mlp.params, samples=5, seed=11)
    assert a == b


# --------------------------------------------------------------------------- spectral density


def test_slq_density_integrates_to_one_and_its_moments_match_the_traces(mlp):
    probes, sigma = 40, 0.05
    grid, density = analysis.spectral_density(mlp.loss_fn, mlp.params, num_probes=probes, sigma=sigma, seed=2)
    h, n = mlp.hessian, mlp.n
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-9)
    # ∫λρ = mean of qᵀHq = vᵀHv / n (Rademacher ‖v‖² = n); the Gaussian broadening adds σ² to ∫λ²ρ
    mean = np.trapezoid(grid * density, grid)
    assert abs(mean - np.trace(h) / n) < 4 * _rademacher_std(h, probes) / n
    second = np.trapezoid(grid**2 * density, grid) - sigma**2
    assert abs(second - np.trace(h @ h) / n) < 4 * _rademacher_std(h @ h, probes) / n


def test_slq_with_as_many_steps_as_parameters_puts_its_mass_on_the_true_eigenvalues(mlp):
    exact = np.linalg.eigvalsh(mlp.hessian)
    grid = np.linspace(exact[0] - 1, exact[-1] + 1, 20001)
    _, density = analysis.spectral_density(
        mlp.loss_fn, mlp.params, num_probes=3, lanczos_steps=100, grid=grid, sigma=2e-3
    )
    near = np.min(np.abs(grid[:, None] - exact[None, :]), axis=1) < 0.02  # within 10σ of an eigenvalue
    assert np.trapezoid(density * near, grid) == pytest.approx(1.0, abs=1e-6)


# --------------------------------------------------------------------------- critical points (seed 000 "Hessian")


@pytest.mark.parametrize(
    "f, kind",
    [
        (lambda ps: (ps[0] ** 2).sum(), "minimum"),  # x² + y²
        (lambda ps: -(ps[0] ** 2).sum(), "maximum"),  # −x² − y²
        (lambda ps: ps[0][0] ** 2 - ps[0][1] ** 2, "saddle"),  # x² − y²
        (lambda ps: ps[0][0] ** 2 + ps[0][1] ** 4, "degenerate"),  # H = diag(2, 0): the test cannot decide
    ],
)
def test_classify_the_origin_by_the_signs_of_the_hessian_eigenvalues(f, kind):
    assert analysis.classify_critical_point(f, _point(0.0, 0.0)) == kind


def test_classify_raises_away_from_a_critical_point():
    with pytest.raises(analysis.NotCriticalPointError, match="classify_critical_point: the gradient norm"):
        analysis.classify_critical_point(lambda ps: (ps[0] ** 2).sum(), _point(1.0, 0.0))


# --------------------------------------------------------------------------- the step model (seed 003 §2.1)


def _spd_quadratic():
    """f(x) = ½ xᵀAx + bᵀx + 3 with A symmetric positive definite."""
    rng = np.random.default_rng(7)
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    a = q @ np.diag([0.5, 1.0, 2.0, 5.0]) @ q.T
    at, bt = tg.tensor(a), tg.tensor(rng.normal(size=4))
    return (lambda ps: 0.5 * (ps[0] * (at @ ps[0])).sum() + (bt * ps[0]).sum() + 3.0), _point(1.0, -2.0, 0.5, 0.3)


def _along_gradient(loss_fn, params, eps):
    """f(x − εg), evaluated for real."""
    x = params[0].detach()
    g = tg.grad(lambda t: loss_fn([t]))(x)
    return loss_fn([x - eps * g]).item()


def test_taylor_prediction_is_exact_for_a_quadratic():
    loss_fn, params = _spd_quadratic()
    for eps in (0.0, 0.05, 0.3, 1.5):
        assert analysis.taylor_prediction(loss_fn, params, eps) == pytest.approx(
            _along_gradient(loss_fn, params, eps), rel=1e-13, abs=1e-13
        )
    np.testing.assert_allclose(
        analysis.taylor_prediction(loss_fn, params, [0.1, 0.2]),
        [_along_gradient(loss_fn, params, 0.1), _along_gradient(loss_fn, params, 0.2)],
        rtol=1e-13,
    )


def test_optimal_step_is_the_exact_line_search_minimizer_on_a_quadratic():
    loss_fn, params = _spd_quadratic()
    # φ(ε) = f(x − εg) is a parabola: its vertex from three true values, independent of H
    p0, p1, p2 = (_along_gradient(loss_fn, params, e) for e in (0.0, 1.0, 2.0))
    a = (p2 - 2 * p1 + p0) / 2  # φ(ε) = aε² + bε + p0
    b = p1 - p0 - a
    vertex = -b / (2 * a)
    assert analysis.optimal_step(loss_fn, params) == pytest.approx(vertex, rel=1e-12)


def test_optimal_step_is_inf_along_negative_curvature_and_at_a_critical_point():
    saddle = lambda ps: ps[0][0] ** 2 - 3 * ps[0][1] ** 2  # noqa: E731
    assert analysis.optimal_step(saddle, _point(0.1, 1.0)) == math.inf  # gᵀHg = 8·0.01 − 6·36 < 0
    assert analysis.optimal_step(saddle, _point(1.0, 0.0)) == pytest.approx(0.5)  # along x only: 4/8
    assert analysis.optimal_step(saddle, _point(0.0, 0.0)) == math.inf  # g = 0: no direction


def test_gradient_norm_tracker_records_norms_and_the_step_model_terms(mlp):
    loss = mlp.loss_fn(mlp.params)
    loss.backward()
    grads = [p.grad.numpy().copy() for p in mlp.params]
    tracker = analysis.GradientNormTracker(mlp.params, lr=0.1)
    tracker.step()
    record = tracker.step(mlp.loss_fn)
    g = np.concatenate([x.reshape(-1) for x in grads])
    assert tracker.history["grad_norm"] == pytest.approx([np.linalg.norm(g)] * 2, rel=1e-14)
    assert record["param_grad_norms"] == pytest.approx([np.linalg.norm(x) for x in grads], rel=1e-14)
    assert record["gHg"] == pytest.approx(g @ mlp.hessian @ g, rel=1e-12)
    assert record["first_order"] == pytest.approx(0.1 * g @ g, rel=1e-14)
    assert record["second_order"] == pytest.approx(0.5 * 0.01 * g @ mlp.hessian @ g, rel=1e-12)
    assert math.isnan(tracker.history["gHg"][0]) and math.isnan(tracker.history["first_order"][0])  # not measured
    assert math.isnan(analysis.GradientNormTracker(mlp.params).step(mlp.loss_fn)["first_order"])  # no lr
    for p, x in zip(mlp.params, grads):
        np.testing.assert_array_equal(p.grad.numpy(), x)


def test_gradient_norm_tracker_counts_a_parameter_without_grad_as_zero():
    a, b = _point(3.0, 4.0)[0], _point(1.0)[0]
    (a * a).sum().backward()
    record = analysis.GradientNormTracker([a, b]).step()
    assert record["param_grad_norms"] == [10.0, 0.0] and record["grad_norm"] == 10.0


# --------------------------------------------------------------------------- bad input


FUNCTIONS = {
    "hessian_eigenvalues": analysis.hessian_eigenvalues,
    "block_eigenvalues": analysis.block_eigenvalues,
    "hutchinson_trace": analysis.hutchinson_trace,
    "hutchinson_diagonal": analysis.hutchinson_diagonal,
    "block_trace": analysis.block_trace,
    "spectral_density": analysis.spectral_density,
    "condition_number": analysis.condition_number,
    "classify_critical_point": analysis.classify_critical_point,
    "taylor_prediction": lambda f, p: analysis.taylor_prediction(f, p, 0.1),
    "optimal_step": analysis.optimal_step,
    "hvp_operator": analysis.hvp_operator,
}


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize(
    "loss_fn, what",
    [
        (lambda ps: 1.0, "returned a float"),
        (lambda ps: ps[0] * 2, r"returned a Tensor of shape \(2,\)"),
        (None, "must be a callable"),
    ],
)
def test_a_loss_fn_without_a_scalar_tensor_raises_closure_error_naming_the_function(name, loss_fn, what):
    with pytest.raises(ClosureError, match=f"{name}: .*{what}"):
        FUNCTIONS[name](loss_fn, _point(1.0, 2.0))


@pytest.mark.parametrize("name", ["hessian_eigenvalues", "hutchinson_trace", "optimal_step"])
def test_params_that_do_not_require_grad_or_are_empty_raise(name):
    with pytest.raises(GraphError, match=f"{name}: params\\[0\\].*requires_grad_"):
        FUNCTIONS[name](lambda ps: (ps[0] ** 2).sum(), [tg.tensor([1.0, 2.0])])
    with pytest.raises(ShapeError, match=f"{name}: params is empty"):
        FUNCTIONS[name](lambda ps: tg.tensor(0.0), [])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda f, p: analysis.hessian_eigenvalues(f, p, k=3),
            ShapeError,
            "hessian_eigenvalues: k=3 .* is 2; pass k <= 2",
        ),
        (lambda f, p: analysis.hessian_eigenvalues(f, p, k=0), HyperparameterError, "hessian_eigenvalues: k must be"),
        (lambda f, p: analysis.hessian_eigenvalues(f, p, method="qr"), HyperparameterError, "method must be one of"),
        (lambda f, p: analysis.hessian_eigenvalues(f, p, which="LR"), HyperparameterError, "which must be one of"),
        (lambda f, p: analysis.hessian_eigenvalues(f, p, tol=-1.0), HyperparameterError, "tol must be a positive"),
        (lambda f, p: analysis.hessian_eigenvalues(f, p, k=2, max_iter=1), HyperparameterError, "max_iter >= k"),
        (lambda f, p: analysis.block_eigenvalues(f, p, k=3), ShapeError, r"block_eigenvalues: k=3 .*params\[0\]"),
        (lambda f, p: analysis.hutchinson_trace(f, p, samples=0), HyperparameterError, "hutchinson_trace: samples"),
        (lambda f, p: analysis.hutchinson_diagonal(f, p, samples=1.5), HyperparameterError, "samples must be"),
        (lambda f, p: analysis.block_trace(f, p, samples=-2), HyperparameterError, "block_trace: samples"),
        (lambda f, p: analysis.spectral_density(f, p, num_probes=0), HyperparameterError, "num_probes"),
        (lambda f, p: analysis.spectral_density(f, p, sigma=0.0), HyperparameterError, "sigma must be"),
        (lambda f, p: analysis.GradientNormTracker(p, lr=-0.1), HyperparameterError, "GradientNormTracker: lr"),
    ],
)
def test_bad_arguments_raise_a_specific_error_naming_the_function_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call(lambda ps: (ps[0] ** 2).sum(), _point(1.0, 2.0))


def test_hvp_operator_rejects_vectors_of_the_wrong_shape(mlp):
    op = analysis.hvp_operator(mlp.loss_fn, mlp.params)
    with pytest.raises(ShapeError, match=r"HVPOperator: vector 1 has shape \(3,\), parameter 1 has shape \(4,\)"):
        op([tg.zeros(3, 4), tg.zeros(3), tg.zeros(4, 2), tg.zeros(2)])
    with pytest.raises(ShapeError, match="got 1 vectors for 4 parameters"):
        op([tg.zeros(3, 4)])


# --------------------------------------------------------------------------- devices


def test_analysis_on_the_device_agrees_with_the_dense_cpu_hessian(device):
    on_device = MLP(device)
    assert all(p.device == device for p in on_device.params)
    exact = np.linalg.eigvalsh(MLP("cpu").hessian)
    values = analysis.hessian_eigenvalues(on_device.loss_fn, on_device.params, k=2, which="LM", tol=1e-12, seed=0)
    np.testing.assert_allclose(values, exact[np.argsort(-np.abs(exact))][:2], atol=1e-9)
    trace = analysis.hutchinson_trace(on_device.loss_fn, on_device.params, samples=50, seed=0)
    assert abs(trace.estimate - np.trace(on_device.hessian)) < 4 * _rademacher_std(on_device.hessian, 50)
    diag = analysis.hutchinson_diagonal(on_device.loss_fn, on_device.params, samples=2, seed=0)
    assert all(t.device == device for t in diag)
    grid, density = analysis.spectral_density(on_device.loss_fn, on_device.params, num_probes=2, seed=0)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-9)


def test_only_scalars_come_to_the_host_one_copy_per_lanczos_step_and_one_per_trace(device):
    if not (tg.backend.FAKE_CUDA and device != "cpu"):
        pytest.skip("host copies are counted on the stand-in CUDA device (TINYGRAD_OPT_FAKE_CUDA=1, --device cuda)")
    from tinygrad_opt.testing import fake_cuda

    m = MLP(device)
    with fake_cuda.counting() as lanczos_run, pytest.warns(RuntimeWarning):
        analysis.hessian_eigenvalues(m.loss_fn, m.params, tol=1e-300, max_iter=20)
    with fake_cuda.counting() as trace_run:
        analysis.hutchinson_trace(m.loss_fn, m.params, samples=10)
    with fake_cuda.counting() as diagonal_run:
        analysis.hutchinson_diagonal(m.loss_fn, m.params, samples=10)
    assert lanczos_run.to_host == 20 + 1  # (α, β) per step, ‖v‖ of the start
    assert (trace_run.to_host, diagonal_run.to_host) == (1, 0)
    assert lanczos_run.to_device == trace_run.to_device == diagonal_run.to_device == 0


@pytest.mark.parametrize("name", ["hessian_eigenvalues", "condition_number", "hutchinson_trace", "optimal_step"])
def test_a_non_finite_loss_is_a_curvature_error_not_a_number(name):
    """A NaN loss makes every HVP NaN: the tools say so instead of returning NaN (or inf for κ)."""
    with pytest.raises(tg.CurvatureError, match=f"{name}: .*not finite") as info:
        FUNCTIONS[name](lambda ps: (ps[0] ** 2).sum() * float("nan"), _point(1.0, 2.0))
    assert isinstance(info.value, ArithmeticError)


def test_seeds_tolerances_and_flags_are_checked_before_any_hvp():
    f, p = (lambda ps: (ps[0] ** 2).sum()), _point(1.0, 2.0)
    with pytest.raises(tg.ArgumentError, match="hessian_eigenvalues: seed must be an int >= 0"):
        analysis.hessian_eigenvalues(f, p, seed=-1)
    with pytest.raises(tg.ArgumentTypeError, match="hutchinson_trace: seed"):
        analysis.hutchinson_trace(f, p, seed="a")
    with pytest.raises(HyperparameterError, match="tol must be a positive finite number below 1"):
        analysis.condition_number(f, p, tol=1.0)
    with pytest.raises(tg.ArgumentTypeError, match="return_eigenvectors must be True or False"):
        analysis.hessian_eigenvalues(f, p, return_eigenvectors="yes")
    with pytest.raises(HyperparameterError, match="classify_critical_point: grad_tol"):
        analysis.classify_critical_point(f, _point(0.0, 0.0), grad_tol=float("nan"))
    with pytest.raises(ShapeError, match=r"spectral_density: grid must be a 1-D array"):
        analysis.spectral_density(f, p, grid=np.zeros((2, 2)))
    with pytest.raises(tg.ArgumentError, match="taylor_prediction: eps must be finite"):
        analysis.taylor_prediction(f, p, [0.1, float("inf")])
    assert analysis.classify_critical_point(f, _point(0.0, 0.0), grad_tol=math.inf) == "minimum"


def test_hvp_operator_blocks_and_flat_vectors_are_checked(mlp):
    op = analysis.hvp_operator(mlp.loss_fn, mlp.params)
    with pytest.raises(tg.AxisError, match=r"HVPOperator.block: parameter index 4 is out of range for 4 parameters"):
        op.block(4, tg.zeros(2))
    with pytest.raises(ShapeError, match=r"HVPOperator.block: v has shape \(3,\), parameter 1 has shape \(4,\)"):
        op.block(1, tg.zeros(3))
    with pytest.raises(ShapeError, match=rf"flat vector must have shape \({op.numel},\)"):
        op.matvec(tg.zeros(op.numel + 1))
    v = tg.tensor(np.arange(4.0), dtype=mlp.params[1].dtype)
    np.testing.assert_allclose(op.block(-3, v).numpy(), op.block(1, v).numpy())


@pytest.mark.parametrize("which", ["LA", "SA"])
def test_power_iteration_finds_a_repeated_eigenvalue_without_a_false_convergence_warning(which, recwarn):
    """H = 2I: after the shift, the operator is ~0; its residual is measured against ‖H‖ = 2, not |μ| ≈ 0."""
    values = analysis.hessian_eigenvalues(
        lambda ps: (ps[0] ** 2).sum(), _point(1.0, 2.0, 3.0), k=3, method="power", which=which, seed=0
    )
    np.testing.assert_allclose(values, [2.0, 2.0, 2.0], rtol=1e-12)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
