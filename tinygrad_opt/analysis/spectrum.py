"""The Hessian's eigenvalues from HVPs: top-k (Lanczos or power iteration), both ends (condition number,
critical-point type), per-parameter blocks, and the whole spectral density (stochastic Lanczos quadrature).

Seed 000 "Hessian": at a critical point, all eigenvalues > 0 is a local minimum, all < 0 a local maximum,
mixed signs a saddle. Seed 003 §2.1: an ill-conditioned H (λ_max ≫ λ_min) makes gradient descent stall.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import backend
from ..errors import ArgumentError, ArgumentTypeError, HyperparameterError, NotCriticalPointError, ShapeError, check_int
from ..tensor import randn_like, zeros
from .hessian import (
    NonFinite,
    build_operator,
    check_choice,
    check_k,
    generator_for,
    norm,
    not_finite,
    rademacher_like,
)
from .lanczos import KEYS, converged, lanczos, power_eigenpairs, ritz_vectors, wanted

METHODS = ("lanczos", "power")


def _tolerance(where: str, tol, dtype) -> float:
    """Relative residual tolerance; default √ε of the parameters' dtype (1.5e-8 for float64)."""
    if tol is None:
        return float(np.sqrt(np.finfo(dtype).eps))
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise ArgumentTypeError(f"{where}: tol must be a number in (0, 1) or None, got {tol!r}")
    if not 0 < tol < 1:
        raise HyperparameterError(
            f"{where}: tol must be a positive finite number below 1 (a relative residual), got {tol!r}"
        )
    return float(tol)


def _iterations(where: str, max_iter, method: str, k: int, n: int) -> int:
    """Lanczos steps (default min(n, max(100, 4k))) or power iterations per eigenvalue (default 1000)."""
    if max_iter is None:
        return min(n, max(100, 4 * k)) if method == "lanczos" else 1000
    max_iter = check_int(where, "max_iter", max_iter)
    if method == "lanczos" and max_iter < k:
        raise HyperparameterError(f"{where}: Lanczos needs max_iter >= k to find k={k} eigenvalues, got {max_iter}")
    return max_iter


def _run_lanczos(matvec, start, generator, ends: dict, steps: int, tol: float):
    """Lanczos until, for each ``which: k`` in ``ends``, the k wanted Ritz pairs have converged.
    Returns (krylov, converged)."""

    def done(krylov):
        return all(converged(krylov, which, k, tol) for which, k in ends.items())

    krylov = lanczos(matvec, start, steps, generator, done)
    return krylov, done(krylov)


def _not_converged(where: str, method: str, max_iter: int, tol: float) -> None:
    warnings.warn(
        f"{where}: {method} did not reach the relative residual tol={tol:g} in max_iter={max_iter} iterations; "
        f"the eigenvalues are estimates: raise max_iter (or tol)",
        RuntimeWarning,
        stacklevel=3,
    )


def _eigenpairs(where, matvec, like, k, method, which, max_iter, tol, generator, vectors):
    """k eigenvalues (float64, in ``which`` order) of the operator on flat vectors shaped like ``like``,
    and their eigenvectors as flat Tensors when ``vectors``."""
    n = like.numel()
    steps = _iterations(where, max_iter, method, k, n)
    try:
        return _eigenpairs_unchecked(where, matvec, like, k, method, which, steps, tol, generator, vectors)
    except NonFinite:
        raise not_finite(where) from None


def _eigenpairs_unchecked(where, matvec, like, k, method, which, steps, tol, generator, vectors):
    if method == "lanczos":
        krylov, ok = _run_lanczos(matvec, randn_like(like, generator=generator), generator, {which: k}, steps, tol)
        picked = wanted(krylov, which, k)
        values, vecs = krylov.theta[picked], ritz_vectors(krylov, picked) if vectors else None
    else:
        found, vecs, ok = power_eigenpairs(matvec, lambda: randn_like(like, generator=generator), k, which, steps, tol)
        picked = np.argsort(KEYS[which](np.array(found)), kind="stable")
        values, vecs = np.array(found)[picked], [vecs[i] for i in picked]
    if not ok:
        _not_converged(where, method, steps, tol)
    return np.asarray(values, dtype=np.float64), vecs


