"""Every primitive in ``tinygrad_opt.ops.PRIMITIVES`` through one table and five checks.

Each entry is a function of float64 Tensors that runs through its primitive, the same function on NumPy
arrays, and a Hypothesis strategy of valid inputs: ``((array, ...), params)`` where the arrays are the
differentiable inputs and ``params`` are constants (axes, indices, masks) passed to both functions as
keywords. Inputs avoid the kinks and ties of non-smooth ops (relu and abs at 0, ties of maximum/max),
where finite differences are meaningless.

The checks: forward values against NumPy, reverse mode against central finite differences
(gradcheck), forward mode against finite differences plus the adjoint identity <u, Jv> = <J^T u, v>
(jvpcheck), forward-over-reverse == reverse-over-reverse == FD of the gradient (hvpcheck), and the
VJP's own derivative (gradgradcheck). A coverage test fails when a primitive has no entry.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from opcheck import BROADCAST_PAIRS, assert_forward, away_from_zero, distinct, erf, t64, untie

import tinygrad_opt as tg
from tinygrad_opt.ops import PRIMITIVES
from tinygrad_opt.ops import conv as C
from tinygrad_opt.ops import elementwise as E
from tinygrad_opt.ops import linalg as L
from tinygrad_opt.ops import movement as M
from tinygrad_opt.ops import reduce as R
from tinygrad_opt.testing import gradcheck, gradgradcheck, hvpcheck, jvpcheck
from tinygrad_opt.testing.strategies import arrays, shapes


@dataclass(frozen=True)
class Case:
    fn: Callable  # fn(*tensors, **params) -> Tensor, runs through the primitive
    ref: Callable  # ref(*arrays, **params) -> ndarray, NumPy's answer
    inputs: st.SearchStrategy  # ((float64 array, ...), params)
    tol: dict = field(default_factory=dict)  # eps / atol / rtol for the derivative checkers


SMALL = shapes(max_dims=3, max_side=3)
NONEMPTY = shapes(min_dims=1, max_dims=3, max_side=3)


def values(shape=SMALL, low=-2.0, high=2.0):
    """A float64 array of a drawn shape."""
    return shape.flatmap(lambda s: arrays(s, low, high))


def unary(low=-2.0, high=2.0, transform=None):
    x = values(SMALL, low, high)
    return (x if transform is None else x.map(transform)).map(lambda a: ((a,), {}))


@st.composite
def binary(draw, a_range=(-2.0, 2.0), b_range=(-2.0, 2.0), b_transform=None):
    sa, sb = draw(BROADCAST_PAIRS).input_shapes
    a, b = draw(arrays(sa, *a_range)), draw(arrays(sb, *b_range))
    return (a, b if b_transform is None else b_transform(b)), {}


@st.composite
def where_inputs(draw):
    sc, sa, sb = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3)).input_shapes
    return (draw(arrays(sa)), draw(arrays(sb))), {"cond": draw(hnp.arrays(np.bool_, sc))}


@st.composite
def axes_and_keepdims(draw, array_st, min_axes=0):
    x = draw(array_st)
    axis = None
    n = x.ndim
    if n and draw(st.booleans()):  # distinct axes, negative ones included
        axis = tuple(draw(st.lists(st.integers(-n, n - 1), min_size=min_axes, max_size=n, unique_by=lambda a: a % n)))
    return (x,), {"axis": axis, "keepdims": draw(st.booleans())}


@st.composite
def prod_inputs(draw):
    """Entries on a coarse grid, so zeros (one or several per slice) come up often."""
    x = np.round(2 * draw(values())) / 2
    axis = draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    return (x,), {"axis": axis, "keepdims": draw(st.booleans())}


@st.composite
def log_softmax_inputs(draw):
    x = draw(values(NONEMPTY, -5.0, 5.0))
    return (x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1))}


@st.composite
def affine_inputs(draw):
    """x (n, k), W (k, m) or, with tw, (m, k), b (m,)."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    tw = draw(st.booleans())
    x, w, b = draw(arrays((n, k))), draw(arrays((m, k) if tw else (k, m))), draw(arrays((m,)))
    return (x, w, b), {"tw": tw}


