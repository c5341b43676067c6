"""Issue 12: ``step()`` is all or nothing for every optimizer. A gradient whose shape or dtype differs from
its parameter's fails the step with ShapeError/DTypeError before any parameter or state changes (bit for
bit), and the next valid step is exactly the step an optimizer that never saw the bad gradient takes (for
a fresh optimizer: its first step). Built so that the bad gradient is the SECOND parameter's, where a
check made parameter by parameter would already have updated the first."""

from __future__ import annotations

import numpy as np
import optim_table as T
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim

W0 = np.array([0.5, -1.0, 2.0])
B0 = np.array([0.3, -0.2])
BAD = {
    "shape": (lambda g: np.zeros(1), tg.ShapeError, "(1,)"),
    "rank": (lambda g: np.zeros((2, 1)), tg.ShapeError, "(2, 1)"),
    "dtype": (lambda g: g.astype(np.float32), tg.DTypeError, "float32"),
}


def _grads(k, w, b):
    """A deterministic gradient stream that depends on the step and the parameters."""
    return w.numpy() ** 3 * 0.1 + w.numpy() - np.sin(k + np.arange(3)), b.numpy() * 2 - np.cos(k + np.arange(2))


def _set(w, b, k):
    gw, gb = _grads(k, w, b)
    w.grad, b.grad = tg.Tensor(gw), tg.Tensor(gb)


def _plain(value):
    """state_dict values as comparable plain data (arrays with their dtype)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    return value


def _same(opt_a, params_a, opt_b, params_b):
    assert _plain(opt_a.state_dict()) == _plain(opt_b.state_dict())
    for a, b in zip(params_a, params_b):
        assert a.dtype == b.dtype and np.array_equal(a.numpy(), b.numpy())


# --------------------------------------------------------------------------- gradient-driven optimizers


def _table_setup(name):
    case = T.CASES[name]
    w, b = tg.Tensor(W0.copy(), requires_grad=True), tg.Tensor(B0.copy(), requires_grad=True)
    return case.make([{"params": [w, b], **case.groups[0]}]), [w, b]


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("steps_before", [0, 2])
@pytest.mark.parametrize("name", sorted(T.CASES))
def test_a_bad_gradient_changes_nothing_and_the_next_step_is_the_untouched_ones(name, steps_before, bad):
    make_bad, error, fragment = BAD[bad]
    opt, (w, b) = _table_setup(name)
    twin, (w2, b2) = _table_setup(name)
    for k in range(steps_before):
        _set(w, b, k)
        opt.step()
        _set(w2, b2, k)
        twin.step()
    _set(w, b, steps_before)
    b.grad.data = make_bad(b.grad.data)  # made wrong behind the .grad setter's back
    before = _plain(opt.state_dict()), w.numpy().copy(), b.numpy().copy(), w._version, b._version
    with pytest.raises(error) as info:
        opt.step()
    message = str(info.value)
    assert f"{type(opt).__name__}.step" in message and "parameter 1" in message and fragment in message
    assert _plain(opt.state_dict()) == before[0]
    assert np.array_equal(w.numpy(), before[1]) and np.array_equal(b.numpy(), before[2])
    assert (w._version, b._version) == before[3:]
    if steps_before == 0:  # no state was created (the issue: step=1 and zeroed moments were left behind)
        assert opt.state == {} and getattr(opt, "optimizer", opt).state == {}
    _set(w, b, steps_before)
    opt.step()
    _set(w2, b2, steps_before)
    twin.step()
    _same(opt, [w, b], twin, [w2, b2])


def test_the_issue_example_adam_after_a_failed_step_takes_a_fresh_first_step():
    """The issue's numbers: without the check the next step moved 0.9 to 0.9256 instead of 0.9."""
    p = tg.Tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = tg.Tensor(np.ones(3))
    p.grad.data = np.ones((2,))
    with pytest.raises(tg.ShapeError, match=r"Adam\.step: parameter 0 \(shape \(3,\)"):
        opt.step()
    assert opt.state == {}
    p.grad = tg.Tensor(np.ones(3))
    opt.step()
    # Adam's first step moves every coordinate by lr (m/sqrt(v) = 1 after bias correction), up to eps
    np.testing.assert_allclose(p.numpy(), 1.0 - 0.1 / (1.0 + 1e-8), rtol=1e-14, atol=0)


