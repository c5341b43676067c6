"""AdaHessian, SophiaH and K-FAC (seed 000 "二阶优化器", syllabus §10): their curvature estimates against
exact or NumPy-computed values, their first steps against closed forms, training on scikit-learn's digits,
bit-identical state_dict resume, and bad input that leaves everything unchanged."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.errors import ClosureError, CurvatureError, HyperparameterError
from tinygrad_opt.optim.adahessian import AdaHessian, hutchinson_diagonal, spatial_average
from tinygrad_opt.optim.kfac import KFAC
from tinygrad_opt.optim.sophia import SophiaH
from tinygrad_opt.optim.vector import Curvature, ParamVector


def _param(values):
    return tg.Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def _closure(opt, f):
    def closure():
        opt.zero_grad()
        loss = f()
        loss.backward()
        return loss

    return closure


A_DIAG = np.array([2.0, 0.5, -1.5, 4.0])  # a separable quadratic, one direction of negative curvature
X0 = np.array([1.0, -3.0, 0.004, 0.005])


def _separable(x):
    a = tg.Tensor(A_DIAG)
    return lambda: 0.5 * (a * x * x).sum()


def _quartic(x):
    """f = Σ x⁴/4: diagonal Hessian 3x², which changes along the path."""
    return lambda: (x**4).sum() / 4


# --------------------------------------------------------------------------- the Hutchinson estimate


def test_hutchinson_diagonal_is_exact_on_a_diagonal_hessian_for_any_rademacher_probe():
    x = _param(X0)
    w = _param(np.ones((2, 3)))
    scale = np.arange(1.0, 7.0).reshape(2, 3)
    vector = ParamVector("test", [x, w])

    def closure():
        x.grad = w.grad = None
        loss = _separable(x)() + (tg.Tensor(scale) * w * w * w).sum()  # ∂²/∂w² = 6·scale·w
        loss.backward()
        return loss

    c = Curvature("test", closure, vector)
    rng = np.random.default_rng(0)
    for _ in range(4):
        zs = [tg.Tensor(rng.choice([-1.0, 1.0], size=p.shape)) for p in (x, w)]
        dx, dw = hutchinson_diagonal(c, zs)
        np.testing.assert_allclose(dx.numpy(), A_DIAG, rtol=1e-14)
        np.testing.assert_allclose(dw.numpy(), 6 * scale, rtol=1e-14)


def _conv_problem(stride=1, padding=0):
    rng = np.random.default_rng(1)
    conv = nn.Conv2d(2, 3, 2, stride=stride, padding=padding).double()
    x = rng.normal(size=(2, 2, 4, 4))
    out = conv(tg.Tensor(x))
    t = rng.normal(size=out.shape)
    return conv, x, t


def _im2col(x, k, stride, padding):
    """Rows (n, i, j) of the patches x_pad[n, :, i·s : i·s + k, j·s : j·s + k] in (C, kh, kw) order."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, w = xp.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    rows = [
        xp[b, :, i * stride : i * stride + k, j * stride : j * stride + k].ravel()
        for b in range(n)
        for i in range(oh)
        for j in range(ow)
    ]
    return np.array(rows), (n, oh, ow)


def _squared_error(model, x, t):
    """½ Σ (model(x) − t)² / N: the batch mean of per-example squared errors."""
    return lambda: ((model(tg.Tensor(x)) - tg.Tensor(t)) ** 2).sum() / (2 * x.shape[0])


def test_spatial_average_of_the_conv_kernels_estimate_matches_numpy():
    conv, x, t = _conv_problem()
    vector = ParamVector("test", [conv.weight, conv.bias])
    loss = _squared_error(conv, x, t)

    def closure():
        conv.weight.grad = conv.bias.grad = None
        value = loss()
        value.backward()
        return value

    rng = np.random.default_rng(2)
    zw, zb = rng.choice([-1.0, 1.0], size=(3, 2, 2, 2)), rng.choice([-1.0, 1.0], size=3)
    d = hutchinson_diagonal(Curvature("test", closure, vector), [tg.Tensor(zw), tg.Tensor(zb)])[0]
    rows, _ = _im2col(x, 2, 1, 0)
    abar = np.hstack([rows, np.ones((len(rows), 1))])
    h = abar.T @ abar / x.shape[0]  # the Hessian block of [W_o | b_o], the same for every output channel o
    hz = (np.hstack([zw.reshape(3, -1), zb[:, None]]) @ h)[:, :-1].reshape(zw.shape)
    np.testing.assert_allclose(d.numpy(), zw * hz, rtol=1e-12)
    expected = np.broadcast_to(np.abs(zw * hz).mean(axis=(2, 3), keepdims=True), zw.shape)
    np.testing.assert_allclose(spatial_average(d).numpy(), expected, rtol=1e-12)