@st.composite
def weighted_sum_inputs(draw):
    x = draw(values())
    return (x,), {"weights": draw(arrays(x.shape))}


@st.composite
def softmax_ce_inputs(draw):
    """Logits, one softmax axis (normalized, as the op takes it) and any constant K of their shape."""
    x = draw(values(NONEMPTY, -5.0, 5.0))
    return (x,), {"weights": draw(arrays(x.shape)), "axis": (draw(st.integers(0, x.ndim - 1)),)}


@st.composite
def relu_mask_inputs(draw):
    """A cotangent and the constant ReLU input it is masked by (away from the kink at 0)."""
    g = draw(values())
    return (g,), {"x": away_from_zero(draw(arrays(g.shape)))}


@st.composite
def max_spread_inputs(draw):
    """A max's cotangent (kept-dims shape) and the constants: x, its max m over ``axis`` (kept dims), and
    the ties (given, or None: counted by the op)."""
    x = np.round(draw(values(NONEMPTY)))  # rounding makes ties
    axis = tuple(sorted(set(draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim)))))
    m = x.max(axis=axis, keepdims=True)
    ties = (x == m).sum(axis=axis, keepdims=True).astype(x.dtype) if draw(st.booleans()) else None
    return (draw(arrays(m.shape)),), {"x": x, "m": m, "ties": ties, "axis": axis}


def _softmax_ce_grad_ref(x, weights, axis):
    p = np.exp(_log_softmax_ref(x, axis))
    return weights - p * weights.sum(axis=axis, keepdims=True)


def _log_softmax_ref(x, axis):
    """log softmax in float64 by the textbook formula (inputs are moderate, so no shift is needed)."""
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


@st.composite
def reshape_inputs(draw):
    x = draw(values(NONEMPTY))
    candidates = [(1, *x.shape), (*x.shape, 1), (-1,), tuple(reversed(x.shape))]
    target = draw(st.sampled_from([c for c in candidates if np.empty(x.shape).reshape(c).shape != x.shape]))
    return (x,), {"shape": target}


@st.composite
def permute_inputs(draw):
    x = draw(values(shapes(min_dims=2, max_dims=3, max_side=3)))
    axes = draw(st.permutations(range(x.ndim)).filter(lambda p: list(p) != sorted(p)))
    return (x,), {"axes": tuple(axes)}


@st.composite
def expand_inputs(draw):
    """A target shape and a source that broadcasts to it (leading dims dropped, others set to 1)."""
    target = draw(NONEMPTY)
    lead = draw(st.integers(0, len(target)))
    source = tuple(1 if draw(st.booleans()) else s for s in target[lead:])
    if source == target:
        source = target[1:]
    return (draw(arrays(source)),), {"shape": target}


@st.composite
def basic_index_inputs(draw):
    x = draw(values(NONEMPTY))
    index = draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True).filter(lambda i: x[i].size > 0))
    return (x,), {"index": index}


@st.composite
def gather_inputs(draw):
    """x[idx] with an integer array (negative entries and repeats included) on the first axis."""
    x = draw(values(NONEMPTY))
    n = x.shape[0]
    idx = draw(hnp.arrays(np.int64, draw(shapes(min_dims=1, max_dims=2, max_side=4)), elements=st.integers(-n, n - 1)))
    return (x,), {"index": idx}


@st.composite
def scatter_inputs(draw):
    """base with values added at rows idx (repeats accumulate)."""
    base = draw(values(NONEMPTY))
    n = base.shape[0]
    idx = np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5)))
    return (base, draw(arrays((len(idx),) + base.shape[1:]))), {"index": idx}


@st.composite
def setitem_inputs(draw):
    """base[index] = values on a non-leaf: index is a slice or distinct integer rows; values may broadcast."""
    base = draw(values(NONEMPTY))
    n = base.shape[0]
    rows = st.lists(st.integers(0, n - 1), min_size=1, unique=True).map(np.array)
    index = draw(st.slices(n).filter(lambda s: len(range(n)[s]) > 0) | rows)
    target = base[index].shape
    value_shape = target[draw(st.integers(0, len(target))) :]  # a suffix: broadcast over the leading dims
    return (base, draw(arrays(value_shape))), {"index": index}


