"""Multi-tensor updates (optim/flat.py): a group whose parameters all have gradients is updated once,
over flat buffers of which the parameters and their state are views. Every optimizer of the table must
give bit-identical parameters, state and state_dict to the parameter-by-parameter update, through a
state_dict round trip; the flat path must survive replaced arrays and frozen parameters, and it must
cut the array calls of a step (counted on the stand-in CUDA device)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from optim_table import CASES

import tinygrad_opt as tg
from tinygrad_opt import backend, nn, optim
from tinygrad_opt.nn import functional as F
from tinygrad_opt.optim import flat

SHAPES = ((3, 4), (4,), (2, 3, 2))
FLAT_CASES = sorted(name for name in CASES if name not in ("SWATS", "Lookahead"))  # both define their own step


def _grads(params, k):
    return [tg.tensor(np.cos(p.numpy() * (k + 1)) + 0.1 * p.numpy(), dtype=p.dtype, device=p.device) for p in params]


def _run(name, steps=12, resume_at=5, per_param=False, monkeypatch=None):
    if per_param:
        monkeypatch.setattr(flat, "eligible", lambda params: False)
    rng = np.random.default_rng(0)
    params = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in SHAPES]
    opt = CASES[name].make([{"params": params, **CASES[name].groups[0]}])
    for k in range(steps):
        for p, g in zip(params, _grads(params, k)):
            p.grad = g
        opt.step()
        if k == resume_at:  # into a fresh optimizer: its state arrives per parameter and is packed again
            saved = copy.deepcopy(opt.state_dict())
            opt = CASES[name].make([{"params": params}])
            opt.load_state_dict(saved)
    monkeypatch.undo() if per_param else None
    return params, opt


def _state_arrays(opt, params):
    return [{k: (v.numpy() if isinstance(v, tg.Tensor) else v) for k, v in opt.state[p].items()} for p in params]


@pytest.mark.parametrize("name", FLAT_CASES)
def test_flat_update_equals_the_per_parameter_update_bit_for_bit(name, monkeypatch):
    flat_params, flat_opt = _run(name)
    assert flat_opt._flat_groups, f"{name}: the group was not updated flat"
    ref_params, ref_opt = _run(name, per_param=True, monkeypatch=monkeypatch)
    for a, b in zip(flat_params, ref_params):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(_state_arrays(flat_opt, flat_params), _state_arrays(ref_opt, ref_params)):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}: state {key!r}")
    saved = flat_opt.state_dict()["state"]
    assert [saved[i]["step"] for i in range(3)] == [12, 12, 12]
    for i, shape in enumerate(SHAPES):  # PyTorch's per-parameter layout
        assert all(v.shape == shape for v in saved[i].values() if isinstance(v, np.ndarray) and v.ndim)


def _cpu_adam(steps):
    rng = np.random.default_rng(0)
    params = [tg.tensor(rng.standard_normal(s), device="cpu", requires_grad=True) for s in SHAPES]
    opt = optim.Adam(params, lr=0.1)
    for k in range(steps):
        for p, g in zip(params, _grads(params, k)):
            p.grad = g
        opt.step()
    return params, opt


def test_parameters_and_state_are_views_of_one_buffer_each():
    params, opt = _cpu_adam(2)
    owner = params[0].data.base
    assert owner is not None and all(p.data.base is owner for p in params)
    for key in ("exp_avg", "exp_avg_sq"):
        buffer = opt.state[params[0]][key].data.base
        assert buffer is not None and all(opt.state[p][key].data.base is buffer for p in params)
        assert buffer.size == sum(p.numel() for p in params)


def test_a_replaced_parameter_array_is_packed_again_and_keeps_training():
    params, opt = _cpu_adam(2)
    params[1].data = params[1].data.copy()  # as Module.to() does: the array is no longer the buffer's view
    for p, g in zip(params, _grads(params, 2)):
        p.grad = g
    opt.step()
    assert params[1].data.base is params[0].data.base  # packed again
    reference, _ = _cpu_adam(3)
    for a, b in zip(params, reference):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_frozen_parameter_sends_the_group_down_the_per_parameter_path(monkeypatch):
    rng = np.random.default_rng(1)
    params = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in SHAPES]
    opt = optim.Adam(params, lr=0.1)
    for k in range(3):
        for p, g in zip(params, _grads(params, k)):
            p.grad = g
        params[2].grad = None if k == 1 else params[2].grad  # no gradient at the second step
        opt.step()
    assert [opt.state[p]["step"] for p in params] == [3, 3, 2]
    x0 = np.random.default_rng(1)
    ref = [tg.tensor(x0.standard_normal(s), requires_grad=True) for s in SHAPES]
    ref_opt = optim.Adam([ref[0], ref[1]], lr=0.1)
    ref_opt.add_param_group({"params": [ref[2]]})
    for k in range(3):
        for p, g in zip(ref, _grads(ref, k)):
            p.grad = g
        ref[2].grad = None if k == 1 else ref[2].grad
        ref_opt.step()
    for a, b in zip(params, ref):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_on_the_cpu_large_groups_keep_the_per_parameter_update(monkeypatch):
    monkeypatch.setattr(backend, "memory_retained", False)
    big = [tg.zeros(flat.CPU_FLAT_BYTES // 8 + 1, device="cpu", requires_grad=True) for _ in range(2)]
    small = [tg.zeros(8, device="cpu", requires_grad=True) for _ in range(2)]
    for p in big + small:
        p.grad = tg.ones(p.shape, device="cpu")
    assert not flat.eligible(big) and flat.eligible(small) and not flat.eligible(small[:1])


def test_one_adam_step_of_an_mlp_is_a_handful_of_array_calls(device):
    """The update itself: 17 array calls for the six tensors (it was 96 parameter by parameter)."""
    if not backend.FAKE_CUDA or device == "cpu":
        pytest.skip("counted on the stand-in CUDA device")
    from tinygrad_opt.testing import fake_cuda

    model = nn.Sequential(nn.Linear(40, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.Adam(model.parameters())
    x, y = tg.randn(100, 40), tg.tensor(np.arange(100) % 10)
    for _ in range(2):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        with fake_cuda.counting() as counts:
            opt.step()
    assert counts.kernels <= 18 and counts.to_host == 0
