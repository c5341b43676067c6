"""The reverse-mode engine: accumulation, graph lifetime, in-place semantics, grad mode, anomaly mode."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import autodiff
from tinygrad_opt.errors import AnomalyError, DTypeError, GraphError, InplaceError, ShapeError


def leaf(values, device, dtype="float64"):
    return tg.tensor(values, dtype=dtype, device=device, requires_grad=True)


# --------------------------------------------------------------------------- accumulation


def test_grad_accumulates_across_backward_calls_until_zeroed(device):
    x = leaf([1.0, 2.0], device)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (2 * np.array([1.0, 2.0])))
    x.zero_grad()
    assert x.grad is None
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_grads_of_two_leaves_are_not_aliased(device):
    x, y = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    (x + y).sum().backward()
    x.grad.mul_(5)
    x.grad.data[0] = 100.0
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])


def test_grad_of_a_leaf_used_directly_as_output_is_a_fresh_array(device):
    x = leaf(2.0, device)
    seed = tg.tensor(3.0, dtype="float64", device=device)
    x.backward(seed)
    x.grad.mul_(2)
    assert seed.item() == 3.0
    assert x.grad.item() == 6.0


# --------------------------------------------------------------------------- backward misuse


def test_backward_on_non_scalar_without_gradient_says_to_pass_one(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(GraphError, match="pass a gradient"):
        (x * 2).backward()


def test_backward_with_explicit_gradient_weights_the_outputs(device):
    x = leaf([1.0, 2.0], device)
    (x * x).backward(tg.tensor([10.0, 100.0], dtype="float64", device=device))
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 400.0])


def test_backward_with_gradient_of_wrong_shape_raises_shape_error(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(ShapeError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(tg.ones(3, dtype="float64", device=device))


def test_backward_on_tensor_without_graph_raises(device):
    with pytest.raises(GraphError, match="does not require grad"):
        tg.tensor([1.0], device=device).sum().backward()


def test_second_backward_through_freed_graph_raises(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(GraphError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]))


def test_create_graph_gives_a_differentiable_gradient(device):
    x = leaf(2.0, device)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and not g.is_leaf
    assert g.item() == pytest.approx(3 * 2.0**2)
    x.grad = None
    g.backward()
    assert x.grad.item() == pytest.approx(6 * 2.0)  # d/dx 3x^2 = 6x


def test_autograd_grad_leaves_dot_grad_untouched(device):
    x = leaf([1.0, 2.0], device)
    (g,) = autodiff.grad((x**2).sum(), [x])
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    assert x.grad is None


def test_autograd_grad_stops_at_a_non_leaf_input_and_leaves_its_history_alone(device):
    """As in PyTorch: the sweep ends at the inputs, so the history that made a non-leaf input is neither
    run nor freed, and a later backward through it still works."""
    x = tg.tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x * 3.0
    (gh,) = autodiff.grad((h * h).sum(), [h])
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])
    assert x.grad is None
    h.sum().backward()  # raised "backward through the graph a second time" when grad() freed x * 3
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_autograd_grad_of_unreachable_input(device):
    x, y = leaf(1.0, device), leaf(2.0, device)
    with pytest.raises(GraphError, match="allow_unused"):
        autodiff.grad(x * 3, [x, y], retain_graph=True)
    gx, gy = autodiff.grad(x * 3, [x, y], allow_unused=True)
    assert gx.item() == 3.0 and gy is None


class _CountingIdentity(autodiff.Function):
    """y = x, counting its VJP calls (to see which branches a sweep visits)."""

    calls = 0

    def forward(self, a):
        return a.copy()

    def vjp(self, g):
        type(self).calls += 1
        return (g,)

    def jvp(self, t):
        return t


def test_autograd_grad_prunes_branches_that_do_not_reach_the_inputs(device):
    """With inputs given, only branches leading to them run their VJPs (unless prune=False, which the
    transforms pass only when the inputs are the only leaves requiring grad); the answer is the same."""
    x, w = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    for prune, calls in [(True, 0), (False, 1)]:
        _CountingIdentity.calls = 0
        out = (x * x).sum() + _CountingIdentity.apply(w).sum()
        (gx,) = autodiff.grad(out, [x], prune=prune)
        np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
        assert _CountingIdentity.calls == calls
    _CountingIdentity.calls = 0  # value_and_grad over x with w closed over: w's branch is pruned
    value, gx = tg.value_and_grad(lambda x: (x * x).sum() + _CountingIdentity.apply(w).sum())(x)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert _CountingIdentity.calls == 0 and value.requires_grad


# --------------------------------------------------------------------------- in-place semantics


def test_inplace_on_tensor_saved_for_backward_raises_naming_the_op(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp()
    z = y * 2
    y.mul_(2)
    with pytest.raises(InplaceError, match=r"Mul: input 0 .*modified in place"):
        z.sum().backward()


def test_inplace_on_output_saved_by_its_own_op_raises(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp()  # Exp saves its output for the VJP
    with tg.no_grad():
        y.add_(1)  # mutates the saved array itself
    with pytest.raises(InplaceError, match="Exp: its output"):
        y.sum().backward()


def test_recorded_inplace_keeps_the_old_value_for_its_own_producer(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp()
    y.add_(1)  # recorded: y becomes a new node, Exp keeps the pre-update array
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))


def test_inplace_on_a_non_leaf_not_saved_by_anyone_is_differentiable(device):
    x = leaf([1.0, 2.0], device)
    y = x * 3
    y.add_(x)  # y = 3x + x
    y.mul_(2)  # y = 8x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 8.0])


def test_inplace_on_leaf_requiring_grad_outside_no_grad_raises(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(GraphError, match="no_grad"):
        x.add_(1)


def test_inplace_under_no_grad_mutates_and_bumps_the_version(device):
    x = leaf([1.0, 2.0], device)
    data = x.data
    version = x._vbox[0]
    with tg.no_grad():
        x.sub_(tg.tensor([0.5, 0.5], dtype="float64", device=device))
    assert x.data is data
    np.testing.assert_allclose(x.numpy(), [0.5, 1.5])
    assert x._vbox[0] == version + 1
    assert x.requires_grad and x.is_leaf


def test_views_share_the_version_counter(device):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x * 1
    v = y[0:2]  # basic indexing is a view of y
    w = v * v
    y.mul_(2)
    with pytest.raises(InplaceError):
        w.sum().backward()


def test_setitem_on_non_leaf_is_differentiable(device):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x * 2
    y[1] = x[0] * 10
    y.sum().backward()
    # y = (2 x0, 10 x0, 2 x2): dy/dx0 = 12, x1 was overwritten, dy/dx2 = 2
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 0.0, 2.0])


def test_setitem_with_constant_cuts_the_gradient_of_the_overwritten_entries(device):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x * 1
    y[0:2] = 0.0
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 6.0])


# --------------------------------------------------------------------------- grad mode


def test_no_grad_enable_grad_and_set_grad_enabled_as_contexts(device):
    x = leaf([1.0], device)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        assert not (x * 2).requires_grad
        with tg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with tg.set_grad_enabled(True):
        assert (x * 2).requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_decorators(device):
    x = leaf([1.0], device)

    @tg.no_grad()
    def frozen(a):
        return a * 2

    @tg.enable_grad()
    def recorded(a):
        return a * 2

    @tg.set_grad_enabled(False)
    def off(a):
        return a * 2

    assert not frozen(x).requires_grad
    assert not off(x).requires_grad
    with tg.no_grad():
        assert recorded(x).requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_restored_after_exception(device):
    with pytest.raises(RuntimeError):
        with tg.no_grad():
            raise RuntimeError("boom")
    assert tg.is_grad_enabled()


def test_detach_shares_data_but_has_no_history(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert d.data is y.data
    (d * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # d is a constant


def test_requires_grad_on_int_tensor_raises_dtype_error(device):
    with pytest.raises(DTypeError, match="int64"):
        tg.tensor([1, 2], device=device).requires_grad_()
    with pytest.raises(DTypeError):
        tg.tensor([1, 2], device=device, requires_grad=True)


def test_retain_grad_on_non_leaf(device):
    x = leaf([1.0, 2.0], device)
    y = (x * 3).retain_grad()
    h = x * 4
    (y * y + h).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * 3 * np.array([1.0, 2.0]))
    assert h.grad is None
    np.testing.assert_allclose(x.grad.numpy(), 18 * np.array([1.0, 2.0]) + 4)


# --------------------------------------------------------------------------- graph shape and lifetime


def test_deep_graph_does_not_hit_the_recursion_limit(device):
    x = leaf(1.0, device)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**5000, rel=1e-10)


def test_graph_is_freed_after_backward(device):
    x = leaf([1.0, 2.0], device)
    hidden = x.exp()
    ref = weakref.ref(hidden)
    loss = (hidden * 2).sum()
    del hidden
    gc.collect()
    assert ref() is not None  # held by the graph of loss
    loss.backward()
    gc.collect()
    assert ref() is None


def test_graph_is_kept_with_retain_graph(device):
    x = leaf([1.0, 2.0], device)
    hidden = x.exp()
    ref = weakref.ref(hidden)
    loss = (hidden * 2).sum()
    del hidden
    loss.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None


def test_diamond_graph_sums_both_paths(device):
    x = leaf(1.5, device)
    a = x.sin()
    (a * a + a).backward()  # d/dx (sin^2 x + sin x) = (2 sin x + 1) cos x
    assert x.grad.item() == pytest.approx((2 * np.sin(1.5) + 1) * np.cos(1.5))


def test_no_vjp_for_inputs_that_do_not_need_one(device, monkeypatch):
    from tinygrad_opt.ops import linalg

    seen = []
    original = linalg.Matmul.vjp

    def spy(self, g):
        seen.append(self.needs)
        return original(self, g)

    monkeypatch.setattr(linalg.Matmul, "vjp", spy)
    data = tg.tensor(np.ones((4, 3)), device=device)
    w = leaf(np.ones((3, 2)), device)
    (data @ w).sum().backward()
    assert seen == [(False, True)]
    np.testing.assert_allclose(w.grad.numpy(), np.full((3, 2), 4.0))


# --------------------------------------------------------------------------- anomaly mode


def test_anomaly_mode_names_forward_op_producing_nan(device):
    x = leaf([1.0, -1.0], device)
    with tg.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(AnomalyError, match=r"Log produced NaN/Inf in its forward") as info:
            x.log()
    assert "test_autodiff.py" in str(info.value)  # the creation site is shown


def test_anomaly_mode_names_op_whose_vjp_produces_inf(device):
    x = leaf([0.0, 1.0], device)
    with tg.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt().sum()  # finite forward; d sqrt/dx = 1/(2 sqrt x) is Inf at 0
        with pytest.raises(AnomalyError, match=r"Sqrt produced NaN/Inf in its VJP"):
            y.backward()


def test_anomaly_mode_names_op_whose_jvp_produces_inf(device):
    x = tg.tensor([0.0, 1.0], dtype="float64", device=device)
    t = tg.ones_like(x)
    with tg.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(AnomalyError, match=r"Sqrt produced NaN/Inf in its JVP"):
            tg.jvp(lambda a: a.sqrt(), (x,), (t,))


def test_no_anomaly_error_outside_anomaly_mode(device):
    with np.errstate(invalid="ignore", divide="ignore"):
        y = leaf([1.0, -1.0], device).log()
        assert np.isnan(y.numpy()[1])
        x = leaf([0.0, 1.0], device)
        x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()[0])
    assert not tg.autodiff.is_anomaly_enabled()


def test_anomaly_mode_is_quiet_on_finite_computations(device):
    x = leaf([0.5, 2.0], device)
    with tg.detect_anomaly():
        (x.log() * x.sqrt()).sum().backward()
    expected = np.sqrt([0.5, 2.0]) / np.array([0.5, 2.0]) + np.log([0.5, 2.0]) / (2 * np.sqrt([0.5, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_keep_backward_graph_makes_a_plain_backward_differentiable(device):
    """Inside keep_backward_graph, loss.backward() records its pass: the .grad it leaves has history, so
    its VJP with v is H v — how Newton/AdaHessian get curvature from a plain closure."""
    x = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True, device=device)
    with tg.autodiff.keep_backward_graph():
        (x[0] ** 3 * x[1]).backward()
    assert x.grad.requires_grad
    v = tg.Tensor(np.array([1.0, -1.0]), device=device)
    (hv,) = tg.autodiff.grad([x.grad], [x], grad_outputs=[v])
    # H = [[6 x0 x1, 3 x0²], [3 x0², 0]] = [[12, 3], [3, 0]]
    np.testing.assert_allclose(hv.numpy(), [12 - 3, 3])
    y = tg.Tensor(np.array([1.0]), requires_grad=True, device=device)
    (y**2).sum().backward()
    assert not y.grad.requires_grad  # outside the mode backward records nothing, as before
