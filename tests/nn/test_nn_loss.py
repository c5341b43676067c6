"""Losses: values against NumPy references, gradients against closed forms and finite differences,
PyTorch's reduction semantics (weighted mean over non-ignored targets), and stability at |logits| = 1e4."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_checks import rand64, seeds

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import nn
from tinygrad_opt.testing import gradcheck, gradgradcheck, hvpcheck, jvpcheck

REDUCTIONS = ["mean", "sum", "none"]


def np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_cross_entropy(x, y, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """Reference for (N, C) logits and integer targets, written per sample."""
    n, c = x.shape
    w = np.ones(c) if weight is None else weight
    logp = np_log_softmax(x, 1)
    losses, denom = np.zeros(n), 0.0
    for i in range(n):
        if y[i] == ignore_index:
            continue
        nll = -w[y[i]] * logp[i, y[i]]
        smooth = -(w * logp[i]).sum()
        losses[i] = (1 - eps) * nll + eps / c * smooth
        denom += w[y[i]]
    return {"mean": losses.sum() / denom, "sum": losses.sum(), "none": losses}[reduction]


@st.composite
def classification(draw):
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 4))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    if draw(st.booleans()) and n > 1:
        y[rng.integers(0, n)] = -100
    weight = rng.random(c) + 0.5 if draw(st.booleans()) else None
    eps = draw(st.sampled_from([0.0, 0.1, 0.5]))
    return 3 * rng.standard_normal((n, c)), y, weight, eps


@given(classification(), st.sampled_from(REDUCTIONS))
def test_cross_entropy_matches_reference(case, reduction):
    x, y, weight, eps = case
    got = F.cross_entropy(
        tg.Tensor(x),
        tg.Tensor(y),
        None if weight is None else tg.Tensor(weight),
        reduction=reduction,
        label_smoothing=eps,
    )
    assert np.allclose(got.numpy(), np_cross_entropy(x, y, weight, -100, reduction, eps))


@given(classification(), st.sampled_from(REDUCTIONS))
@settings(max_examples=8)
def test_cross_entropy_derivatives(case, reduction):
    """'mean' and 'sum' without smoothing run through the fused WeightedSum form, 'none' through the picked one."""
    x, y, weight, eps = case
    w = None if weight is None else tg.Tensor(weight)

    def f(logits):
        return F.cross_entropy(logits, tg.Tensor(y), w, label_smoothing=eps, reduction=reduction)

    inputs = [tg.Tensor(x)]
    assert gradcheck(f, inputs) and jvpcheck(f, inputs) and hvpcheck(f, inputs)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x = rand64(0, 4, 3, scale=2.0).requires_grad_()
    y = np.array([2, 0, 1, 1])
    F.cross_entropy(x, tg.Tensor(y)).backward()
    p = np.exp(np_log_softmax(x.numpy(), 1))
    assert np.allclose(x.grad.numpy(), (p - np.eye(3)[y]) / 4)


def test_cross_entropy_with_probability_targets_and_spatial_dims():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 2, 2))
    t = rng.random((2, 3, 2, 2))
    t /= t.sum(1, keepdims=True)
    w = rng.random(3) + 0.5
    eps = 0.2
    t_smooth = (1 - eps) * t + eps / 3
    per_pixel = -(np_log_softmax(x, 1) * t_smooth * w[None, :, None, None]).sum(1)
    got = F.cross_entropy(tg.Tensor(x), tg.Tensor(t), tg.Tensor(w), label_smoothing=eps, reduction="none")
    assert np.allclose(got.numpy(), per_pixel)
    mean = F.cross_entropy(tg.Tensor(x), tg.Tensor(t), tg.Tensor(w), label_smoothing=eps)
    assert np.allclose(mean.numpy(), per_pixel.mean())  # divided by N*H*W, not by the weights
    hard = rng.integers(0, 3, (2, 2, 2))
    spatial = F.cross_entropy(tg.Tensor(x), tg.Tensor(hard), reduction="none")
    rows = x.transpose(0, 2, 3, 1).reshape(-1, 3)
    assert np.allclose(spatial.numpy().ravel(), np_cross_entropy(rows, hard.ravel(), reduction="none"))
    assert np.allclose(
        F.cross_entropy(tg.Tensor(x[0, :, 0, 0]), tg.Tensor(hard[0, 0, 0])).numpy(), spatial.numpy()[0, 0, 0]
    )


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_reduced_nll_with_spatial_dims_agrees_with_the_per_element_form(reduction):
    """The fused 'mean'/'sum' forms (cross_entropy one SoftmaxCrossEntropy op, nll_loss one WeightedSum op)
    against the per-element 'none' form reduced by hand, on (N, C, H, W) logits with ignored pixels and
    class weights; and their derivatives, to second order."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 2, 2))
    y = rng.integers(0, 3, (2, 2, 2))
    y[0, 1, 0] = y[1, 0, 1] = -100
    w = np.array([0.5, 1.0, 2.0])
    none = F.cross_entropy(tg.Tensor(x), tg.Tensor(y), tg.Tensor(w), reduction="none").numpy()
    picked_w = np.where(y == -100, 0.0, w[np.where(y == -100, 0, y)])
    expected = none.sum() / (picked_w.sum() if reduction == "mean" else 1.0)
    got = F.cross_entropy(tg.Tensor(x).requires_grad_(), tg.Tensor(y), tg.Tensor(w), reduction=reduction)
    assert type(got._ctx).__name__ == "SoftmaxCrossEntropy"
    assert np.isclose(got.item(), expected)
    logp = np_log_softmax(x, 1)
    nll = F.nll_loss(tg.Tensor(logp).requires_grad_(), tg.Tensor(y), tg.Tensor(w), reduction=reduction)
    assert type(nll._ctx).__name__ == "WeightedSum" and np.isclose(nll.item(), expected)

    def ce(logits):
        return F.cross_entropy(logits, tg.Tensor(y), tg.Tensor(w), reduction=reduction)

    def nll(logp):
        return F.nll_loss(logp, tg.Tensor(y), tg.Tensor(w), reduction=reduction)

    for f, a in [(ce, x), (nll, logp)]:
        inputs = [tg.Tensor(a)]
        assert gradcheck(f, inputs) and jvpcheck(f, inputs) and hvpcheck(f, inputs) and gradgradcheck(f, inputs)


