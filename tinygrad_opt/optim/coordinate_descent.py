"""Coordinate descent and block coordinate descent (seed 003 §8.1).

Minimize f over one coordinate (or one block of variables) at a time, cycling through them; each
block's minimization is the Newton step on that block, exact when f is quadratic in the block::

    for each block b:   θ_b ← θ_b - lr · [H_bb + αI]⁻¹ g_b

with g_b and the block Hessian H_bb from the closure's gradient and |b| HVPs. Where that Newton step is
not a descent direction (H_bb + αI indefinite or singular) the block takes a gradient step θ_b ← θ_b - lr·g_b.
``blocks``: ``'coordinate'`` (every scalar on its own — on a quadratic this is Gauss-Seidel),
``'parameter'`` (each parameter tensor is a block) or a list of lists of indices into the flat
parameter vector. One ``step(closure)`` is one sweep over all blocks: one closure evaluation per block.

It pays when the blocks are nearly independent; when one variable's optimum depends strongly on another
it crawls — the seed's f = (x₁ - x₂)² + α(x₁² + x₂²) with small α, which Newton solves in one step.
"""

from __future__ import annotations

from ..errors import HyperparameterError
from .newton import solve
from .optimizer import nonnegative
from .vector import VectorOptimizer


class CoordinateDescent(VectorOptimizer):
    rules = {"lr": nonnegative, "damping": nonnegative}

    def __init__(self, params, blocks="coordinate", lr=1.0, damping=0.0):
        super().__init__(params, dict(lr=lr, damping=damping))
        self.blocks = self._blocks(blocks)

    def _blocks(self, blocks):
        n, name = self.vector.numel, type(self).__name__
        if blocks == "coordinate":
            return [[i] for i in range(n)]
        if blocks == "parameter":
            packed = self.vector.packed
            return [list(range(o, o + k)) for o, k in zip(packed.offsets, packed.sizes)]
        if isinstance(blocks, str) or not all(isinstance(b, (list, tuple, range)) and len(b) for b in blocks):
            raise HyperparameterError(
                f"{name}: blocks must be 'coordinate', 'parameter' or a list of non-empty index lists, got {blocks!r}"
            )
        blocks = [[int(i) for i in b] for b in blocks]
        flat = sorted(i for b in blocks for i in b)
        if flat and (flat[0] < 0 or flat[-1] >= n or len(set(flat)) != len(flat)):
            raise HyperparameterError(
                f"{name}: blocks must hold distinct indices and in [0, {n}) (the flat parameter vector has {n} entries)"
            )
        return blocks

    def _step(self, closure, group, state):
        first = None
        for block in self.blocks:
            c = self._curvature(closure)
            first = c.loss if first is None else first
            g_b = c.grad[block]
            h_bb = c.dense(block)
            c.release()
            try:
                d_b = solve(f"{type(self).__name__}.step", h_bb, -g_b, group["damping"])
                if not float((d_b * g_b).sum()) < 0:
                    d_b = -g_b
            except ArithmeticError:
                d_b = -g_b
            step = c.grad * 0
            step[block] = d_b
            self.vector.add_(step, alpha=group["lr"])
        state["n_iter"] = state.get("n_iter", 0) + 1
        return first
