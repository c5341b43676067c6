"""Coordinate descent against Newton's method on f = (x₁ − x₂)² + a(x₁² + x₂²)  (seed 003 §8.1 item 4).

Seed: "when one variable strongly affects the other's optimum, coordinate descent is not a good method":
the first term keeps x₁ and x₂ close, so each exact coordinate minimization moves only a little, while
Newton's method solves this positive-definite quadratic in one step.

The closed form. Minimizing exactly over x₁ with x₂ fixed: ∂f/∂x₁ = 2(x₁ − x₂) + 2a x₁ = 0, so
x₁ ← x₂ / (1 + a); then x₂ ← x₁ / (1 + a). After the first sweep the iterate lies on the line
x₁ = (1 + a) x₂ and every further sweep multiplies it by

    ρ(a) = 1 / (1 + a)²          (the spectral radius of Gauss–Seidel on H = 2[[1+a, −1], [−1, 1+a]])

so reaching ‖x‖ ≤ tol takes k = 1 + ⌈ln(‖x⁽¹⁾‖ / tol) / ln(1/ρ)⌉ ≈ ln(1/tol) / (2a) sweeps for small a;
Newton's step x − H⁻¹∇f = 0 is exact whatever a (κ(H) = (2 + a)/a only slows first-order methods).

``optim.CoordinateDescent(blocks='coordinate')`` (lr 1, no damping) does the exact per-coordinate
minimization: each block step is θ_b ← θ_b − g_b / H_bb. ``optim.Newton`` takes the full H from HVPs.

Prints, per a, the sweeps to tol, the closed-form count, the measured and closed-form contraction, and
Newton's steps; writes docs/img/coordinate_descent_vs_newton.png.

Run:  python examples/coordinate_descent_vs_newton.py [--out docs/img] [--quick]     (about 2 s)
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import optim

START = (1.0, -1.0)
TOL = 1e-6
DEFAULT_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img"))


def objective(a: float):
    return lambda x: (x[0] - x[1]) ** 2 + a * (x[0] ** 2 + x[1] ** 2)


def minimize(make, a: float, max_steps: int, tol: float = TOL) -> np.ndarray:
    """Iterates of ``make([x])`` on f_a from START until ‖x‖ ≤ tol or max_steps; (steps + 1, 2)."""
    f = objective(a)
    x = tg.tensor(np.array(START), requires_grad=True)
    opt = make([x])

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    path = [x.numpy().copy()]
    while len(path) <= max_steps and np.linalg.norm(path[-1]) > tol:
        opt.step(closure)
        path.append(x.numpy().copy())
    return np.array(path)


def closed_form_rate(a: float) -> float:
    """ρ(a) = 1 / (1 + a)²: the factor by which one sweep of exact coordinate minimization shrinks x."""
    return 1.0 / (1.0 + a) ** 2


def closed_form_sweeps(a: float, tol: float = TOL) -> int:
    """Sweeps to ‖x‖ ≤ tol: one sweep to the line x₁ = (1 + a) x₂, then a factor ρ(a) per sweep."""
    x2 = START[1] / (1 + a) ** 2
    first = math.hypot((1 + a) * x2, x2)
    return 1 + max(0, math.ceil(math.log(first / tol) / math.log(1 / closed_form_rate(a))))


def compare(a: float, max_sweeps: int = 100_000) -> dict:
    cd = minimize(lambda p: optim.CoordinateDescent(p, blocks="coordinate"), a, max_sweeps)
    newton = minimize(lambda p: optim.Newton(p), a, 10)
    norms = np.linalg.norm(cd, axis=1)
    ratios = norms[2:] / norms[1:-1]  # sweeps 2, 3, ...: on the line, so exactly ρ up to rounding
    return {
        "a": a,
        "cd_path": cd,
        "cd_sweeps": len(cd) - 1,
        "closed_form_sweeps": closed_form_sweeps(a),
        "measured_rate": float(np.exp(np.mean(np.log(ratios)))),
        "max_rate_error": float(np.max(np.abs(ratios - closed_form_rate(a)))),
        "closed_form_rate": closed_form_rate(a),
        "newton_path": newton,
        "newton_steps": len(newton) - 1,
        "newton_end": newton[-1],
    }


def staircase(path: np.ndarray) -> np.ndarray:
    """The coordinate moves inside each sweep: x₁ first (x₁⁽ᵏ⁾, x₂⁽ᵏ⁻¹⁾), then x₂."""
    points = [path[0]]
    for prev, new in zip(path[:-1], path[1:]):
        points += [np.array([new[0], prev[1]]), new]
    return np.array(points)


def plot(results, path: str, dpi: int = 90) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), constrained_layout=True)
    r = results[0]
    gx, gy = np.meshgrid(np.linspace(-1.2, 1.2, 200), np.linspace(-1.2, 1.2, 200))
    left.contour(
        gx, gy, objective(r["a"])(np.stack([gx, gy])), levels=np.logspace(-3, 0.7, 14), colors="0.75", linewidths=0.6
    )
    steps = staircase(r["cd_path"][:40])
    left.plot(
        steps[:, 0],
        steps[:, 1],
        "-",
        color="tab:red",
        lw=0.9,
        label=f"coordinate descent, 40 of {r['cd_sweeps']} sweeps",
    )
    left.plot(*r["newton_path"].T, "o-", color="tab:blue", ms=4, label="Newton: 1 step")
    left.plot(*START, "ko", ms=4)
    left.set(aspect="equal", xlabel="x₁", ylabel="x₂", title=f"f = (x₁ − x₂)² + {r['a']:g}(x₁² + x₂²)")
    left.legend(fontsize=8, loc="lower left")
    for r, color in zip(results, ("tab:red", "tab:orange", "tab:green", "tab:purple")):
        k = np.arange(len(r["cd_path"]))
        right.loglog(k + 1, np.linalg.norm(r["cd_path"], axis=1), color=color, lw=1.2, label=f"a = {r['a']:g}")
        first = np.linalg.norm(r["cd_path"][1])
        right.loglog(k[1:] + 1, first * r["closed_form_rate"] ** (k[1:] - 1.0), "k:", lw=0.8)
    right.axhline(TOL, color="0.5", lw=0.6)
    right.set(xlabel="sweep + 1", ylabel="‖x‖", title="coordinate descent; dotted: ρ(a)ᵏ = (1 + a)⁻²ᵏ")
    right.legend(fontsize=8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=float, nargs="+", default=[0.1, 0.01, 0.001])
    parser.add_argument("--out", default=DEFAULT_OUT, help="directory for the figure (default docs/img)")
    parser.add_argument("--quick", action="store_true", help="a = 0.1 and 0.01 only, no figure")
    args = parser.parse_args(argv)
    values = [0.1, 0.01] if args.quick else args.a
    results = [compare(a) for a in values]
    print(f"f = (x1 - x2)^2 + a (x1^2 + x2^2) from {START}, tolerance ||x|| <= {TOL:g}")
    print(
        "| a | coordinate descent sweeps | closed form | contraction per sweep, measured | (1 + a)^-2 | Newton steps |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['a']:g} | {r['cd_sweeps']} | {r['closed_form_sweeps']} | {r['measured_rate']:.12f} "
            f"| {r['closed_form_rate']:.12f} | {r['newton_steps']} (to {np.abs(r['newton_end']).max():.1e}) |"
        )
    if not args.quick:
        path = os.path.join(args.out, "coordinate_descent_vs_newton.png")
        plot(results, path)
        print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
