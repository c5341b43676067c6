"""Tensor construction, factories, conversion, repr, comparisons and dtype rules."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt.errors import DTypeError, ShapeError

tensor_module = importlib.import_module("tinygrad_opt.tensor")  # the module (tg.tensor is the factory)

# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize(
    "data, dtype",
    [
        ([1.0, 2.0], np.float32),  # Python floats -> the default float dtype
        (3.0, np.float32),
        ([[1, 2], [3, 4]], np.int64),  # Python ints stay int64
        (7, np.int64),
        ([True, False], np.bool_),
        (np.array([1.0, 2.0]), np.float64),  # arrays keep their dtype
        (np.array([1, 2], dtype=np.int32), np.int32),
        (np.float64(1.5), np.float64),
    ],
)
def test_construction_dtype(device, data, dtype):
    t = tg.tensor(data, device=device)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))
    assert t.device == device and t.shape == np.shape(data) and t.ndim == np.ndim(data)


def test_construction_with_explicit_dtype(device):
    assert tg.tensor([1.0, 2.0], dtype="float64", device=device).dtype == np.float64
    assert tg.tensor([1, 2], dtype=tg.float32, device=device).dtype == np.float32
    assert tg.Tensor(np.ones(2), dtype=np.float32, device=device).dtype == np.float32


def test_construction_from_tensor_shares_nothing_with_its_graph(device):
    x = tg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = tg.Tensor(x * 2)
    assert y.is_leaf and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])


def test_set_default_dtype(monkeypatch):
    monkeypatch.setattr(tensor_module, "_default_float", np.dtype(np.float32))
    tg.set_default_dtype(tg.float64)
    assert tg.get_default_dtype() == np.float64
    assert tg.tensor([1.0]).dtype == np.float64 and tg.zeros(2).dtype == np.float64
    assert tg.tensor([1]).dtype == np.int64
    with pytest.raises(DTypeError, match="floating"):
        tg.set_default_dtype(np.int32)


# --------------------------------------------------------------------------- factories


def test_factories_shapes_values_and_default_dtype(device):
    assert tg.zeros(2, 3, device=device).shape == (2, 3)
    assert tg.ones((2, 3), device=device).shape == (2, 3)
    np.testing.assert_array_equal(tg.full((2,), 7.0, device=device).numpy(), [7.0, 7.0])
    np.testing.assert_array_equal(tg.eye(3, device=device).numpy(), np.eye(3))
    np.testing.assert_allclose(tg.linspace(0, 1, 5, device=device).numpy(), np.linspace(0, 1, 5))
    for t in (tg.zeros(2, device=device), tg.ones(2, device=device), tg.full((2,), 1, device=device)):
        assert t.dtype == np.float32 and t.device == device and t.is_leaf and not t.requires_grad
    assert tg.rand(2, 2, device=device).device == device
    assert tg.randn(2, device=device).device == device


def test_arange_dtype_follows_its_arguments(device):
    ints = tg.arange(5, device=device)
    assert ints.dtype == np.int64
    np.testing.assert_array_equal(ints.numpy(), np.arange(5))
    floats = tg.arange(0.0, 1.0, 0.25, device=device)
    assert floats.dtype == np.float32
    np.testing.assert_array_equal(floats.numpy(), [0.0, 0.25, 0.5, 0.75])


def test_factories_with_dtype_and_requires_grad(device):
    z = tg.zeros(3, dtype="float64", device=device, requires_grad=True)
    assert z.dtype == np.float64 and z.requires_grad and z.is_leaf
    assert tg.ones(2, dtype=tg.int64, device=device).dtype == np.int64
    with pytest.raises(DTypeError):
        tg.zeros(2, dtype=tg.int64, device=device, requires_grad=True)


def test_like_factories_inherit_shape_dtype_and_device(device):
    x = tg.tensor(np.ones((2, 3)), device=device)  # float64
    for fn in (tg.zeros_like, tg.ones_like, tg.rand_like, tg.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == np.float64 and y.device == device
        assert fn(x, dtype="float32").dtype == np.float32
    np.testing.assert_array_equal(tg.full_like(x, 4.0).numpy(), np.full((2, 3), 4.0))
    assert tg.zeros_like(tg.tensor([1, 2], device=device)).dtype == np.int64
    assert tg.zeros_like(x, requires_grad=True).requires_grad


# --------------------------------------------------------------------------- conversion


def test_item_numpy_tolist(device):
    x = tg.tensor([[1.5, 2.5]], device=device)
    assert tg.tensor(2.5, device=device).item() == 2.5
    assert isinstance(tg.tensor(3, device=device).item(), int)
    assert x[0, 1].item() == 2.5
    assert x.tolist() == [[1.5, 2.5]]
    arr = x.numpy()
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
    assert float(tg.tensor([4.0], device=device)) == 4.0
    with pytest.raises(ShapeError, match="one-element"):
        x.item()
    with pytest.raises(ShapeError, match="ambiguous"):
        bool(x)


def test_len_and_size(device):
    x = tg.zeros(4, 2, device=device)
    assert len(x) == 4 and x.size() == (4, 2) and x.size(1) == 2 and x.numel() == 8 and x.dim() == 2
    with pytest.raises(TypeError):
        len(tg.tensor(1.0, device=device))


def test_repr_shows_values_dtype_and_history(device):
    x = tg.tensor([1.0, 2.0], device=device, requires_grad=True)
    assert repr(x).startswith("tensor([1., 2.]") and "dtype=float32" in repr(x) and "requires_grad=True" in repr(x)
    assert "grad_fn=Mul" in repr(x * 2)
    assert repr(tg.tensor([1, 2], device=device)).startswith("tensor([1, 2], dtype=int64")
    assert ("device='cuda:0'" in repr(x)) == (device == "cuda:0")


def test_comparisons_give_bool_tensors_without_grad(device):
    x = tg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = tg.tensor([3.0, 2.0, 1.0], device=device)
    cases = {
        "<": (x < y, [True, False, False]),
        "<=": (x <= y, [True, True, False]),
        ">": (x > 2, [False, False, True]),
        ">=": (x >= 2, [False, True, True]),
        "==": (x == y, [False, True, False]),
        "!=": (x != y, [True, False, True]),
    }
    for op, (result, expected) in cases.items():
        assert result.dtype == np.bool_, op
        assert not result.requires_grad and result.is_leaf, op
        np.testing.assert_array_equal(result.numpy(), expected, err_msg=op)
    np.testing.assert_array_equal((~(x > 2)).numpy(), [True, True, False])
    np.testing.assert_array_equal(((x > 1) & (x < 3)).numpy(), [False, True, False])


# --------------------------------------------------------------------------- dtype promotion


def test_python_scalars_keep_the_tensor_dtype(device):
    x = tg.tensor([1.0, 2.0], device=device)
    for result in (x + 2.5, 2.5 * x, x / 3, 1 - x, x**2.0, x * np.float64(2.0)):
        assert result.dtype == np.float32
    assert (tg.tensor([1, 2], device=device) * 3).dtype == np.int64


def test_mixed_precision_promotes_and_gradients_keep_each_input_dtype(device):
    x = tg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = tg.tensor([3.0, 4.0], dtype="float64", device=device, requires_grad=True)
    z = x * y
    assert z.dtype == np.float64
    z.sum().backward()
    assert x.grad.dtype == np.float32 and y.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 2.0])


def test_astype_float_double_are_differentiable(device):
    x = tg.tensor([1.0, 2.0], dtype="float64", device=device, requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    w = tg.tensor([1.0], device=device, requires_grad=True)
    d = w.double()
    assert d.dtype == np.float64
    (d * 3).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.item() == 3.0
    assert x.astype(np.float64) is x
    assert x.long().dtype == np.int64


def test_to_and_cpu(device):
    x = tg.tensor([1.0, 2.0], device=device, requires_grad=True)
    assert x.to(device) is x
    c = x.cpu()
    assert c.device == "cpu"
    y = x.to(dtype=tg.float64)
    assert y.dtype == np.float64 and y.device == device and y.requires_grad
    assert x.to(tg.float64).dtype == np.float64  # a dtype as the first argument
    moved = x.to("cpu", dtype="float64")
    assert moved.device == "cpu" and moved.dtype == np.float64
    (moved * 2).sum().backward()
    assert x.grad.device == device and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_detach_and_clone_differ_in_memory(device):
    x = tg.tensor([1.0, 2.0], device=device, requires_grad=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf and c.data is not x.data
    (c * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_random_factories_refuse_a_generator_for_another_device():
    gen = tg.Generator(0, device="cpu")
    assert tg.randn(2, generator=gen, device="cpu").device == "cpu"
    for factory in (
        lambda: tg.rand(2, device="cuda", generator=gen),
        lambda: tg.randn(2, device="cuda", generator=gen),
    ):
        with pytest.raises(tg.DeviceError, match="generator draws on 'cpu'"):
            factory()
    with pytest.raises(tg.DeviceError, match="randint: device='cuda'"):
        tg.randint(0, 2, 3, device="cuda", generator=gen)


def test_builtin_abs_is_the_abs_op_with_its_gradient():
    x = tg.tensor([-2.0, 3.0], dtype=tg.float64, requires_grad=True)
    y = abs(x)
    np.testing.assert_array_equal(y.numpy(), [2.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 1.0])
