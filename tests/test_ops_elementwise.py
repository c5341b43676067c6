"""Elementwise compositions: binary ops under broadcasting, Python-scalar operands, the activations
built from primitives in tensor.py, and the derivative conventions at kinks and ties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from opcheck import BROADCAST_PAIRS, assert_forward, away_from_zero, check_derivatives, erf, grads, untie

import tinygrad_opt as tg
from tinygrad_opt.testing.strategies import arrays, shapes


@st.composite
def broadcast_pair(draw, b_low=-2.0, b_high=2.0):
    sa, sb = draw(BROADCAST_PAIRS).input_shapes
    return draw(arrays(sa)), draw(arrays(sb, b_low, b_high))


BINARY = {  # name: (tinygrad_opt, NumPy, prepare the drawn pair)
    "add": (lambda a, b: a + b, np.add, None),
    "sub": (lambda a, b: a - b, np.subtract, None),
    "mul": (lambda a, b: a * b, np.multiply, None),
    "div": (lambda a, b: a / b, np.divide, lambda a, b: (a, away_from_zero(b, 0.5))),
    "pow": (lambda a, b: a**b, np.power, lambda a, b: (np.abs(a) + 0.5, b)),
    "maximum": (tg.maximum, np.maximum, untie),
    "minimum": (tg.minimum, np.minimum, untie),
    "mixed": (lambda a, b: a * b - a / (b * b + 1) + (a - b).tanh(), None, None),
}


@pytest.mark.parametrize("name", BINARY)
@given(pair=broadcast_pair())
def test_binary_op_under_broadcasting(name, pair):
    fn, ref, prepare = BINARY[name]
    a, b = prepare(*pair) if prepare else pair
    if ref is not None:
        assert_forward(fn, ref, [a, b])
    check_derivatives(fn, [a, b])


@given(pair=broadcast_pair())
def test_broadcast_operand_gradient_sums_over_its_copies(pair):
    """d/db sum(a + b) counts how many times each entry of b was broadcast."""
    a, b = pair
    ga, gb = grads(lambda x, y: (x + y).sum(), a, b)
    copies = np.broadcast_shapes(a.shape, b.shape)
    np.testing.assert_array_equal(ga, np.full(a.shape, math.prod(copies) / max(a.size, 1)))
    np.testing.assert_array_equal(gb, np.full(b.shape, math.prod(copies) / max(b.size, 1)))


SCALAR_OPERANDS = {  # Python numbers on either side of the operator
    "x + 1.5": (lambda x: x + 1.5, lambda x: x + 1.5),
    "2 - x": (lambda x: 2 - x, lambda x: 2 - x),
    "2 / x": (lambda x: 2 / x, lambda x: 2 / x),
    "2 ** x": (lambda x: 2**x, lambda x: 2.0**x),
    "x ** 3": (lambda x: x**3, lambda x: x**3),
    "x ** 2.5": (lambda x: x**2.5, lambda x: x**2.5),
    "x ** -2": (lambda x: x**-2, lambda x: x**-2.0),
    "ndarray * x": (lambda x: np.full(x.shape, 3.0) * x, lambda x: 3 * x),
}


@pytest.mark.parametrize("name", SCALAR_OPERANDS)
@given(x=shapes(max_dims=2).flatmap(lambda s: arrays(s, 0.5, 2.0)))
def test_python_scalar_operands(name, x):
    fn, ref = SCALAR_OPERANDS[name]
    assert_forward(fn, ref, [x])
    check_derivatives(fn, [x])


def _kinkless(x):
    return away_from_zero(x, 0.1)


ACTIVATIONS = {  # name: (tinygrad_opt, NumPy formula, input range, input transform)
    "gelu": (lambda x: x.gelu(), lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2))), (-3, 3), None),
    "gelu_tanh": (
        lambda x: x.gelu(approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        (-3, 3),
        None,
    ),
    "elu": (lambda x: x.elu(), lambda x: np.where(x > 0, x, np.expm1(x)), (-3, 3), _kinkless),
    "elu_alpha": (lambda x: x.elu(0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), (-3, 3), _kinkless),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), lambda x: np.where(x > 0, x, 0.1 * x), (-3, 3), _kinkless),
    "softplus": (lambda x: x.softplus(), lambda x: np.log1p(np.exp(x)), (-5, 5), None),
    "softplus_beta": (lambda x: x.softplus(beta=2.0), lambda x: np.log1p(np.exp(2 * x)) / 2, (-5, 5), None),
    "silu": (lambda x: x.silu(), lambda x: x / (1 + np.exp(-x)), (-5, 5), None),
    "rsqrt": (lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), (0.2, 4), None),
    "clip": (lambda x: x.clip(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), (-2, 2), lambda x: _off(x, [-0.5, 0.7])),
    "clip_min_only": (lambda x: x.clip(min=0.3), lambda x: np.maximum(x, 0.3), (-2, 2), lambda x: _off(x, [0.3])),
    "maximum_scalar": (lambda x: x.maximum(0.3), lambda x: np.maximum(x, 0.3), (-2, 2), lambda x: _off(x, [0.3])),
    "where_mask": (
        lambda x: (x * 2).where(x.data > 0, x.sin()),
        lambda x: np.where(x > 0, 2 * x, np.sin(x)),
        (-2, 2),
        _kinkless,
    ),
}


def _off(x, points, gap=0.05):
    """Move entries that are within ``gap`` of a kink at ``points`` to a safe distance."""
    for p in points:
        x = np.where(np.abs(x - p) < gap, p + 2 * gap, x)
    return x


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(data=st.data())
def test_activation_matches_formula_and_finite_differences(name, data):
    fn, ref, (low, high), transform = ACTIVATIONS[name]
    x = data.draw(shapes(max_dims=2).flatmap(lambda s: arrays(s, low, high)))
    x = transform(x) if transform else x
    assert_forward(fn, ref, [x], rtol=1e-10)
    check_derivatives(fn, [x])


# --------------------------------------------------------------------------- conventions at kinks and ties


@pytest.mark.parametrize(
    "fn, x, expected",
    [
        (lambda x: x.relu(), [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),  # relu'(0) = 0 (PyTorch)
        (lambda x: x.abs(), [-1.0, 0.0, 2.0], [-1.0, 0.0, 1.0]),  # sign(0) = 0
        (lambda x: x.clip(-1.0, 1.0), [-2.0, -1.0, 0.5, 1.0, 3.0], [0, 1, 1, 1, 0]),  # bounds count as inside
        (lambda x: x**0, [0.0, 2.0], [0.0, 0.0]),  # d x^0 = 0 even at 0
        (lambda x: x**2, [-3.0, 0.0], [-6.0, 0.0]),
        (lambda x: x.leaky_relu(0.2), [-1.0, 0.0, 1.0], [0.2, 0.2, 1.0]),
    ],
)
def test_derivative_at_kinks(fn, x, expected):
    (g,) = grads(lambda t: fn(t).sum(), np.array(x))
    np.testing.assert_array_equal(g, expected)


def test_maximum_and_minimum_split_the_gradient_at_ties():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    for op in (tg.maximum, tg.minimum):
        ga, gb = grads(lambda x, y: op(x, y).sum(), a, b)  # noqa: B023
        np.testing.assert_array_equal(ga + gb, [1.0, 1.0, 1.0])
        assert ga[0] == gb[0] == 0.5


def test_pow_with_tensor_exponent_has_zero_exponent_gradient_at_nonpositive_base():
    """d/db a^b = a^b log a is taken as 0 where a <= 0 (finite, like PyTorch), not NaN."""
    ga, gb = grads(lambda a, b: (a**b).sum(), np.array([0.0, -2.0, 2.0]), np.array([2.0, 2.0, 3.0]))
    np.testing.assert_array_equal(ga, [0.0, -4.0, 12.0])
    np.testing.assert_allclose(gb, [0.0, 0.0, 8 * np.log(2.0)])


def test_comparisons_give_boolean_tensors_without_gradient():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(mask.numpy(), [False, True, True])
