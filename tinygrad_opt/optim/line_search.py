"""Line searches along a direction d from θ, shared by LBFGS, BFGS, ConjugateGradient and SteepestDescent.

Each search minimizes φ(t) = f(θ + t d) approximately and takes ``phi(t) -> (f, g)``: the loss (a float)
and the flat gradient at θ + t d. Only φ(t) and φ'(t) = gᵀd reach the host — the scalars the search
branches on. A non-finite φ or φ' raises ``LineSearchError`` (the optimizer then restores θ).

- ``armijo``: backtracking until the sufficient-decrease (Armijo) condition
  φ(t) ≤ φ(0) + c1 t φ'(0) holds (Nocedal & Wright Alg. 3.1), t ← ρ t.
- ``strong_wolfe``: sufficient decrease and the strong curvature condition |φ'(t)| ≤ c2 |φ'(0)|, by
  bracketing then zooming with safeguarded cubic interpolation (Nocedal & Wright Alg. 3.5/3.6). The
  choices inside (extrapolation bounds [t + 0.01 (t - t_prev), 10 t], the 10% safeguard of the zoom, its
  tolerance on the bracket width) are those of minFunc and ``torch.optim.LBFGS``, so LBFGS's iterates
  equal PyTorch's. c2 = 0.9 suits quasi-Newton methods, c2 = 0.1 nonlinear CG (Nocedal & Wright §3.1).
- ``exact``: Newton's method on φ'(t) = 0 with φ''(t) = dᵀH(θ + t d) d from an HVP; on a quadratic the
  first Newton step is the exact minimizer t* = -gᵀd / dᵀH d (seed 003 §7.2.3: "对于真正的二次函数：存在
  ε* 的解析解"), and the search stops once |φ'(t)| ≤ tol |φ'(0)|. Where φ'' ≤ 0 (no minimum along d
  within the model) it falls back to the strong Wolfe search.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..errors import LineSearchError
from ..tensor import Tensor


def dot(a: Tensor, b: Tensor) -> float:
    """aᵀb as a Python float (one scalar brought to the host: line searches branch on it)."""
    return float((a * b).sum())


class Result(NamedTuple):
    t: float  # the accepted step length
    loss: float  # φ(t)
    grad: Tensor  # the flat gradient at θ + t d
    evals: int  # loss/gradient evaluations spent


def _checked(name, t, f, gtd):
    if not (math.isfinite(f) and math.isfinite(gtd)):
        raise LineSearchError(
            f"{name}: the line search met a non-finite loss or gradient (loss {f}, directional derivative {gtd}) at "
            f"step length t={t:.6g}; the parameters are back at the step's start. Lower lr, clip gradients, or "
            f"check the model for overflow"
        )


def cubic_minimizer(t1, f1, g1, t2, f2, g2, lo=None, hi=None) -> float:
    """Minimizer of the cubic through (t1, f1, φ'=g1) and (t2, f2, φ'=g2) (Nocedal & Wright eq. 3.59),
    clamped to [lo, hi] (default: the interval between t1 and t2); its midpoint if the cubic has none."""
    if lo is None:
        lo, hi = min(t1, t2), max(t1, t2)
    if t1 == t2:  # a collapsed interval has no secant
        return (lo + hi) / 2
    d1 = g1 + g2 - 3 * (f1 - f2) / (t1 - t2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2
    d2 = math.sqrt(disc)
    (ta, ga), (tb, gb) = sorted(((t1, g1), (t2, g2)))
    denom = gb - ga + 2 * d2
    if denom == 0:  # a cubic with a double root of φ' (e.g. φ linear or a concave parabola's flat end)
        return (lo + hi) / 2
    return min(max(tb - (tb - ta) * (gb + d2 - d1) / denom, lo), hi)


def armijo(phi, d, t, f0, gtd0, *, c1=1e-4, shrink=0.5, max_ls=25, name="armijo") -> Result:
    """Backtrack from t until φ(t) ≤ φ(0) + c1 t φ'(0); after ``max_ls`` tries the last t is returned."""
    evals = 0
    while True:
        f, g = phi(t)
        evals += 1
        gtd = dot(g, d)
        if math.isfinite(f) and f <= f0 + c1 * t * gtd0 or evals >= max_ls:
            _checked(name, t, f, gtd)
            return Result(t, f, g, evals)
        t *= shrink