def hessian_eigenvalues(
    loss_fn,
    params,
    k=1,
    method="lanczos",
    which="LA",
    max_iter=None,
    tol=None,
    seed=None,
    return_eigenvectors=False,
):
    """The k extreme eigenvalues of the Hessian of ``loss_fn(params)``, from Hessian-vector products.

    which: 'LA' the largest (descending), 'SA' the smallest (ascending), 'LM' the largest in magnitude
    (descending |λ|). method: 'lanczos' (full reorthogonalization; ≤ max_iter HVPs in all) or 'power'
    (power iteration with shift and deflation; ≤ max_iter HVPs per eigenvalue, plus one run for the
    shift under 'LA'/'SA'). Stops when each eigenpair's residual ‖Hu − λu‖ ≤ tol · ‖H‖ (then λ is that
    close to a true eigenvalue); warns (RuntimeWarning) if max_iter comes first.
    With ``return_eigenvectors``: ``(values, vectors)``, vectors[j] a list of Tensors shaped like params.
    """
    where = "hessian_eigenvalues"
    check_choice(where, "method", method, METHODS)
    check_choice(where, "which", which, tuple(KEYS))
    backend.check_seed(seed, where)
    if not isinstance(return_eigenvectors, bool):
        raise ArgumentTypeError(f"{where}: return_eigenvectors must be True or False, got {return_eigenvectors!r}")
    op = build_operator(where, loss_fn, params)
    k = check_k(where, k, op.numel)
    tol = _tolerance(where, tol, op.dtype)
    like = zeros(op.numel, dtype=op.dtype, device=op.device)
    gen = generator_for(seed, op.device, where)
    values, vecs = _eigenpairs(where, op.matvec, like, k, method, which, max_iter, tol, gen, return_eigenvectors)
    if return_eigenvectors:
        return values, [op.unflatten(v) for v in vecs]
    return values


def block_eigenvalues(loss_fn, params, k=1, method="lanczos", which="LA", max_iter=None, tol=None, seed=None):
    """Per parameter i, the k extreme eigenvalues of its diagonal Hessian block H_ii = ∂²f/∂θᵢ² (how
    curved the loss is along that layer's weights alone). A list aligned with ``params`` of NumPy
    arrays; the other arguments are those of ``hessian_eigenvalues``. Each block HVP sweeps back only
    through gᵢ."""
    where = "block_eigenvalues"
    check_choice(where, "method", method, METHODS)
    check_choice(where, "which", which, tuple(KEYS))
    backend.check_seed(seed, where)
    op = build_operator(where, loss_fn, params)
    for i, p in enumerate(op.params):
        check_k(where, k, p.numel(), f"the size of params[{i}] (shape {p.shape})")
    tol = _tolerance(where, tol, op.dtype)
    gen = generator_for(seed, op.device, where)
    out = []
    for i, p in enumerate(op.params):
        like = zeros(p.numel(), dtype=p.dtype, device=p.device)
        out.append(_eigenpairs(where, op.block_matvec(i), like, k, method, which, max_iter, tol, gen, False)[0])
    return out


def _extremes(where: str, op, max_iter, tol, seed) -> tuple[float, float]:
    """(λ_min, λ_max) from one Lanczos run, stopped when both ends have converged."""
    tol = _tolerance(where, tol, op.dtype)
    steps = _iterations(where, max_iter, "lanczos", 1, op.numel)
    gen = generator_for(seed, op.device, where)
    start = randn_like(zeros(op.numel, dtype=op.dtype, device=op.device), generator=gen)
    try:
        krylov, ok = _run_lanczos(op.matvec, start, gen, {"SA": 1, "LA": 1}, steps, tol)
    except NonFinite:
        raise not_finite(where) from None
    if not ok:
        _not_converged(where, "lanczos", steps, tol)
    return float(krylov.theta[0]), float(krylov.theta[-1])


def condition_number(loss_fn, params, max_iter=None, tol=None, seed=None) -> float:
    """κ = λ_max / λ_min of the Hessian (both ends from one Lanczos run). ``math.inf`` when λ_min ≤ 0:
    H is not positive definite there (a saddle, a maximum or a flat direction) and has no finite
    condition number; for a maximum, pass the negated loss."""
    backend.check_seed(seed, "condition_number")
    lo, hi = _extremes("condition_number", build_operator("condition_number", loss_fn, params), max_iter, tol, seed)
    return hi / lo if lo > 0 else math.inf


