"""Continuation methods (seed 003 §8.5): solve a sequence of blurred objectives, each from the previous
solution, ending with the true one.

    J^(i)(θ) = E_{ε ~ N(0, σ_i² I)} J(θ + ε),   σ_0 > σ_1 > … > σ_n (= 0: the true objective)

Blurring averages out narrow local minima, so a non-convex J can become nearly convex for large σ;
following the minimizer while σ shrinks often leads to the global minimum (the seed lists when it does
not: too many stages, never convex, or tracking a local minimum).
"""

from __future__ import annotations

import numbers

from .. import backend
from ..autodiff import no_grad
from ..errors import ArgumentError, ArgumentTypeError, DTypeError, ShapeError
from ..func import tree_flatten, tree_unflatten
from ..tensor import Tensor, cat, randn, stack
from ..train.fit import needs_closure
from ._checks import check_callable, check_optimizer, count, nonnegative, positive, scalar_loss

__all__ = ["GaussianSmoothing", "continuation"]


class GaussianSmoothing:
    """f_σ(θ) = E_{ε~N(0,σ²I)} f(θ + ε), estimated as (1/n) Σ_i f(θ + ε_i) (seed 003 §8.5).

    The draws come from a fresh ``Generator(seed)`` on every call (common random numbers), so f_σ is a
    deterministic, differentiable function of θ. With ``antithetic=True`` (default) the draws come in pairs
    ±ε; the odd terms of a Taylor expansion then cancel exactly, e.g. for a quadratic ∇f_σ = ∇f.
    ``theta`` is a Tensor or a list/tuple of Tensors, passed to ``f`` in the same structure. With
    ``batched=True``, ``f`` is called once on all samples (every leaf gets a leading axis of size n) and
    must return the n values; otherwise it is called n times and returns a scalar each time.
    """

    def __init__(self, f, sigma: float, num_samples: int = 32, *, seed: int = 0, antithetic=True, batched=False):
        check_callable("GaussianSmoothing", "f", f, "f(theta) -> scalar Tensor")
        positive("GaussianSmoothing", "sigma", sigma)
        count("GaussianSmoothing", "num_samples", num_samples)
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
            raise ArgumentError(f"GaussianSmoothing: seed must be an int >= 0, got {seed!r}")
        for name, value in (("antithetic", antithetic), ("batched", batched)):
            if not isinstance(value, bool):
                raise ArgumentTypeError(f"GaussianSmoothing: {name} must be True or False, got {value!r}")
        if antithetic and num_samples % 2:
            raise ArgumentError(
                f"GaussianSmoothing: num_samples={num_samples} must be even with antithetic=True (pairs ±ε); "
                f"pass {num_samples + 1} or antithetic=False"
            )
        self.f, self.sigma, self.num_samples = f, float(sigma), int(num_samples)
        self.seed, self.antithetic, self.batched = int(seed), antithetic, batched

    def __repr__(self):
        return f"GaussianSmoothing(sigma={self.sigma}, num_samples={self.num_samples}, seed={self.seed})"

    def __call__(self, theta) -> Tensor:
        """The Monte-Carlo estimate of f_σ(θ), a scalar Tensor differentiable in θ."""
        return self.samples(theta).mean()

    def samples(self, theta) -> Tensor:
        """The n values f(θ + ε_i), shape (n,): their mean is f_σ(θ), their spread gives its standard error."""
        leaves, treedef = tree_flatten(theta)
        _check_theta("GaussianSmoothing", leaves)
        noise = self.noise(leaves)
        if self.batched:
            values = self.f(tree_unflatten(treedef, [p + e for p, e in zip(leaves, noise)]))
            if not isinstance(values, Tensor) or tuple(values.shape) != (self.num_samples,):
                got = f"shape {values.shape}" if isinstance(values, Tensor) else type(values).__name__
                raise ShapeError(
                    f"GaussianSmoothing: with batched=True f must return one value per sample, shape "
                    f"({self.num_samples},), got {got}; or pass batched=False"
                )
            return values
        points = ([p + e[i] for p, e in zip(leaves, noise)] for i in range(self.num_samples))
        return stack([scalar_loss("GaussianSmoothing", self.f(tree_unflatten(treedef, q)), "f") for q in points])

    def noise(self, leaves) -> list:
        """σ·ε for each leaf, shape (n, *leaf.shape), from a fresh generator seeded with ``seed``."""
        gen = backend.Generator(self.seed, leaves[0].device)
        half = self.num_samples // 2 if self.antithetic else self.num_samples
        noise = []
        for p in leaves:
            e = randn(half, *p.shape, dtype=p.dtype, device=p.device, generator=gen) * self.sigma
            noise.append(cat([e, -e]) if self.antithetic else e)
        return noise


