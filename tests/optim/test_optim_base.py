"""The Optimizer contract: param groups, zero_grad, step(closure), state_dict layout and validation."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim


def _params():
    return tg.Tensor(np.ones((2, 3)), requires_grad=True), tg.Tensor(np.zeros(4), requires_grad=True)


def _stepped_adam():
    w, b = _params()
    opt = optim.Adam([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=0.01)
    w.grad, b.grad = tg.Tensor(np.full((2, 3), 0.5)), tg.Tensor(np.arange(4.0))
    opt.step()
    return opt, w, b


def test_groups_take_missing_options_from_the_defaults_and_use_their_own_lr():
    opt, w, b = _stepped_adam()
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[1]["lr"] == 0.1
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    np.testing.assert_allclose(w.numpy(), 1 - 0.01, rtol=1e-6)  # Adam's first step is lr * sign(g)
    np.testing.assert_allclose(b.numpy(), [0.0, -0.1, -0.1, -0.1], rtol=1e-6)


def test_add_param_group_rejects_a_parameter_already_in_another_group():
    w, b = _params()
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [b, w]})
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[1]["momentum"] == 0.0


def test_zero_grad_sets_to_none_or_zeroes_in_place():
    w, b = _params()
    opt = optim.SGD([w, b])
    w.grad, b.grad = tg.Tensor(np.ones((2, 3))), tg.Tensor(np.ones(4))
    opt.zero_grad(set_to_none=False)
    assert np.all(w.grad.numpy() == 0) and np.all(b.grad.numpy() == 0)
    opt.zero_grad()
    assert w.grad is None and b.grad is None


def test_step_runs_the_closure_with_grad_enabled_and_returns_its_loss():
    x = tg.Tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([x], lr=0.25)
    calls = []

    def closure():
        calls.append(tg.is_grad_enabled())
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and float(loss) == 9.0
    assert x.numpy()[0] == 3.0 - 0.25 * 6.0
    assert opt.step() is None


def test_state_dict_has_pytorch_layout_and_holds_only_arrays_and_numbers():
    opt, _, _ = _stepped_adam()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.1
    assert set(sd["state"]) == {0, 1} and set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    for entry in sd["state"].values():
        for v in entry.values():
            assert isinstance(v, (np.ndarray, int, float))
    sd["state"][0]["exp_avg"][...] = 123.0  # a copy: the optimizer is not affected
    assert not np.any(opt.state[opt.param_groups[0]["params"][0]]["exp_avg"].numpy() == 123.0)


def _assert_unchanged(opt, before):
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i, entry in before["state"].items():
        for k, v in entry.items():
            np.testing.assert_array_equal(after["state"][i][k], v)


@pytest.mark.parametrize(
    "corrupt, error, fragment",
    [
        (lambda sd: sd["param_groups"].pop(), ValueError, "1 param groups"),
        (lambda sd: sd["param_groups"][1]["params"].append(2), ValueError, "group 1 has 2 parameters"),
        (lambda sd: sd["state"][1].update(exp_avg=np.zeros(5)), tg.StateDictError, "shape (5,)"),  # was ShapeError
        (lambda sd: sd["state"].update({7: {"step": 1}}), ValueError, "index 7"),
        (lambda sd: sd["param_groups"][0].update(lr=-1.0), ValueError, "lr=-1.0"),
        (lambda sd: sd.pop("state"), ValueError, "'state' and 'param_groups'"),
    ],
)
def test_a_bad_state_dict_is_rejected_and_leaves_the_optimizer_unchanged(corrupt, error, fragment):
    opt, _, _ = _stepped_adam()
    before = opt.state_dict()
    bad = copy.deepcopy(before)
    bad["param_groups"][1]["lr"] = 0.7  # a valid change that must not be applied either
    corrupt(bad)
    with pytest.raises(error) as info:
        opt.load_state_dict(bad)
    assert fragment in str(info.value)
    _assert_unchanged(opt, before)


def test_loaded_state_is_cast_to_the_parameter_dtype_and_owned():
    opt, w, b = _stepped_adam()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].astype(np.float32)
    fresh = optim.Adam([{"params": [w]}, {"params": [b]}])
    fresh.load_state_dict(sd)
    loaded = fresh.state[w]["exp_avg"]
    assert loaded.dtype == w.dtype and loaded.device == w.device
    sd["state"][0]["exp_avg_sq"][...] = -1.0
    assert np.all(fresh.state[w]["exp_avg_sq"].numpy() >= 0)
    assert fresh.param_groups[1]["lr"] == 0.1


def test_repr_lists_groups():
    opt, _, _ = _stepped_adam()
    assert "group 1: 1 params" in repr(opt) and "lr=0.1" in repr(opt)
