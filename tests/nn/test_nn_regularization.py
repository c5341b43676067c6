"""Prediction- and input-side regularizers (nn/regularization.py) against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt.errors import HyperparameterError, ShapeError
from tinygrad_opt.nn import regularization as R


def test_entropy_of_uniform_logits_is_log_k_and_of_a_peak_is_near_zero():
    assert float(R.entropy(tg.zeros(3, 5, dtype=np.float64))) == pytest.approx(math.log(5), rel=1e-12)
    peaked = tg.Tensor(np.array([[50.0, 0.0, 0.0]]))
    assert float(R.entropy(peaked)) < 1e-18


def test_entropy_regularization_value_and_gradient_match_numpy():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3))

    def value(z):
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        return 0.3 * (p * np.log(p)).sum(1).mean()  # −β·mean H

    logits = tg.Tensor(z.copy(), requires_grad=True)
    loss = R.entropy_regularization(logits, 0.3)
    assert float(loss) == pytest.approx(value(z), rel=1e-12)
    loss.backward()
    h = 1e-6
    fd = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[idx] = h
        fd[idx] = (value(z + e) - value(z - e)) / (2 * h)
    np.testing.assert_allclose(logits.grad.numpy(), fd, rtol=1e-6, atol=1e-9)


def test_mixup_mixes_inputs_and_targets_with_the_same_pairing():
    """With x = I the mixed batch is the mixing matrix M = λI + (1 − λ)P itself: P must be a permutation,
    and the targets must be mixed by the same M."""
    n = 6
    labels = tg.Tensor(np.arange(n) % 3)
    mixed_x, mixed_y, lam = R.mixup(tg.Tensor(np.eye(n)), labels, alpha=0.4, num_classes=3)
    assert 0 < lam < 1
    m = mixed_x.numpy()
    p = (m - lam * np.eye(n)) / (1 - lam)
    np.testing.assert_allclose(p, np.round(p), atol=1e-12)
    np.testing.assert_allclose(p.sum(axis=0), 1.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(mixed_y.numpy(), m @ np.eye(3)[np.arange(n) % 3], atol=1e-12)


def test_cutout_zeroes_one_square_per_image_where_numpy_says():
    x = tg.ones(3, 2, 8, 8, device="cpu")
    out = R.cutout(x, 4, generator=tg.Generator(7, device="cpu")).numpy()
    rng = np.random.default_rng(7)
    cy, cx = rng.integers(0, 8, 3), rng.integers(0, 8, 3)
    for i in range(3):
        ref = np.ones((8, 8))
        ref[max(cy[i] - 2, 0) : cy[i] + 2, max(cx[i] - 2, 0) : cx[i] + 2] = 0
        for c in range(2):
            np.testing.assert_array_equal(out[i, c], ref)


def _linear_loss(w):
    wt = tg.Tensor(w)
    return lambda x, y: (x * wt).sum()


def test_fgsm_moves_each_input_by_eps_along_the_gradient_sign():
    w = np.array([[1.0, -2.0, 0.5]])
    x = tg.Tensor(np.array([[0.1, 0.2, 0.3]]))
    adv = R.fgsm(_linear_loss(w), x, None, eps=0.05)
    np.testing.assert_allclose(adv.numpy(), x.numpy() + 0.05 * np.sign(w))
    assert not adv.requires_grad
    clipped = R.fgsm(_linear_loss(w), x, None, eps=0.5, clip=(0.0, 1.0))
    np.testing.assert_allclose(clipped.numpy(), [[0.6, 0.0, 0.8]])


def test_pgd_stays_in_the_ball_and_reaches_its_corner_on_a_linear_loss():
    w = np.array([[1.0, -2.0, 0.5]])
    x = tg.Tensor(np.array([[0.1, 0.2, 0.3]]))
    adv = R.pgd(_linear_loss(w), x, None, eps=0.1, alpha=0.03, steps=5, random_start=False)
    np.testing.assert_allclose(adv.numpy(), x.numpy() + 0.1 * np.sign(w))  # 5·0.03 > 0.1: projected
    started = R.pgd(_linear_loss(w), x, None, eps=0.1, alpha=0.01, steps=2)
    assert np.abs(started.numpy() - x.numpy()).max() <= 0.1 + 1e-12


def test_bad_arguments_name_the_function():
    x = tg.zeros(2, 3)
    with pytest.raises(HyperparameterError, match="mixup: alpha"):
        R.mixup(x, tg.Tensor(np.array([0, 1])), alpha=0.0, num_classes=2)
    with pytest.raises(ShapeError, match="mixup: integer labels need num_classes"):
        R.mixup(x, tg.Tensor(np.array([0, 1])))
    with pytest.raises(ShapeError, match="cutout: expects images"):
        R.cutout(x, 2)
    with pytest.raises(HyperparameterError, match="pgd: steps"):
        R.pgd(_linear_loss(np.ones((2, 3))), x, None, eps=0.1, alpha=0.1, steps=0)
