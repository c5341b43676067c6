"""Same trajectories as torch.optim for every table entry that names a torch optimizer (SPEC §5:
swapping torch.optim.X for tinygrad_opt.optim.X gives the same iterates). torch is not a
dependency: the module is skipped when it is missing."""

from __future__ import annotations

import numpy as np
import pytest
from optim_table import CASES

import tinygrad_opt as tg

torch = pytest.importorskip("torch")

NAMES = sorted(name for name, case in CASES.items() if case.torch)


def _grad(a, x):
    flat = x.ravel()
    return (a @ flat + 0.04 * flat**3 - np.cos(flat)).reshape(x.shape)


@pytest.mark.parametrize("name", NAMES)
def test_trajectory_matches_torch(name):
    case = CASES[name]
    rng = np.random.default_rng(7)
    init = [rng.normal(size=(3, 2)), rng.normal(size=(4,))]
    A = [np.diag(rng.uniform(0.5, 3.0, a.size)) for a in init]
    ours = [tg.Tensor(a.copy(), requires_grad=True) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt = case.make([{"params": ours[:1], **case.groups[0]}, {"params": ours[1:], **case.groups[1]}])
    ref = getattr(torch.optim, case.torch)(
        [{"params": theirs[:1], **case.groups[0]}, {"params": theirs[1:], **case.groups[1]}], **case.torch_kwargs
    )
    for _ in range(60):
        for p, q, a in zip(ours, theirs, A):
            p.grad = tg.Tensor(_grad(a, p.numpy()))
            q.grad = torch.tensor(_grad(a, q.detach().numpy()))
        opt.step()
        ref.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-7, atol=1e-10)  # float64 rounding, amplified
