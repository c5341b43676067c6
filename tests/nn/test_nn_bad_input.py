"""Bad input in nn beyond the table (issue 12): what a failed call leaves behind, the PyTorch answers
that are values rather than errors, and the one error family across the package."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.nn import functional as F
from tinygrad_opt.nn import init


def f64(*shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape))


def test_module_to_refuses_an_integer_dtype_and_keeps_the_weights():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    for dtype in ("int32", np.int64, bool):
        with pytest.raises(tg.DTypeError, match="Module.to: only floating-point"):
            model.to(dtype=dtype)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k].numpy()) and before[k].dtype == after[k].dtype for k in before)
    model.double()  # a float dtype still casts the floating state and leaves the int counter alone
    assert model[0].weight.dtype == np.float64 and model[1].num_batches_tracked.dtype == np.int64


def test_a_failed_batchnorm_call_leaves_the_next_step_as_a_fresh_one():
    x = f64(4, 3).float()
    failed, fresh = nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    with pytest.raises(tg.ShapeError, match="more than 1 value per channel when training"):
        failed(tg.randn(1, 3))
    assert failed.num_batches_tracked.item() == 0
    out_failed, out_fresh = failed(x), fresh(x)
    assert np.array_equal(out_failed.numpy(), out_fresh.numpy())
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert np.array_equal(getattr(failed, name).numpy(), getattr(fresh, name).numpy())


def test_batch_norm_with_one_bad_running_buffer_moves_neither():
    mean, var = tg.zeros(3), tg.ones(3)
    with pytest.raises(tg.ShapeError, match=r"F\.batch_norm: running_var of shape \(2,\)"):
        F.batch_norm(tg.randn(4, 3), mean, tg.ones(2), training=True)
    assert np.array_equal(mean.numpy(), np.zeros(3)) and mean._version == 0
    F.batch_norm(tg.randn(4, 3), mean, var, training=True)  # the valid call still updates both
    assert mean._version > 0 and var._version > 0


def test_instance_norm_with_one_spatial_element_follows_pytorch():
    x = tg.full((2, 3, 1), 2.0)
    with pytest.raises(tg.ShapeError, match="InstanceNorm1d: expected more than 1 spatial element"):
        nn.InstanceNorm1d(3)(x)  # training
    with pytest.raises(tg.ShapeError, match="spatial element"):
        nn.InstanceNorm1d(3).eval()(x)  # no running statistics: eval normalizes with the input's own
    tracked = nn.InstanceNorm1d(3, track_running_stats=True).eval()
    assert np.allclose(tracked(x).numpy(), 2.0 / math.sqrt(1 + 1e-5))  # (x - 0) / sqrt(1 + eps)


def test_linear_with_zero_in_features_is_the_bias_as_in_pytorch():
    layer = nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0) and np.array_equal(layer.bias.numpy(), np.zeros(3))  # bound 1/sqrt(0) -> 0
    with tg.no_grad():
        layer.bias.copy_(tg.tensor([1.0, 2.0, 3.0]))
    out = layer(tg.zeros(4, 0))
    assert np.array_equal(out.numpy(), np.tile([1.0, 2.0, 3.0], (4, 1)))
    out.sum().backward()
    assert np.array_equal(layer.bias.grad.numpy(), np.full(3, 4.0)) and layer.weight.grad.shape == (3, 0)


def test_variance_scaling_initializers_leave_an_empty_tensor_alone():
    for fill in (init.kaiming_uniform_, init.kaiming_normal_, init.xavier_uniform_, init.xavier_normal_):
        t = tg.zeros(0, 0)
        assert fill(t) is t and t.shape == (0, 0)
    for fill in (init.lecun_uniform_, init.lecun_normal_, init.orthogonal_):
        t = tg.zeros(0, 4)
        assert fill(t) is t


def test_integer_tensors_take_integer_constants_but_no_random_fill():
    counts = tg.tensor(np.zeros(3, np.int64))
    assert np.array_equal(init.constant_(counts, 7).numpy(), [7, 7, 7])
    assert np.array_equal(init.ones_(counts).numpy(), [1, 1, 1])
    for fill in (init.uniform_, init.normal_, init.trunc_normal_, init.relu_bias_):
        with pytest.raises(tg.DTypeError, match=fill.__name__):
            fill(counts)
    assert np.array_equal(counts.numpy(), [1, 1, 1])


def test_losses_of_no_elements_are_nan_with_an_empty_gradient_and_no_warning():
    pred = tg.zeros(0, 3, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for loss in (
            F.mse_loss(pred, tg.zeros(0, 3)),
            F.l1_loss(pred, tg.zeros(0, 3)),
            F.huber_loss(pred, tg.zeros(0, 3)),
        ):
            assert math.isnan(loss.item())
            loss.backward()
            assert pred.grad.shape == (0, 3)
        targets = tg.tensor(np.zeros(0, np.int64))
        assert math.isnan(F.cross_entropy(pred, targets).item())
        assert F.cross_entropy(pred, targets, reduction="sum").item() == 0.0
        assert F.cross_entropy(pred, targets, reduction="none").shape == (0,)


def test_cross_entropy_checks_the_class_weight_against_the_classes():
    logits, targets = f64(4, 3), tg.tensor(np.array([0, 2, 1, 2]))
    with pytest.raises(tg.ShapeError, match=r"weight of shape \(2,\) must have one entry per class: shape \(3,\)"):
        F.cross_entropy(logits, targets, weight=tg.ones(2, dtype=np.float64))
    w = np.array([1.0, 2.0, 0.5])
    logp = logits.numpy() - np.log(np.exp(logits.numpy()).sum(1, keepdims=True))
    expected = -sum(w[y] * logp[i, y] for i, y in enumerate([0, 2, 1, 2])) / w[[0, 2, 1, 2]].sum()
    assert np.isclose(F.cross_entropy(logits, targets, weight=tg.tensor(w)).item(), expected, rtol=1e-12)


def test_parameter_shares_a_tensors_memory_and_version_as_pytorch_does():
    a = tg.randn(3, requires_grad=True)
    b = a.exp()
    p = nn.Parameter(b)
    assert p.is_leaf and p.requires_grad and p.data is b.data
    with tg.no_grad():
        p.mul_(2.0)
    with pytest.raises(tg.InplaceError):  # exp saved b for backward; autograd sees the change through p
        b.sum().backward()
    arr = np.ones(2, np.float32)
    assert nn.Parameter(arr).data is not arr  # an array is copied, as tg.tensor does


def test_flatten_checks_its_dims_against_the_input():
    x = tg.randn(2, 3, 4)
    assert nn.Flatten(1, -1)(x).shape == (2, 12)
    assert nn.Flatten(-2, 2)(x).shape == (2, 12)
    with pytest.raises(tg.ArgumentError, match="start_dim=-1 comes after end_dim=1"):
        nn.Flatten(-1, 1)(x)
    with pytest.raises(tg.AxisError, match="end_dim=3"):
        nn.Flatten(0, 3)(x)


def test_functional_and_module_convolutions_agree_on_same_padding():
    conv = nn.Conv2d(2, 3, (3, 2), padding="same", dilation=(1, 2))
    x = tg.randn(1, 2, 5, 6)
    expected = conv(x).numpy()
    got = F.conv2d(x, conv.weight, conv.bias, padding="same", dilation=(1, 2)).numpy()
    assert got.shape == (1, 3, 5, 6) and np.allclose(got, expected, atol=1e-6)


def test_dropout_refuses_integers_only_when_it_would_scale_them():
    counts = tg.tensor(np.arange(4))
    drop = nn.Dropout(0.5)
    with pytest.raises(tg.DTypeError, match="Dropout: input must be a floating-point tensor"):
        drop(counts)
    assert drop.eval()(counts) is counts  # eval is the identity, as in PyTorch


def test_every_deliberate_error_in_nn_is_a_family_class():
    """Plain builtins are left only where Python's attribute protocol wants them: __getattr__, and
    __setattr__ before Module.__init__ ran (PyTorch raises AttributeError there too)."""
    source = Path(nn.__file__).parent
    plain = re.compile(r"raise (ValueError|TypeError|IndexError|KeyError|AttributeError|RuntimeError)\(")
    found = [(p.name, m.group(1)) for p in source.glob("*.py") for m in plain.finditer(p.read_text())]
    assert found == [("module.py", "AttributeError"), ("module.py", "AttributeError")], found