@st.composite
def pad_inputs(draw):
    x = draw(values(NONEMPTY))
    width = tuple(draw(st.tuples(st.integers(0, 2), st.integers(0, 2))) for _ in x.shape)
    return (x,), {"width": width, "value": draw(st.sampled_from([0.0, -1.5]))}


@st.composite
def concat_inputs(draw):
    shape = draw(NONEMPTY)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        parts.append(draw(arrays(tuple(s))))
    return tuple(parts), {"axis": axis}


@st.composite
def flip_inputs(draw):
    x = draw(values(NONEMPTY))
    axis = draw(st.none() | st.lists(st.integers(0, x.ndim - 1), min_size=1, unique=True).map(tuple))
    return (x,), {"axis": axis}


def fixed_shapes(*cases):
    """Inputs of one of the given shape tuples (each case a tuple of shapes, plus params)."""

    @st.composite
    def draw_case(draw):
        shape_list, params = draw(st.sampled_from(cases))
        return tuple(draw(arrays(s)) for s in shape_list), params

    return draw_case()


def _window_positions(spatial, kernel, stride, dilation):
    """(kernel index, output index, input position) of every tap of a sliding window."""
    out = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, kernel, stride, dilation)]
    for k in itertools.product(*map(range, kernel)):
        for o in itertools.product(*map(range, out)):
            yield k, o, tuple(oi * s + ki * d for oi, ki, s, d in zip(o, k, stride, dilation))


def unfold_ref(x, kernel, stride, dilation):
    taps = list(_window_positions(x.shape[2:], kernel, stride, dilation))
    out_shape = tuple(max(o[i] for _, o, _ in taps) + 1 for i in range(len(kernel)))
    out = np.zeros(x.shape[:2] + tuple(kernel) + out_shape)
    for k, o, pos in taps:
        out[(slice(None), slice(None), *k, *o)] = x[(slice(None), slice(None), *pos)]
    return out


def fold_ref(w, spatial, kernel, stride, dilation):
    out = np.zeros(w.shape[:2] + tuple(spatial))
    for k, o, pos in _window_positions(spatial, kernel, stride, dilation):
        out[(slice(None), slice(None), *pos)] += w[(slice(None), slice(None), *k, *o)]
    return out


def conv_ref(x, w, *b, stride, padding, dilation, groups):
    """Cross-correlation by its definition, one output element at a time (float64)."""
    nd = w.ndim - 2
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    o, cg = w.shape[:2]
    out_sp = [
        (s + 2 * p - d * (k - 1) - 1) // st + 1
        for s, p, k, st, d in zip(x.shape[2:], padding, w.shape[2:], stride, dilation)
    ]
    out = np.zeros((x.shape[0], o, *out_sp))
    for oc in range(o):
        grp = oc // (o // groups)
        for pos in itertools.product(*(range(n) for n in out_sp)):
            for kk in itertools.product(*(range(k) for k in w.shape[2:])):
                at = tuple(p * st + k * d for p, st, k, d in zip(pos, stride, kk, dilation))
                patch = xp[(slice(None), slice(grp * cg, (grp + 1) * cg), *at)]
                out[(slice(None), oc, *pos)] += patch @ w[(oc, slice(None), *kk)]
    if b:
        out += b[0].reshape((1, o) + (1,) * nd)
    return out


CONV_CASES = [  # ((x, w[, b]) shapes, options), 1-D and 2-D, with groups, padding, stride and dilation
    (((2, 2, 5), (3, 2, 2), (3,)), dict(stride=(1,), padding=(0,), dilation=(1,), groups=1)),
    (((1, 4, 7), (2, 2, 3)), dict(stride=(2,), padding=(1,), dilation=(1,), groups=2)),
    (((1, 2, 4, 5), (2, 2, 2, 2), (2,)), dict(stride=(1, 2), padding=(1, 0), dilation=(1, 1), groups=1)),
    (((2, 1, 5, 5), (1, 1, 2, 2)), dict(stride=(1, 1), padding=(0, 1), dilation=(2, 1), groups=1)),
]


