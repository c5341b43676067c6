"""Linear, Conv, pooling, Flatten, Dropout and activation modules: values against direct loops,
PyTorch's default init bounds, and first/second derivatives (reverse, forward, HVP) in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_checks import check_derivatives, rand64, seeds

import tinygrad_opt as tg
from tinygrad_opt import nn


def conv2d_loop(x, w, b, stride, padding, dilation, groups):
    """y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] x_pad[n, g*cg + c, i*s + p*d, j*s + q*d]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, oh, ow))
    per_group = o // groups
    for ni in range(n):
        for oi in range(o):
            g = oi // per_group
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0 if b is None else b[oi]
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                acc += w[oi, ci, p, q] * xp[ni, g * cg + ci, i * sh + p * dh, j * sw + q * dw]
                    y[ni, oi, i, j] = acc
    return y


def pool2d_loop(x, kernel, stride, padding, dilation, reduce, pad_value):
    n, c, h, wd = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw : j * sw + dw * (kw - 1) + 1 : dw]
            y[:, :, i, j] = reduce(window, axis=(2, 3))
    return y


@st.composite
def conv_configs(draw):
    groups = draw(st.sampled_from([1, 2]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    size = [dilation[i] * (k[i] - 1) + 1 - 2 * padding[i] + draw(st.integers(0, 2)) for i in range(2)]
    size = [max(s, 1) for s in size]
    return dict(cin=cin, cout=cout, k=k, stride=stride, dilation=dilation, padding=padding, groups=groups, size=size)


@given(conv_configs(), st.booleans(), seeds)
def test_conv2d_matches_a_direct_loop(cfg, bias, seed):
    conv = nn.Conv2d(
        cfg["cin"], cfg["cout"], cfg["k"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"], bias
    ).double()
    x = rand64(seed, 2, cfg["cin"], *cfg["size"])
    expected = conv2d_loop(
        x.numpy(),
        conv.weight.numpy(),
        None if conv.bias is None else conv.bias.numpy(),
        cfg["stride"],
        cfg["padding"],
        cfg["dilation"],
        cfg["groups"],
    )
    assert np.allclose(conv(x).numpy(), expected, atol=1e-12)


@given(conv_configs(), seeds)
@settings(max_examples=6)
def test_conv2d_derivatives(cfg, seed):
    conv = nn.Conv2d(cfg["cin"], cfg["cout"], cfg["k"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
    check_derivatives(conv, rand64(seed, 1, cfg["cin"], *cfg["size"]))


@given(st.integers(1, 3), st.integers(1, 2), st.integers(0, 1), st.integers(1, 2), st.booleans(), seeds)
def test_conv1d_matches_conv2d_with_a_unit_height(k, stride, padding, dilation, bias, seed):
    conv1 = nn.Conv1d(2, 3, k, stride, padding, dilation, bias=bias).double()
    length = dilation * (k - 1) + 1 + 2
    x = rand64(seed, 2, 2, length)
    expected = conv2d_loop(
        x.numpy()[:, :, None, :],
        conv1.weight.numpy()[:, :, None, :],
        None if conv1.bias is None else conv1.bias.numpy(),
        (1, stride),
        (0, padding),
        (1, dilation),
        1,
    )[:, :, 0, :]
    assert np.allclose(conv1(x).numpy(), expected, atol=1e-12)


@given(seeds)
@settings(max_examples=5)
def test_conv1d_derivatives(seed):
    check_derivatives(nn.Conv1d(2, 2, 2, stride=2, padding=1, dilation=1), rand64(seed, 2, 2, 5))


def test_conv_same_padding_keeps_the_size_even_for_even_kernels():
    conv = nn.Conv2d(1, 1, (2, 4), padding="same", dilation=(1, 2), bias=False).double()
    x = rand64(0, 1, 1, 5, 6)
    y = conv(x)
    assert y.shape == (1, 1, 5, 6)
    expected = conv2d_loop(
        np.pad(x.numpy(), ((0, 0), (0, 0), (0, 1), (3, 3))), conv.weight.numpy(), None, (1, 1), (0, 0), (1, 2), 1
    )
    assert np.allclose(y.numpy(), expected)


@pytest.mark.parametrize(
    "layer, fan_in",
    [
        (lambda: nn.Linear(50, 40), 50),
        (lambda: nn.Conv2d(3, 60, (3, 5)), 45),
        (lambda: nn.Conv2d(4, 64, 3, groups=2), 18),
        (lambda: nn.Conv1d(5, 100, 4), 20),
    ],
    ids=["linear", "conv2d", "conv2d-groups", "conv1d"],
)
def test_default_init_matches_pytorch_bounds(layer, fan_in):
    """kaiming_uniform_(a=sqrt(5)): bound = sqrt(6 / ((1 + 5) fan_in)) = 1/sqrt(fan_in); bias the same bound."""
    m = layer()
    bound = math.sqrt(6.0 / ((1 + 5) * fan_in))
    w = np.abs(m.weight.numpy())
    assert w.max() <= bound and w.max() > 0.95 * bound  # >= 1800 draws: P(all below 0.95 bound) < 1e-40
    assert np.abs(m.bias.numpy()).max() <= 1.0 / math.sqrt(fan_in)
    n = w.size
    assert abs(float((w**2).mean()) - bound**2 / 3) < 5 * math.sqrt(4 / 45 * bound**4 / n)


def test_layer_dtype_and_shape_errors():
    assert nn.Linear(2, 3, dtype=np.float64).weight.dtype == np.float64
    with pytest.raises(tg.ShapeError, match=r"\(4, 5\)"):
        nn.Linear(3, 2)(tg.randn(4, 5))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(tg.ShapeError):
        nn.Conv2d(3, 4, 3)(tg.randn(1, 2, 5, 5))


@given(st.integers(1, 3), st.integers(1, 4), st.booleans(), st.sampled_from([(2,), (3, 2), ()]), seeds)
@settings(max_examples=8)
def test_linear_values_and_derivatives(in_f, out_f, bias, lead, seed):
    """2-D inputs run through one Affine op (or one transposed Matmul without bias); other ranks are
    flattened to 2-D around it."""
    lin = nn.Linear(in_f, out_f, bias=bias).double()
    x = rand64(seed, *lead, in_f)
    expected = x.numpy() @ lin.weight.numpy().T + (lin.bias.numpy() if bias else 0)
    out = lin(x)
    assert out.shape == (*lead, out_f) and np.allclose(out.numpy(), expected)
    if len(lead) == 1:
        assert type(out._ctx).__name__ == ("Affine" if bias else "Matmul")
    check_derivatives(lin, x)


def test_linear_with_mixed_dtypes_is_refused():
    lin = nn.Linear(3, 2)  # float32
    with pytest.raises(tg.DTypeError, match="float32.*float64|float64.*float32"):
        lin(tg.randn(4, 3, dtype=np.float64))
    with pytest.raises(tg.DTypeError):
        tg.nn.functional.linear(tg.randn(4, 3, dtype=np.float64), lin.weight)


@st.composite
def pool_configs(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    size = [k[i] + draw(st.integers(0, 2)) for i in range(2)]
    return k, stride, padding, size


@given(pool_configs(), st.integers(1, 2), seeds)
def test_max_pool2d_matches_a_loop_and_has_correct_derivatives(cfg, dilation, seed):
    k, stride, padding, size = cfg
    size = [s + (dilation - 1) * (ki - 1) for s, ki in zip(size, k)]
    pool = nn.MaxPool2d(k, stride, padding, dilation)
    x = rand64(seed, 1, 2, *size)
    expected = pool2d_loop(x.numpy(), k, stride, padding, (dilation, dilation), np.max, -np.inf)
    assert np.array_equal(pool(x).numpy(), expected)
    check_derivatives(pool, x)


@given(pool_configs(), seeds)
def test_avg_pool2d_matches_a_loop_counting_padding(cfg, seed):
    k, stride, padding, size = cfg
    pool = nn.AvgPool2d(k, stride, padding)
    x = rand64(seed, 2, 1, *size)
    expected = pool2d_loop(x.numpy(), k, stride, padding, (1, 1), np.mean, 0.0)
    assert np.allclose(pool(x).numpy(), expected)


@given(seeds)
@settings(max_examples=5)
def test_avg_pool2d_derivatives(seed):
    check_derivatives(nn.AvgPool2d(2, 1, 1), rand64(seed, 1, 2, 3, 3))


@given(st.integers(1, 3), st.integers(1, 2), seeds)
def test_1d_pools_match_the_2d_loop(k, stride, seed):
    x = rand64(seed, 2, 2, k + 3)
    x4 = x.numpy()[:, :, None, :]
    mx = pool2d_loop(x4, (1, k), (1, stride), (0, 0), (1, 1), np.max, -np.inf)[:, :, 0]
    av = pool2d_loop(x4, (1, k), (1, stride), (0, 0), (1, 1), np.mean, 0.0)[:, :, 0]
    assert np.array_equal(nn.MaxPool1d(k, stride)(x).numpy(), mx)
    assert np.allclose(nn.AvgPool1d(k, stride)(x).numpy(), av)
    check_derivatives(nn.MaxPool1d(k, stride), x)
    check_derivatives(nn.AvgPool1d(k, stride, k // 2), x)


def test_pool_stride_defaults_to_the_kernel_size():
    x = tg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    assert np.array_equal(nn.MaxPool2d(2)(x).numpy(), [[[[5.0, 7.0], [13.0, 15.0]]]])
    assert np.array_equal(nn.AvgPool2d(2)(x).numpy(), [[[[2.5, 4.5], [10.5, 12.5]]]])


def test_flatten_keeps_the_batch_axis():
    x = tg.zeros(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(2)(x).shape == (2, 3, 20)
    check_derivatives(nn.Flatten(), rand64(0, 2, 3, 2))


def test_dropout_is_inverted_in_training_and_identity_in_eval():
    p = 0.3
    drop = nn.Dropout(p, generator=tg.Generator(1))
    x = tg.ones(200, 500)
    y = drop(x).numpy()
    kept = y != 0
    assert np.allclose(y[kept], 1 / (1 - p))
    n = x.numel()
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    assert abs(y.mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / n)  # E[y] = x: no rescaling needed in eval
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


@given(seeds)
@settings(max_examples=5)
def test_dropout_derivatives_with_a_fixed_mask(seed):
    class SeededDropout(nn.Module):
        def forward(self, x):
            return x.dropout(0.4, self.training, tg.Generator(seed))

    x = rand64(seed, 3, 4)
    check_derivatives(SeededDropout(), x)
    y = SeededDropout()(x).numpy()
    assert np.allclose(y[y != 0], x.numpy()[y != 0] / 0.6)


ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    (nn.GELU(), lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
    (
        nn.GELU("tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softplus(beta=2.0, threshold=1.0), lambda x: np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2)),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
    (nn.Identity(7, key="ignored"), lambda x: x),
]


@pytest.mark.parametrize("module, reference", ACTIVATIONS, ids=lambda v: repr(v) if isinstance(v, nn.Module) else "")
@given(seed=seeds)
@settings(max_examples=4)
def test_activation_values_and_derivatives(module, reference, seed):
    x = rand64(seed, 2, 3)
    assert np.allclose(module(x).numpy(), reference(x.numpy()), atol=1e-12)
    check_derivatives(module, x)


def test_softmax_without_dim_follows_pytorchs_legacy_rule():
    x = rand64(0, 2, 3)
    assert np.allclose(nn.Softmax()(x).numpy().sum(1), 1.0)
    x3 = rand64(1, 2, 3, 4)
    assert np.allclose(nn.Softmax()(x3).numpy().sum(0), 1.0)


def test_softplus_derivative_at_zero_is_one_half():
    """softplus is smooth: its slope at 0 is sigmoid(0) = 1/2 (not the relu/abs subgradient 0)."""
    x = tg.Tensor([0.0], requires_grad=True, dtype=np.float64)
    nn.Softplus()(x).sum().backward()
    assert x.grad.item() == 0.5