def test_cross_entropy_mean_ignores_ignored_targets_and_all_ignored_gives_nan():
    x = rand64(0, 3, 4)
    y = np.array([1, -1, 3])
    got = F.cross_entropy(x, tg.Tensor(y), ignore_index=-1)
    assert np.isclose(got.item(), np_cross_entropy(x.numpy(), y, ignore_index=-1))
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.cross_entropy(x, tg.Tensor([-100, -100, -100])).item())  # 0/0 as in PyTorch
        empty = tg.Tensor(np.zeros((0, 4)))
        assert np.isnan(F.cross_entropy(empty, np.zeros(0, dtype=np.int64)).item())  # an empty mean, too
        assert F.cross_entropy(empty, np.zeros(0, dtype=np.int64), reduction="sum").item() == 0.0


def test_cross_entropy_is_exact_and_finite_at_logits_of_1e4():
    x = tg.Tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=np.float32, requires_grad=True)
    loss = F.cross_entropy(x, tg.Tensor([1, 1]), reduction="none")
    assert np.allclose(loss.numpy(), [2e4, 0.0])
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    assert np.allclose(x.grad.numpy(), [[1, -1, 0], [0, 0, 0]], atol=1e-6)


def test_nll_loss_weighted_mean_and_module_forms():
    logp = np_log_softmax(np.random.default_rng(0).standard_normal((4, 3)), 1)
    y = np.array([0, 2, -100, 2])
    w = np.array([0.5, 1.0, 2.0])
    expected = -(w[0] * logp[0, 0] + w[2] * logp[1, 2] + w[2] * logp[3, 2]) / (w[0] + 2 * w[2])
    assert np.isclose(F.nll_loss(tg.Tensor(logp), tg.Tensor(y), tg.Tensor(w)).item(), expected)
    assert np.isclose(nn.NLLLoss(tg.Tensor(w))(tg.Tensor(logp), tg.Tensor(y)).item(), expected)
    ce = nn.CrossEntropyLoss(tg.Tensor(w), label_smoothing=0.1)
    assert np.isclose(ce(tg.Tensor(logp), y).item(), np_cross_entropy(logp, y, w, eps=0.1))


