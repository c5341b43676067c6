"""SWATS: Adam first, SGD once the projected SGD learning rate has settled (Keskar & Socher 2017;
seed 003 §5.4.2 item 4)."""

from __future__ import annotations

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import optim


def _run(switch_eps, steps=300):
    a = np.array([1.0, 3.0, 0.5])
    x = tg.Tensor(np.array([2.0, -1.0, 1.5]), requires_grad=True)
    opt = optim.SWATS([x], lr=0.05, switch_eps=switch_eps)
    switched_at = None
    for k in range(1, steps + 1):
        x.grad = tg.Tensor(a * x.numpy())
        opt.step()
        if switched_at is None and opt.param_groups[0]["phase"] == "sgd":
            switched_at = k
    return opt, x, switched_at


def test_switches_to_sgd_once_the_lr_estimate_settles_and_keeps_converging():
    opt, x, switched_at = _run(switch_eps=1e-3, steps=600)
    group = opt.param_groups[0]
    assert switched_at is not None and switched_at > 1
    assert group["sgd_lr"] > 0
    assert np.linalg.norm(x.numpy()) < 1e-3


def test_a_tight_threshold_stays_adam():
    opt, _, switched_at = _run(switch_eps=1e-12, steps=50)
    assert switched_at is None and opt.param_groups[0]["phase"] == "adam" and opt.param_groups[0]["sgd_lr"] is None


def test_the_switch_survives_a_state_dict_round_trip():
    opt, x, _ = _run(switch_eps=1e-3)
    fresh = optim.SWATS([x])
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["phase"] == "sgd" and fresh.param_groups[0]["sgd_lr"] == opt.param_groups[0]["sgd_lr"]
