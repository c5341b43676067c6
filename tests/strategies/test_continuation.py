"""Gaussian smoothing and continuation (seed 003 §8.5): closed forms for quadratics and cosines, common
random numbers, and a 1-D landscape where gradient descent stalls and continuation does not."""

import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt.strategies import GaussianSmoothing, continuation

A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
B = np.array([0.5, -1.0, 2.0])
THETA = np.array([0.3, -0.7, 1.1])


def quadratic(theta):
    """f(θ) = ½ θᵀAθ + bᵀθ; on a batch (n, 3) it returns the n values."""
    a, b = tg.tensor(A), tg.tensor(B)
    return 0.5 * ((theta @ a) * theta).sum(-1) + (theta * b).sum(-1)


def wiggly(x, a=2.0, b=6.0):
    """x² + a (1 − cos bx): global minimum 0 at x = 0, local minima near every multiple of 2π/b."""
    return (x**2 + a * (1 - (b * x).cos())).sum(-1)


def within_standard_errors(values, want, k=4.0, antithetic=True):
    """|mean − want| < k standard errors, the SE from the independent pair means (or single draws)."""
    v = values.numpy()
    units = 0.5 * (v[: len(v) // 2] + v[len(v) // 2 :]) if antithetic else v
    se = units.std(ddof=1) / math.sqrt(len(units))
    assert abs(units.mean() - want) < k * se, (units.mean(), want, se)
    return se


@pytest.mark.parametrize("sigma", [0.1, 0.5, 2.0])
def test_smoothed_quadratic_is_f_plus_half_sigma_squared_trace_a_in_expectation(sigma):
    smooth = GaussianSmoothing(quadratic, sigma, num_samples=2000, seed=1, batched=True)
    theta = tg.tensor(THETA)
    f = 0.5 * THETA @ A @ THETA + B @ THETA
    se = within_standard_errors(smooth.samples(theta), f + sigma**2 / 2 * np.trace(A))
    assert se < 0.05 * sigma**2 * np.trace(A)  # the test has power: the σ² term is far above the noise


def test_with_antithetic_pairs_the_gradient_of_a_smoothed_quadratic_is_exactly_the_gradient_of_f():
    theta = tg.tensor(THETA, requires_grad=True)
    GaussianSmoothing(quadratic, 1.5, num_samples=8, seed=3, batched=True)(theta).backward()
    np.testing.assert_allclose(theta.grad.numpy(), A @ THETA + B, rtol=1e-13, atol=1e-13)


def test_without_antithetic_pairs_the_gradient_is_shifted_by_a_times_the_mean_draw():
    theta = tg.tensor(THETA, requires_grad=True)
    smooth = GaussianSmoothing(quadratic, 1.5, num_samples=7, seed=3, antithetic=False, batched=True)
    smooth(theta).backward()
    mean_eps = smooth.noise([theta])[0].numpy().mean(0)
    np.testing.assert_allclose(theta.grad.numpy(), A @ THETA + B + A @ mean_eps, rtol=1e-13)


def test_common_random_numbers_make_the_estimate_a_deterministic_function_of_theta():
    smooth = GaussianSmoothing(quadratic, 0.5, num_samples=6, seed=4, batched=True)
    theta = tg.tensor(THETA)
    assert smooth(theta).item() == smooth(theta).item()
    other = GaussianSmoothing(quadratic, 0.5, num_samples=6, seed=5, batched=True)
    assert other(theta).item() != smooth(theta).item()


def test_one_call_per_sample_on_a_list_of_tensors_equals_the_batched_estimate():
    pair = [tg.tensor(THETA[:2]), tg.tensor(THETA[2:])]
    looped = GaussianSmoothing(lambda p: quadratic(tg.cat(p)), 0.7, num_samples=6, seed=2)
    batched = GaussianSmoothing(lambda p: quadratic(tg.cat(p, axis=-1)), 0.7, num_samples=6, seed=2, batched=True)
    np.testing.assert_allclose(looped.samples(pair).numpy(), batched.samples(pair).numpy(), rtol=1e-14)


@pytest.mark.parametrize("x0", [0.4, 1.3])
def test_smoothed_cosine_landscape_matches_its_closed_form(x0):
    # E cos(b(x + ε)) = cos(bx) exp(−b²σ²/2), so f_σ(x) = x² + σ² + a (1 − exp(−b²σ²/2) cos bx)
    sigma, a, b = 0.3, 2.0, 6.0
    smooth = GaussianSmoothing(wiggly, sigma, num_samples=4000, seed=0, batched=True)
    want = x0**2 + sigma**2 + a * (1 - math.exp(-(b**2) * sigma**2 / 2) * math.cos(b * x0))
    within_standard_errors(smooth.samples(tg.tensor([x0], dtype="float64")), want)


def test_gradient_descent_stalls_in_a_local_minimum_while_continuation_reaches_the_global_one():
    x = tg.tensor([3.0], dtype="float64", requires_grad=True)
    plain = continuation(wiggly, x, [0.0], tg.optim.SGD([x], lr=0.01), steps=300)
    assert 3.0 < x.item() < 3.1 and plain["loss"][-1] > 9.5  # the local minimum near 2π/b · 3 ≈ 3.05
    x = tg.tensor([3.0], dtype="float64", requires_grad=True)
    sigmas = [1.0, 0.5, 0.25, 0.1, 0.0]
    hist = continuation(wiggly, x, sigmas, tg.optim.SGD([x], lr=0.01), steps=300, num_samples=64, batched=True)
    assert abs(x.item()) < 1e-8 and hist["loss"][-1] < 1e-15
    assert hist["sigma"] == sigmas and hist["smoothed_loss"][-1] == hist["loss"][-1]
    assert hist["smoothed_loss"][0] > 1.0  # the σ = 1 stage minimizes a different (blurred) objective


def test_continuation_gives_closure_optimizers_a_closure():
    theta = tg.tensor(np.zeros(3), requires_grad=True)
    opt = tg.optim.LBFGS([theta], tolerance_grad=1e-12, tolerance_change=1e-15, line_search_fn="strong_wolfe")
    continuation(quadratic, theta, [1.0, 0.0], opt, steps=2, num_samples=4, batched=True)
    np.testing.assert_allclose(theta.numpy(), -np.linalg.solve(A, B), rtol=1e-8)
