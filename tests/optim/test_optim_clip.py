"""clip_grad_norm_ (any p-norm, inf included) and clip_grad_value_ (seed 003 §2.4)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim
from tinygrad_opt.errors import AnomalyError, HyperparameterError


def _with_grads(*grads):
    params = []
    for g in grads:
        p = tg.Tensor(np.zeros_like(g), requires_grad=True)
        p.grad = tg.Tensor(np.array(g, dtype=np.float64))
        params.append(p)
    return params


GRADS = (np.array([[3.0, -4.0], [1.0, 2.0]]), np.array([-12.0, 0.5, 2.0]))


@pytest.mark.parametrize("norm_type", [1, 2, 3.5, math.inf])
def test_total_norm_is_the_norm_of_all_gradients_together_and_clipping_rescales(norm_type):
    params = _with_grads(*GRADS)
    flat = np.concatenate([g.ravel() for g in GRADS])
    expected = np.max(np.abs(flat)) if math.isinf(norm_type) else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    total = optim.clip_grad_norm_(params, max_norm=2.0, norm_type=norm_type)
    assert isinstance(total, tg.Tensor)
    np.testing.assert_allclose(float(total), expected, rtol=1e-12)
    clipped = np.concatenate([p.grad.numpy().ravel() for p in params])
    np.testing.assert_allclose(clipped, flat * 2.0 / (expected + 1e-6), rtol=1e-12)  # direction kept


def test_gradients_under_the_limit_are_untouched_and_missing_grads_skipped():
    params = _with_grads(*GRADS) + [tg.Tensor([1.0], requires_grad=True)]
    total = optim.clip_grad_norm_(params, max_norm=100.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), GRADS[0])
    np.testing.assert_allclose(float(total), np.linalg.norm(np.concatenate([g.ravel() for g in GRADS])))
    assert float(optim.clip_grad_norm_([tg.Tensor([1.0], requires_grad=True)], 1.0)) == 0.0


def test_a_single_tensor_is_accepted():
    (p,) = _with_grads(np.array([6.0, 8.0]))
    assert float(optim.clip_grad_norm_(p, 5.0)) == 10.0
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_error_if_nonfinite_raises_and_leaves_the_gradients(bad):
    params = _with_grads(np.array([1.0, bad]))
    with pytest.raises(AnomalyError, match="NaN or Inf"):
        optim.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert np.isnan(params[0].grad.numpy()[1]) == np.isnan(bad)
    with np.errstate(invalid="ignore"):  # without the check the coefficient is 0 or NaN, as in PyTorch
        assert not np.isfinite(float(optim.clip_grad_norm_(_with_grads(np.array([1.0, bad])), 1.0)))


def test_clip_grad_value_clamps_each_entry():
    params = _with_grads(*GRADS)
    assert optim.clip_grad_value_(params, 2.5) is None
    np.testing.assert_array_equal(params[0].grad.numpy(), np.clip(GRADS[0], -2.5, 2.5))
    np.testing.assert_array_equal(params[1].grad.numpy(), [-2.5, 0.5, 2.0])


def test_clipping_arguments_are_validated():
    params = _with_grads(*GRADS)
    with pytest.raises(HyperparameterError, match="max_norm=-1"):
        optim.clip_grad_norm_(params, -1.0)
    with pytest.raises(HyperparameterError, match="norm_type"):
        optim.clip_grad_norm_(params, 1.0, norm_type=0)
    with pytest.raises(HyperparameterError, match="clip_value"):
        optim.clip_grad_value_(params, -0.1)