def test_adahessian_steps_a_conv_kernel_with_one_curvature_value_per_kernel():
    conv, x, t = _conv_problem()
    w0 = conv.weight.numpy().copy()
    opt = AdaHessian(conv.parameters(), lr=0.1, seed=3)
    opt.step(_closure(opt, _squared_error(conv, x, t)))
    d = opt.state[conv.weight]["hessian_diag"].numpy()
    assert np.all(d >= 0)
    np.testing.assert_allclose(d, np.broadcast_to(d[:, :, :1, :1], d.shape), rtol=1e-14)
    g = conv.weight.grad.numpy()
    np.testing.assert_allclose(conv.weight.numpy(), w0 - 0.1 * g / (d + 1e-4), rtol=1e-12)


# --------------------------------------------------------------------------- AdaHessian


def _ref_adahessian(theta, diag_of, steps, lr, betas, eps, wd, k, update_each=1):
    """NumPy AdaHessian with the exact diagonal ``diag_of(θ)`` as D."""
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    b1, b2 = betas
    for t in range(1, steps + 1):
        g = A_DIAG * theta if diag_of is None else theta**3
        if (t - 1) % update_each == 0:
            d = A_DIAG if diag_of is None else diag_of(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * d * d
        theta = theta * (1 - lr * wd)
        theta = theta - lr / (1 - b1**t) * m / ((v / (1 - b2**t)) ** (k / 2) + eps)
    return theta


def test_adahessian_first_step_is_a_scaled_newton_step_on_a_separable_quadratic():
    x = _param(X0)
    opt = AdaHessian([x], lr=0.5, seed=0)
    opt.step(_closure(opt, _separable(x)))
    np.testing.assert_allclose(x.numpy(), X0 - 0.5 * A_DIAG * X0 / (np.abs(A_DIAG) + 1e-4), rtol=1e-13)


@pytest.mark.parametrize("k, wd", [(1.0, 0.0), (0.5, 0.1), (0.0, 0.01)])
def test_adahessian_matches_the_numpy_recursion_on_a_separable_quadratic(k, wd):
    x = _param(X0)
    opt = AdaHessian([x], lr=0.2, betas=(0.8, 0.95), eps=1e-3, weight_decay=wd, hessian_power=k, seed=1)
    closure = _closure(opt, _separable(x))
    for _ in range(4):
        opt.step(closure)
    expected = _ref_adahessian(X0, None, 4, 0.2, (0.8, 0.95), 1e-3, wd, k)
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-12)


def test_adahessian_update_each_reuses_the_last_diagonal():
    x = _param(X0)
    opt = AdaHessian([x], lr=0.1, update_each=3, seed=2)
    closure = _closure(opt, _quartic(x))
    for _ in range(5):
        opt.step(closure)
    expected = _ref_adahessian(X0, lambda th: 3 * th**2, 5, 0.1, (0.9, 0.999), 1e-4, 0.0, 1.0, update_each=3)
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-12)


# --------------------------------------------------------------------------- SophiaH


def test_sophia_first_step_is_lr_sign_m_where_clipped_and_the_newton_ratio_elsewhere():
    x = _param(X0)
    lr, (b1, b2), rho = 0.01, (0.965, 0.99), 0.04
    opt = SophiaH([x], lr=lr, weight_decay=0.0, seed=0)
    opt.step(_closure(opt, _separable(x)))
    m, h = (1 - b1) * A_DIAG * X0, (1 - b2) * A_DIAG  # h from the exact diagonal
    ratio = m / np.maximum(rho * h, 1e-12)
    clipped = np.abs(ratio) >= 1
    assert clipped.tolist() == [True, True, True, False]  # the third: negative curvature, max picks eps
    np.testing.assert_array_equal(x.numpy()[clipped], X0[clipped] - lr * np.sign(m[clipped]))
    np.testing.assert_allclose(x.numpy()[~clipped], X0[~clipped] - lr * ratio[~clipped], rtol=1e-13)