WINDOWS = [  # (input shape, kernel, stride, dilation), 1-D and 2-D
    ((1, 2, 5), (2,), (1,), (1,)),
    ((2, 1, 6), (3,), (2,), (1,)),
    ((1, 1, 7), (2,), (2,), (3,)),
    ((1, 2, 4, 4), (2, 2), (1, 1), (1, 1)),
    ((1, 1, 5, 5), (2, 3), (2, 1), (1, 2)),
]


def _scatter_ref(base, values, index):
    out = base.copy()
    np.add.at(out, index, values)
    return out


def _setitem(base, values, index):
    y = base.clone()  # a non-leaf: __setitem__ is recorded as IndexSet
    y[index] = values
    return y


def _setitem_ref(base, values, index):
    out = base.copy()
    out[index] = values
    return out


def _same_device(x):
    return E.ToDevice.apply(x, device=x.device)


def _via_float32(x):
    return x.astype(np.float32).astype(np.float64)


POSITIVE = (0.25, 3.0)

CASES = {
    # ---------------------------------------------------------------- elementwise
    E.Add: Case(lambda a, b: a + b, np.add, binary()),
    E.Sub: Case(lambda a, b: a - b, np.subtract, binary()),
    E.Mul: Case(lambda a, b: a * b, np.multiply, binary()),
    E.Div: Case(lambda a, b: a / b, np.divide, binary(b_range=(-1.5, 1.5), b_transform=away_from_zero)),
    E.Neg: Case(lambda x: -x, np.negative, unary()),
    E.PowConst: Case(
        lambda x, p: x**p,
        lambda x, p: x**p,
        unary(*POSITIVE).flatmap(lambda a: st.sampled_from([0, 2, 3, -1, 0.5, -1.5]).map(lambda p: (a[0], {"p": p}))),
    ),
    E.Pow: Case(lambda a, b: a**b, np.power, binary(a_range=POSITIVE)),
    E.Exp: Case(lambda x: x.exp(), np.exp, unary()),
    E.Log: Case(lambda x: x.log(), np.log, unary(*POSITIVE)),
    E.Log1p: Case(lambda x: x.log1p(), np.log1p, unary(-0.5, 2.0)),
    E.Expm1: Case(lambda x: x.expm1(), np.expm1, unary()),
    E.Sin: Case(lambda x: x.sin(), np.sin, unary()),
    E.Cos: Case(lambda x: x.cos(), np.cos, unary()),
    E.Tanh: Case(lambda x: x.tanh(), np.tanh, unary()),
    E.Sigmoid: Case(lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), unary(-5.0, 5.0)),
    E.Sqrt: Case(lambda x: x.sqrt(), np.sqrt, unary(*POSITIVE)),
    E.Abs: Case(lambda x: x.abs(), np.abs, unary(transform=away_from_zero)),
    E.Relu: Case(lambda x: x.relu(), lambda x: np.maximum(x, 0), unary(transform=away_from_zero)),
    E.ReluMask: Case(lambda g, x: E.ReluMask.apply(g, x=x), lambda g, x: np.where(x > 0, g, 0), relu_mask_inputs()),
    E.Erf: Case(lambda x: x.erf(), erf, unary()),
    E.Maximum: Case(lambda a, b: a.maximum(b), np.maximum, binary().map(lambda ab: (untie(*ab[0]), {}))),
    E.Where: Case(lambda a, b, cond: a.where(cond, b), lambda a, b, cond: np.where(cond, a, b), where_inputs()),
    # float64 -> float32 -> float64 is linear; a step far above float32's rounding keeps FD exact
    E.Cast: Case(_via_float32, lambda x: x.astype(np.float32).astype(np.float64), unary(), {"eps": 2.0**-5}),
    E.Clone: Case(lambda x: x.clone(), np.copy, unary()),
    E.ToDevice: Case(_same_device, np.copy, unary()),
    E.Identity: Case(lambda x: E.Identity.apply(x), np.copy, unary()),
    # ---------------------------------------------------------------- reductions
    R.Sum: Case(lambda x, axis, keepdims: x.sum(axis, keepdims), np.sum, axes_and_keepdims(values())),
    R.Max: Case(
        lambda x, axis, keepdims: x.max(axis, keepdims), np.max, axes_and_keepdims(distinct(SMALL), min_axes=1)
    ),
    R.MaxSpread: Case(
        lambda g, x, m, ties, axis: R.MaxSpread.apply(g, x=x, m=m, ties=ties, axis=axis),
        lambda g, x, m, ties, axis: g * (x == m) / (x == m).sum(axis=axis, keepdims=True),
        max_spread_inputs(),
    ),
    R.Prod: Case(lambda x, axis, keepdims: x.prod(axis, keepdims), np.prod, prod_inputs()),
    R.LogSoftmax: Case(lambda x, axis: x.log_softmax(axis), _log_softmax_ref, log_softmax_inputs()),
    R.WeightedSum: Case(
        lambda x, weights: R.WeightedSum.apply(x, weights=weights),
        lambda x, weights: np.sum(weights * x),
        weighted_sum_inputs(),
    ),
    R.SoftmaxCrossEntropy: Case(
        lambda x, weights, axis: R.SoftmaxCrossEntropy.apply(x, weights=weights, axis=axis),
        lambda x, weights, axis: np.sum(weights * _log_softmax_ref(x, axis)),
        softmax_ce_inputs(),
    ),
    R.SoftmaxCrossEntropyGrad: Case(
        lambda x, weights, axis: R.SoftmaxCrossEntropyGrad.apply(x, weights=weights, axis=axis),
        _softmax_ce_grad_ref,
        softmax_ce_inputs(),
    ),
    # ---------------------------------------------------------------- movement and indexing
    M.Reshape: Case(lambda x, shape: x.reshape(shape), np.reshape, reshape_inputs()),
    M.Permute: Case(lambda x, axes: x.permute(*axes), np.transpose, permute_inputs()),
    M.Expand: Case(lambda x, shape: x.expand(shape), np.broadcast_to, expand_inputs()),
    M.BasicIndex: Case(lambda x, index: x[index], lambda x, index: x[index], basic_index_inputs()),
    M.Index: Case(lambda x, index: x[index], lambda x, index: x[index], gather_inputs()),
    M.IndexAdd: Case(
        lambda base, values, index: M.IndexAdd.apply(base, values, index=(index,), basic=False),
        _scatter_ref,
        scatter_inputs(),
    ),
    M.IndexSet: Case(_setitem, _setitem_ref, setitem_inputs()),
    M.Pad: Case(
        lambda x, width, value: x.pad(width, value),
        lambda x, width, value: np.pad(x, width, constant_values=value),
        pad_inputs(),
    ),
    M.Concatenate: Case(
        lambda *xs, axis: tg.concatenate(xs, axis), lambda *xs, axis: np.concatenate(xs, axis), concat_inputs()
    ),
    M.Flip: Case(lambda x, axis: x.flip(axis), np.flip, flip_inputs()),
    # ---------------------------------------------------------------- linear algebra
    L.Matmul: Case(
        lambda a, b: a @ b,
        np.matmul,
        fixed_shapes(  # the full list of shapes is in test_ops_linalg_conv.py
            (((3,), (3,)), {}),
            (((2, 3), (3, 4)), {}),
            (((4, 1, 2, 3), (5, 3, 2)), {}),
        ),
    ),
    L.Affine: Case(
        lambda x, w, b, tw: L.Affine.apply(x, w, b, tw=tw),
        lambda x, w, b, tw: x @ (w.T if tw else w) + b,
        affine_inputs(),
    ),
    L.Einsum: Case(
        lambda *xs, spec: tg.einsum(spec, *xs),
        lambda *xs, spec: np.einsum(spec, *xs),
        fixed_shapes(  # more specs in test_ops_linalg_conv.py
            (((2, 2, 3), (2, 3, 2)), {"spec": "bij,bjk->bik"}),
            (((2, 3), (4,)), {"spec": "ij,k->i"}),
        ),
    ),
    # ---------------------------------------------------------------- sliding windows
    C.Unfold: Case(
        lambda x, kernel, stride, dilation: C.unfold(x, kernel, stride, dilation),
        unfold_ref,
        fixed_shapes(*[((s,), dict(kernel=k, stride=st_, dilation=d)) for s, k, st_, d in WINDOWS]),
    ),
    C.Conv: Case(
        lambda x, w, *b, stride, padding, dilation, groups: tg.ops.conv.conv(
            x, w, b[0] if b else None, stride=stride, padding=padding, dilation=dilation, groups=groups
        ),
        conv_ref,
        fixed_shapes(*CONV_CASES),
    ),
    C.Fold: Case(
        lambda w, spatial, kernel, stride, dilation: C.Fold.apply(
            w, spatial=spatial, kernel=kernel, stride=stride, dilation=dilation
        ),
        fold_ref,
        fixed_shapes(
            *[
                ((unfold_ref(np.zeros(s), k, st_, d).shape,), dict(spatial=s[2:], kernel=k, stride=st_, dilation=d))
                for s, k, st_, d in WINDOWS
            ]
        ),
    ),
}

