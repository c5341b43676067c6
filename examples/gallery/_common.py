"""Shared helpers of the claims gallery: the command line, the printed report, log-log slopes, figures."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "img" / "gallery"


def parse_args(argv, description):
    """``--quick`` (the small run the tests use) and ``--out`` (the figure's folder)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="the small, fast run that the tests assert")
    parser.add_argument("--out", default=str(FIGURES), help=f"folder for the figure (default {FIGURES})")
    return parser.parse_args(argv)


def updates(make_optimizer, stream, steps, dim):
    """Feed ``make_optimizer([p])`` the gradients ``stream(t)`` for ``steps`` steps (``p.grad`` set directly,
    no loss needed); returns the parameter updates d theta, shape (steps, dim)."""
    import tinygrad_opt as tg

    p = tg.Tensor(np.zeros(dim), requires_grad=True)
    opt = make_optimizer([p])
    out, before = np.empty((steps, dim)), p.numpy().copy()
    for t in range(steps):
        p.grad = tg.Tensor(stream(t))
        opt.step()
        after = p.numpy().copy()
        out[t], before = after - before, after
    return out


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x: the exponent p of y ~ x^p."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def verdict(agrees: bool, why: str) -> str:
    """The verdict line: "agrees" or "does not agree: <why>"."""
    return f"agrees: {why}" if agrees else f"does not agree: {why}"


def run_claim(module, quick, out):
    """Measure, judge, print and plot one claim module; returns (numbers, agrees, why, seconds)."""
    import time

    start = time.perf_counter()
    r = module.measure(quick=quick)
    agrees, why = module.judge(r)
    seconds = time.perf_counter() - start
    report(module.TITLE, module.CLAIM, module.rows(r), verdict(agrees, why))
    print(f"figure: {module.plot(r, out)}  (measured in {seconds:.1f} s)", flush=True)
    return r, agrees, why, seconds


def report(title, claim, rows, verdict_line):
    """Print the seed's claim, the measured numbers (``rows``: (label, value) pairs) and the verdict."""
    print(f"== {title}")
    print(f"seed: {claim}")
    for label, value in rows:
        print(f"  {label}: {value}")
    print(f"verdict: {verdict_line}")


def figure():
    """A fresh matplotlib figure on the file-only Agg backend (imported here so ``measure`` needs no plotting)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, out, name) -> Path:
    """Save ``fig`` as ``out/name`` (folders created) and close it; returns the path."""
    path = Path(out) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    fig.canvas.figure.clf()
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