def test_sophia_matches_the_numpy_recursion_with_decoupled_decay_and_a_hessian_every_k_steps():
    x = _param(X0)
    lr, (b1, b2), rho, wd, k = 0.05, (0.9, 0.9), 2.0, 0.1, 2
    opt = SophiaH([x], lr=lr, betas=(b1, b2), rho=rho, weight_decay=wd, k=k, seed=0)
    closure = _closure(opt, _quartic(x))
    theta, m, h = X0.copy(), np.zeros(4), np.zeros(4)
    for t in range(1, 6):
        opt.step(closure)
        m = b1 * m + (1 - b1) * theta**3
        if t % k == 1:
            h = b2 * h + (1 - b2) * 3 * theta**2
        theta = theta * (1 - lr * wd) - lr * np.clip(m / np.maximum(rho * h, 1e-12), -1, 1)
    np.testing.assert_allclose(x.numpy(), theta, rtol=1e-12)


# --------------------------------------------------------------------------- K-FAC


def _linear_problem(n=8, out=3, seed=4):
    rng = np.random.default_rng(seed)
    layer = nn.Linear(5, out).double()
    return layer, rng.normal(size=(n, 5)), rng.normal(size=(n, out))


def _residuals(layer, x, t):
    w, b = layer.weight.numpy(), layer.bias.numpy()
    return x @ w.T + b - t


def _kfac(model, **kw):
    return KFAC(model, **{"lr": 1.0, "momentum": 0.0, "kl_clip": None, **kw})


def test_kfac_factors_are_the_batch_statistics_and_then_their_running_average():
    layer, x, t = _linear_problem()
    opt = _kfac(layer, lr=0.1, stat_decay=0.7)
    closure = _closure(opt, _squared_error(layer, x, t))
    abar = np.hstack([x, np.ones((len(x), 1))])
    r0 = _residuals(layer, x, t)
    opt.step(closure)
    state = opt.state[layer.weight]
    np.testing.assert_allclose(state["kfac_A"].numpy(), abar.T @ abar / len(x), rtol=1e-12)  # E[ā āᵀ]
    np.testing.assert_allclose(state["kfac_G"].numpy(), r0.T @ r0 / len(x), rtol=1e-12)  # E[g gᵀ] per example
    r1 = _residuals(layer, x, t)
    opt.step(closure)
    g_avg = 0.7 * (r0.T @ r0) / len(x) + 0.3 * (r1.T @ r1) / len(x)
    np.testing.assert_allclose(opt.state[layer.weight]["kfac_G"].numpy(), g_avg, rtol=1e-12)


@pytest.mark.parametrize("pi_damping", [True, False])
def test_kfac_step_equals_the_direct_solve_with_the_damped_kronecker_factors(pi_damping):
    layer, x, t = _linear_problem()
    lam = 1e-2
    w0, b0 = layer.weight.numpy().copy(), layer.bias.numpy().copy()
    r = _residuals(layer, x, t)
    abar = np.hstack([x, np.ones((len(x), 1))])
    a, g = abar.T @ abar / len(x), r.T @ r / len(x)
    pi = np.sqrt((np.trace(a) / len(a)) / (np.trace(g) / len(g))) if pi_damping else 1.0
    grad = (r / len(x)).T @ abar  # [∇weight | ∇bias]
    kron = np.kron(a + pi * np.sqrt(lam) * np.eye(len(a)), g + np.sqrt(lam) / pi * np.eye(len(g)))
    direction = np.linalg.solve(kron, grad.ravel(order="F")).reshape(grad.shape, order="F")
    opt = _kfac(layer, lr=0.5, damping=lam, pi_damping=pi_damping)
    opt.step(_closure(opt, _squared_error(layer, x, t)))
    np.testing.assert_allclose(layer.weight.numpy(), w0 - 0.5 * direction[:, :5], rtol=1e-10)
    np.testing.assert_allclose(layer.bias.numpy(), b0 - 0.5 * direction[:, 5], rtol=1e-10)