IDS = [cls.__name__ for cls in CASES]


def test_every_primitive_has_a_table_entry():
    missing = sorted(cls.__name__ for cls in PRIMITIVES if cls not in CASES)
    assert not missing, f"primitives without an entry in tests/test_ops_registry.py CASES: {missing}"


def _ops_in_graph(out):
    seen, stack, found = set(), [out], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or t._ctx is None:
            continue
        seen.add(id(t))
        found.add(type(t._ctx))
        stack.extend(t._ctx.parents)
    return found


# Every check runs on the test device (``pytest --device cuda``: the GPU, or the stand-in CUDA device in
# CI). The constant params stay NumPy arrays, as a user would pass them: each op moves its constants
# to its input's device.


@pytest.mark.parametrize("cls", CASES, ids=IDS)
@given(data=st.data())
def test_entry_runs_through_its_primitive(cls, data, device):
    arrs, params = data.draw(CASES[cls].inputs)
    out = CASES[cls].fn(*[t64(a, device=device).requires_grad_() for a in arrs], **params)
    assert cls in _ops_in_graph(out) and out.device == device


@pytest.mark.parametrize("cls", CASES, ids=IDS)
@given(data=st.data())
def test_forward_matches_numpy(cls, data, device):
    case = CASES[cls]
    arrs, params = data.draw(case.inputs)
    assert_forward(lambda *xs: case.fn(*xs, **params), lambda *xs: case.ref(*xs, **params), arrs, device=device)


