"""Issue 12, core: behaviour that does not fit a bad-input table row. Construction copies (PyTorch's
torch.tensor), as_tensor/from_numpy share (and a shared Tensor shares its version counter), float-only
ops promote integer tensors, quiet NaN/inf arithmetic leaves the caller's NumPy error state alone,
0-d tensors take dim 0 and -1, and $TINYGRAD_OPT_DEVICE is checked when the package is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_opt as tg

# --------------------------------------------------------------------------- construction copies


@pytest.mark.parametrize("make", [tg.tensor, tg.Tensor], ids=["tensor", "Tensor"])
def test_a_tensor_made_from_a_tensor_is_a_copy_and_the_gradient_stays_right(make):
    a = tg.tensor([0.5, 1.0, 2.0], dtype="float64", requires_grad=True)
    b = a.exp()
    c = make(b)
    c.mul_(2)
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.exp([0.5, 1.0, 2.0]))
    np.testing.assert_array_equal(c.numpy(), 2 * np.exp([0.5, 1.0, 2.0]))
    assert not c.requires_grad and c.is_leaf


def test_a_tensor_made_from_an_ndarray_of_its_dtype_does_not_share_memory():
    src = np.array([1.0, 2.0], dtype=np.float32)
    t = tg.tensor(src, device="cpu")
    assert not np.shares_memory(t.numpy(), src)
    t.add_(1.0)
    np.testing.assert_array_equal(src, [1.0, 2.0])
    src[0] = 7.0
    np.testing.assert_array_equal(t.numpy(), [2.0, 3.0])


def test_a_tensor_made_from_a_view_copies_it():
    base = np.arange(6.0).reshape(2, 3)
    t = tg.tensor(base[:, 1], device="cpu")
    t.mul_(0.0)
    np.testing.assert_array_equal(base, np.arange(6.0).reshape(2, 3))


# --------------------------------------------------------------------------- sharing, under its own names


def test_as_tensor_shares_an_ndarray_of_the_requested_dtype():
    src = np.array([1.0, 2.0, 3.0])
    t = tg.as_tensor(src, device="cpu")
    assert t.dtype == np.float64 and np.shares_memory(t.numpy(), src)
    src[1] = 5.0
    assert t.tolist() == [1.0, 5.0, 3.0]


def test_as_tensor_converts_when_the_dtype_differs_and_leaves_the_source_alone():
    src = np.array([1.5, 2.5])
    t = tg.as_tensor(src, dtype="float32", device="cpu")
    assert t.dtype == np.float32 and not np.shares_memory(t.numpy(), src)
    assert t.tolist() == [1.5, 2.5]


def test_as_tensor_of_a_tensor_is_that_tensor_and_converts_differentiably():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    assert tg.as_tensor(a) is a
    b = tg.as_tensor(a, dtype="float64")
    assert b.dtype == np.float64 and b.requires_grad
    (b * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0])


def test_as_tensor_of_python_data_uses_the_default_float_dtype():
    assert tg.as_tensor([1.0, 2.0]).dtype == tg.get_default_dtype()
    assert tg.as_tensor([1, 2]).dtype == np.int64


def test_from_numpy_shares_memory_both_ways_and_keeps_the_dtype():
    src = np.array([1.0, 2.0])  # float64 stays float64, as torch.from_numpy
    t = tg.from_numpy(src)
    assert t.dtype == np.float64 and t.device == "cpu"
    t.add_(1.0)
    np.testing.assert_array_equal(src, [2.0, 3.0])
    src[0] = -1.0
    assert t.tolist() == [-1.0, 3.0]


def test_a_shared_tensor_shares_the_version_counter():
    a = tg.tensor([1.0, 2.0])
    shared = tg.Tensor(a, copy=False)
    assert shared.data is a.data
    shared.add_(1.0)
    assert a._version == shared._version == 1
    assert a.tolist() == [2.0, 3.0]


def test_sharing_a_tensor_saved_for_backward_is_caught_after_a_change():
    a = tg.tensor([0.5, 1.0], dtype="float64", requires_grad=True)
    b = a.exp()
    with tg.no_grad():
        tg.Tensor(b, copy=False).mul_(2)
    with pytest.raises(tg.InplaceError, match="modified in place"):
        b.sum().backward()


# --------------------------------------------------------------------------- float-only ops promote integers

PROMOTING = {
    "exp": np.exp,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
}


@pytest.mark.parametrize("name", PROMOTING)
def test_float_only_unary_ops_promote_integers_to_the_default_float(name):
    out = getattr(tg.tensor([0, 1, 2]), name)()
    assert out.dtype == tg.get_default_dtype()
    np.testing.assert_allclose(out.numpy(), PROMOTING[name](np.array([0.0, 1.0, 2.0], np.float32)), rtol=1e-6)


def test_sigmoid_of_ints_and_bools_is_float():
    np.testing.assert_allclose(tg.tensor([0, 2]).sigmoid().numpy(), [0.5, 1 / (1 + np.exp(-2.0))], rtol=1e-6)
    assert tg.tensor([True, False]).sigmoid().tolist() == [pytest.approx(1 / (1 + np.exp(-1.0))), 0.5]


def test_promotion_follows_set_default_dtype():
    before = tg.get_default_dtype()
    try:
        tg.set_default_dtype(tg.float64)
        out = tg.tensor([1, 4]).sqrt()
        assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]
    finally:
        tg.set_default_dtype(before)


# --------------------------------------------------------------------------- assignment checks


def test_grad_assignment_accepts_a_matching_tensor_and_rejects_others_unchanged():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = tg.ones(3)
    w.grad = g
    assert w.grad is g
    with pytest.raises(tg.ShapeError, match=r"Tensor.grad.*\(5,\).*\(3,\)"):
        w.grad = tg.ones(5)
    with pytest.raises(tg.DTypeError, match="float64"):
        w.grad = tg.ones(3, dtype="float64")
    assert w.grad is g


def test_requires_grad_attribute_follows_requires_grad_rules():
    t = tg.tensor([1, 2])
    with pytest.raises(tg.DTypeError, match="int64"):
        t.requires_grad = True
    assert t.requires_grad is False
    f = tg.tensor([1.0])
    f.requires_grad = True
    assert f.requires_grad is True
    (f * 3).sum().backward()
    assert f.grad.tolist() == [3.0]


# --------------------------------------------------------------------------- quiet NaN/inf, 0-d dims


def test_quiet_ops_restore_the_callers_numpy_error_state():
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        out = tg.tensor([0.0, 1000.0, -1.0], device="cpu")
        assert out.log().numpy()[0] == -np.inf and out.exp().numpy()[1] == np.inf
        with pytest.raises(FloatingPointError):
            np.log(np.zeros(1))  # the caller's setting is back after the op


def test_a_0d_tensor_takes_dim_0_and_minus_1():
    x = tg.tensor(2.5, requires_grad=True)
    assert x.sum(-1).item() == 2.5 and x.max(0).item() == 2.5 and x.mean(dim=-1).item() == 2.5
    y = x.softmax(-1)
    assert y.item() == 1.0
    y.backward()
    assert x.grad.item() == 0.0
    with pytest.raises(tg.AxisError, match=r"sum: axis 1"):
        x.sum(1)


def test_mean_over_an_empty_tensor_is_nan_and_its_gradient_is_empty():
    x = tg.zeros(0, requires_grad=True)
    m = x.mean()
    assert np.isnan(m.item())
    m.backward()
    assert x.grad.shape == (0,)


# --------------------------------------------------------------------------- the device variable at import


def _import_with(env_device, fake_cuda=False):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINYGRAD_OPT_")}
    env["TINYGRAD_OPT_DEVICE"] = env_device
    if fake_cuda:
        env["TINYGRAD_OPT_FAKE_CUDA"] = "1"
    code = "import tinygrad_opt as tg; print(tg.ones(1).device)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_an_unknown_device_variable_fails_at_import_naming_it():
    run = _import_with("tpu")
    assert run.returncode != 0
    assert "DeviceError" in run.stderr and "TINYGRAD_OPT_DEVICE='tpu'" in run.stderr and "'cuda:N'" in run.stderr


def test_cuda_in_the_variable_without_cupy_fails_at_import_with_the_install_hint():
    if tg.cuda_available():
        pytest.skip("CuPy and a GPU are present: the variable is valid here")
    run = _import_with("cuda")
    assert run.returncode != 0
    assert "TINYGRAD_OPT_DEVICE='cuda'" in run.stderr and "tinygrad_opt[cuda]" in run.stderr


def test_valid_device_variables_import_and_place_tensors_there():
    cpu = _import_with("cpu")
    assert cpu.returncode == 0 and cpu.stdout.strip() == "cpu", cpu.stderr
    fake = _import_with("cuda", fake_cuda=True)
    assert fake.returncode == 0 and fake.stdout.strip() == "cuda:0", fake.stderr
