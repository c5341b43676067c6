"""MAML, first-order MAML and Reptile against finite differences and closed forms (float64)."""

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.nn import functional as F
from tinygrad_opt.strategies import adapt, maml_loss, maml_step, reptile_step

ALPHA = 0.3


def tiny_mlp():
    tg.manual_seed(1)
    return nn.Sequential(nn.Linear(2, 3, dtype="float64"), nn.Tanh(), nn.Linear(3, 1, dtype="float64"))


def make_tasks(n, seed=0, rows=5, d=2):
    rng = np.random.default_rng(seed)
    return [
        tuple(tg.tensor(rng.normal(size=s)) for s in [(rows, d), (rows, 1), (rows, d), (rows, 1)]) for _ in range(n)
    ]


def meta_objective(model, theta, tasks, inner_steps):
    """F(θ) = mean_i L_query,i(φ_k,i(θ)) computed from scratch with plain SGD on detached copies."""
    names = [n for n, _ in model.named_parameters()]
    total = 0.0
    for x_s, y_s, x_q, y_q in tasks:
        phi = [tg.tensor(t, requires_grad=True) for t in theta]
        for _ in range(inner_steps):
            loss = F.mse_loss(nn.functional_call(model, dict(zip(names, phi)), (x_s,)), y_s)
            grads = tg.autodiff.grad(loss, phi)
            phi = [tg.tensor(p.numpy() - ALPHA * g.numpy(), requires_grad=True) for p, g in zip(phi, grads)]
        total += F.mse_loss(nn.functional_call(model, dict(zip(names, phi)), (x_q,)), y_q).item()
    return total / len(tasks)


def finite_difference_meta_gradient(model, tasks, inner_steps, h=1e-6):
    theta = [p.numpy().copy() for p in model.parameters()]
    out = []
    for i, t in enumerate(theta):
        g = np.zeros_like(t)
        for j in np.ndindex(t.shape):
            plus = [u.copy() for u in theta]
            minus = [u.copy() for u in theta]
            plus[i][j] += h
            minus[i][j] -= h
            g[j] = (
                meta_objective(model, plus, tasks, inner_steps) - meta_objective(model, minus, tasks, inner_steps)
            ) / (2 * h)
        out.append(g)
    return out


def meta_gradient(model, tasks, inner_steps, first_order):
    model.zero_grad()
    maml_loss(model, tasks, F.mse_loss, ALPHA, inner_steps, first_order=first_order).backward()
    return [p.grad.numpy() for p in model.parameters()]


@pytest.mark.parametrize("inner_steps", [1, 3])
def test_second_order_meta_gradient_equals_finite_differences_through_k_inner_steps(inner_steps):
    model, tasks = tiny_mlp(), make_tasks(2)
    got = meta_gradient(model, tasks, inner_steps, first_order=False)
    want = finite_difference_meta_gradient(model, tasks, inner_steps)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)


def test_first_order_meta_gradient_is_the_query_gradient_at_the_adapted_weights():
    model, tasks = tiny_mlp(), make_tasks(1, seed=3)
    x_s, y_s, x_q, y_q = tasks[0]
    phi = adapt(model, x_s, y_s, F.mse_loss, ALPHA, 2, first_order=True)
    names = list(phi)
    leaves = [tg.tensor(t.numpy(), requires_grad=True) for t in phi.values()]
    want = tg.autodiff.grad(F.mse_loss(nn.functional_call(model, dict(zip(names, leaves)), (x_q,)), y_q), leaves)
    got = meta_gradient(model, tasks, 2, first_order=True)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-12, atol=1e-15)
    second = meta_gradient(model, tasks, 2, first_order=False)
    assert max(np.abs(g - s).max() for g, s in zip(got, second)) > 1e-4  # the Hessian term is really dropped


