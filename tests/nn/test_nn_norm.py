"""Normalization layers (seed 003 §10): BN's backward against the closed form of §10.1.3 item 5,
BN's invariance to weight scale (§10.1.5), running statistics, the GN = LN / GN = IN identities
(§10.2.3), weight normalization, and derivatives of every order in train and eval mode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_checks import as_function, check_derivatives, rand64, seeds

import tinygrad_opt as tg
from tinygrad_opt import nn


def randomize_affine(module, seed):
    rng = np.random.default_rng(seed)
    with tg.no_grad():
        for p in module.parameters():
            p.copy_(tg.tensor(rng.standard_normal(p.shape)))
    return module


def bn_backward_closed_form(h, gamma, g2, eps):
    """Seed 003 §10.1.3 item 5, per feature over the m rows of h (m, n)."""
    m = h.shape[0]
    mu = h.mean(0)
    var = ((h - mu) ** 2).mean(0)
    h1 = (h - mu) / np.sqrt(var + eps)
    g1 = gamma * g2
    d_mu = np.sum(-g1 / np.sqrt(var + eps), axis=0)
    d_var = np.sum(-0.5 * (h - mu) / (var + eps) ** 1.5 * g1, axis=0)
    d_h = g1 / np.sqrt(var + eps) + d_mu / m + 2.0 / m * (h - mu) * d_var
    return d_h, np.sum(g2 * h1, axis=0), np.sum(g2, axis=0)


@given(st.integers(2, 6), st.integers(1, 4), seeds)
def test_batchnorm1d_backward_equals_the_closed_form(m, n, seed):
    bn = randomize_affine(nn.BatchNorm1d(n).double(), seed)
    x = rand64(seed, m, n, scale=3.0).requires_grad_()
    g2 = rand64(seed + 1, m, n)
    (bn(x) * g2).sum().backward()
    d_h, d_gamma, d_beta = bn_backward_closed_form(x.numpy(), bn.weight.numpy(), g2.numpy(), bn.eps)
    assert np.allclose(x.grad.numpy(), d_h, rtol=1e-9, atol=1e-12)
    assert np.allclose(bn.weight.grad.numpy(), d_gamma, rtol=1e-9, atol=1e-12)
    assert np.allclose(bn.bias.grad.numpy(), d_beta, rtol=1e-9, atol=1e-12)


def test_batchnorm2d_backward_equals_the_closed_form_over_n_h_w():
    bn = randomize_affine(nn.BatchNorm2d(3).double(), 0)
    x = rand64(1, 2, 3, 4, 5).requires_grad_()
    g2 = rand64(2, 2, 3, 4, 5)
    (bn(x) * g2).sum().backward()

    def rows(a):  # (N, C, H, W) -> (N*H*W, C): BN2d is BN1d over every pixel of every sample
        return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])

    d_h, d_gamma, _ = bn_backward_closed_form(rows(x.numpy()), bn.weight.numpy(), rows(g2.numpy()), bn.eps)
    assert np.allclose(rows(x.grad.numpy()), d_h, rtol=1e-9, atol=1e-12)
    assert np.allclose(bn.weight.grad.numpy(), d_gamma, rtol=1e-9)


@pytest.mark.parametrize("a", [10.0, 0.1, 3.7])
def test_batchnorm_is_invariant_to_the_scale_of_the_preceding_weights(a):
    """Seed 003 §10.1.5 item 4: W -> aW leaves BN(xW) and dL/dx unchanged and scales dL/dW by 1/a.
    Exact for eps = 0; the test uses eps = 0 so it can demand agreement to rounding error."""
    x0 = rand64(0, 8, 5)
    g2 = rand64(1, 8, 3)

    def run(scale):
        lin = nn.Linear(5, 3, bias=False).double()
        with tg.no_grad():
            lin.weight.copy_(scale * rand64(2, 3, 5))
        net = nn.Sequential(lin, nn.BatchNorm1d(3, eps=0.0).double())
        x = tg.Tensor(x0.numpy(), requires_grad=True)
        out = net(x)
        (out * g2).sum().backward()
        return out.numpy(), x.grad.numpy(), lin.weight.grad.numpy()

    out1, dx1, dw1 = run(1.0)
    out_a, dx_a, dw_a = run(a)
    assert np.allclose(out_a, out1, rtol=1e-10, atol=1e-12)
    assert np.allclose(dx_a, dx1, rtol=1e-9, atol=1e-12)
    assert np.allclose(dw_a, dw1 / a, rtol=1e-9, atol=1e-12)


def running_stats_reference(batches, momentum):
    mean, var = np.zeros(batches[0].shape[1]), np.ones(batches[0].shape[1])
    for t, b in enumerate(batches, start=1):
        rows = b.transpose(0, *range(2, b.ndim), 1).reshape(-1, b.shape[1])
        factor = 1.0 / t if momentum is None else momentum
        mean = (1 - factor) * mean + factor * rows.mean(0)
        var = (1 - factor) * var + factor * rows.var(0, ddof=1)  # the UNBIASED variance goes in
    return mean, var


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize(
    "cls, shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)), (nn.BatchNorm2d, (3, 3, 2, 4))]
)
def test_batchnorm_running_stats_match_a_numpy_reference(cls, shape, momentum):
    bn = cls(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal(shape) * (1 + i) + i for i in range(4)]
    for b in batches:
        out = bn(tg.Tensor(b)).numpy()
        rows = out.transpose(0, *range(2, out.ndim), 1).reshape(-1, 3)
        assert np.allclose(rows.mean(0), 0, atol=1e-12)  # normalized with the batch statistics
        assert np.allclose(rows.var(0), 1, atol=1e-4)  # biased variance (up to eps)
    mean, var = running_stats_reference(batches, momentum)
    assert np.allclose(bn.running_mean.numpy(), mean, rtol=1e-12)
    assert np.allclose(bn.running_var.numpy(), var, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 4
    bn.eval()
    x = rng.standard_normal(shape)
    shape_c = (1, 3) + (1,) * (len(shape) - 2)
    expected = (x - mean.reshape(shape_c)) / np.sqrt(var.reshape(shape_c) + bn.eps)
    assert np.allclose(bn(tg.Tensor(x)).numpy(), expected)
    assert int(bn.num_batches_tracked.item()) == 4


def test_batchnorm_without_running_stats_uses_batch_statistics_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False).double().eval()
    assert bn.running_mean is None and list(bn.state_dict()) == []
    x = rand64(0, 5, 2)
    h = x.numpy()
    assert np.allclose(bn(x).numpy(), (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5))


def test_batchnorm_rejects_a_single_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tg.randn(1, 3))
    with pytest.raises(tg.ShapeError, match="channels"):
        nn.BatchNorm2d(3)(tg.randn(2, 4, 2, 2))


@st.composite
def bn_cases(draw):
    two_d = draw(st.booleans())
    c = draw(st.integers(1, 2))
    shape = (draw(st.integers(2, 3)), c, 2, 2) if two_d else (draw(st.integers(2, 4)), c)
    return (nn.BatchNorm2d if two_d else nn.BatchNorm1d), c, shape


@given(bn_cases(), st.booleans(), seeds)
@settings(max_examples=6)
def test_batchnorm_derivatives_in_training_including_double_backward(case, affine, seed):
    cls, c, shape = case
    bn = randomize_affine(cls(c, affine=affine), seed)
    check_derivatives(bn, rand64(seed, *shape), second_order=True, modes=(True,))


@given(bn_cases(), seeds)
@settings(max_examples=6)
def test_batchnorm_derivatives_in_eval(case, seed):
    cls, c, shape = case
    bn = randomize_affine(cls(c), seed).double()
    bn(rand64(seed + 1, *shape, scale=2.0))  # non-trivial running statistics
    check_derivatives(bn, rand64(seed, *shape), second_order=True, modes=(False,))


def test_batchnorm_hvp_through_a_network_matches_finite_differences_of_the_gradient():
    """Double backward through BN inside a small network: H v w.r.t. all parameters."""
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = rand64(0, 5, 3)
    names = [n for n, _ in net.named_parameters()]

    def loss(*params):
        return (nn.functional_call(net, dict(zip(names, params)), (x,)) ** 2).mean()

    from tinygrad_opt.testing import hvpcheck

    assert hvpcheck(loss, [p.detach() for p in net.parameters()])


@given(st.integers(1, 3), st.integers(1, 3), st.booleans(), seeds)
@settings(max_examples=8)
def test_layernorm_values_and_derivatives(n, d, affine, seed):
    ln = nn.LayerNorm((n, d), elementwise_affine=affine)
    if affine:
        randomize_affine(ln, seed)
    ln.double()
    x = rand64(seed, 2, n, d)
    h = x.numpy()
    mu = h.mean(axis=(1, 2), keepdims=True)
    expected = (h - mu) / np.sqrt(h.var(axis=(1, 2), keepdims=True) + ln.eps)
    if affine:
        expected = expected * ln.weight.numpy() + ln.bias.numpy()
    assert np.allclose(ln(x).numpy(), expected)
    check_derivatives(ln, x, second_order=True)


@given(st.integers(1, 3), st.integers(1, 3), seeds)
def test_groupnorm_with_one_group_is_layernorm_over_c_h_w(c, hw, seed):
    x = rand64(seed, 2, c, hw, hw + 1)
    gn = nn.GroupNorm(1, c, affine=False).double()
    ln = nn.LayerNorm((c, hw, hw + 1), elementwise_affine=False).double()
    assert np.allclose(gn(x).numpy(), ln(x).numpy(), atol=1e-12)
    gn_affine = randomize_affine(nn.GroupNorm(1, c).double(), seed)
    ln_affine = nn.LayerNorm((c, hw, hw + 1)).double()
    with tg.no_grad():  # per-channel gamma and beta, broadcast over (H, W)
        ln_affine.weight.copy_(gn_affine.weight.reshape(-1, 1, 1))
        ln_affine.bias.copy_(gn_affine.bias.reshape(-1, 1, 1))
    assert np.allclose(gn_affine(x).numpy(), ln_affine(x).numpy(), atol=1e-12)


@given(st.integers(1, 3), st.booleans(), seeds)
def test_groupnorm_with_one_channel_per_group_is_instancenorm(c, affine, seed):
    x = rand64(seed, 2, c, 3, 2)
    gn = nn.GroupNorm(c, c, affine=affine).double()
    inorm = nn.InstanceNorm2d(c, affine=affine).double()
    if affine:
        randomize_affine(gn, seed)
        inorm.load_state_dict(gn.state_dict())
    assert np.allclose(gn(x).numpy(), inorm(x).numpy(), atol=1e-12)


@given(st.sampled_from([(1, 4), (2, 4), (4, 4), (3, 6)]), seeds)
@settings(max_examples=6)
def test_groupnorm_values_and_derivatives(groups_channels, seed):
    g, c = groups_channels
    gn = randomize_affine(nn.GroupNorm(g, c), seed).double()
    x = rand64(seed, 2, c, 2)
    h = x.numpy().reshape(2, g, -1)
    expected = ((h - h.mean(2, keepdims=True)) / np.sqrt(h.var(2, keepdims=True) + gn.eps)).reshape(x.shape)
    expected = expected * gn.weight.numpy()[:, None] + gn.bias.numpy()[:, None]
    assert np.allclose(gn(x).numpy(), expected)
    check_derivatives(gn, x, second_order=True)


def test_instancenorm_defaults_follow_pytorch():
    inorm = nn.InstanceNorm2d(3)
    assert not inorm.affine and not inorm.track_running_stats
    assert list(inorm.parameters()) == [] and list(inorm.state_dict()) == []


def test_instancenorm_running_stats_average_the_instances():
    inorm = nn.InstanceNorm1d(2, momentum=0.5, track_running_stats=True).double()
    x = rand64(0, 3, 2, 4, scale=2.0)
    inorm(x)
    h = x.numpy()
    assert np.allclose(inorm.running_mean.numpy(), 0.5 * h.mean(2).mean(0))
    assert np.allclose(inorm.running_var.numpy(), 0.5 + 0.5 * h.var(2, ddof=1).mean(0))
    inorm.eval()
    expected = (h - inorm.running_mean.numpy()[:, None]) / np.sqrt(inorm.running_var.numpy()[:, None] + 1e-5)
    assert np.allclose(inorm(x).numpy(), expected)


@given(st.booleans(), st.booleans(), seeds)
@settings(max_examples=6)
def test_instancenorm_derivatives(two_d, affine, seed):
    module = (nn.InstanceNorm2d if two_d else nn.InstanceNorm1d)(2, affine=affine)
    if affine:
        randomize_affine(module, seed)
    x = rand64(seed, 2, 2, 2, 2) if two_d else rand64(seed, 2, 2, 3)
    check_derivatives(module, x, second_order=True)


def test_weight_norm_keeps_the_function_and_splits_length_from_direction():
    lin = nn.Linear(4, 3).double()
    x = rand64(0, 5, 4)
    before = lin(x).numpy()
    nn.weight_norm(lin)
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight_g", "weight_v"]
    assert lin.weight_g.shape == (3, 1)
    assert np.allclose(lin(x).numpy(), before)
    assert np.allclose(lin.weight_g.numpy()[:, 0], np.linalg.norm(lin.weight_v.numpy(), axis=1))
    with tg.no_grad():
        lin.weight_g.mul_(2.0)
    w = lin.weight_v.numpy()
    expected_w = 2 * w  # g doubled, direction unchanged
    assert np.allclose((lin(x) - lin.bias).numpy(), x.numpy() @ expected_w.T)
    nn.remove_weight_norm(lin)
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight"]
    assert np.allclose(lin.weight.numpy(), expected_w)


def test_weight_norm_gradient_of_g_is_the_projection_on_the_direction():
    """dL/dg = <dL/dw, v/||v||> and dL/dv is orthogonal to v (Salimans & Kingma)."""
    lin = nn.weight_norm(nn.Linear(3, 2, bias=False).double())
    x = rand64(1, 4, 3)
    lin(x).sum().backward()
    v = lin.weight_v.numpy()
    dw = np.ones((4, 2)).T @ x.numpy()
    direction = v / np.linalg.norm(v, axis=1, keepdims=True)
    assert np.allclose(lin.weight_g.grad.numpy()[:, 0], (dw * direction).sum(1))
    assert np.allclose((lin.weight_v.grad.numpy() * v).sum(1), 0, atol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_derivatives_for_conv(dim):
    conv = nn.weight_norm(nn.Conv1d(2, 2, 2), dim=dim)
    expected_g = {0: (2, 1, 1), 1: (1, 2, 1), None: ()}[dim]
    assert conv.weight_g.shape == expected_g
    check_derivatives(conv, rand64(0, 1, 2, 3))


def test_weight_norm_state_dict_round_trip():
    src = nn.weight_norm(nn.Linear(3, 2))
    dst = nn.weight_norm(nn.Linear(3, 2))
    dst.load_state_dict(src.state_dict())
    x = tg.randn(2, 3)
    assert np.allclose(src(x).numpy(), dst(x).numpy())
    f, names = as_function(dst)
    assert names == ["bias", "weight_g", "weight_v"]
