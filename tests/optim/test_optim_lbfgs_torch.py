"""LBFGS gives torch.optim.LBFGS's iterates in float64 (same signature, same line search decisions).
torch is not a dependency: the module is skipped when it is missing."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim

torch = pytest.importorskip("torch")


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _mlp(lib, w1, w2, inputs, targets):
    h = (inputs @ w1).tanh()
    return (((h @ w2) - targets) ** 2).mean()


CONFIGS = [
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", history_size=3, max_iter=7),
    dict(line_search_fn=None, lr=0.05),
    dict(line_search_fn="strong_wolfe", max_eval=9, tolerance_change=1e-12),
]


def _pair(values):
    return tg.Tensor(values.copy(), requires_grad=True), torch.tensor(values.copy(), requires_grad=True)


def _run(kwargs, init, loss_of, steps, rtol=1e-9):
    ours, theirs = zip(*[_pair(v) for v in init])
    opt, ref = optim.LBFGS(list(ours), **kwargs), torch.optim.LBFGS(list(theirs), **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_of(tg, *ours)
        loss.backward()
        return loss

    def torch_closure():
        ref.zero_grad()
        loss = loss_of(torch, *theirs)
        loss.backward()
        return loss

    for _ in range(steps):
        assert float(opt.step(closure)) == pytest.approx(float(ref.step(torch_closure).detach()), rel=rtol)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=rtol, atol=1e-12)
    s, r = opt.state[ours[0]], ref.state[theirs[0]]
    assert (s["func_evals"], s["n_iter"]) == (r["func_evals"], r["n_iter"])


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_rosenbrock_iterates_equal_torch(kwargs):
    _run(kwargs, [np.array([-1.2, 1.0])], lambda lib, x: _rosenbrock(x), 4)


@pytest.mark.parametrize("kwargs", CONFIGS[:2], ids=str)
def test_mlp_iterates_equal_torch(kwargs):
    rng = np.random.default_rng(0)
    inputs, targets = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    init = [rng.normal(size=(3, 5)) * 0.5, rng.normal(size=(5, 2)) * 0.5]

    def loss_of(lib, w1, w2):
        if lib is torch:
            return _mlp(lib, w1, w2, torch.tensor(inputs), torch.tensor(targets))
        return _mlp(lib, w1, w2, tg.Tensor(inputs), tg.Tensor(targets))

    # NumPy's and torch's matmuls sum in different orders (1e-16 apart per op); 60 line-search
    # iterations on a non-convex loss amplify that to ~1e-9, so the iterates are compared to 1e-8 here
    # and the decisions (evaluations, iterations) exactly.
    _run(kwargs, init, loss_of, 3, rtol=1e-8)