def test_kfac_is_the_exact_natural_gradient_when_the_empirical_fisher_factors():
    """One output and residuals ±1: Σ r_n² ā_n ā_nᵀ / N = A ⊗ G exactly, so the step solves F d = ∇L."""
    layer, x, _ = _linear_problem(n=16, out=1)
    signs = np.random.default_rng(5).choice([-1.0, 1.0], size=(16, 1))
    t = _residuals(layer, x, 0.0) - signs
    abar = np.hstack([x, np.ones((16, 1))])
    per_example = signs * abar  # ∇ of ½ r_n² with respect to [w | b]
    fisher = per_example.T @ per_example / 16
    np.testing.assert_allclose(fisher, np.kron(abar.T @ abar / 16, np.ones((1, 1))), rtol=1e-14)
    natural = np.linalg.solve(fisher, per_example.mean(axis=0))
    w0, b0 = layer.weight.numpy().copy(), layer.bias.numpy().copy()
    opt = _kfac(layer, damping=1e-16, pi_damping=False)
    opt.step(_closure(opt, _squared_error(layer, x, t)))
    np.testing.assert_allclose(layer.weight.numpy()[0], w0[0] - natural[:5], rtol=1e-6)
    np.testing.assert_allclose(layer.bias.numpy(), b0 - natural[5], rtol=1e-6)


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 0)])
def test_kfac_conv_factors_match_a_numpy_im2col(stride, padding):
    conv, x, t = _conv_problem(stride, padding)
    rows, (n, oh, ow) = _im2col(x, 2, stride, padding)
    abar = np.hstack([rows, np.ones((len(rows), 1))])
    y = (abar @ np.hstack([conv.weight.numpy().reshape(3, -1), conv.bias.numpy()[:, None]]).T).reshape(n, oh, ow, 3)
    r = (y - t.transpose(0, 2, 3, 1)).reshape(-1, 3)
    opt = _kfac(conv)
    opt.step(_closure(opt, _squared_error(conv, x, t)))
    state = opt.state[conv.weight]
    np.testing.assert_allclose(state["kfac_A"].numpy(), abar.T @ abar / len(abar), rtol=1e-12)
    np.testing.assert_allclose(state["kfac_G"].numpy(), r.T @ r / n, rtol=1e-12)  # N Σ g gᵀ, g = r/N


