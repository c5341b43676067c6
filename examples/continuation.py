"""Continuation (seed 003 §8.5) on a 1-D landscape with many local minima, f(x) = x² + a (1 − cos bx):
plain gradient descent from x₀ = 3 stalls in the nearest local minimum, while descending on the
Gaussian-smoothed objectives f_σ for σ = 1, 0.5, 0.25, 0.1, 0 (each from the previous solution) reaches
the global minimum x = 0. Also runs many starts in [−4, 4] and counts how often each method ends at the
global minimum. Writes docs/img/continuation.png (the blurred landscapes and both paths).

f_σ has a closed form here, f_σ(x) = x² + σ² + a (1 − e^{−b²σ²/2} cos bx), drawn next to the
Monte-Carlo estimate the method actually minimizes (``strategies.GaussianSmoothing``).

Run:  python examples/continuation.py [--out docs/img]    (about 10 s; ``--quick`` for fewer starts)
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt.strategies import GaussianSmoothing, continuation

A, B = 2.0, 6.0
SIGMAS = [1.0, 0.5, 0.25, 0.1, 0.0]
STEPS, LR, SAMPLES = 300, 0.01, 64


def f(x):
    """x² + a (1 − cos bx), one value per row of x (so it also takes a batch of samples)."""
    return (x**2 + A * (1 - (B * x).cos())).sum(-1)


def smoothed_closed_form(x, sigma):
    return x**2 + sigma**2 + A * (1 - math.exp(-(B**2) * sigma**2 / 2) * np.cos(B * x))


def solve(x0, sigmas):
    """Run the continuation driver (σ = [0] is plain gradient descent); returns (final x, x after each stage)."""
    x = tg.tensor([x0], dtype="float64", requires_grad=True)
    path = []
    opt = tg.optim.SGD([x], lr=LR)
    for sigma in sigmas:  # one stage at a time, to record the path
        continuation(f, x, [sigma], opt, steps=STEPS, num_samples=SAMPLES, batched=True)
        path.append(x.item())
    return x.item(), path


def plot(path_gd, path_cont, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(-4, 4, 801)
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    for sigma, color in zip(SIGMAS, plt.cm.viridis(np.linspace(0, 0.9, len(SIGMAS)))):
        ax.plot(grid, smoothed_closed_form(grid, sigma), color=color, label=f"f_σ, σ = {sigma}")
        if sigma > 0:
            est = GaussianSmoothing(f, sigma, SAMPLES, batched=True).samples
            ax.plot(
                grid[::40], [est(tg.tensor([g], dtype="float64")).mean().item() for g in grid[::40]], ".", color=color
            )
    stage_x = np.array(path_cont)
    ax.plot(stage_x, smoothed_closed_form(stage_x, 0.0), "r*-", ms=12, label="continuation: end of each stage")
    ax.plot(
        [3.0, path_gd[-1]], smoothed_closed_form(np.array([3.0, path_gd[-1]]), 0.0), "ks--", label="gradient descent"
    )
    ax.set(xlabel="x", ylabel="objective", ylim=(-0.5, 22))
    ax.legend(fontsize=8)
    path = os.path.join(out, "continuation.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=41, help="starting points evenly spaced in [-4, 4]")
    parser.add_argument("--quick", action="store_true", help="fewer starts (smoke test)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img"))
    args = parser.parse_args(argv)
    if args.quick:
        args.starts = 9
    x_gd, path_gd = solve(3.0, [0.0])
    x_cont, path_cont = solve(3.0, SIGMAS)
    print(f"from x0 = 3: gradient descent ends at x = {x_gd:.4f} (f = {smoothed_closed_form(x_gd, 0.0):.4f})")
    print(f"from x0 = 3: continuation ends at x = {x_cont:.2e} (f = {smoothed_closed_form(x_cont, 0.0):.2e})")
    starts = np.linspace(-4, 4, args.starts)
    hits = {"gradient descent": 0, "continuation": 0}
    for x0 in starts:
        hits["gradient descent"] += abs(solve(x0, [0.0])[0]) < 1e-3
        hits["continuation"] += abs(solve(x0, SIGMAS)[0]) < 1e-3
    for name, n in hits.items():
        print(f"{name}: global minimum from {n} of {len(starts)} starts in [-4, 4]")
    os.makedirs(args.out, exist_ok=True)
    print(f"wrote {plot(path_gd, path_cont, args.out)}")
    return {"x_gd": x_gd, "x_continuation": x_cont, "hits": hits, "starts": len(starts)}


if __name__ == "__main__":
    main()