@pytest.mark.parametrize("check", [gradcheck, jvpcheck, hvpcheck, gradgradcheck], ids=lambda c: c.__name__)
@pytest.mark.parametrize("cls", CASES, ids=IDS)
@given(data=st.data())
def test_derivatives_match_finite_differences(cls, check, data, device):
    case = CASES[cls]
    arrs, params = data.draw(case.inputs)
    assert check(lambda *xs: case.fn(*xs, **params), [t64(a, device=device) for a in arrs], **case.tol)


def _value_vjp_jvp(case, arrs, params, device):
    """Forward value, VJP (of a fixed cotangent) and JVP (along fixed tangents) as NumPy arrays."""
    rng = np.random.default_rng(0)
    xs = t64(*arrs, device=device)
    xs = [xs] if isinstance(xs, tg.Tensor) else xs
    tangents = [t64(rng.standard_normal(a.shape), device=device) for a in arrs]

    def f(*ys):
        return case.fn(*ys, **params)

    out, vjp_fn = tg.vjp(f, *xs)
    cotangent = t64(rng.standard_normal(out.shape), device=device)
    _, jv = tg.jvp(f, tuple(xs), tuple(tangents))
    return [out.numpy(), *(g.numpy() for g in vjp_fn(cotangent)), jv.numpy()]


@pytest.mark.parametrize("cls", CASES, ids=IDS)
@given(data=st.data())
def test_cpu_and_device_agree_in_float64(cls, data, device):
    """Forward values, VJPs and JVPs of every primitive on the test device equal the CPU's."""
    if device == "cpu":
        pytest.skip("compares the CPU with another device: run with --device cuda")
    case = CASES[cls]
    arrs, params = data.draw(case.inputs)
    for got, want in zip(_value_vjp_jvp(case, arrs, params, device), _value_vjp_jvp(case, arrs, params, "cpu")):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