def test_classification_losses_validate_targets():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        F.cross_entropy(tg.randn(2, 3, device="cpu"), tg.Tensor([0, 3], device="cpu"))
    with tg.detect_anomaly(), pytest.raises(ValueError, match=r"\[0, 3\)"):  # any device
        F.cross_entropy(tg.randn(2, 3), tg.Tensor([0, 3]))
    with pytest.raises(tg.ShapeError, match=r"\(2,\)"):
        F.cross_entropy(tg.randn(2, 3), tg.Tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="reduction"):
        F.nll_loss(tg.randn(2, 3), tg.Tensor([0, 1]), reduction="avg")
    for reduction in REDUCTIONS:
        with pytest.raises(tg.DTypeError, match=r"nll_loss: class targets must be integers.*float"):
            F.nll_loss(tg.randn(2, 3), tg.Tensor([0.0, 1.0]), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_unchecked_targets_on_a_gpu_count_as_ignored(device, reduction, weighted):
    """Checking the range reads the targets on the host, a sync per step on a GPU: there it is done only
    in anomaly mode, and a target outside [0, C) is then simply ignored (as ignore_index is)."""
    if device == "cpu":
        pytest.skip("the CPU always checks the range")
    logits = tg.randn(3, 4, dtype=tg.float64)
    weight = tg.tensor([1.0, 2.0, 0.5, 3.0], dtype=tg.float64) if weighted else None
    got = F.cross_entropy(logits, tg.tensor([1, 7, 2]), weight=weight, reduction=reduction)
    want = F.cross_entropy(logits, tg.tensor([1, -100, 2]), weight=weight, reduction=reduction)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def np_bce(x, y, weight=None, pos_weight=None):
    p = 1 / (1 + np.exp(-x))
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    return loss if weight is None else loss * weight


@given(seeds, st.booleans(), st.booleans(), st.sampled_from(REDUCTIONS))
def test_bce_with_logits_matches_reference(seed, use_weight, use_pos_weight, reduction):
    rng = np.random.default_rng(seed)
    x, y = 3 * rng.standard_normal((4, 3)), rng.random((4, 3))
    w = rng.random((4, 3)) if use_weight else None
    pw = rng.random(3) + 0.5 if use_pos_weight else None
    ref = np_bce(x, y, w, pw)
    ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    got = F.binary_cross_entropy_with_logits(
        tg.Tensor(x),
        tg.Tensor(y),
        None if w is None else tg.Tensor(w),
        reduction,
        None if pw is None else tg.Tensor(pw),
    )
    assert np.allclose(got.numpy(), ref)
    module = nn.BCEWithLogitsLoss(None if w is None else tg.Tensor(w), reduction, None if pw is None else tg.Tensor(pw))
    assert np.allclose(module(tg.Tensor(x), tg.Tensor(y)).numpy(), ref)


@given(seeds, st.booleans())
@settings(max_examples=8)
def test_bce_with_logits_derivatives(seed, use_pos_weight):
    rng = np.random.default_rng(seed)
    y = tg.Tensor(rng.random((3, 2)))
    pw = tg.Tensor(rng.random(2) + 0.5) if use_pos_weight else None

    def f(x):
        return F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="none")

    inputs = [tg.Tensor(2 * rng.standard_normal((3, 2)))]
    assert gradcheck(f, inputs) and jvpcheck(f, inputs) and hvpcheck(f, inputs)


