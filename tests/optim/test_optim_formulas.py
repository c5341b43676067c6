"""Each optimizer == its independent NumPy reference (optim_reference.py) over 60 steps on a random
problem, with two param groups with different hyper-parameters, weight decay, and a state_dict round
trip in the middle into a fresh optimizer built without hyper-parameters (so they must come back from
the state dict too)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from optim_table import CASES

import tinygrad_opt as tg

SHAPES = ((3, 4), (2,), (5,))  # group 0: the first two, group 1: the last
STEPS, RESUME_AT = 60, 25


class RandomProblem:
    """Per parameter x: f(x) = 1/2 xᵀ A x + cᵀ x + 0.01 sum x⁴ (A SPD), so gradients change nonlinearly."""

    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        self.x0, self.A, self.c = [], [], []
        for shape in SHAPES:
            n = int(np.prod(shape))
            q, _ = np.linalg.qr(rng.normal(size=(n, n)))
            self.A.append(q @ np.diag(rng.uniform(0.5, 3.0, n)) @ q.T)
            self.c.append(rng.normal(size=n))
            self.x0.append(rng.normal(size=shape))

    def grad(self, i, x):
        flat = x.ravel()
        return (self.A[i] @ flat + self.c[i] + 0.04 * flat**3).reshape(x.shape)


def _groups(params, hps):
    return [{"params": params[:2], **hps[0]}, {"params": params[2:], **hps[1]}]


def _reference_step(case, thetas, grads, states, hps):
    hp_of = [hps[0], hps[0], hps[1]]
    for s in states.values():
        s["t"] = s.get("t", 0) + 1
    if case.group_ref:
        out = case.ref(thetas[:2], grads[:2], states[0], hps[0])
        return out + case.ref(thetas[2:], grads[2:], states[1], hps[1])
    return [case.ref(th, g, states[i], hp_of[i]) for i, (th, g) in enumerate(zip(thetas, grads))]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_numpy_reference(name, seed):
    case = CASES[name]
    problem = RandomProblem(seed)
    params = [tg.Tensor(x.copy(), requires_grad=True) for x in problem.x0]
    opt = case.make(_groups(params, case.groups))
    thetas = [x.copy() for x in problem.x0]
    states = {i: {} for i in range(2 if case.group_ref else len(params))}
    for k in range(1, STEPS + 1):
        for i, p in enumerate(params):
            p.grad = tg.Tensor(problem.grad(i, p.numpy()))
        opt.step()
        thetas = _reference_step(
            case, thetas, [problem.grad(i, th) for i, th in enumerate(thetas)], states, case.groups
        )
        for p, th in zip(params, thetas):
            np.testing.assert_allclose(p.numpy(), th, rtol=1e-7, atol=1e-10, err_msg=f"{name} step {k}")
        if k == RESUME_AT:
            saved = copy.deepcopy(opt.state_dict())
            opt = case.make(_groups(params, ({}, {})))
            opt.load_state_dict(saved)
