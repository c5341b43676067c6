"""JAX-style transforms: the seed's worked examples, agreement between modes, pytrees, nesting, cost."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_opt as tg
from tinygrad_opt import autodiff
from tinygrad_opt.errors import ShapeError
from tinygrad_opt.testing import numerical_jacobian
from tinygrad_opt.testing.strategies import arrays


def f64(values, device):
    return tg.tensor(values, dtype="float64", device=device)


# --------------------------------------------------------------------------- seed 000 worked examples


def seed_f(x, y):
    """seed 000 "梯度下降": f(x, y) = x^2 + 2xy + y^3, gradient (2x + 2y, 2x + 3y^2)."""
    return x**2 + 2 * x * y + y**3


def test_seed_gradient_is_10_18_at_3_2(device):
    gx, gy = tg.grad(seed_f, argnums=(0, 1))(f64(3.0, device), f64(2.0, device))
    assert (gx.item(), gy.item()) == (10.0, 18.0)


def seed_jacobian_f(x):
    """seed 000 "Jacobian": R^2 -> R^3, f = (x1^2 + 5 x2, 3 x1 sin x2, x1^2 x2)."""
    return tg.stack([x[0] ** 2 + 5 * x[1], 3 * x[0] * x[1].sin(), x[0] ** 2 * x[1]])


def seed_jacobian_closed_form(x1, x2):
    # The seed prints the third row as (x2^2, 2 x1 x2); that is a typo: d(x1^2 x2)/dx1 = 2 x1 x2 and
    # d(x1^2 x2)/dx2 = x1^2. The correct closed form is tested here.
    return np.array([[2 * x1, 5.0], [3 * np.sin(x2), 3 * x1 * np.cos(x2)], [2 * x1 * x2, x1**2]])


@given(point=arrays((2,), low=-3.0, high=3.0))
def test_seed_jacobian_rev_equals_fwd_equals_closed_form(device, point):
    x = f64(point, device)
    closed = seed_jacobian_closed_form(*point)
    rev = tg.jacobian(seed_jacobian_f, mode="rev")(x).numpy()
    fwd = tg.jacobian(seed_jacobian_f, mode="fwd")(x).numpy()
    assert rev.shape == fwd.shape == (3, 2)
    np.testing.assert_allclose(rev, closed, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fwd, closed, rtol=1e-12, atol=1e-12)


def test_seed_hessian_is_the_jacobian_of_the_gradient(device):
    def f(v):
        return seed_f(v[0], v[1])

    v = f64([3.0, 2.0], device)
    h = tg.hessian(f)(v).numpy()
    np.testing.assert_allclose(h, [[2.0, 2.0], [2.0, 6 * 2.0]])  # [[2, 2], [2, 6y]]
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(tg.jacobian(tg.grad(f), mode=mode)(v).numpy(), h, rtol=1e-12)


@given(a=arrays((3, 3)), x=arrays((3,)))
def test_hessian_of_quadratic_form_is_symmetric_part(device, a, x):
    A = f64(a, device)
    h = tg.hessian(lambda v: 0.5 * (v @ (A @ v)))(f64(x, device)).numpy()
    np.testing.assert_allclose(h, (a + a.T) / 2, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- random smooth compositions

SMOOTH = {
    "sin": lambda t: t.sin(),
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "softplus": lambda t: t.softplus(),
    "square": lambda t: t * t,
    "exp_half": lambda t: (0.5 * t).exp(),
    "cos": lambda t: t.cos(),
}


@st.composite
def compositions(draw, n=3, m=2):
    """(f: R^n -> R^m, point, tangent): f(x) = B chain(A x + c) with a drawn chain of smooth ops."""
    names = draw(st.lists(st.sampled_from(sorted(SMOOTH)), min_size=1, max_size=3))
    a, b = draw(arrays((4, n), -1.0, 1.0)), draw(arrays((m, 4), -1.0, 1.0))
    c, x, v = draw(arrays((4,), -1.0, 1.0)), draw(arrays((n,))), draw(arrays((n,)))

    def build(device):
        A, B, C = f64(a, device), f64(b, device), f64(c, device)

        def f(t):
            h = A @ t + C
            for name in names:
                h = SMOOTH[name](h)
            return B @ h

        return f

    return build, x, v, names


@given(comp=compositions())
def test_jacobian_rev_equals_fwd_equals_finite_differences(device, comp):
    build, x, _, _ = comp
    f, xt = build(device), f64(x, device)
    rev = tg.jacobian(f, mode="rev")(xt).numpy()
    fwd = tg.jacobian(f, mode="fwd")(xt).numpy()
    np.testing.assert_allclose(rev, fwd, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rev, numerical_jacobian(f, [xt], 0, 1e-6), rtol=1e-5, atol=1e-7)


@given(comp=compositions(m=1))
def test_hvp_fwd_rev_equals_rev_rev_equals_hessian_times_v(device, comp):
    build, x, v, _ = comp
    g = build(device)

    def f(t):
        return g(t).sum()

    xt, vt = f64(x, device), f64(v, device)
    fr = tg.hvp(f, xt, vt).numpy()
    rr = tg.hvp(f, xt, vt, mode="rev-rev").numpy()
    hv = tg.hessian(f)(xt).numpy() @ v
    np.testing.assert_allclose(fr, rr, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fr, hv, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- grad / value_and_grad


def test_grad_argnums_int_and_tuple(device):
    x, y = f64(3.0, device), f64(2.0, device)
    assert tg.grad(seed_f)(x, y).item() == 10.0
    assert tg.grad(seed_f, argnums=1)(x, y).item() == 18.0
    assert tg.grad(seed_f, argnums=-1)(x, y).item() == 18.0
    gy, gx = tg.grad(seed_f, argnums=(1, 0))(x, y)
    assert (gy.item(), gx.item()) == (18.0, 10.0)
    (only,) = tg.grad(seed_f, argnums=(0,))(x, y)
    assert only.item() == 10.0


def test_grad_accepts_python_floats_and_leaves_inputs_alone(device):
    assert tg.grad(seed_f, argnums=1)(3.0, 2.0).item() == 18.0
    x = f64(3.0, device)
    tg.grad(seed_f)(x, f64(2.0, device))
    assert not x.requires_grad and x.grad is None


def test_value_and_grad_with_aux(device):
    x = f64([1.0, 2.0], device)
    (value, aux), g = tg.value_and_grad(lambda t: ((t**2).sum(), t * 2), has_aux=True)(x)
    assert value.item() == 5.0
    np.testing.assert_allclose(aux.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    g2, label = tg.grad(lambda t: ((t**3).sum(), "aux"), has_aux=True)(x)
    assert label == "aux"
    np.testing.assert_allclose(g2.numpy(), [3.0, 12.0])


def test_grad_of_constant_function_is_zero(device):
    g = tg.grad(lambda t: f64(1.0, device))(f64([1.0, 2.0], device))
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def test_grad_errors(device):
    x = f64([1.0, 2.0], device)
    with pytest.raises(ShapeError, match="scalar"):
        tg.grad(lambda t: t * 2)(x)
    with pytest.raises(ValueError, match="argnums"):
        tg.grad(seed_f, argnums=2)(x, x)
    with pytest.raises(ValueError, match="mode"):
        tg.jacobian(seed_jacobian_f, mode="sideways")
    with pytest.raises(ValueError, match="mode"):
        tg.hvp(lambda t: t.sum(), x, x, mode="fwd-fwd")


# --------------------------------------------------------------------------- vjp / jvp / linearize on pytrees


def pytree_f(params, extras):
    return params["a"] * extras[0] + params["b"].sum() * extras[1]


def pytree_point(device):
    return {"a": f64([1.0, 2.0], device), "b": f64([3.0, 4.0], device)}, [f64([5.0, 6.0], device), f64(2.0, device)]


def test_vjp_over_pytrees_and_repeated_calls(device):
    params, extras = pytree_point(device)
    out, vjp_fn = tg.vjp(pytree_f, params, extras)
    np.testing.assert_allclose(out.numpy(), [1 * 5 + 7 * 2, 2 * 6 + 7 * 2])
    for u in ([1.0, 1.0], [1.0, 0.0], [0.0, -2.0]):
        u = np.array(u)
        gp, ge = vjp_fn(f64(u, device))
        assert set(gp) == {"a", "b"} and isinstance(ge, list)
        np.testing.assert_allclose(gp["a"].numpy(), u * [5.0, 6.0])
        np.testing.assert_allclose(gp["b"].numpy(), np.full(2, 2.0 * u.sum()))
        np.testing.assert_allclose(ge[0].numpy(), u * [1.0, 2.0])
        assert ge[1].item() == pytest.approx(7.0 * u.sum())


def test_vjp_cotangent_must_match_output(device):
    params, extras = pytree_point(device)
    _, vjp_fn = tg.vjp(pytree_f, params, extras)
    with pytest.raises(ShapeError):
        vjp_fn(f64([1.0, 2.0, 3.0], device))


def test_jvp_over_pytrees_equals_vjp_transpose(device):
    params, extras = pytree_point(device)
    tp, te = {"a": f64([1.0, 0.0], device), "b": f64([0.0, 1.0], device)}, [f64([0.5, 0.0], device), f64(1.0, device)]
    out, jt = tg.jvp(pytree_f, (params, extras), (tp, te))
    np.testing.assert_allclose(out.numpy(), [19.0, 26.0])
    # by hand: d(a * e0) = ta * e0 + a * te0; d(sum(b) * e1) = sum(tb) * e1 + sum(b) * te1
    np.testing.assert_allclose(jt.numpy(), [1 * 5 + 1 * 0.5 + 1 * 2 + 7 * 1, 0 + 0 + 1 * 2 + 7 * 1])
    _, vjp_fn = tg.vjp(pytree_f, params, extras)
    u = f64([0.3, -1.2], device)
    flat_ct = tg.tree_flatten(vjp_fn(u))[0]
    flat_t = tg.tree_flatten((tp, te))[0]
    lhs = float((u.numpy() * jt.numpy()).sum())
    rhs = sum(float((c.numpy() * t.numpy()).sum()) for c, t in zip(flat_ct, flat_t))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_jvp_tangent_shape_must_match(device):
    with pytest.raises(ShapeError, match="tangent shape"):
        tg.jvp(lambda t: t * 2, (f64([1.0, 2.0], device),), (f64([1.0], device),))


def test_linearize_gives_jvp_without_rerunning_f(device):
    calls = []

    def f(t):
        calls.append(1)
        return t.sin() * t + t.sum()

    x = f64([0.5, -1.0, 2.0], device)
    out, f_jvp = tg.linearize(f, x)
    assert len(calls) == 1
    np.testing.assert_allclose(out.numpy(), np.sin(x.numpy()) * x.numpy() + x.numpy().sum())
    rng = np.random.default_rng(0)
    tangents = [f64(rng.standard_normal(3), device) for _ in range(4)]
    lin = [f_jvp(t).numpy() for t in tangents]
    assert len(calls) == 1  # J t for every t came from the recorded graph
    for t, jt in zip(tangents, lin):
        np.testing.assert_allclose(jt, tg.jvp(f, (x,), (t,))[1].numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- hvp on a parameter dict


def mlp_loss(params, x, y):
    hidden = (x @ params["w1"] + params["b1"]).tanh()
    return (((hidden @ params["w2"] + params["b2"]) - y) ** 2).mean()


def test_hvp_over_parameter_dict_matches_finite_differences_of_the_gradient(device):
    rng = np.random.default_rng(1)
    params = {
        "w1": f64(rng.standard_normal((3, 4)) * 0.5, device),
        "b1": f64(rng.standard_normal(4) * 0.1, device),
        "w2": f64(rng.standard_normal((4, 2)) * 0.5, device),
        "b2": f64(np.zeros(2), device),
    }
    v = {k: f64(rng.standard_normal(p.shape), device) for k, p in params.items()}
    x, y = f64(rng.standard_normal((5, 3)), device), f64(rng.standard_normal((5, 2)), device)

    def loss(p):
        return mlp_loss(p, x, y)

    fr = tg.hvp(loss, params, v)
    rr = tg.hvp(loss, params, v, mode="rev-rev")
    assert set(fr) == set(rr) == set(params)
    eps = 1e-5
    shifted = [{k: f64(params[k].numpy() + s * eps * v[k].numpy(), device) for k in params} for s in (1, -1)]
    g_plus, g_minus = (tg.grad(loss)(p) for p in shifted)
    for k in params:
        fd = (g_plus[k].numpy() - g_minus[k].numpy()) / (2 * eps)
        assert fr[k].shape == params[k].shape
        np.testing.assert_allclose(fr[k].numpy(), rr[k].numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(fr[k].numpy(), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["fwd-rev", "rev-rev"])
def test_hvp_refuses_tangents_that_do_not_match_the_primals(mode):
    """A tangent of another shape must not broadcast into a wrong answer (rev-rev's <grad, v> would)."""
    f = lambda x: (x**3).sum()  # noqa: E731
    with pytest.raises(tg.ShapeError, match=r"tangent shape \(1,\) does not match primal shape \(3,\)"):
        tg.hvp(f, tg.ones(3), tg.ones(1), mode=mode)
    with pytest.raises(tg.ShapeError, match="structure"):
        tg.hvp(lambda d: f(d["a"]), {"a": tg.ones(3)}, {"b": tg.ones(3)}, mode=mode)


def test_hvp_rev_rev_differentiates_through_a_tangent_that_requires_grad():
    """d/dv <H v, w> = H w: the constant-v shortcut of rev-rev must not apply when v is differentiated."""
    x = tg.tensor([1.0, 2.0], dtype=tg.float64)
    w = tg.tensor([0.5, -1.0], dtype=tg.float64)
    f = lambda x: (x**3).sum()  # noqa: E731  H = diag(6x)

    def g(v):
        return (tg.hvp(f, x, v, mode="rev-rev") * w).sum()

    np.testing.assert_allclose(tg.grad(g)(tg.tensor([3.0, 4.0], dtype=tg.float64)).numpy(), 6 * x.numpy() * w.numpy())


# --------------------------------------------------------------------------- nested transforms


def test_grad_of_grad(device):
    x = f64(2.0, device)
    assert tg.grad(tg.grad(lambda t: t**3))(x).item() == pytest.approx(12.0)
    assert tg.grad(tg.grad(tg.grad(lambda t: t**3)))(x).item() == pytest.approx(6.0)


def test_perturbation_confusion_jvp_of_jvp(device):
    """Siskind & Pearlmutter: d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 at every x."""

    def outer(x):
        _, dy = tg.jvp(lambda y: x + y, (f64(1.0, device),), (f64(1.0, device),))
        return x * dy

    for x0 in (-3.0, 0.0, 5.0):
        _, d = tg.jvp(outer, (f64(x0, device),), (f64(1.0, device),))
        assert d.item() == 1.0


def test_perturbation_confusion_with_grad(device):
    def outer(x):
        return x * tg.grad(lambda y: x + y)(f64(1.0, device))

    assert tg.grad(outer)(f64(5.0, device)).item() == 1.0


def test_second_derivative_through_every_nesting_agrees(device):
    def f(t):
        return t.sin() * t**2

    def d1_rev(t):
        return tg.grad(f)(t)

    def d1_fwd(t):
        return tg.jvp(f, (t,), (tg.ones_like(t),))[1]

    one = f64(1.0, device)
    x = f64(0.7, device)
    exact = (2 - x.item() ** 2) * np.sin(0.7) + 4 * 0.7 * np.cos(0.7)  # (x^2 sin x)''
    rev_rev = tg.grad(d1_rev)(x).item()
    rev_fwd = tg.grad(d1_fwd)(x).item()  # reverse over forward
    fwd_rev = tg.jvp(d1_rev, (x,), (one,))[1].item()  # forward over reverse
    fwd_fwd = tg.jvp(d1_fwd, (x,), (one,))[1].item()
    for value in (rev_rev, rev_fwd, fwd_rev, fwd_fwd):
        assert value == pytest.approx(exact, rel=1e-12)


# --------------------------------------------------------------------------- cost: which sweeps run


@pytest.fixture
def backward_calls(monkeypatch):
    calls = []
    original = autodiff.run_backward

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(autodiff, "run_backward", counting)
    return calls


def test_jvp_is_one_forward_pass_without_backward(device, backward_calls, monkeypatch):
    from tinygrad_opt.ops import PRIMITIVES

    vjp_rules = []
    for cls in {c for p in PRIMITIVES for c in p.__mro__ if "vjp" in c.__dict__ and c is not autodiff.Function}:
        original = cls.__dict__["vjp"]
        monkeypatch.setattr(cls, "vjp", lambda self, g, _rule=original: vjp_rules.append(self) or _rule(self, g))
    x = f64([0.1, 0.2, 0.3], device)
    out, t = tg.jvp(lambda a: (a.exp() * a.sin()).sum(), (x,), (tg.ones_like(x),))
    assert backward_calls == [] and vjp_rules == []
    tg.grad(lambda a: (a.exp() * a.sin()).sum())(x)  # the spies do see a reverse pass
    assert len(backward_calls) == 1 and {type(fn).__name__ for fn in vjp_rules} >= {"Exp", "Sin", "Mul", "Sum"}
    xs = x.numpy()
    assert t.item() == pytest.approx((np.exp(xs) * (np.sin(xs) + np.cos(xs))).sum(), rel=1e-12)


def test_hvp_fwd_rev_runs_one_backward_and_rev_rev_two(device, backward_calls):
    x, v = f64([0.1, 0.2], device), f64([1.0, -1.0], device)
    tg.hvp(lambda a: (a.exp() * a).sum(), x, v)
    assert len(backward_calls) == 1
    backward_calls.clear()
    tg.hvp(lambda a: (a.exp() * a).sum(), x, v, mode="rev-rev")
    assert len(backward_calls) == 2


def test_jacobian_rev_costs_one_vjp_per_output_and_fwd_none(device, backward_calls):
    x = f64([0.5, 1.5], device)
    tg.jacobian(seed_jacobian_f, mode="rev")(x)
    assert len(backward_calls) == 3  # one row per output
    backward_calls.clear()
    tg.jacobian(seed_jacobian_f, mode="fwd")(x)
    assert backward_calls == []


# --------------------------------------------------------------------------- closures over tensors that require grad


def test_closed_over_parameter_keeps_its_history(device):
    """grad(f) differentiates w.r.t. its arguments only; a closed-over tensor that requires grad is
    held fixed, but the result stays a function of it (as in JAX and torch.func): backward reaches it."""
    w = tg.tensor(3.0, dtype="float64", device=device, requires_grad=True)
    g = tg.grad(lambda t: w * t**2)(f64(2.0, device))  # 2 w t
    assert g.item() == 12.0 and g.requires_grad
    g.backward()
    assert w.grad.item() == 4.0  # d(2 w t)/dw = 2 t
    _, jt = tg.jvp(lambda t: w * t**2, (f64(2.0, device),), (f64(1.0, device),))
    w.grad = None
    jt.backward()
    assert w.grad.item() == 4.0


def test_closed_over_parameter_under_no_grad_gives_a_plain_tensor(device):
    w = tg.tensor(3.0, dtype="float64", device=device, requires_grad=True)
    with tg.no_grad():
        g = tg.grad(lambda t: w * t**2)(f64(2.0, device))
    assert g.item() == 12.0 and not g.requires_grad


def test_inner_grad_closing_over_outer_variable(device):
    """d/dx [d/dy (x y^2)]_(y=1) = d/dx [2 x] = 2: the inner grad must keep x's history."""
    inner = lambda x: tg.grad(lambda y: x * y * y)(f64(1.0, device))  # noqa: E731
    assert tg.grad(inner)(f64(5.0, device)).item() == 2.0
    assert tg.jvp(inner, (f64(5.0, device),), (f64(1.0, device),))[1].item() == 2.0
    _, vjp_fn = tg.vjp(inner, f64(5.0, device))
    assert vjp_fn(f64(1.0, device))[0].item() == 2.0