def test_bce_with_logits_gradient_is_sigmoid_minus_target_even_at_zero():
    x = tg.Tensor([0.0, 0.0, 2.0, -3.0], dtype=np.float64, requires_grad=True)
    y = tg.Tensor([0.0, 1.0, 0.25, 1.0], dtype=np.float64)
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    assert np.allclose(x.grad.numpy(), 1 / (1 + np.exp(-x.numpy())) - y.numpy(), rtol=1e-14)


def test_bce_with_logits_is_exact_and_finite_at_logits_of_1e4():
    x = tg.Tensor([1e4, -1e4, 1e4, -1e4], dtype=np.float32, requires_grad=True)
    y = tg.Tensor([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    assert np.array_equal(loss.numpy(), [1e4, 1e4, 0.0, 0.0])
    loss.sum().backward()
    assert np.array_equal(x.grad.numpy(), [1.0, -1.0, 0.0, 0.0])


@given(seeds, st.sampled_from(REDUCTIONS), st.sampled_from([0.5, 1.0, 2.0]))
def test_regression_losses_match_references(seed, reduction, delta):
    rng = np.random.default_rng(seed)
    x, y = 2 * rng.standard_normal((3, 4)), 2 * rng.standard_normal((3, 4))
    d = x - y
    refs = {
        F.mse_loss: d**2,
        F.l1_loss: np.abs(d),
        lambda a, b, r: F.huber_loss(a, b, r, delta): np.where(
            np.abs(d) < delta, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta)
        ),
    }
    for fn, ref in refs.items():
        ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
        assert np.allclose(fn(tg.Tensor(x), tg.Tensor(y), reduction).numpy(), ref)
    assert np.allclose(
        nn.MSELoss(reduction)(tg.Tensor(x), tg.Tensor(y)).numpy(),
        F.mse_loss(tg.Tensor(x), tg.Tensor(y), reduction).numpy(),
    )
    assert np.allclose(
        nn.L1Loss(reduction)(tg.Tensor(x), tg.Tensor(y)).numpy(),
        F.l1_loss(tg.Tensor(x), tg.Tensor(y), reduction).numpy(),
    )
    huber = nn.HuberLoss(reduction, delta)(tg.Tensor(x), tg.Tensor(y)).numpy()
    assert np.allclose(huber, F.huber_loss(tg.Tensor(x), tg.Tensor(y), reduction, delta).numpy())


@given(seeds)
@settings(max_examples=8)
def test_regression_loss_derivatives(seed):
    rng = np.random.default_rng(seed)
    y = tg.Tensor(rng.standard_normal((2, 3)))
    x = tg.Tensor(y.numpy() + 2 * rng.standard_normal((2, 3)))
    gaps = np.abs((x - y).numpy())
    for fn in (F.mse_loss, F.l1_loss, lambda a, b, r: F.huber_loss(a, b, r, 1.0)):
        inputs = [x, y]
        if fn is F.l1_loss and gaps.min() < 1e-3:
            continue  # |d| has a kink at d = 0
        if fn not in (F.mse_loss, F.l1_loss) and np.abs(gaps - 1.0).min() < 1e-3:
            continue  # huber's second derivative jumps at |d| = delta
        f = lambda a, b, fn=fn: fn(a, b, "none")  # noqa: E731
        assert gradcheck(f, inputs) and jvpcheck(f, inputs) and hvpcheck(f, inputs)


def test_huber_gradient_is_clipped_at_delta():
    x = tg.Tensor([-5.0, -0.5, 0.2, 3.0], dtype=np.float64, requires_grad=True)
    F.huber_loss(x, tg.zeros(4, dtype=np.float64), reduction="sum", delta=1.0).backward()
    assert np.allclose(x.grad.numpy(), [-1.0, -0.5, 0.2, 1.0])


def test_regression_losses_reject_mismatched_shapes():
    with pytest.raises(tg.ShapeError, match=r"\(2, 3\).*\(3, 2\)"):
        F.mse_loss(tg.randn(2, 3), tg.randn(3, 2))
