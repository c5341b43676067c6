"""Bad input to ops (SPEC §11): a specific exception whose message names the op and the offending
shapes, dtypes or axes. ShapeError is also a ValueError and DTypeError a TypeError, so code written
against NumPy's exceptions keeps working."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg


def f64(*shape):
    return tg.ones(*shape, dtype=tg.float64)


@pytest.mark.parametrize(
    "a, b",
    [((2, 3), (4, 2)), ((3,), (4,)), ((2, 3), (2,)), ((2, 2, 3), (3, 3, 2)), ((3,), (2, 4, 5))],
    ids=str,
)
def test_matmul_shape_mismatch_names_both_shapes_and_the_op(a, b):
    with pytest.raises(tg.ShapeError) as err:
        f64(*a) @ f64(*b)
    message = str(err.value)
    assert "matmul" in message and str(a) in message and str(b) in message


def test_matmul_dtype_mismatch_raises_dtype_error():
    with pytest.raises(tg.DTypeError, match=r"matmul.*float64.*float32"):
        f64(2, 3) @ tg.ones(3, 2, dtype=tg.float32)


BINARY = {  # op: (function, the primitive named in the message)
    "add": (lambda a, b: a + b, "Add"),
    "sub": (lambda a, b: a - b, "Sub"),
    "mul": (lambda a, b: a * b, "Mul"),
    "div": (lambda a, b: a / b, "Div"),
    "pow": (lambda a, b: a**b, "Pow"),
    "maximum": (tg.maximum, "Maximum"),
    "minimum": (tg.minimum, "Maximum"),
    "where": (lambda a, b: a.where(np.ones((2, 3), dtype=bool), b), "Where"),
}


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_with_shapes_that_do_not_broadcast_raises_shape_error(name):
    fn, op = BINARY[name]
    with pytest.raises(tg.ShapeError) as err:
        fn(f64(2, 3), f64(4))
    message = str(err.value)
    assert op in message and "(2, 3)" in message and "(4,)" in message and "broadcast" in message


def test_shape_and_dtype_errors_are_value_and_type_errors():
    with pytest.raises(ValueError):
        f64(2, 3) + f64(4)
    with pytest.raises(TypeError):
        f64(2) @ tg.ones(2, dtype=tg.float32)


BAD_CALLS = {  # name: (call, message pattern)
    "reshape_size": (lambda: f64(2, 3).reshape(4, 2), r"reshape.*\(2, 3\).*\(4, 2\)"),
    "reshape_infer": (lambda: f64(2, 3).reshape(4, -1), r"reshape.*-1"),
    "sum_axis": (lambda: f64(2, 3).sum(axis=2), r"sum: axis 2 .* 2 dimensions"),
    "mean_axis": (lambda: f64(2, 3).mean(axis=(0, -3)), r"mean: axis -3"),
    "max_axis": (lambda: f64(2, 3).max(axis=5), r"max: axis 5"),
    "flip_axis": (lambda: f64(2, 3).flip(3), r"flip: axis 3"),
    "squeeze_axis": (lambda: f64(2, 3).squeeze(4), r"squeeze: axis 4"),
    "permute": (lambda: f64(2, 3).permute(0, 0), r"permute.*not a permutation"),
    "expand": (lambda: f64(2, 3).expand(4, 3, 3), r"expand.*\(2, 3\).*\(4, 3, 3\)"),
    "concatenate": (lambda: tg.cat([f64(2, 3), f64(3, 2)], axis=1), r"concatenate.*\(2, 3\).*\(3, 2\)"),
    "stack": (lambda: tg.stack([f64(2, 3), f64(3, 2)]), r"stack.*\(2, 3\).*\(3, 2\)"),
    "split": (lambda: f64(2, 3).split([1, 1], axis=1), r"split.*sum to 2"),
    "pad": (lambda: f64(2, 3).pad(((1, 1),)), r"pad.*\(2, 3\)"),
    "repeat": (lambda: f64(2, 3).repeat(2), r"repeat.*\(2, 3\)"),
    "bool_mask": (lambda: f64(2, 3)[np.ones(3, dtype=bool)], r"boolean mask of shape \(3,\)"),
    "float_index": (lambda: f64(2, 3)[np.array([0.5])], r"integer or boolean"),
    "take_along_axis": (lambda: f64(2, 3).take_along_axis(np.zeros(2, dtype=int), 0), r"take_along_axis"),
    "einsum_sizes": (lambda: tg.einsum("ij,jk->ik", f64(2, 3), f64(2, 3)), r"einsum.*'j'.*3 and 2"),
    "einsum_rank": (lambda: tg.einsum("ij->i", f64(3)), r"einsum.*'ij'.*\(3,\)"),
    "conv_channels": (lambda: tg.conv2d(f64(1, 3, 4, 4), f64(2, 2, 2, 2)), r"conv2d.*3 channels"),
    "conv_rank": (lambda: tg.conv1d(f64(3, 4), f64(2, 3, 2)), r"conv1d.*3-D"),
    "conv_bias": (lambda: tg.conv1d(f64(1, 2, 4), f64(3, 2, 2), f64(2)), r"conv1d: bias.*\(3,\)"),
    "pool_kernel": (lambda: tg.max_pool2d(f64(1, 1, 2, 2), 3), r"kernel \(3, 3\).*larger"),
    "softmax_axis": (lambda: f64(2, 3).softmax(axis=2), r"axis 2 is out of range"),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_shapes_and_axes_raise_shape_error_naming_the_op(name):
    call, pattern = BAD_CALLS[name]
    with pytest.raises(tg.ShapeError, match=pattern):
        call()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(tg.DTypeError, match="float"):
        tg.tensor([1, 2]).requires_grad_()


def test_setitem_with_a_value_that_does_not_fit_raises_shape_error_naming_the_value_shape():
    x = f64(3, 4)
    with pytest.raises(tg.ShapeError, match=r"__setitem__.*\(5,\)"):
        x[0] = f64(5)


def test_scatter_add_with_index_of_the_wrong_rank_raises_shape_error():
    with pytest.raises(tg.ShapeError, match=r"scatter_add.*index \(2,\)"):
        f64(3, 4).scatter_add(0, np.array([0, 1]), f64(2))


def test_softmax_bad_axis_names_softmax():
    with pytest.raises(tg.ShapeError, match=r"softmax: axis 5"):
        f64(3, 4).softmax(5)
