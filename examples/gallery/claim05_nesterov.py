"""Claim 5: Nesterov's excess error falls as O(1/k^2), gradient descent's as O(1/k) (seed 003 §4.2.3).

The problem is convex and smooth but not strongly convex: f(x) = 1/2 sum_i lambda_i x_i^2 with 2,000 curvatures
spread evenly in log scale over [1e-8, 1] (L = 1) and x_i(0) = 1, so f* = 0 and the error mass sits at every
scale of curvature. Then GD's error sum_i lambda_i (1 - lambda_i)^(2k)/2 ~ 1/(4k ln(1e8)) meets its O(1/k)
bound, and an accelerated method can only meet O(1/k^2). Both run with eps = 1/L; Nesterov's momentum
follows the usual schedule mu_k = k/(k + 3), written into the group's momentum before every step.

Run:  python examples/gallery/claim05_nesterov.py [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import optim

try:
    from . import _common
except ImportError:
    import _common

TITLE = "Nesterov O(1/k^2) against GD O(1/k) on a convex problem"
CLAIM = (
    "seed 003 §4.2.3 item 2: 'in the convex batch-gradient case Nesterov momentum improves the rate of the "
    "excess error from O(1/k) to O(1/k^2)'"
)
FIGURE = "claim05_nesterov.png"
DIM = 2000
LAMBDAS = np.logspace(-8, 0, DIM)


def errors(nesterov, steps):
    """f(x_k) - f* for k = 0..steps."""
    lam = tg.Tensor(LAMBDAS)
    x = tg.Tensor(np.ones(DIM), requires_grad=True)
    opt = optim.SGD([x], lr=1.0, momentum=0.5, nesterov=True) if nesterov else optim.GD([x], lr=1.0)
    out = np.empty(steps + 1)
    for k in range(steps + 1):
        opt.zero_grad()
        loss = 0.5 * (lam * x * x).sum()
        out[k] = loss.item()
        if k == steps:
            break
        loss.backward()
        if nesterov:
            opt.param_groups[0]["momentum"] = (k + 1) / (k + 4)
        opt.step()
    return out


def measure(quick=False):
    steps = 400 if quick else 3000
    gd, nag = errors(False, steps), errors(True, steps)
    k = np.unique(np.geomspace(40, steps, 40).astype(int))
    return {
        "steps": steps,
        "gd": gd,
        "nesterov": nag,
        "fit_range": (int(k[0]), int(k[-1])),
        "gd_slope": _common.loglog_slope(k, gd[k]),
        "nesterov_slope": _common.loglog_slope(k, nag[k]),
        "gd_times_k": float(gd[steps] * steps),
        "gd_times_k_theory": float(DIM / (4 * np.log(1e8))),  # (DIM / ln 1e8) modes per unit ln(lambda)
        "nesterov_times_k2": float(nag[steps] * steps**2),
        "nesterov_times_k2_half": float(nag[steps // 2] * (steps // 2) ** 2),
        "ratio_at_end": float(gd[steps] / nag[steps]),
    }


def judge(r):
    ok = abs(r["gd_slope"] + 1) < 0.1 and abs(r["nesterov_slope"] + 2) < 0.2
    why = (
        f"fitted between k = {r['fit_range'][0]} and {r['fit_range'][1]}, GD's error falls as "
        f"k^{r['gd_slope']:.2f} and Nesterov's as k^{r['nesterov_slope']:.2f}; after {r['steps']} steps "
        f"Nesterov's error is {r['ratio_at_end']:.0f}x smaller"
    )
    return ok, why


def rows(r):
    return [
        (
            "setting",
            f"f = 1/2 sum lambda_i x_i^2, {DIM} lambdas log-spaced in [1e-8, 1], x(0) = 1, eps = 1/L = 1, "
            "Nesterov mu_k = k/(k + 3)",
        ),
        ("log-log slope of f(x_k) - f*, GD", f"{r['gd_slope']:.3f} (bound: -1)"),
        ("log-log slope of f(x_k) - f*, Nesterov", f"{r['nesterov_slope']:.3f} (bound: -2)"),
        (
            f"k (f - f*) at k = {r['steps']}, GD",
            f"{r['gd_times_k']:.3f} (theory DIM/(4 ln 1e8) = {r['gd_times_k_theory']:.3f})",
        ),
        (
            f"k^2 (f - f*) at k = {r['steps']}, Nesterov",
            f"{r['nesterov_times_k2']:.1f} (at k/2: {r['nesterov_times_k2_half']:.1f}; constant = O(1/k^2))",
        ),
    ]


def plot(r, out):
    plt = _common.figure()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    k = np.arange(1, r["steps"] + 1)
    ax.loglog(k, r["gd"][1:], label=f"GD (slope {r['gd_slope']:.2f})")
    ax.loglog(k, r["nesterov"][1:], label=f"Nesterov (slope {r['nesterov_slope']:.2f})")
    ax.loglog(k, r["gd"][10] * 10 / k, "k:", lw=0.8, label="1/k")
    ax.loglog(k, r["nesterov"][10] * 100 / k**2, "k--", lw=0.8, label="1/k^2")
    ax.set(xlabel="step k", ylabel="f(x_k) - f*")
    ax.legend(fontsize=8)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
