"""L1/L2 penalties as loss terms; coupled vs decoupled weight decay (SPEC §7)."""

from __future__ import annotations

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import optim


def _train(make_opt, penalty=None, steps=30):
    x = tg.Tensor(np.array([2.0, -1.0, 0.5]), requires_grad=True)
    opt = make_opt([x])
    a = tg.Tensor(np.array([1.0, 5.0, 0.1]))
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * (a * (x - 1.0) ** 2).sum()
        if penalty is not None:
            loss = loss + penalty([x])
        loss.backward()
        opt.step()
    return x.numpy()


def test_penalty_values_and_gradients():
    w = tg.Tensor(np.array([[1.0, -2.0], [0.0, 3.0]]), requires_grad=True)
    b = tg.Tensor(np.array([-0.5]), requires_grad=True)
    assert float(optim.l1_penalty([w, b], 0.1)) == 0.1 * 6.5
    assert float(optim.l2_penalty([w, b], 0.2)) == 0.1 * (1 + 4 + 9 + 0.25)
    optim.l2_penalty([w, b], 0.2).backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.2 * w.numpy())


def test_l2_penalty_is_exactly_coupled_weight_decay():
    lam = 0.1
    for make in (
        lambda wd: lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=wd),
        lambda wd: lambda p: optim.Adam(p, lr=0.05, weight_decay=wd),
    ):
        decayed = _train(make(lam))
        penalized = _train(make(0.0), lambda ps: optim.l2_penalty(ps, lam))
        np.testing.assert_allclose(decayed, penalized, rtol=1e-12)


def test_decoupled_decay_differs_from_coupled_for_adam_but_not_for_sgd():
    """AdamW shrinks θ outside the adaptive rescaling, Adam(weight_decay) rescales the decay too;
    for plain SGD the two are the same update (θ - lr(g + λθ) = (1 - lrλ)θ - lr g)."""
    coupled = _train(lambda p: optim.Adam(p, lr=0.05, weight_decay=0.5))
    decoupled = _train(lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.5))
    assert np.abs(coupled - decoupled).max() > 1e-2
    # the low-curvature coordinate (a = 0.1) feels coupled decay through Adam's normalisation much more
    assert decoupled[2] > coupled[2]


def test_l1_drives_small_weights_towards_zero():
    x = _train(lambda p: optim.SGD(p, lr=0.05), lambda ps: optim.l1_penalty(ps, 0.2), steps=400)
    assert abs(x[2]) < 0.06  # the weakly determined coordinate is pulled to ~0 (GD chatters around it)
    assert x[1] > 0.9
