"""Hutchinson's estimators of the Hessian's trace and diagonal, one HVP per probe.

For a probe v with E[v vᵀ] = I (Rademacher: each entry ±1),

    E[vᵀ H v] = tr(E[v vᵀ] H) = tr H,        E[v ⊙ H v]ᵢ = Σⱼ Hᵢⱼ E[vᵢ vⱼ] = Hᵢᵢ.

With Rademacher probes vᵢ² = 1, so the variance of vᵀHv is 2 Σ_{i≠j} Hᵢⱼ²: both estimates are exact
(zero variance) when H is diagonal, and their error shrinks as 1/√samples otherwise.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import backend
from ..errors import check_int
from ..tensor import stack
from .hessian import build_operator, check_finite, generator_for, rademacher_like


class TraceEstimate(NamedTuple):
    estimate: float  # the mean of vᵀHv over the probes
    stderr: float  # its standard error, std(vᵀHv) / √samples (nan for one sample)
    samples: int


def _trace_estimate(where: str, apply, like: list, samples: int, generator) -> TraceEstimate:
    """Mean and standard error of vᵀ apply(v) over Rademacher probes shaped like the tensors ``like``."""
    values = []
    for _ in range(samples):
        vs = [rademacher_like(t, generator) for t in like]
        values.append(sum((v * hv).sum() for v, hv in zip(vs, apply(vs))))
    values = stack(values).numpy().astype(np.float64)  # one device-to-host copy
    check_finite(where, *values)
    stderr = float(values.std(ddof=1) / math.sqrt(samples)) if samples > 1 else math.nan
    return TraceEstimate(float(values.mean()), stderr, samples)


def hutchinson_trace(loss_fn, params, samples=100, seed=None) -> TraceEstimate:
    """tr H ≈ 1/s Σ vᵀHv over s Rademacher probes (s HVPs). Returns (estimate, stderr, samples)."""
    where = "hutchinson_trace"
    samples = check_int(where, "samples", samples)
    backend.check_seed(seed, where)
    op = build_operator(where, loss_fn, params)
    return _trace_estimate(where, op, op.params, samples, generator_for(seed, op.device, where))


def hutchinson_diagonal(loss_fn, params, samples=100, seed=None) -> list:
    """diag H ≈ 1/s Σ v ⊙ Hv over s Rademacher probes (s HVPs), as Tensors shaped like ``params``."""
    where = "hutchinson_diagonal"
    samples = check_int(where, "samples", samples)
    backend.check_seed(seed, where)
    op = build_operator(where, loss_fn, params)
    gen = generator_for(seed, op.device, where)
    total = None
    for _ in range(samples):
        vs = [rademacher_like(p, gen) for p in op.params]
        terms = [v * hv for v, hv in zip(vs, op(vs))]
        total = terms if total is None else [a + b for a, b in zip(total, terms)]
    return [t / samples for t in total]


def block_trace(loss_fn, params, samples=100, seed=None) -> list:
    """Per parameter i, tr H_ii (the sum of its diagonal Hessian entries) by Hutchinson with probes
    non-zero only in block i: samples × len(params) block HVPs. A list of ``TraceEstimate``."""
    where = "block_trace"
    samples = check_int(where, "samples", samples)
    backend.check_seed(seed, where)
    op = build_operator(where, loss_fn, params)
    gen = generator_for(seed, op.device, where)
    return [
        _trace_estimate(where, lambda vs, i=i: [op.block(i, vs[0])], [p], samples, gen) for i, p in enumerate(op.params)
    ]
