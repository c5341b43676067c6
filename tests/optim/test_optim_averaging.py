"""Polyak averaging (seed 003 §8.2): ASGD's built-in average, AveragedModel/EMA, and Lookahead."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim


def _iterates(n=12, seed=0):
    return [np.random.default_rng(seed + i).normal(size=(2, 3)) for i in range(n)]


def _tracked(iterates, avg):
    p = avg.params[0]
    for it in iterates:
        with tg.no_grad():
            p.copy_(tg.tensor(it))
        avg.update_parameters()
    return avg.averaged[0].numpy()


def test_arithmetic_average_is_the_mean_of_the_iterates():
    its = _iterates()
    avg = optim.AveragedModel([tg.Tensor(np.zeros((2, 3)), requires_grad=True)])
    np.testing.assert_allclose(_tracked(its, avg), np.mean(its, axis=0), rtol=1e-12)
    assert avg.n_averaged == len(its)


def test_ema_is_the_exponential_average_started_at_the_first_iterate():
    its, decay = _iterates(), 0.7
    expected = its[0]
    for it in its[1:]:
        expected = decay * expected + (1 - decay) * it
    avg = optim.EMA([tg.Tensor(np.zeros((2, 3)), requires_grad=True)], decay=decay)
    np.testing.assert_allclose(_tracked(its, avg), expected, rtol=1e-12)


def test_copy_to_and_state_dict_round_trip():
    p = tg.Tensor(np.zeros((2, 3)), requires_grad=True)
    avg = optim.AveragedModel([p])
    mean = _tracked(_iterates(), avg)
    other = optim.AveragedModel([tg.Tensor(np.zeros((2, 3)), requires_grad=True)])
    other.load_state_dict(avg.state_dict())
    assert other.n_averaged == avg.n_averaged
    np.testing.assert_array_equal(other.averaged[0].numpy(), mean)
    avg.copy_to()
    np.testing.assert_array_equal(p.numpy(), mean)
    with pytest.raises(tg.StateDictError, match="shapes"):  # issue 12: was a ShapeError
        optim.AveragedModel([tg.Tensor(np.zeros(3))]).load_state_dict(avg.state_dict())


def test_averaging_the_oscillating_gd_path_lands_on_the_minimum():
    """Seed 003 §8.2 item 1: GD at lr = 2/λ bounces between ±x0 forever; the average of the path is
    at the minimum. ASGD's built-in average (t0 = 0) and AveragedModel agree."""
    x = tg.Tensor(np.array([1.0, -3.0]), requires_grad=True)
    opt = optim.GD([x], lr=1.0)
    avg = optim.AveragedModel([x])
    for _ in range(100):
        x.grad = tg.Tensor(2.0 * x.numpy())  # f = x², λ = 2, lr = 2/λ
        opt.step()
        avg.update_parameters()
    assert np.allclose(np.abs(x.numpy()), [1.0, 3.0])
    assert np.abs(avg.averaged[0].numpy()).max() < 1e-12

    y = tg.Tensor(np.array([1.0, -3.0]), requires_grad=True)
    asgd = optim.ASGD([y], lr=1.0, lambd=0.0, t0=0)
    for _ in range(101):
        y.grad = tg.Tensor(2.0 * y.numpy())
        asgd.step()
    assert np.abs(asgd.state[y]["ax"].numpy()).max() < 1e-12 < np.abs(y.numpy()).min()


def test_lookahead_pulls_the_fast_weights_back_every_k_steps():
    x = tg.Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.Lookahead(optim.SGD([x], lr=0.1), k=2, alpha=0.5)
    seen = []
    for _ in range(4):
        x.grad = tg.Tensor(np.array([1.0]))  # constant gradient: the fast weights move by -0.1 per step
        opt.step()
        seen.append(float(x.numpy()[0]))
    # steps 1, 2 fast: 0.9, 0.8 -> slow = 1 + 0.5 (0.8 - 1) = 0.9; steps 3, 4: 0.8, 0.7 -> 0.9 + 0.5 (0.7 - 0.9)
    np.testing.assert_allclose(seen, [0.9, 0.9, 0.8, 0.8], rtol=1e-12)
    assert opt.param_groups is opt.optimizer.param_groups
    opt.param_groups[0]["lr"] = 0.2  # a scheduler writing group['lr'] reaches the inner optimizer
    x.grad = tg.Tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_allclose(x.numpy(), [0.6], rtol=1e-12)
    opt.zero_grad()
    assert x.grad is None
