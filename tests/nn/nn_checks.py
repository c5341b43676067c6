"""Shared helpers for the nn tests: derivative checks of a module w.r.t. its input AND its parameters."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinygrad_opt as tg
from tinygrad_opt.nn import functional_call
from tinygrad_opt.testing import gradcheck, gradgradcheck, hvpcheck, jvpcheck

seeds = st.integers(0, 2**32 - 1)  # Hypothesis draws the seed of a NumPy generator for the values


def as_function(module, extra_args=()):
    """(f, names): f(x, *params) = module(x, *extra_args) with the named parameters replaced."""
    names = [n for n, _ in module.named_parameters()]

    def f(x, *params):
        return functional_call(module, dict(zip(names, params)), (x, *extra_args))

    return f, names


def check_derivatives(module, x, second_order=False, extra_args=(), modes=(True, False)):
    """gradcheck + jvpcheck + hvpcheck (+ gradgradcheck) in float64 w.r.t. input and parameters,
    in each of the given modes (True = train, False = eval); the module is left in train mode."""
    module.double()
    f, _ = as_function(module, extra_args)
    inputs = [x] + [p.detach() for p in module.parameters()]
    for training in modes:
        module.train(training)
        assert gradcheck(f, inputs)
        assert jvpcheck(f, inputs)
        assert hvpcheck(f, inputs)
        if second_order:
            assert gradgradcheck(f, inputs)
    module.train()


def rand64(seed, *shape, scale=1.0):
    return tg.Tensor(scale * np.random.default_rng(seed).standard_normal(shape), dtype=np.float64)
