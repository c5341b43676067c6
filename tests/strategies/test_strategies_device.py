"""A meta-step on a GPU reads nothing back to the host (counted on the stand-in CUDA device:
``TINYGRAD_OPT_FAKE_CUDA=1 pytest --device cuda``)."""

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import backend, nn
from tinygrad_opt.nn import functional as F
from tinygrad_opt.strategies import GaussianSmoothing, maml_step, reptile_step


@pytest.fixture
def counting(device):
    if device == "cpu" or not backend.FAKE_CUDA:
        pytest.skip("host transfers are counted on the stand-in CUDA device (--device cuda, TINYGRAD_OPT_FAKE_CUDA=1)")
    from tinygrad_opt.testing import fake_cuda

    return fake_cuda.counting


def tasks_on(device, n=3):
    rng = np.random.default_rng(0)
    shapes = [(5, 2), (5, 1), (5, 2), (5, 1)]
    return [tuple(tg.tensor(rng.normal(size=s).astype(np.float32), device=device) for s in shapes) for _ in range(n)]


@pytest.mark.parametrize("first_order", [False, True])
def test_maml_step_makes_no_host_transfer(device, counting, first_order):
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).to(device)
    opt = tg.optim.Adam(model.parameters(), lr=1e-2)
    tasks = tasks_on(device)
    maml_step(model, tasks, F.mse_loss, opt, 0.1, 2, first_order=first_order)  # warm-up: state on first use
    with counting() as counts:
        maml_step(model, tasks, F.mse_loss, opt, 0.1, 2, first_order=first_order)
    assert (counts.to_host, counts.to_device) == (0, 0)


def test_reptile_step_and_smoothing_make_no_host_transfer(device, counting):
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).to(device)
    tasks = tasks_on(device)
    theta = tg.tensor([0.5, -1.0], device=device, requires_grad=True)
    smooth = GaussianSmoothing(lambda t: (t**2).sum(-1), 0.3, num_samples=8, batched=True)
    with counting() as counts:
        reptile_step(model, tasks, F.mse_loss, 0.1, 3)
        smooth(theta).backward()
    assert (counts.to_host, counts.to_device) == (0, 0)
