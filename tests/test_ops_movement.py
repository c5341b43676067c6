"""Indexing and movement: forward values against NumPy (np.take_along_axis, np.add.at, np.tile,
np.pad, ...) and derivatives by finite differences; gathers with repeated indices accumulate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from opcheck import assert_forward, check_derivatives, grads, t64

import tinygrad_opt as tg
from tinygrad_opt.testing.strategies import arrays, shapes

X = np.random.default_rng(0).standard_normal((3, 4, 2))

INDEXING = {  # name: index applied to X (a (3, 4, 2) array) by both libraries
    "slice": (slice(1, 3),),
    "negative_step": (slice(None, None, -1), slice(3, 0, -2)),
    "int_and_slice": (1, slice(None, None, 2)),
    "negative_int": (-1, -2),
    "none_and_ellipsis": (None, Ellipsis, 0),
    "ellipsis_middle": (0, Ellipsis, None, 1),
    "gather_repeats": (np.array([0, 0, 2, 0]),),
    "gather_2d_index": (np.array([[2, 1], [1, 1]]),),
    "gather_two_axes": (np.array([0, 2, 0]), np.array([1, 1, 3])),
    "gather_after_slice": (slice(None), np.array([3, -1, 0])),
    "bool_mask_first_axis": (np.array([True, False, True]),),
    "bool_mask_two_axes": (X[..., 0] > 0,),
}


@pytest.mark.parametrize("name", INDEXING)
def test_indexing_matches_numpy_and_finite_differences(name):
    index = INDEXING[name]
    assert_forward(lambda x: x[index], lambda x: x[index], [X])
    check_derivatives(lambda x: x[index], [X])


def test_gather_with_repeated_indices_accumulates_the_gradient():
    (g,) = grads(lambda x: x[[0, 0, 1]].sum(), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [2.0, 1.0, 0.0])
    (g,) = grads(lambda x: (x[np.array([[1, 1], [1, 0]])] * 3).sum(), np.zeros(3))
    np.testing.assert_array_equal(g, [3.0, 9.0, 0.0])


def test_boolean_mask_from_a_comparison_selects_and_routes_the_gradient():
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    mask = t64(x) > 0
    assert_forward(lambda t: t[mask], lambda a: a[a > 0], [x])
    (g,) = grads(lambda t: t[mask].sum(), x)
    np.testing.assert_array_equal(g, (x > 0).astype(float))


@st.composite
def along_axis(draw, index_side=(1, 4)):
    """x, an axis, and indices along it (repeats likely) of the same rank as x."""
    x = draw(shapes(min_dims=1, max_dims=3, max_side=3).flatmap(arrays))
    axis = draw(st.integers(0, x.ndim - 1))
    idx_shape = list(x.shape)
    idx_shape[axis] = draw(st.integers(*index_side))
    idx = draw(hnp.arrays(np.int64, tuple(idx_shape), elements=st.integers(0, x.shape[axis] - 1)))
    return x, axis, idx


def add_at_along_axis(base, idx, values, axis):
    """base with values[p] added at idx[p] along ``axis``, one position p at a time."""
    out = base.copy()
    for p in np.ndindex(idx.shape):
        target = list(p)
        target[axis] = idx[p]
        out[tuple(target)] += values[p]
    return out


@given(along_axis())
def test_take_along_axis_and_gather_match_numpy_and_accumulate_gradients(case):
    x, axis, idx = case
    assert_forward(lambda t: t.take_along_axis(idx, axis), lambda a: np.take_along_axis(a, idx, axis), [x])
    assert_forward(lambda t: t.gather(axis, tg.tensor(idx)), lambda a: np.take_along_axis(a, idx, axis), [x])
    w = np.random.default_rng(1).standard_normal(idx.shape)
    (g,) = grads(lambda t: (t.take_along_axis(idx, axis) * t64(w)).sum(), x)
    np.testing.assert_allclose(g, add_at_along_axis(np.zeros_like(x), idx, w, axis), atol=1e-14)
    check_derivatives(lambda t: t.take_along_axis(idx, axis), [x])


@given(case=along_axis(), data=st.data())
def test_scatter_add_with_repeated_indices_matches_a_loop(case, data):
    base, axis, idx = case
    src = data.draw(arrays(idx.shape))
    assert_forward(
        lambda b, s: b.scatter_add(axis, idx, s), lambda b, s: add_at_along_axis(b, idx, s, axis), [base, src]
    )
    check_derivatives(lambda b, s: b.scatter_add(axis, idx, s), [base, src])


def test_scatter_add_matches_np_add_at():
    base, src, rows = np.zeros(4), np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 3, 1, 1])
    expected = base.copy()
    np.add.at(expected, rows, src)
    np.testing.assert_array_equal(t64(base).scatter_add(0, rows, t64(src)).numpy(), expected)  # [0, 8, 0, 2]


SETITEM = {  # index, shape of the assigned value (broadcast to the indexed region)
    "rows": (np.array([0, 2]), (2, 4, 2)),
    "slice_broadcast": ((slice(None), slice(1, 3)), (2,)),
    "scalar_value": ((1, 2, 0), ()),
    "bool_mask": (X > 0.5, ()),
}


@pytest.mark.parametrize("name", SETITEM)
def test_setitem_on_a_non_leaf_is_differentiable(name):
    index, value_shape = SETITEM[name]
    value = np.random.default_rng(2).standard_normal(value_shape)

    def f(x, v):
        y = x * 2.0
        y[index] = v.sin()
        return y

    def ref(x, v):
        y = x * 2.0
        y[index] = np.sin(v)
        return y

    assert_forward(f, ref, [X, value])
    check_derivatives(f, [X, value])


def test_setitem_gradient_flows_to_the_value_and_not_to_the_overwritten_entries():
    gx, gv = grads(lambda x, v: _assign(x * 3.0, [0, 2], v).sum(), np.ones(4), np.array(5.0))
    np.testing.assert_array_equal(gx, [0.0, 3.0, 0.0, 3.0])
    assert gv == 2.0  # v was broadcast to two entries


def _assign(y, index, value):
    y[index] = value
    return y


def test_setitem_on_a_leaf_that_requires_grad_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(tg.GraphError, match="in place"):
        x[0] = 5.0


def test_pad_matches_numpy():
    width = ((1, 0), (0, 2), (2, 1))
    assert_forward(lambda x: x.pad(width, value=-0.5), lambda x: np.pad(x, width, constant_values=-0.5), [X])
    check_derivatives(lambda x: x.pad(width), [X])


def test_concatenate_and_stack_match_numpy():
    a, b = X[:2], X[1:]
    assert_forward(lambda p, q: tg.concatenate([p, q], axis=0), lambda p, q: np.concatenate([p, q]), [a, b])
    assert_forward(lambda p, q: tg.cat([p, q], dim=-1), lambda p, q: np.concatenate([p, q], -1), [X, X[..., :1]])
    for axis in (0, 1, -1):
        assert_forward(lambda p, q: tg.stack([p, q], axis=axis), lambda p, q: np.stack([p, q], axis), [a, a])  # noqa: B023
    check_derivatives(lambda p, q: tg.stack([p, q.cos()], axis=1), [a, a])


def test_split_and_chunk_follow_pytorch_sizes_and_reassemble():
    x = np.arange(14.0).reshape(7, 2)
    parts = t64(x).chunk(3)  # PyTorch: ceil(7 / 3) = 3 per chunk -> 3, 3, 1
    assert [p.shape[0] for p in parts] == [3, 3, 1]
    assert [p.shape[1] for p in t64(x).split([1, 1], axis=1)] == [1, 1]
    for pieces in ([p.numpy() for p in parts], [p.numpy() for p in t64(x).split(2)]):
        np.testing.assert_array_equal(np.concatenate(pieces), x)
    weights = [1.0, -2.0, 3.0]
    check_derivatives(lambda t: sum(w * p.sum() for w, p in zip(weights, t.chunk(3))), [x])
    (g,) = grads(lambda t: sum(w * p.sum() for w, p in zip(weights, t.chunk(3))), x)
    np.testing.assert_array_equal(g[:, 0], [1, 1, 1, -2, -2, -2, 3])


@pytest.mark.parametrize("sizes", [(1, 3), (2, 1, 2), (2, 1, 1, 2)], ids=str)
def test_repeat_matches_np_tile(sizes):
    x = X[0]
    assert_forward(lambda t: t.repeat(*sizes), lambda a: np.tile(a, sizes), [x])
    check_derivatives(lambda t: t.repeat(*sizes), [x])
    (g,) = grads(lambda t: t.repeat(*sizes).sum(), x)
    np.testing.assert_array_equal(g, np.full(x.shape, np.prod(sizes)))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_repeat_interleave_matches_np_repeat(axis):
    assert_forward(lambda t: t.repeat_interleave(2, axis=axis), lambda a: np.repeat(a, 2, axis=axis), [X])
    check_derivatives(lambda t: t.repeat_interleave(3, axis=axis), [X])


MOVEMENT = {  # name: (tinygrad_opt, NumPy) on X
    "flip_all": (lambda t: t.flip(), np.flip),
    "flip_axes": (lambda t: t.flip((0, 2)), lambda a: np.flip(a, (0, 2))),
    "expand": (lambda t: t[:, :1].expand(2, 3, 3, 2), lambda a: np.broadcast_to(a[:, :1], (2, 3, 3, 2))),
    "expand_minus_one": (lambda t: t[:1].expand(3, -1, -1), lambda a: np.broadcast_to(a[:1], (3, 4, 2))),
    "permute": (lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    "transpose": (lambda t: t.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    "T": (lambda t: t.T, lambda a: a.T),
    "mT": (lambda t: t.mT, lambda a: np.swapaxes(a, -1, -2)),
    "unsqueeze": (lambda t: t.unsqueeze(1), lambda a: a[:, None]),
    "unsqueeze_last": (lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    "squeeze_all": (lambda t: t[:1, :, None].squeeze(), lambda a: a[:1, :, None].squeeze()),
    "squeeze_axis": (lambda t: t[:, :1].squeeze(1), lambda a: a[:, :1].squeeze(1)),
    "reshape": (lambda t: t.reshape(4, -1), lambda a: a.reshape(4, -1)),
    "flatten": (lambda t: t.flatten(1), lambda a: a.reshape(3, -1)),
}


@pytest.mark.parametrize("name", MOVEMENT)
def test_movement_matches_numpy_and_finite_differences(name):
    fn, ref = MOVEMENT[name]
    assert_forward(fn, ref, [X])
    check_derivatives(fn, [X])


def test_expand_gradient_counts_the_copies():
    (g,) = grads(lambda t: t.expand(3, 2, 4).sum(), np.ones((2, 1)))
    np.testing.assert_array_equal(g, np.full((2, 1), 12.0))


DIM_KEYWORD = {  # PyTorch's dim= must select the axis even where axis= has a non-None default
    "softmax": (lambda t: t.softmax(dim=0), lambda t: t.softmax(axis=0)),
    "log_softmax": (lambda t: t.log_softmax(dim=1), lambda t: t.log_softmax(axis=1)),
    "sum": (lambda t: t.sum(dim=1), lambda t: t.sum(axis=1)),
    "cat": (lambda t: tg.cat([t, t], dim=2), lambda t: tg.concatenate([t, t], axis=2)),
    "stack": (lambda t: tg.stack([t, t], dim=1), lambda t: tg.stack([t, t], axis=1)),
    "split": (lambda t: t.split(1, dim=2)[1], lambda t: t.split(1, axis=2)[1]),
    "chunk": (lambda t: t.chunk(2, dim=1)[0], lambda t: t.chunk(2, axis=1)[0]),
}


@pytest.mark.parametrize("name", DIM_KEYWORD)
def test_dim_keyword_selects_the_axis(name):
    with_dim, with_axis = DIM_KEYWORD[name]
    np.testing.assert_array_equal(with_dim(t64(X)).numpy(), with_axis(t64(X)).numpy())


# --------------------------------------------------------------------------- large broadcasts


from tinygrad_opt.ops.movement import broadcast  # noqa: E402

BROADCASTS = [  # (source, target, axes left as stride-0 views); short axes near the end of a large result repeat
    ((64, 8, 13, 1, 13, 1), (64, 8, 13, 2, 13, 2), ()),  # max-pool windows: fully materialized
    ((8, 1, 128, 1), (4, 8, 3, 128, 3), (0, 2)),  # only the innermost short axis repeats
    ((1, 20000), (3, 20000), (0,)),  # long rows follow the broadcast axis: a view is fast
    ((2000, 1), (2000, 100), (1,)),  # the broadcast axis is too long to repeat
    ((4, 1, 1), (4, 2, 2), (1, 2)),  # a small result stays a view
]


@pytest.mark.parametrize("source, target, views", BROADCASTS)
def test_broadcast_is_numpys_even_when_it_repeats_axes_into_memory(source, target, views):
    a = np.random.default_rng(0).standard_normal(source)
    got = broadcast(a, target)
    assert got.shape == target and np.array_equal(got, np.broadcast_to(a, target))
    assert not got.flags.writeable  # a view, or a copy made read-only like one
    assert tuple(i for i, st in enumerate(got.strides) if st == 0) == views


def test_max_pool_backward_at_a_size_that_materializes_broadcasts():
    """(4, 8, 32, 32) pools with 2x2 windows: the cotangent goes to each window's maximum (shared when
    tied), as a direct NumPy computation says; and expand's VJP is still the sum."""
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal((4, 8, 32, 32)), 1)  # coarse grid: ties within windows occur
    g = rng.standard_normal((4, 8, 16, 16))
    xt = tg.tensor(x, requires_grad=True)
    (tg.max_pool2d(xt, 2) * tg.tensor(g)).sum().backward()
    win = x.reshape(4, 8, 16, 2, 16, 2)
    hit = win == win.max(axis=(3, 5), keepdims=True)
    want = (hit / hit.sum(axis=(3, 5), keepdims=True)) * g.reshape(4, 8, 16, 1, 16, 1)
    assert hit.sum() > x.size // 4  # some windows do tie
    np.testing.assert_allclose(xt.grad.numpy(), want.reshape(x.shape), rtol=1e-12)
    y = tg.tensor(rng.standard_normal((64, 1, 16, 1)), requires_grad=True)
    out = y.expand(64, 4, 16, 2)
    assert np.array_equal(out.numpy(), np.broadcast_to(y.numpy(), (64, 4, 16, 2)))
    (out * tg.tensor(np.arange(64 * 4 * 16 * 2.0).reshape(64, 4, 16, 2))).sum().backward()  # 8192 elements: a view
    np.testing.assert_allclose(
        y.grad.numpy(), np.arange(64 * 4 * 16 * 2.0).reshape(64, 4, 16, 2).sum(axis=(1, 3), keepdims=True)
    )