def classify_critical_point(loss_fn, params, tol=None, grad_tol=1e-6, max_iter=None, seed=None) -> str:
    """'minimum', 'maximum', 'saddle' or 'degenerate' from the signs of H's extreme eigenvalues
    (seed 000 "Hessian", seed 003 §2.3). With t = tol · max(|λ_min|, |λ_max|) (tol defaults to √ε):

        λ_min > t: 'minimum';  λ_max < −t: 'maximum';  λ_min < −t < t < λ_max: 'saddle';
        otherwise an extreme eigenvalue is within t of 0 (or H = 0): 'degenerate' — the second-order
        test cannot decide, and higher derivatives do.

    Raises ``NotCriticalPointError`` when ‖∇f‖ > grad_tol (pass ``grad_tol=math.inf`` to classify the
    curvature at any point)."""
    where = "classify_critical_point"
    if isinstance(grad_tol, bool) or not isinstance(grad_tol, numbers.Real):
        raise ArgumentTypeError(f"{where}: grad_tol must be a number >= 0 (math.inf allowed), got {grad_tol!r}")
    if not grad_tol >= 0:  # NaN fails too
        raise HyperparameterError(f"{where}: grad_tol must be a number >= 0 (math.inf allowed), got {grad_tol!r}")
    backend.check_seed(seed, where)
    op = build_operator(where, loss_fn, params)
    grad_norm = norm(op.flatten(op.grad))
    if not math.isfinite(grad_norm):
        raise not_finite(where)
    if grad_norm > grad_tol:
        raise NotCriticalPointError(
            f"{where}: the gradient norm is {grad_norm:.3g} > grad_tol={grad_tol:g}, so this is not a critical "
            f"point; minimize further first, or raise grad_tol"
        )
    lo, hi = _extremes(where, op, max_iter, tol, seed)
    t = _tolerance(where, tol, op.dtype) * max(abs(lo), abs(hi))
    if lo > t:
        return "minimum"
    if hi < -t:
        return "maximum"
    if lo < -t and hi > t:
        return "saddle"
    return "degenerate"


def spectral_density(loss_fn, params, num_probes=10, lanczos_steps=80, grid=None, sigma=None, seed=None):
    """The Hessian's eigenvalue density by stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao 2019).

    For each Rademacher probe v (normalized), m Lanczos steps give T = Y diag(θ) Yᵀ, and
    vᵀ f(H) v / vᵀv ≈ Σⱼ τⱼ f(θⱼ) with τⱼ = Y₁ⱼ² (Gauss quadrature, exact for polynomials of degree
    < 2m). Averaging over probes estimates tr f(H) / n, so with f a Gaussian of width σ:

        ρ(λ) = 1/P Σ_probes Σⱼ τⱼ exp(−(λ − θⱼ)² / 2σ²) / (σ √2π),      ∫ρ = 1,  ∫λρ ≈ tr H / n.

    grid: None (1000 points), a number of points, or an array of λ; an automatic grid spans the Ritz
    values ± 8σ. sigma: in eigenvalue units; default 1% of the Ritz values' range. Cost:
    num_probes × min(lanczos_steps, n) HVPs. Returns ``(grid, density)`` as NumPy arrays.
    """
    where = "spectral_density"
    num_probes = check_int(where, "num_probes", num_probes)
    lanczos_steps = check_int(where, "lanczos_steps", lanczos_steps)
    if sigma is not None and not (isinstance(sigma, numbers.Real) and 0 < sigma < math.inf):
        raise HyperparameterError(f"{where}: sigma must be a positive finite number (eigenvalue units), got {sigma!r}")
    backend.check_seed(seed, where)
    if grid is not None and not isinstance(grid, numbers.Integral):
        grid = _grid_values(where, grid)
    op = build_operator(where, loss_fn, params)
    gen = generator_for(seed, op.device, where)
    like = zeros(op.numel, dtype=op.dtype, device=op.device)
    nodes, weights = [], []
    for _ in range(num_probes):
        try:
            krylov = lanczos(op.matvec, rademacher_like(like, gen), lanczos_steps, gen)
        except NonFinite:
            raise not_finite(where) from None
        nodes.append(krylov.theta)
        weights.append(krylov.y[0] ** 2 / num_probes)
    nodes, weights = np.concatenate(nodes), np.concatenate(weights)
    width = float(nodes.max() - nodes.min())
    sigma = 0.01 * (width or abs(float(nodes.max())) or 1.0) if sigma is None else float(sigma)
    grid = _grid(where, grid, nodes, sigma)
    with np.errstate(under="ignore", over="ignore"):  # far tails are 0, as they should be: no warning
        kernel = np.exp(-0.5 * ((grid[None, :] - nodes[:, None]) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        density = weights @ kernel
    return grid, density


def _grid(where: str, grid, nodes, sigma) -> np.ndarray:
    if grid is None or isinstance(grid, numbers.Integral):
        points = 1000 if grid is None else check_int(where, "grid", grid)
        return np.linspace(nodes.min() - 8 * sigma, nodes.max() + 8 * sigma, points)
    return grid


def _grid_values(where: str, grid) -> np.ndarray:
    """A user's grid of λ values: a non-empty 1-D array of finite numbers."""
    if isinstance(grid, bool):
        raise ArgumentTypeError(f"{where}: grid must be None, a number of points or an array of λ values, got {grid!r}")
    try:
        values = np.asarray(grid, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentTypeError(
            f"{where}: grid must be None, a number of points or an array of λ values, got {type(grid).__name__}"
        ) from None
    if values.ndim != 1:
        raise ShapeError(f"{where}: grid must be a 1-D array of λ values, got shape {values.shape}")
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ArgumentError(f"{where}: grid must hold at least one λ value, all finite")
    return values