class _Scaled(nn.Module):
    """A Linear layer followed by a learned scalar: the scalar is no K-FAC layer's parameter."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(5, 3).double()
        self.scale = nn.Parameter(tg.Tensor(np.array([1.5])))

    def forward(self, x):
        return self.linear(x) * self.scale


def test_kfac_gives_other_parameters_a_plain_sgd_step_and_inverts_every_t_inv_steps():
    model = _Scaled()
    _, x, t = _linear_problem()
    opt = _kfac(model, lr=0.1, inv_update_freq=3)
    closure = _closure(opt, _squared_error(model, x, t))
    opt.step(closure)
    inverse = opt.state[model.linear.weight]["kfac_A_inv"]
    s0 = model.scale.numpy().copy()
    opt.step(closure)
    np.testing.assert_allclose(model.scale.numpy(), s0 - 0.1 * model.scale.grad.numpy(), rtol=1e-14)
    assert opt.state[model.linear.weight]["kfac_A_inv"] is inverse  # kept between inversions
    opt.step(closure)
    opt.step(closure)
    assert opt.state[model.linear.weight]["kfac_A_inv"] is not inverse  # t = 3: inverted again


def test_kfac_kl_clipping_bounds_the_squared_step_in_the_fisher_norm():
    layer, x, t = _linear_problem()
    w0, b0 = layer.weight.numpy().copy(), layer.bias.numpy().copy()
    opt = _kfac(layer, lr=1.0, kl_clip=1e-4)
    opt.step(_closure(opt, _squared_error(layer, x, t)))
    state = opt.state[layer.weight]
    step = np.hstack([layer.weight.numpy() - w0, (layer.bias.numpy() - b0)[:, None]])
    a_d, g_d = np.linalg.inv(state["kfac_A_inv"].numpy()), np.linalg.inv(state["kfac_G_inv"].numpy())
    np.testing.assert_allclose(np.sum(step * (g_d @ step @ a_d)), 1e-4, rtol=1e-8)  # lr²·Vᵀ F V = kl_clip


def test_forward_hook_sees_args_and_output_and_can_be_removed():
    layer, seen = nn.Linear(2, 2), []
    hook = layer.register_forward_hook(lambda m, args, out: seen.append((m, args[0], out)))
    x = tg.Tensor(np.ones((1, 2), dtype=np.float32))
    out = layer(x)
    assert seen == [(layer, x, out)]
    layer._forward_hooks.remove(hook)
    layer(x)
    assert len(seen) == 1


# --------------------------------------------------------------------------- training on digits


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    return x[:500] / 16.0, y[:500]


def _mlp():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10)).double()


def _classification(model, x, y):
    xt, yt = tg.Tensor(x), tg.Tensor(y.astype(np.int64))
    return lambda: nn.functional.cross_entropy(model(xt), yt)


MAKERS = {
    "AdaHessian": lambda model: AdaHessian(model.parameters(), seed=0),
    "SophiaH": lambda model: SophiaH(model.parameters(), lr=0.02, k=5, seed=0),
    "KFAC": lambda model: KFAC(model, lr=0.05),
}


@pytest.mark.parametrize(
    "name, threshold",
    # from log 10 ≈ 2.3, 30 steps reach 0.14 / 0.053 / 9e-5 on the CPU, 0.11 / 0.043 / 1.6e-4 on the stand-in GPU
    [("AdaHessian", 0.4), ("SophiaH", 0.2), ("KFAC", 0.05)],
)
def test_trains_an_mlp_on_digits_full_batch(digits, name, threshold):
    model = _mlp()
    loss_fn = _classification(model, *digits)
    opt = MAKERS[name](model)
    closure = _closure(opt, loss_fn)
    first = float(opt.step(closure))
    for _ in range(29):
        opt.step(closure)
    assert first > 2.2  # log 10 ≈ 2.30 at the start
    assert float(loss_fn()) < threshold


# --------------------------------------------------------------------------- resume and bad input


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_state_dict_resume_is_bit_identical(digits, name):
    x, y = digits[0][:64], digits[1][:64]
    model = _mlp()
    opt = MAKERS[name](model)
    closure = _closure(opt, _classification(model, x, y))
    for _ in range(3):
        opt.step(closure)
    saved = copy.deepcopy(opt.state_dict())
    twin = _mlp()
    twin.load_state_dict({k: v.clone() for k, v in model.state_dict().items()})
    other = MAKERS[name](twin) if name == "KFAC" else type(opt)(twin.parameters(), seed=99)
    other.load_state_dict(saved)
    other_closure = _closure(other, _classification(twin, x, y))
    for _ in range(3):
        opt.step(closure)
        other.step(other_closure)
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


BAD = [
    (AdaHessian, {"lr": -0.1}, "lr=-0.1"),
    (AdaHessian, {"betas": (0.9, 1.0)}, "betas=(0.9, 1.0)"),
    (AdaHessian, {"eps": 0.0}, "eps=0.0"),
    (AdaHessian, {"hessian_power": 1.5}, "hessian_power=1.5"),
    (AdaHessian, {"update_each": 0}, "update_each=0"),
    (AdaHessian, {"n_samples": 2.0}, "n_samples=2.0"),
    (AdaHessian, {"seed": -1}, "seed=-1"),
    (SophiaH, {"rho": 0.0}, "rho=0.0"),
    (SophiaH, {"k": 0}, "k=0"),
    (SophiaH, {"eps": -1e-12}, "eps=-1e-12"),
    (SophiaH, {"weight_decay": float("nan")}, "weight_decay=nan"),
    (KFAC, {"damping": 0.0}, "damping=0.0"),
    (KFAC, {"stat_decay": 1.0}, "stat_decay=1.0"),
    (KFAC, {"factor_update_freq": 0}, "factor_update_freq=0"),
    (KFAC, {"inv_update_freq": 2.5}, "inv_update_freq=2.5"),
    (KFAC, {"kl_clip": -1.0}, "kl_clip=-1.0"),
    (KFAC, {"momentum": -0.9}, "momentum=-0.9"),
    (KFAC, {"pi_damping": "yes"}, "pi_damping='yes'"),
]


@pytest.mark.parametrize("cls, kwargs, shown", BAD)
def test_bad_hyperparameters_name_the_optimizer_and_the_value(cls, kwargs, shown):
    target = nn.Linear(2, 2) if cls is KFAC else [_param([1.0, 2.0])]
    with pytest.raises(HyperparameterError) as info:
        cls(target, **kwargs)
    assert cls.__name__ in str(info.value) and shown in str(info.value)


def test_kfac_needs_the_model():
    with pytest.raises(TypeError, match="nn.Module"):
        KFAC([_param([1.0])])


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_failed_step_changes_nothing_and_training_goes_on_as_if_it_never_ran(digits, name):
    x, y = digits[0][:32], digits[1][:32]
    models = [_mlp(), _mlp()]
    opts = [MAKERS[name](m) for m in models]
    closures = [_closure(o, _classification(m, x, y)) for o, m in zip(opts, models)]
    nan_loss = _closure(opts[0], lambda: _classification(models[0], x, y)() * float("nan"))
    opts[0].step(closures[0])
    before = copy.deepcopy(opts[0].state_dict())
    params = [p.numpy().copy() for p in models[0].parameters()]
    with pytest.raises(ClosureError, match="one-element Tensor"):
        opts[0].step(lambda: 1.0)
    with pytest.raises(CurvatureError, match="not finite"):
        opts[0].step(nan_loss)
    for p, saved in zip(models[0].parameters(), params):
        np.testing.assert_array_equal(p.numpy(), saved)
    _assert_same_state(opts[0].state_dict(), before)
    for _ in range(3):
        opts[0].step(closures[0])
    for _ in range(4):
        opts[1].step(closures[1])
    for p, q in zip(*(m.parameters() for m in models)):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def _assert_same_state(a, b):
    assert a["param_groups"] == b["param_groups"] and a["state"].keys() == b["state"].keys()
    for i, entry in a["state"].items():
        assert entry.keys() == b["state"][i].keys()
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(value, b["state"][i][key])
            else:
                assert value == b["state"][i][key]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's warnings about the infinite arithmetic
def test_kfac_non_finite_factors_at_an_inversion_step_raise_and_change_nothing():
    layer, x, t = _linear_problem()
    opt = _kfac(layer, lr=0.1, inv_update_freq=1)
    loss = _squared_error(layer, x, t)
    opt.step(_closure(opt, loss))
    before, weight = copy.deepcopy(opt.state_dict()), layer.weight.numpy().copy()
    with pytest.raises(CurvatureError, match="not finite"):
        opt.step(_closure(opt, lambda: loss() * float("inf")))
    np.testing.assert_array_equal(layer.weight.numpy(), weight)
    _assert_same_state(opt.state_dict(), before)


def test_seed_none_draws_the_probe_seed_from_the_global_generator(digits):
    x, y = digits[0][:32], digits[1][:32]
    runs = []
    for _ in range(2):
        model = _mlp()
        tg.manual_seed(5)
        opt = AdaHessian(model.parameters())
        closure = _closure(opt, _classification(model, x, y))
        for _ in range(3):
            opt.step(closure)
        runs.append([p.numpy() for p in model.parameters()])
    for p, q in zip(*runs):
        np.testing.assert_array_equal(p, q)


@pytest.mark.skipif(not tg.backend.FAKE_CUDA, reason="counts transfers on the stand-in CUDA device")
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_step_on_the_device_copies_nothing_to_it_and_reads_back_one_number(digits, device, name):
    from tinygrad_opt.testing import fake_cuda

    if device == "cpu":
        pytest.skip("run with --device cuda")
    model = _mlp()
    opt = MAKERS[name](model)
    closure = _closure(opt, _classification(model, digits[0][:32], digits[1][:32]))
    opt.step(closure)
    with fake_cuda.counting() as c:
        opt.step(closure)
    assert (c.to_device, c.to_host) == (0, 1)  # probes drawn on the device; the finiteness check reads one value
