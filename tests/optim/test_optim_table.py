"""One optimizer table, many problems: every entry of optim_table.CASES minimizes a quadratic and
Rosenbrock, resumes bit-identically from a state_dict, honours maximize, creates its state on first
use and moves the parameters' version counters. The coverage test keeps the table complete."""

from __future__ import annotations

import copy
import pathlib

import numpy as np
import pytest
from optim_table import CASES, SEPARATELY_TESTED, optimizer_classes

import tinygrad_opt as tg

NAMES = sorted(CASES)


def quadratic(x):
    """f = 1/2 xᵀ A x - bᵀ x with A = diag(1, 4, 10): condition number 10, minimum A⁻¹ b."""
    a = tg.Tensor(np.array([1.0, 4.0, 10.0]))
    b = tg.Tensor(np.array([1.0, -2.0, 3.0]))
    return 0.5 * (a * x * x).sum() - (b * x).sum()


QUAD_MIN = -0.5 * (1.0 + 4.0 / 4 + 9.0 / 10)


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _run(case, f, x0, steps, **overrides):
    x = tg.Tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    opt = case.make([{"params": [x], **case.tune, **overrides}])

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    losses = [float(opt.step(closure)) for _ in range(steps)]
    return x, losses + [float(f(x))]


def test_coverage_every_optimizer_class_has_a_table_entry():
    covered = {type(case.make([{"params": [tg.Tensor([1.0], requires_grad=True)]}])) for case in CASES.values()}
    missing = {cls.__name__ for cls in optimizer_classes()} - {cls.__name__ for cls in covered} - set(SEPARATELY_TESTED)
    assert not missing, f"optimizers without an entry in tests/optim/optim_table.py: {sorted(missing)}"
    here = pathlib.Path(__file__).parent
    for name, test_file in SEPARATELY_TESTED.items():
        assert f"{name}(" in (here / test_file).read_text(), f"{name} is not exercised in {test_file}"


@pytest.mark.parametrize("name", NAMES)
def test_minimizes_a_quadratic(name):
    _, losses = _run(CASES[name], quadratic, [2.0, -1.0, 1.5], 300)
    gap0, gap = losses[0] - QUAD_MIN, losses[-1] - QUAD_MIN
    assert gap < 0.1 * gap0, f"{name}: excess loss {gap0:.3g} -> {gap:.3g}"


@pytest.mark.parametrize("name", NAMES)
def test_decreases_rosenbrock(name):
    _, losses = _run(CASES[name], rosenbrock, [-1.5, 2.0], 300, weight_decay=0.0, **CASES[name].rosen)
    assert np.isfinite(losses[-1]) and losses[-1] < 0.5 * losses[0], f"{name}: {losses[0]:.3g} -> {losses[-1]:.3g}"


def _problem_step(opt, params, k):
    """A deterministic nonlinear 'data stream': gradients depend on the step and the parameters."""
    for i, p in enumerate(params):
        x = p.numpy()
        g = x**3 * 0.1 + (i + 1) * x - np.sin(k + np.arange(x.size).reshape(x.shape))
        p.grad = tg.Tensor(g.astype(x.dtype))
    opt.step()


@pytest.mark.parametrize("name", NAMES)
def test_resume_from_state_dict_is_bit_identical(name):
    case = CASES[name]
    rng = np.random.default_rng(3)
    init = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(3,)).astype(np.float32)]

    def fresh():
        params = [tg.Tensor(a.copy(), requires_grad=True) for a in init]
        groups = [{"params": params[:1], **case.groups[0]}, {"params": params[1:], **case.groups[1]}]
        return params, case.make(groups)

    params, opt = fresh()
    for k in range(50):
        _problem_step(opt, params, k)
    straight = [p.numpy().copy() for p in params]

    params, opt = fresh()
    for k in range(20):
        _problem_step(opt, params, k)
    saved = copy.deepcopy(opt.state_dict())
    values = [p.numpy().copy() for p in params]
    params, opt = fresh()
    with tg.no_grad():
        for p, v in zip(params, values):
            p.copy_(tg.tensor(v))
    opt.load_state_dict(saved)
    for k in range(20, 50):
        _problem_step(opt, params, k)
    for a, b in zip(straight, params):
        assert np.array_equal(a, b.numpy()), name


@pytest.mark.parametrize("name", NAMES)
def test_maximize_of_minus_f_is_minimize_of_f(name):
    case = CASES[name]
    if "maximize" not in case.make([{"params": [tg.Tensor([1.0], requires_grad=True)]}]).defaults:
        pytest.skip("no maximize flag")
    x_min, _ = _run(case, quadratic, [2.0, -1.0, 1.5], 40)
    x_max, _ = _run(case, lambda x: -quadratic(x), [2.0, -1.0, 1.5], 40, maximize=True)
    np.testing.assert_allclose(x_max.numpy(), x_min.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_state_is_created_on_first_use_and_versions_move(name):
    case = CASES[name]
    x = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    frozen = tg.Tensor(np.array([3.0]), requires_grad=True)
    opt = case.make([{"params": [x, frozen], **case.tune}])
    assert not opt.state
    version = x._vbox[0]
    x.grad = tg.Tensor(np.array([0.5, -0.25]))
    opt.step()
    assert x in opt.state and frozen not in opt.state, "no state for a parameter that never had a gradient"
    assert x._vbox[0] > version, "the update must go through in-place ops that bump the version counter"
    assert frozen.numpy()[0] == 3.0


@pytest.mark.parametrize("name", NAMES)
def test_same_steps_on_the_test_device_as_on_cpu(name, device):
    """Run with ``pytest --device cuda`` to check the CuPy path (state, updates, state_dict)."""
    case = CASES[name]
    init = np.linspace(-1.0, 1.0, 6).reshape(2, 3)

    def run(dev):
        x = tg.Tensor(init.copy(), requires_grad=True, device=dev)
        opt = case.make([{"params": [x], **case.groups[0]}])
        for k in range(8):
            x.grad = tg.Tensor(np.cos(x.numpy() + k) + x.numpy(), device=dev)
            opt.step()
            if k == 3:
                saved = opt.state_dict()
                opt = case.make([{"params": [x]}])
                opt.load_state_dict(saved)
        assert x.device == dev and all(
            v.device == dev for s in opt.state.values() for v in s.values() if isinstance(v, tg.Tensor)
        )
        return x.numpy()

    np.testing.assert_allclose(run(device), run("cpu"), rtol=1e-10, atol=1e-12)
