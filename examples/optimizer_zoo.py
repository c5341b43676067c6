"""The optimizer zoo: every optimizer of tinygrad_opt.optim on the test functions of the seeds.

    ravine      f = 0.1 x1² + 2 x2²                          seed 004   start (-5, -2)      minimum (0, 0)
    saddle      f = x² − y²                                   seed 000   start (1, 1e-3)     escape: |y| ≥ 1
    Rosenbrock  f = (1 − x)² + 100 (y − x²)²                  seed 000   start (-1.2, 1)     minimum (1, 1)
    Beale       f = Σᵢ (cᵢ − x + x yⁱ)², c = (1.5, 2.25, 2.625)  seed 000   start (1, 1)        minimum (3, 0.5)
    sin·sin     f = sin(x) sin(y)                             seed 000   start (0.6, 0.4)    minima where f = −1

Each optimizer runs from the fixed start until it is within TOL of the minimum (saddle: until it
escapes; sin·sin: of any minimum) or the step budget is spent. Its one tuned hyper-parameter (the
learning rate; the damping for damped Newton) was picked once per function by ``--tune`` from the grid
1e-4, 2e-4, 5e-4, …, 5, 10 (fewest steps to TOL; the smallest final distance if none reaches it) and
is written below in ``TUNED``; the saddle reuses the ravine's learning rate. Every other setting is the
optimizer's default, except where ``FIXED_NOTES`` says why not. Line-search and
Newton-type methods run with lr = 1 (the search or the model picks the length). The saddle is also
started on its stable axis, (1, 0): there the y-gradient is exactly 0.

Prints a table of steps to TOL (and function evaluations for closure methods) and writes one figure
per function (docs/img/optim_<function>.png: contours and every path) plus optim_loss_curves.png.

Run:  python examples/optimizer_zoo.py [--out docs/img] [--quick] [--tune]      (30 s of CPU; --tune 12 min)
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn, optim

TOL = 1e-6  # distance to the minimizer that counts as "reached"
STALL = 20  # a run ends after this many steps without any change of the iterate
DEFAULT_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img"))


def beale(p):
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


@dataclass
class Problem:
    label: str
    f: object  # Tensor -> Tensor, elementwise over p[0], p[1] (so a (2, n, n) grid works too)
    start: tuple
    minimum: tuple | None  # None: the saddle (escape) and sin·sin (any of its minima)
    window: tuple  # x0, x1, y0, y1 of the contour plot
    max_steps: int


PROBLEMS = {
    "ravine": Problem(
        "f = 0.1 x1² + 2 x2² (seed 004)",
        lambda p: 0.1 * p[0] ** 2 + 2 * p[1] ** 2,
        (-5.0, -2.0),
        (0.0, 0.0),
        (-5.5, 2.0, -2.5, 2.5),
        1000,
    ),
    "saddle": Problem(
        "f = x² − y² (seed 000)", lambda p: p[0] ** 2 - p[1] ** 2, (1.0, 1e-3), None, (-1.5, 1.5, -1.5, 1.5), 300
    ),
    "rosenbrock": Problem(
        "Rosenbrock (1 − x)² + 100 (y − x²)²",
        lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
        (-1.2, 1.0),
        (1.0, 1.0),
        (-2.0, 2.0, -1.0, 3.0),
        3000,
    ),
    "beale": Problem("Beale", beale, (1.0, 1.0), (3.0, 0.5), (-1.0, 4.5, -1.5, 2.0), 2000),
    "sinsin": Problem(
        "f = sin(x) sin(y) (seed 000)",
        lambda p: p[0].sin() * p[1].sin(),
        (0.6, 0.4),
        None,
        (-8.5, 8.5, -8.5, 8.5),
        1000,
    ),
}
SADDLE_AXIS_START = (1.0, 0.0)
QUICK_BUDGETS = {"ravine": 100, "saddle": 30, "rosenbrock": 100, "beale": 100, "sinsin": 100}  # --quick (tests)


def _lookahead_sgd(params, **kw):
    return optim.Lookahead(optim.SGD(params, **kw))


# name -> (constructor, the tuned keyword, fixed keywords). KFAC's constructor takes a Module: the point
# is the weight of a bias-free Linear(1 → 2) fed the input 1 (see run()).
OPTIMIZERS = {
    "GD": (optim.GD, "lr", {}),
    "SGD": (optim.SGD, "lr", {}),
    "SGD momentum 0.9": (optim.SGD, "lr", {"momentum": 0.9}),
    "Nesterov 0.9": (optim.SGD, "lr", {"momentum": 0.9, "nesterov": True}),
    "Adagrad": (optim.Adagrad, "lr", {}),
    "RMSprop": (optim.RMSprop, "lr", {}),
    "Adadelta": (optim.Adadelta, "lr", {}),
    "Adam": (optim.Adam, "lr", {}),
    "AdamW": (optim.AdamW, "lr", {}),
    "AMSGrad": (optim.Adam, "lr", {"amsgrad": True}),
    "NAdam": (optim.NAdam, "lr", {}),
    "RAdam": (optim.RAdam, "lr", {}),
    "Adamax": (optim.Adamax, "lr", {}),
    "Rprop": (optim.Rprop, "lr", {}),
    "DeltaBarDelta": (optim.DeltaBarDelta, "lr", {}),
    "ASGD": (optim.ASGD, "lr", {}),
    "Lookahead(SGD)": (_lookahead_sgd, "lr", {}),
    "SWATS": (optim.SWATS, "lr", {}),
    "LBFGS": (
        optim.LBFGS,
        None,
        {"max_iter": 1, "max_eval": 25, "tolerance_change": 1e-20, "line_search_fn": "strong_wolfe"},
    ),
    "BFGS": (optim.BFGS, None, {}),
    "CG Fletcher-Reeves": (optim.ConjugateGradient, None, {"line_search_fn": "exact"}),
    "CG Polak-Ribière": (optim.ConjugateGradient, None, {"beta": "polak_ribiere", "line_search_fn": "exact"}),
    "SteepestDescent": (optim.SteepestDescent, None, {}),
    "Newton": (optim.Newton, None, {}),
    "Newton damped": (optim.Newton, "damping", {}),
    "NewtonCG": (optim.NewtonCG, None, {}),
    "CoordinateDescent": (optim.CoordinateDescent, None, {}),
    "AdaHessian": (optim.AdaHessian, "lr", {"seed": 0}),
    "SophiaH": (optim.SophiaH, "lr", {"weight_decay": 0.0, "seed": 0}),
    "KFAC": (optim.KFAC, "lr", {}),
}
# Why the fixed settings: LBFGS makes one iteration per step (max_iter=1 needs an explicit max_eval, see
# docs/optim_second_order.md; its default tolerance_change=1e-9 on f would stop it before TOL on the
# ravine); CG uses the exact line search of seed 003 §7.2.3; SophiaH's default
# weight decay 0.1 would move the minimum; KFAC on one example sees the empirical Fisher g gᵀ (rank one),
# so its step is a damped, normalized gradient step, not curvature: it is here for completeness.
FIXED_NOTES = {
    "LBFGS": "max_iter=1, max_eval=25, tolerance_change=1e-20, strong Wolfe",
    "CG Fletcher-Reeves": "exact line search",
    "CG Polak-Ribière": "exact line search",
    "SophiaH": "weight_decay=0",
    "KFAC": "Linear(1→2) weight, input 1: Fisher = g gᵀ",
}

# The saddle is unbounded below, so "fewest steps to escape" would favour the largest rate that blows up:
# it runs with the ravine's value (both quadratics have curvatures of the same scale, ±2 against 0.2 and 4).
# Damping is tuned on the saddle too (escaping it is what damping is for, and x contracts whatever α).
TUNED_ON = ("ravine", "rosenbrock", "beale", "sinsin")
GRID = [m * 10.0**e for e in range(-4, 1) for m in (1, 2, 5)] + [10.0]

# Written by `python examples/optimizer_zoo.py --tune` (the value of the tuned keyword per function).
TUNED = {
    "GD": {"ravine": 0.2, "rosenbrock": 0.002, "beale": 0.02, "sinsin": 1.0},
    "SGD": {"ravine": 0.2, "rosenbrock": 0.002, "beale": 0.02, "sinsin": 1.0},
    "SGD momentum 0.9": {"ravine": 0.2, "rosenbrock": 0.002, "beale": 0.02, "sinsin": 0.02},
    "Nesterov 0.9": {"ravine": 0.2, "rosenbrock": 0.001, "beale": 0.01, "sinsin": 1.0},
    "Adagrad": {"ravine": 5.0, "rosenbrock": 1.0, "beale": 1.0, "sinsin": 1.0},
    "RMSprop": {"ravine": 10.0, "rosenbrock": 0.005, "beale": 0.002, "sinsin": 0.1},
    "Adadelta": {"ravine": 2.0, "rosenbrock": 0.2, "beale": 0.2, "sinsin": 10.0},
    "Adam": {"ravine": 1.0, "rosenbrock": 0.5, "beale": 1.0, "sinsin": 1.0},
    "AdamW": {"ravine": 10.0, "rosenbrock": 0.05, "beale": 0.2, "sinsin": 0.5},
    "AMSGrad": {"ravine": 0.2, "rosenbrock": 0.5, "beale": 0.5, "sinsin": 0.5},
    "NAdam": {"ravine": 1.0, "rosenbrock": 0.02, "beale": 0.2, "sinsin": 0.2},
    "RAdam": {"ravine": 0.5, "rosenbrock": 0.005, "beale": 0.05, "sinsin": 1.0},
    "Adamax": {"ravine": 2.0, "rosenbrock": 2.0, "beale": 1.0, "sinsin": 2.0},
    "Rprop": {"ravine": 10.0, "rosenbrock": 0.002, "beale": 0.005, "sinsin": 0.2},
    "DeltaBarDelta": {"ravine": 2.0, "rosenbrock": 0.005, "beale": 0.05, "sinsin": 2.0},
    "ASGD": {"ravine": 0.2, "rosenbrock": 0.002, "beale": 0.02, "sinsin": 0.05},
    "Lookahead(SGD)": {"ravine": 0.5, "rosenbrock": 0.002, "beale": 0.02, "sinsin": 1.0},
    "SWATS": {"ravine": 1.0, "rosenbrock": 0.5, "beale": 1.0, "sinsin": 1.0},
    "Newton damped": {"saddle": 5.0, "ravine": 0.0001, "rosenbrock": 0.0001, "beale": 0.0001, "sinsin": 0.5},
    "AdaHessian": {"ravine": 1.0, "rosenbrock": 10.0, "beale": 2.0, "sinsin": 0.5},
    "SophiaH": {"ravine": 0.5, "rosenbrock": 0.2, "beale": 0.1, "sinsin": 0.1},
    "KFAC": {"ravine": 0.02, "rosenbrock": 0.02, "beale": 0.02, "sinsin": 0.002},
}


def settings(name: str, problem: str) -> dict:
    _, key, fixed = OPTIMIZERS[name]
    kw = dict(fixed)
    if key is not None:
        kw[key] = TUNED[name][problem if problem in TUNED[name] else "ravine"]
    return kw


@dataclass
class Run:
    path: np.ndarray  # (steps + 1, 2) iterates
    steps: int | None  # steps to the goal; None when not reached
    evals: int | None  # closure calls up to that step
    stopped: str | None = None  # why a run ended early: an exception's name, or "stalled"


def run(name: str, problem: str, kw: dict, start=None, max_steps=None) -> Run:
    """Optimizer ``name`` with keywords ``kw`` on ``problem`` from ``start`` (default: the problem's)."""
    prob = PROBLEMS[problem]
    make = OPTIMIZERS[name][0]
    start = np.array(prob.start if start is None else start, dtype=np.float64)
    max_steps = prob.max_steps if max_steps is None else max_steps
    if make is optim.KFAC:
        layer = nn.Linear(1, 2, bias=False, dtype="float64")
        with tg.no_grad():
            layer.weight.copy_(tg.tensor(start[:, None]))
        one = tg.ones(1, 1, dtype="float64")
        param, point, opt = layer.weight, (lambda: layer(one)[0]), make(layer, **kw)
    else:
        param = tg.tensor(start, requires_grad=True)
        point, opt = (lambda: param), make([param], **kw)
    evals = 0

    def closure():
        nonlocal evals
        evals += 1
        opt.zero_grad()
        loss = prob.f(point())
        loss.backward()
        return loss

    path = [start]
    steps = evals_at = stopped = None
    still = 0
    with np.errstate(all="ignore"):
        for k in range(1, max_steps + 1):
            try:
                opt.step(closure)
            except (FloatingPointError, ArithmeticError) as exc:  # LineSearchError, CurvatureError
                stopped = type(exc).__name__
                break
            x = param.numpy().ravel().copy()
            path.append(x)
            if not np.all(np.isfinite(x)):
                break
            still = still + 1 if np.array_equal(x, path[-2]) else 0
            if still == STALL:  # stopped moving, e.g. Newton on a critical point
                stopped = "stalled"
                break
            if reached(problem, x):
                steps, evals_at = k, evals
                break
    return Run(np.array(path), steps, evals_at, stopped)


def reached(problem: str, x) -> bool:
    if problem == "saddle":
        return abs(x[1]) >= 1.0
    if problem == "sinsin":
        return sinsin_minimum(x) is not None
    return float(np.hypot(*(x - PROBLEMS[problem].minimum))) <= TOL


def sinsin_minimum(x):
    """The minimum of sin·sin within TOL of x, as (k, l) with x ≈ (kπ/2, lπ/2); None if there is none.
    The minima are (π/2 + 2πi, −π/2 + 2πj) and (−π/2 + 2πi, π/2 + 2πj)."""
    k, l = np.round(np.asarray(x) / (np.pi / 2)).astype(int)
    if k % 2 == 0 or l % 2 == 0 or _sin_half_pi(k) * _sin_half_pi(l) != -1:
        return None
    return (int(k), int(l)) if np.hypot(x[0] - k * np.pi / 2, x[1] - l * np.pi / 2) <= TOL else None


def sinsin_end(x) -> str:
    """Where a sin·sin run ended: the critical point (kπ/2, lπ/2) nearest to it and its type."""
    if not np.all(np.isfinite(x)):
        return "diverged"
    k, l = np.round(np.asarray(x) / (np.pi / 2)).astype(int)
    if np.hypot(x[0] - k * np.pi / 2, x[1] - l * np.pi / 2) > 1e-3 or (k % 2) != (l % 2):
        return f"({x[0]:.2f}, {x[1]:.2f}), moving"
    kind = "saddle" if k % 2 == 0 else ("min" if _sin_half_pi(k) * _sin_half_pi(l) < 0 else "max")
    return f"{kind} ({_half_pi(k)}, {_half_pi(l)})"


def _sin_half_pi(k: int) -> int:
    """sin(kπ/2) for an odd k, exactly: +1 for k ≡ 1 (mod 4), −1 for k ≡ 3."""
    return 1 if k % 4 == 1 else -1


def _half_pi(k: int) -> str:
    """k·π/2 written out: 0, π/2, −π, 3π/2, ..."""
    sign, k = ("−" if k < 0 else ""), abs(k)
    if k == 0:
        return "0"
    if k % 2 == 0:
        return f"{sign}{'' if k == 2 else k // 2}π"
    return f"{sign}{'' if k == 1 else k}π/2"


def score(problem: str, r: Run):
    """The tuning objective: (not reached, steps or final distance); lower is better."""
    if r.steps is not None:
        return (0, r.steps)
    x = r.path[-1]
    if not np.all(np.isfinite(x)):
        return (1, math.inf)
    if problem == "saddle":
        return (1, -abs(x[1]))
    if problem == "sinsin":
        k, l = np.round(x / (np.pi / 2))
        return (1, float(np.hypot(x[0] - k * np.pi / 2, x[1] - l * np.pi / 2)) + (1.0 if k % 2 == 0 else 0.0))
    return (1, float(np.hypot(*(x - PROBLEMS[problem].minimum))))


def tune():
    """Pick each tuned keyword from GRID, per optimizer and function; prints a TUNED dict to paste."""
    result = {}
    for name, (_, key, fixed) in OPTIMIZERS.items():
        if key is None:
            continue
        result[name] = {}
        for problem in TUNED_ON + (("saddle",) if key == "damping" else ()):
            best = min(GRID, key=lambda v: score(problem, run(name, problem, {**fixed, key: v})))
            result[name][problem] = best
        print(f"    {name!r}: {result[name]},", flush=True)
    return result


def cell(r: Run, closure: bool, problem: str) -> str:
    """Steps to the goal (with evaluations where they differ), or why the run did not get there."""
    if r.steps is not None:
        return f"{r.steps} ({r.evals} ev)" if closure and r.evals != r.steps else str(r.steps)
    x, done = r.path[-1], len(r.path) - 1
    if r.stopped not in (None, "stalled"):
        return f"— ({r.stopped} in step {done + 1})"
    if not np.all(np.isfinite(x)):
        return f"— (diverged in step {done})"
    distance = np.hypot(*(x - PROBLEMS[problem].minimum))
    return f"— ({'stopped moving' if r.stopped else f'{done} steps'}, d = {distance:.0e})"


def uses_closure(name: str) -> bool:
    return bool(getattr(OPTIMIZERS[name][0], "requires_closure", False))


def tuned_text(name: str) -> str:
    _, key, _ = OPTIMIZERS[name]
    if key is None:
        return "lr = 1"
    values = ", ".join(f"{TUNED[name][p]:g}" for p in TUNED_ON)
    if "saddle" in TUNED[name]:
        values += f"; saddle {TUNED[name]['saddle']:g}"
    return f"{key} {values}"


def saddle_cell(r: Run) -> str:
    if r.steps is not None:
        return f"escapes in {r.steps} step{'s' if r.steps > 1 else ''}"
    x = r.path[-1]
    if r.stopped not in (None, "stalled"):
        return f"{r.stopped} in step {len(r.path)} (f is unbounded below along the search line)"
    return f"stuck at ({x[0]:.1g}, {x[1]:.1g})"


def axis_cell(r: Run) -> str:
    x = r.path[-1]
    return "escapes" if abs(x[1]) >= 1 else f"stays on y = 0, ends at x = {x[0]:.1g}"


def sinsin_cell(r: Run) -> str:
    end = sinsin_end(r.path[-1])
    if r.steps is not None:
        return f"{end} in {r.steps} steps"
    return f"{end}, not within {TOL:g}" if end.startswith("min") else end


def table(runs: dict) -> str:
    """Markdown: one row per optimizer; steps to TOL, with the function evaluations where they differ."""
    lines = [
        "| optimizer | ravine | saddle from (1, 1e-3) | saddle from (1, 0) | Rosenbrock | Beale | sin·sin ends at "
        "| tuned (ravine and saddle, Rosenbrock, Beale, sin·sin) |",
        "|" + "---|" * 8,
    ]
    for name in runs:
        rs, closure = runs[name], uses_closure(name)
        note = FIXED_NOTES.get(name)
        lines.append(
            f"| {name}{f' ({note})' if note else ''} | {cell(rs['ravine'], closure, 'ravine')} "
            f"| {saddle_cell(rs['saddle'])} | {axis_cell(rs['saddle_axis'])} "
            f"| {cell(rs['rosenbrock'], closure, 'rosenbrock')} | {cell(rs['beale'], closure, 'beale')} "
            f"| {sinsin_cell(rs['sinsin'])} | {tuned_text(name)} |"
        )
    return "\n".join(lines)


def run_all(budgets=None, names=None) -> dict:
    """Every optimizer (or those in ``names``) on every problem with its tuned settings, for the step
    budgets ``budgets`` (problem -> steps; default the problems' own)."""
    budgets = budgets or {problem: prob.max_steps for problem, prob in PROBLEMS.items()}
    runs = {}
    for name in names or OPTIMIZERS:
        runs[name] = {
            problem: run(name, problem, settings(name, problem), max_steps=budgets[problem]) for problem in PROBLEMS
        }
        axis = run(name, "saddle", settings(name, "saddle"), SADDLE_AXIS_START, budgets["saddle"])
        runs[name]["saddle_axis"] = axis
    return runs


def panel_title(problem: str, r: Run) -> str:
    if problem == "sinsin":
        return sinsin_end(r.path[-1])
    if r.steps is None:
        return "stays near the saddle" if problem == "saddle" else "not reached"
    return f"{'escapes in ' if problem == 'saddle' else ''}{r.steps} step{'s' if r.steps > 1 else ''}"


def plot(runs: dict, out: str, dpi: int = 80) -> list:
    """One figure per function (a panel per optimizer: contours, path, start, goal) and the loss curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out, exist_ok=True)
    written = []
    cols = 6
    cols = min(cols, len(runs))
    rows = -(-len(runs) // cols)
    for problem, prob in PROBLEMS.items():
        xa, xb, ya, yb = prob.window
        gx, gy = np.meshgrid(np.linspace(xa, xb, 200), np.linspace(ya, yb, 200))
        with tg.no_grad():
            fz = prob.f(tg.tensor(np.stack([gx, gy]))).numpy()
        levels = np.logspace(-2, np.log10(fz.max()), 15) if problem in ("rosenbrock", "beale") else 15
        fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.6 * rows), constrained_layout=True, squeeze=False)
        for ax, name in zip(axes.ravel(), runs):
            r = runs[name][problem]
            ax.contour(gx, gy, fz, levels=levels, colors="0.75", linewidths=0.5)
            keep = r.path[np.all(np.isfinite(r.path), axis=1)]
            ax.plot(keep[:, 0], keep[:, 1], ".-", color="tab:red", ms=2, lw=0.7)
            if problem == "saddle":
                axis = runs[name]["saddle_axis"].path
                ax.plot(axis[:, 0], axis[:, 1], ".-", color="tab:blue", ms=2, lw=0.7)
            ax.plot(*prob.start, "ko", ms=3)
            if prob.minimum is not None:
                ax.plot(*prob.minimum, "k*", ms=7)
            ax.set(xlim=(xa, xb), ylim=(ya, yb), xticks=[], yticks=[])
            ax.set_title(f"{name}: {panel_title(problem, r)}", fontsize=8)
        for ax in axes.ravel()[len(runs) :]:
            ax.axis("off")
        goal = f"tolerance {TOL:g}" if problem != "saddle" else f"escape |y| ≥ 1; blue: from {SADDLE_AXIS_START}"
        fig.suptitle(f"{prob.label}: from {prob.start}, {goal}")
        path = os.path.join(out, f"optim_{problem}.png")
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        written.append(path)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), constrained_layout=True)
    for ax, problem in zip(axes, ("ravine", "rosenbrock", "beale")):
        ax.set_prop_cycle(color=plt.cm.tab20(np.linspace(0, 1, 20)).tolist() * 2, ls=["-"] * 20 + ["--"] * 20)
        for name in runs:
            d = np.hypot(*(runs[name][problem].path - PROBLEMS[problem].minimum).T)
            ax.loglog(np.arange(1, len(d) + 1), np.maximum(d, 1e-16), lw=0.9, label=name)
        ax.axhline(TOL, color="k", lw=0.6, ls=":")
        ax.set(title=PROBLEMS[problem].label, xlabel="step + 1", ylabel="distance to the minimum")
    axes[2].legend(fontsize=6, ncol=2)
    path = os.path.join(out, "optim_loss_curves.png")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="directory for the figures (default docs/img)")
    parser.add_argument("--quick", action="store_true", help="100 steps at most (30 on the saddle), small figures")
    parser.add_argument("--no-plot", action="store_true", help="print the table only")
    parser.add_argument("--tune", action="store_true", help="redo the learning-rate search and print TUNED")
    parser.add_argument("--only", nargs="+", choices=list(OPTIMIZERS), metavar="NAME", help="these optimizers only")
    args = parser.parse_args(argv)
    if args.tune:
        return tune()
    start = time.perf_counter()
    runs = run_all(QUICK_BUDGETS if args.quick else None, args.only)
    print(table(runs))
    if not args.no_plot:
        for path in plot(runs, args.out, dpi=40 if args.quick else 80):
            print(f"wrote {path}")
    print(f"{time.perf_counter() - start:.1f} s")
    return runs


if __name__ == "__main__":
    main()