def continuation(f, theta, sigmas, optimizer, steps: int = 100, *, num_samples: int = 32, seed: int = 0, **options):
    """Minimize f by continuation: for each σ in ``sigmas`` (decreasing; 0 means f itself) run ``steps``
    optimizer steps on the smoothed f_σ, starting where the previous stage ended (seed 003 §8.5).

    ``theta`` (a Tensor or list of Tensors that require grad) is updated in place by ``optimizer``, which must
    own it; the optimizer's state carries over between stages. ``options`` go to ``GaussianSmoothing``
    (``antithetic``, ``batched``); with ``batched=True`` f must still take θ itself (no sample axis) for the
    σ = 0 stage and the history. Returns a history dict of per-stage lists, read to the host once per stage:
    ``sigma``, ``smoothed_loss`` (f_σ at the stage's end, the same draws), ``loss`` (f at the stage's end).
    """
    check_callable("continuation", "f", f, "f(theta) -> scalar Tensor")
    leaves, _ = tree_flatten(theta)
    _check_theta("continuation", leaves)
    for i, p in enumerate(leaves):
        if not p.requires_grad:
            raise ArgumentError(
                f"continuation: theta[{i}] does not require grad; pass tg.tensor(..., requires_grad=True)"
            )
    if isinstance(sigmas, (str, Tensor)) or not hasattr(sigmas, "__iter__"):
        raise ArgumentTypeError(f"continuation: sigmas must be a sequence of numbers, got {type(sigmas).__name__}")
    sigmas = list(sigmas)
    if not sigmas:
        raise ArgumentError("continuation: sigmas is empty; pass a decreasing schedule such as [1.0, 0.3, 0.1, 0]")
    for s in sigmas:
        nonnegative("continuation", "sigma", s)
    if any(b > a for a, b in zip(sigmas, sigmas[1:])):
        raise ArgumentError(f"continuation: sigmas must not increase (each stage blurs less), got {sigmas}")
    check_optimizer("continuation", "optimizer", optimizer)
    owned = {id(p) for g in optimizer.param_groups for p in g["params"]}
    if not all(id(p) in owned for p in leaves):
        raise ArgumentError("continuation: optimizer does not own theta; build it with optim.X([theta], ...)")
    count("continuation", "steps", steps)
    objectives = [f if s == 0 else GaussianSmoothing(f, s, num_samples, seed=seed, **options) for s in sigmas]

    history = {"sigma": [], "smoothed_loss": [], "loss": []}
    for sigma, objective in zip(sigmas, objectives):
        _run(objective, theta, optimizer, steps)
        with no_grad():
            smoothed, loss = objective(theta), scalar_loss("continuation", f(theta), "f")
        history["sigma"].append(float(sigma))
        history["smoothed_loss"].append(float(smoothed))
        history["loss"].append(float(loss))
    return history


def _run(objective, theta, optimizer, steps) -> None:
    def closure():
        optimizer.zero_grad()
        loss = scalar_loss("continuation", objective(theta), "f")
        loss.backward()
        return loss

    for _ in range(steps):
        if needs_closure(optimizer):
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()


def _check_theta(where: str, leaves) -> None:
    if not leaves or not all(isinstance(p, Tensor) for p in leaves):
        kinds = [type(p).__name__ for p in leaves]
        raise ArgumentTypeError(f"{where}: theta must be a Tensor or a list of Tensors, got {kinds}")
    for i, p in enumerate(leaves):
        if p.dtype.kind != "f":
            raise DTypeError(f"{where}: theta[{i}] has dtype {p.dtype}; smoothing needs float parameters")