def test_sgd_no_longer_broadcasts_a_one_element_gradient():
    p = tg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = tg.Tensor(np.ones(3))
    p.grad.data = np.ones(1)
    with pytest.raises(tg.ShapeError, match=r"SGD\.step.*\(3,\).*\(1,\)"):
        opt.step()
    assert np.array_equal(p.numpy(), [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- closure-driven optimizers

C = np.array([1.0, 2.0, 3.0])


def _closure(opt, w, b, corrupt=False):
    def closure():
        opt.zero_grad()
        loss = (w * w * tg.Tensor(C)).sum() + ((b - 1.0) * (b - 1.0)).sum() + (w * w * w * w).sum() * 0.01
        loss.backward()
        if corrupt:
            b.grad.data = np.zeros(1)
        return loss

    return closure


CLOSURE_MAKERS = {
    "LBFGS": lambda ps: optim.LBFGS(ps, max_iter=3),
    "BFGS": lambda ps: optim.BFGS(ps),
    "ConjugateGradient": lambda ps: optim.ConjugateGradient(ps),
    "SteepestDescent": lambda ps: optim.SteepestDescent(ps),
    "Newton": lambda ps: optim.Newton(ps, damping=0.1),
    "NewtonCG": lambda ps: optim.NewtonCG(ps),
    "CoordinateDescent": lambda ps: optim.CoordinateDescent(ps, damping=0.1),
    "AdaHessian": lambda ps: optim.AdaHessian(ps, lr=0.1, seed=0),
    "SophiaH": lambda ps: optim.SophiaH(ps, lr=0.1, k=1, seed=0),
}


def test_every_closure_driven_optimizer_is_covered_here():
    assert set(CLOSURE_MAKERS) | {"KFAC"} == set(T.SEPARATELY_TESTED)


@pytest.mark.parametrize("steps_before", [0, 1])
@pytest.mark.parametrize("name", sorted(CLOSURE_MAKERS))
def test_closure_optimizers_refuse_a_bad_gradient_and_change_nothing(name, steps_before):
    def setup():
        w, b = tg.Tensor(W0.copy(), requires_grad=True), tg.Tensor(B0.copy(), requires_grad=True)
        return CLOSURE_MAKERS[name]([w, b]), w, b

    opt, w, b = setup()
    twin, w2, b2 = setup()
    for _ in range(steps_before):
        opt.step(_closure(opt, w, b))
        twin.step(_closure(twin, w2, b2))
    before = _plain(opt.state_dict()), w.numpy().copy(), b.numpy().copy()
    with pytest.raises(tg.ShapeError, match=rf"{name}\.step: parameter 1 \(shape \(2,\).*\(1,\)"):
        opt.step(_closure(opt, w, b, corrupt=True))
    assert _plain(opt.state_dict()) == before[0]
    assert np.array_equal(w.numpy(), before[1]) and np.array_equal(b.numpy(), before[2])
    opt.step(_closure(opt, w, b))
    twin.step(_closure(twin, w2, b2))
    _same(opt, [w, b], twin, [w2, b2])


def test_kfac_refuses_a_bad_gradient_and_changes_nothing():
    def setup():
        tg.manual_seed(0)
        model = tg.nn.Linear(3, 2)
        return model, optim.KFAC(model, lr=0.1)

    x = tg.Tensor(np.linspace(-1, 1, 12).reshape(4, 3).astype(np.float32))
    y = tg.Tensor(np.linspace(0, 1, 8).reshape(4, 2).astype(np.float32))

    def closure(model, opt, corrupt=False):
        def run():
            opt.zero_grad()
            loss = ((model(x) - y) * (model(x) - y)).mean()
            loss.backward()
            if corrupt:
                model.bias.grad.data = np.zeros((1, 2), dtype=model.bias.dtype)
            return loss

        return run

    (model, opt), (model2, twin) = setup(), setup()
    opt.step(closure(model, opt))
    twin.step(closure(model2, twin))
    before = _plain(opt.state_dict()), [p.numpy().copy() for p in model.parameters()]
    with pytest.raises(tg.ShapeError, match=r"KFAC\.step: parameter 1 .*\(1, 2\)"):
        opt.step(closure(model, opt, corrupt=True))
    assert _plain(opt.state_dict()) == before[0]
    assert all(np.array_equal(p.numpy(), v) for p, v in zip(model.parameters(), before[1]))
    opt.step(closure(model, opt))
    twin.step(closure(model2, twin))
    _same(opt, list(model.parameters()), twin, list(model2.parameters()))


@pytest.mark.cuda
def test_a_gradient_on_another_device_is_refused_before_anything_changes():
    w = tg.Tensor(W0.copy(), requires_grad=True, device="cpu")
    b = tg.Tensor(B0.copy(), requires_grad=True, device="cpu")
    opt = optim.Adam([w, b], lr=0.1)
    w.grad = tg.Tensor(np.ones(3), device="cpu")
    slot = "_grad" if hasattr(tg.Tensor, "_grad") else "grad"  # behind the .grad setter, which refuses it
    object.__setattr__(b, slot, tg.Tensor(np.ones(2), device="cuda"))
    with pytest.raises(tg.DeviceError, match=r"Adam\.step: parameter 1 .* on cuda"):
        opt.step()
    assert opt.state == {} and np.array_equal(w.numpy(), W0) and np.array_equal(b.numpy(), B0)
