"""Helpers shared by the ``test_ops_*`` files: float64 tensors from arrays, the full derivative check,
forward values against NumPy, plain gradients as arrays (for tests that want exact values), and inputs
that keep clear of kinks and ties, where finite differences mean nothing."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_opt as tg
from tinygrad_opt.testing import gradcheck, gradgradcheck, hvpcheck, jvpcheck

# Two operand shapes that broadcast together: scalars, size-1 dims and different ranks included.
BROADCAST_PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)


def t64(*arrays, device=None):
    """float64 Tensors (no grad) from arrays or nested lists, on ``device`` (default: the default
    device, cuda under ``pytest --device cuda``); one Tensor for one argument."""
    out = [tg.tensor(np.asarray(a, dtype=np.float64), dtype=tg.float64, device=device) for a in arrays]
    return out[0] if len(out) == 1 else out


def check_derivatives(f, arrays, double_backward=False, **tol):
    """Reverse mode (gradcheck), forward mode and the adjoint identity (jvpcheck), both HVP modes
    (hvpcheck) and, when asked, double backward (gradgradcheck) of ``f`` at float64 ``arrays``."""
    inputs = [tg.tensor(np.asarray(a, dtype=np.float64), dtype=tg.float64) for a in arrays]
    assert gradcheck(f, inputs, **tol)
    assert jvpcheck(f, inputs, **tol)
    assert hvpcheck(f, inputs, **tol)
    if double_backward:
        assert gradgradcheck(f, inputs, **tol)


def assert_forward(f, reference, arrays, rtol=1e-12, atol=1e-12, device=None):
    """``f`` on float64 Tensors equals ``reference`` on the NumPy arrays (shape and values)."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    out = f(*[tg.tensor(a, dtype=tg.float64, device=device) for a in arrays])
    expected = np.asarray(reference(*arrays))
    assert out.shape == expected.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=atol)


def grads(f, *arrays):
    """Reverse-mode gradients of scalar ``f`` at float64 ``arrays``, as NumPy arrays (one per input)."""
    g = tg.grad(f, argnums=tuple(range(len(arrays))))(*[t64(a) for a in arrays])
    return [x.numpy() for x in g]


# --------------------------------------------------------------------------- inputs that avoid kinks and ties


def away_from_zero(a, gap=0.25):
    """Every entry moved at least ``gap`` away from 0 (the kink of relu and abs, the pole of 1/x)."""
    return np.where(a >= 0, a + gap, a - gap)


def untie(a, b):
    """a on the grid 0.5 Z, b on 0.5 Z + 0.25: |a - b| >= 0.25 everywhere (max/min differentiable), and
    either may be the larger."""
    return np.round(2 * a) / 2, np.round(2 * b) / 2 + 0.25


@st.composite
def distinct(draw, shape_st):
    """Entries 0.3 apart in absolute value, alternating in sign, none within 0.3 of 0, in a drawn order:
    no ties for max/min/norm(inf), no kink of |x|."""
    shape = draw(shape_st)
    perm = np.array(draw(st.permutations(range(math.prod(shape)))), dtype=np.float64).reshape(shape)
    return np.where(perm % 2 == 0, 1.0, -1.0) * (0.3 + 0.3 * perm)


def erf(x):
    """NumPy reference for the error function."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)
