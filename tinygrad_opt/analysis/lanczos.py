"""Eigen-solvers for a symmetric operator known only through v ↦ A v on flat Tensors.

Vectors stay on the operator's device; only scalars (αⱼ, βⱼ, Rayleigh quotients, norms) come to the
host, where the small tridiagonal eigenproblem is solved with NumPy.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..tensor import Tensor, randn_like, stack
from .hessian import NonFinite, norm, to_host


class Krylov(NamedTuple):
    t: np.ndarray  # T = Qᵀ A Q, tridiagonal
    beta: float  # βₘ: A Q = Q T + βₘ qₘ₊₁ eₘᵀ
    theta: np.ndarray  # Ritz values (eigenvalues of T), ascending
    y: np.ndarray  # eigenvectors of T, one column per Ritz value
    residuals: np.ndarray  # ‖A u − θ u‖ of each Ritz pair (u = Q y): βₘ |yₘ|
    basis: list  # the orthonormal Lanczos vectors q₁ … qₘ
    block: int  # where the block after the last breakdown starts in the basis (0: no breakdown)
    complete: bool  # Q spans the whole space: the Ritz values are the eigenvalues


CHECK_EVERY = 5  # steps between convergence checks: each solves T's eigenproblem, O(m³) on the host

# ``which`` as a sort key on eigenvalues: largest algebraic, smallest algebraic, largest magnitude first
KEYS = {"LA": lambda theta: -theta, "SA": lambda theta: theta, "LM": lambda theta: -np.abs(theta)}


def _orthogonalize(w: Tensor, basis: list) -> Tensor:
    """w − Q Qᵀ w, done twice (one pass loses orthogonality once w has shrunk by cancellation)."""
    q = stack(basis)
    for _ in range(2):
        w = w - (q @ w) @ q
    return w


def _ritz(alphas: list, betas: list, basis: list, block: int, complete: bool) -> Krylov:
    t = np.diag(alphas) + np.diag(betas[:-1], 1) + np.diag(betas[:-1], -1)
    theta, y = np.linalg.eigh(t)
    return Krylov(t, betas[-1], theta, y, np.abs(betas[-1] * y[-1]), basis, block, complete)


def wanted(krylov: Krylov, which: str, k: int) -> np.ndarray:
    """Indices of the k Ritz values ``which`` asks for, in its order."""
    return np.argsort(KEYS[which](krylov.theta), kind="stable")[:k]


def converged(krylov: Krylov, which: str, k: int, tol: float) -> bool:
    """Whether the k wanted Ritz pairs have residual ≤ tol · max|θ| (each is then that close to an
    eigenvalue of A).

    One Krylov space holds each distinct eigenvalue once; a breakdown shows that copies may hide in the
    rest of the space. The blocks before the last breakdown are invariant (their Ritz values are exact),
    and the block after it explores the rest: stop only once that block's best value has converged and
    ranks below the k-th wanted value of the earlier blocks, so the rest holds nothing wanted."""
    if krylov.complete:
        return True
    bound = tol * np.max(np.abs(krylov.theta))
    if len(krylov.theta) < k or np.any(krylov.residuals[wanted(krylov, which, k)] > bound):
        return False
    b = krylov.block
    if b == 0:
        return True
    if b == len(krylov.theta):  # it has just broken down: the rest is unexplored
        return False
    done = np.sort(KEYS[which](np.linalg.eigvalsh(krylov.t[:b, :b])))
    rest, y = np.linalg.eigh(krylov.t[b:, b:])
    best = np.argmin(KEYS[which](rest))
    settled = abs(krylov.beta * y[-1, best]) <= bound
    return len(done) >= k and settled and KEYS[which](rest[best]) > done[k - 1] + bound


def lanczos(matvec, start: Tensor, steps: int, generator, stop=None) -> Krylov:
    """Lanczos with full reorthogonalization, ``steps`` HVPs at most (or until ``stop(krylov)``, asked
    every CHECK_EVERY steps).

        q₁ = v / ‖v‖,   w = A qⱼ − βⱼ₋₁ qⱼ₋₁,   αⱼ = qⱼᵀ w,   w ← w − αⱼ qⱼ − Q Qᵀ w,
        βⱼ = ‖w‖,   qⱼ₊₁ = w / βⱼ,     T = Qᵀ A Q = tridiag(β, α, β).

    The eigenvalues of T (Ritz values) approach A's extreme eigenvalues first. When βⱼ vanishes the
    Krylov space is invariant (e.g. a repeated eigenvalue): the sweep goes on from a random vector
    orthogonal to Q, with βⱼ = 0 in T, so multiplicities are found too.
    """
    n = start.numel()
    steps = min(steps, n)
    breakdown = 10 * n * np.finfo(start.dtype).eps
    q = start / norm(start)
    basis, alphas, betas = [q], [], []
    prev, beta, scale, block = None, 0.0, 0.0, 0
    while True:
        w = matvec(q)
        if beta:  # 0 at the start of each block
            w = w - beta * prev
        alpha = (q * w).sum()
        w = _orthogonalize(w - alpha * q, basis)
        alpha, beta = to_host(alpha, (w * w).sum())
        if not (math.isfinite(alpha) and math.isfinite(beta)):
            raise NonFinite
        beta **= 0.5
        scale = max(scale, abs(alpha), beta)
        if beta <= breakdown * scale:  # the space so far is invariant: the rest starts a new block
            beta, block = 0.0, len(basis)
        alphas.append(alpha)
        betas.append(beta)
        done = len(basis) == steps
        if done or (stop is not None and len(basis) % CHECK_EVERY == 0):
            krylov = _ritz(alphas, betas, basis, block, len(basis) == n)
            if done or stop(krylov):
                return krylov
        if beta == 0.0:
            w = _orthogonalize(randn_like(q, generator=generator), basis)
        prev, q = q, w / (beta or norm(w))
        basis.append(q)


def ritz_vectors(krylov: Krylov, index) -> list:
    """The Ritz vectors Q y for the Ritz values ``krylov.theta[index]``, as flat Tensors."""
    q = stack(krylov.basis)
    y = Tensor(np.ascontiguousarray(krylov.y[:, index].T), dtype=q.dtype, device=q.device, copy=False)
    return list(y @ q)


def power_iteration(matvec, start: Tensor, max_iter: int, tol: float, scale: float = 0.0):
    """Dominant eigenpair: u ← A u / ‖A u‖, μ = uᵀ A u (the Rayleigh quotient), until the residual
    ‖A u − μ u‖ ≤ tol · max(|μ|, scale) (``scale``: the spectral radius of the unshifted operator, so a
    shifted operator whose dominant eigenvalue is ~0 still converges). Returns (μ, u, converged)."""
    u = start / norm(start)
    mu = 0.0
    for _ in range(max_iter):
        w = matvec(u)
        mu = (u * w).sum()
        r = w - mu * u
        mu, rr, ww = to_host(mu, (r * r).sum(), (w * w).sum())
        if not (math.isfinite(mu) and math.isfinite(rr) and math.isfinite(ww)):
            raise NonFinite
        if rr**0.5 <= tol * max(abs(mu), scale):
            return mu, u, True
        u = w / ww**0.5
    return mu, u, False


def power_eigenpairs(matvec, start_fn, k: int, which: str, max_iter: int, tol: float):
    """k eigenpairs by power iteration with shift and deflation. Returns (values, vectors, converged).

    A first run gives the dominant pair (λ, u), |λ| = ρ the spectral radius. For 'LA' ('SA') the next
    runs use B = A + ρI (A − ρI), whose eigenvalues all share one sign, so the dominant one of B is the
    largest (smallest) of A. Each found pair is deflated: B ← B − (λᵢ − σ) uᵢ uᵢᵀ, which moves it to 0.
    """
    lam, u, converged = power_iteration(matvec, start_fn(), max_iter, tol)
    sigma = {"LM": 0.0, "LA": -abs(lam), "SA": abs(lam)}[which]
    pairs = [(lam, u)] if which == "LM" or (lam >= 0) == (which == "LA") else []

    def shifted(v):
        out = matvec(v) - sigma * v
        for value, vec in pairs:
            out = out - (value - sigma) * (vec * v).sum() * vec
        return out

    while len(pairs) < k:
        mu, u, ok = power_iteration(shifted, start_fn(), max_iter, tol, abs(lam))
        pairs.append((mu + sigma, u))
        converged = converged and ok
    return [value for value, _ in pairs], [vec for _, vec in pairs], converged