def strong_wolfe(phi, d, t, f0, g0, gtd0, *, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25, name="strong_wolfe"):
    """A step satisfying the strong Wolfe conditions (or the best point found within ``max_ls`` evaluations)."""
    d_norm = float(d.abs().max())

    def evaluate(t):
        f, g = phi(t)
        gtd = dot(g, d)
        _checked(name, t, f, gtd)
        return f, g, gtd

    f, g, gtd = evaluate(t)
    evals, it = 1, 0
    prev = (0.0, f0, g0, gtd0)
    bracket = None
    # Phase 1 (Alg. 3.5): grow t until an interval is known to contain acceptable points.
    while it < max_ls:
        if f > f0 + c1 * t * gtd0 or (it > 1 and f >= prev[1]):
            bracket = [prev, (t, f, g, gtd)]
            break
        if abs(gtd) <= -c2 * gtd0:
            return Result(t, f, g, evals)
        if gtd >= 0:
            bracket = [prev, (t, f, g, gtd)]
            break
        t_new = cubic_minimizer(prev[0], prev[1], prev[3], t, f, gtd, lo=t + 0.01 * (t - prev[0]), hi=10 * t)
        prev = (t, f, g, gtd)
        t = t_new
        f, g, gtd = evaluate(t)
        evals += 1
        it += 1
    if bracket is None:  # out of evaluations while still extrapolating
        bracket = [(0.0, f0, g0, gtd0), (t, f, g, gtd)]
    # Phase 2 (Alg. 3.6): shrink the bracket; lo is the end with the lower loss.
    lo, hi = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
    insufficient = False
    while it < max_ls:
        (ta, fa, _, ga), (tb, fb, _, gb) = bracket
        if abs(tb - ta) * d_norm < tolerance_change:
            break
        t = cubic_minimizer(ta, fa, ga, tb, fb, gb)
        left, right = min(ta, tb), max(ta, tb)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:  # too close to an end: move inward unless progress was good
            if insufficient or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f, g, gtd = evaluate(t)
        evals += 1
        it += 1
        point = (t, f, g, gtd)
        if f > f0 + c1 * t * gtd0 or f >= bracket[lo][1]:
            bracket[hi] = point
            lo, hi = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd) <= -c2 * gtd0:
                bracket[lo] = point
                break
            if gtd * (bracket[hi][0] - bracket[lo][0]) >= 0:
                bracket[hi] = bracket[lo]
            bracket[lo] = point
    t, f, g, _ = bracket[lo]
    return Result(t, f, g, evals)


def exact(phi_curvature, d, f0, g0, gtd0, dhd0, *, tol=1e-10, max_iter=20, name="exact", fallback=None) -> Result:
    """Minimize φ along d by Newton's method on φ'(t) = 0.

    ``phi_curvature(t) -> (f, g, dᵀH d)`` at θ + t d; ``dhd0`` is dᵀH d at t = 0. ``fallback()`` (a
    strong Wolfe search) is used when the curvature along d is not positive."""
    t, f, g, gtd, dhd, evals = 0.0, f0, g0, gtd0, dhd0, 0
    while evals < max_iter:
        if not dhd > 0:
            if fallback is None:
                raise LineSearchError(
                    f"{name}: the curvature along the search direction is {dhd:.6g} <= 0, so φ has no minimum "
                    f"there; use line_search_fn='strong_wolfe' or 'armijo'"
                )
            res = fallback()
            return res._replace(evals=res.evals + evals)
        t = t - gtd / dhd
        f, g, dhd = phi_curvature(t)
        gtd = dot(g, d)
        _checked(name, t, f, gtd)
        evals += 1
        if abs(gtd) <= tol * abs(gtd0):
            break
    return Result(t, f, g, evals)