def test_on_a_quadratic_task_model_the_meta_gradients_match_the_closed_form():
    # linear model ŷ = Xw, L(w) = mean (Xw − y)²: ∇L = (2/n) Xᵀ(Xw − y), H = (2/n) XᵀX
    rng = np.random.default_rng(4)
    d, n = 3, 6
    xs, ys, xq, yq = rng.normal(size=(n, d)), rng.normal(size=(n, 1)), rng.normal(size=(n, d)), rng.normal(size=(n, 1))
    model = nn.Linear(d, 1, bias=False, dtype="float64")
    w = model.weight.numpy().T.copy()  # (d, 1)

    def grad(x, y, v):
        return 2 / n * x.T @ (x @ v - y)

    phi = w - ALPHA * grad(xs, ys, w)
    hess = 2 / n * xs.T @ xs
    tasks = [tuple(map(tg.tensor, (xs, ys, xq, yq)))]
    second = meta_gradient(model, tasks, 1, first_order=False)[0]
    first = meta_gradient(model, tasks, 1, first_order=True)[0]
    np.testing.assert_allclose(second.T, (np.eye(d) - ALPHA * hess) @ grad(xq, yq, phi), rtol=1e-12)
    np.testing.assert_allclose(first.T, grad(xq, yq, phi), rtol=1e-12)


def test_reptile_moves_theta_toward_the_mean_adapted_weights():
    rng = np.random.default_rng(5)
    d, n, eps, k = 3, 4, 0.25, 2
    model = nn.Linear(d, 1, bias=False, dtype="float64")
    w = model.weight.numpy().T.copy()
    data = [(rng.normal(size=(n, d)), rng.normal(size=(n, 1))) for _ in range(3)]
    phis = []
    for x, y in data:
        v = w.copy()
        for _ in range(k):
            v = v - ALPHA * 2 / n * x.T @ (x @ v - y)
        phis.append(v)
    want = w + eps * (np.mean(phis, axis=0) - w)
    start = np.mean([np.mean((x @ w - y) ** 2) for x, y in data])
    loss = reptile_step(model, [tuple(map(tg.tensor, t)) for t in data], F.mse_loss, ALPHA, k, outer_lr=eps)
    np.testing.assert_allclose(model.weight.numpy().T, want, rtol=1e-12)
    assert loss.item() == pytest.approx(start, rel=1e-12)
    assert model.weight.grad is None


def test_maml_step_applies_the_meta_optimizer_to_the_task_averaged_meta_gradient():
    model, tasks = tiny_mlp(), make_tasks(3, seed=7)
    before = [p.numpy().copy() for p in model.parameters()]
    g = meta_gradient(model, tasks, 2, first_order=False)
    want_loss = maml_loss(model, tasks, F.mse_loss, ALPHA, 2).item()
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    loss = maml_step(model, tasks, F.mse_loss, opt, ALPHA, 2)
    assert loss.item() == pytest.approx(want_loss, rel=1e-12) and not loss.requires_grad
    for p, b, gi in zip(model.parameters(), before, g):
        np.testing.assert_allclose(p.numpy(), b - 0.1 * gi, rtol=1e-11, atol=1e-14)


def test_maml_step_gives_closure_optimizers_a_closure_that_recomputes_the_meta_loss():
    model, tasks = tiny_mlp(), make_tasks(2, seed=8)
    start = maml_loss(model, tasks, F.mse_loss, ALPHA).item()
    opt = tg.optim.LBFGS(model.parameters(), lr=1, max_iter=5)
    loss = maml_step(model, tasks, F.mse_loss, opt, ALPHA)
    assert loss.item() == pytest.approx(start, rel=1e-12)
    assert maml_loss(model, tasks, F.mse_loss, ALPHA).item() < start


def test_adapt_leaves_the_model_unchanged_and_one_step_is_one_sgd_step():
    model, tasks = tiny_mlp(), make_tasks(1, seed=9)
    x_s, y_s, _, _ = tasks[0]
    before = {n: p.numpy().copy() for n, p in model.named_parameters()}
    phi = adapt(model, x_s, y_s, F.mse_loss, ALPHA)
    F.mse_loss(model(x_s), y_s).backward()
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.numpy(), before[n])
        np.testing.assert_allclose(phi[n].numpy(), before[n] - ALPHA * p.grad.numpy(), rtol=1e-14)
