"""Claim 1: momentum damps the oscillation across a ravine (seed 004's f = 0.1 x1^2 + 2 x2^2; seed 003 §4.2.1).

Gradient descent with a step near the steep direction's limit 2/lambda_max = 0.5 bounces across the
ravine: x2 is multiplied by 1 - 4 lr every step. Heavy ball (v <- alpha v - lr g, theta <- theta + v)
multiplies the steep coordinate's envelope by sqrt(alpha) instead (complex roots of
z^2 - (1 + alpha - lr lambda) z + alpha), so the bouncing dies out faster, and the shallow coordinate
moves faster too.

Run:  python examples/gallery/claim01_ravine.py [--quick] [--out DIR]
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

TITLE = "Momentum damps oscillation across a ravine"
CLAIM = (
    "seed 003 §4.2.1 item 6 / seed 004: without momentum the iterates 'waste a lot of time oscillating widely' "
    "across an ill-conditioned quadratic; with momentum the velocity across the valley cancels and the "
    "oscillation is small"
)
FIGURE = "claim01_ravine.png"
LAMBDAS = np.array([0.2, 4.0])  # Hessian of 0.1 x1^2 + 2 x2^2
LR, ALPHA, START, TOL = 0.45, 0.5, (-5.0, -2.0), 1e-3


def run(momentum, steps):
    """Iterates of SGD(lr=LR, momentum) on the ravine from START, shape (steps + 1, 2)."""
    x = tg.Tensor(np.array(START), requires_grad=True)
    opt = optim.SGD([x], lr=LR, momentum=momentum)
    path = [x.numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        (0.1 * x[0] ** 2 + 2 * x[1] ** 2).backward()
        opt.step()
        path.append(x.numpy().copy())
    return np.array(path)


def envelope_rate(x2, start, stop):
    """Per-step decay of the oscillation's envelope: (max|x2| over the late window / over the early one)^(1/gap)."""
    early, late = np.abs(x2[start : start + 10]).max(), np.abs(x2[stop : stop + 10]).max()
    return float((late / early) ** (1.0 / (stop - start)))


def steps_to(path, tol):
    """First step after which ||x|| stays below ``tol`` (len(path) if never)."""
    above = np.flatnonzero(np.linalg.norm(path, axis=1) >= tol)
    return int(above[-1] + 1) if len(above) else 0


def measure(quick=False):
    steps = 120 if quick else 200
    gd, hb = run(0.0, steps), run(ALPHA, steps)
    lr_lam = LR * LAMBDAS[1]
    return {
        "lr": LR,
        "alpha": ALPHA,
        "steps": steps,
        "gd_envelope_rate": envelope_rate(gd[:, 1], 0, 20),
        "hb_envelope_rate": envelope_rate(hb[:, 1], 0, 20),
        "gd_envelope_theory": abs(1 - lr_lam),
        "hb_envelope_theory": float(np.sqrt(ALPHA)),
        "gd_x2_path_length": float(np.abs(np.diff(gd[:, 1])).sum()),
        "hb_x2_path_length": float(np.abs(np.diff(hb[:, 1])).sum()),
        "gd_steps_to_tol": steps_to(gd, TOL),
        "hb_steps_to_tol": steps_to(hb, TOL),
        "gd_path": gd,
        "hb_path": hb,
    }


def judge(r):
    ok = r["hb_envelope_rate"] < r["gd_envelope_rate"] and r["hb_steps_to_tol"] < r["gd_steps_to_tol"]
    why = (
        f"the steep coordinate's oscillation shrinks by {r['hb_envelope_rate']:.3f}/step with momentum "
        f"against {r['gd_envelope_rate']:.3f}/step without; ||x|| < {TOL:g} after {r['hb_steps_to_tol']} "
        f"steps against {r['gd_steps_to_tol']}"
    )
    return ok, why


def rows(r):
    return [
        ("setting", f"lr = {LR} (2/lambda_max = 0.5), heavy ball alpha = {ALPHA}, start {START}"),
        (
            "x2 envelope per step, GD",
            f"{r['gd_envelope_rate']:.4f} (theory |1 - 4 lr| = {r['gd_envelope_theory']:.4f})",
        ),
        (
            "x2 envelope per step, heavy ball",
            f"{r['hb_envelope_rate']:.4f} (theory sqrt(alpha) = {r['hb_envelope_theory']:.4f})",
        ),
        (
            "distance travelled across the ravine (sum |dx2|)",
            f"GD {r['gd_x2_path_length']:.2f}, heavy ball {r['hb_x2_path_length']:.2f}",
        ),
        (f"steps until ||x|| < {TOL:g}", f"GD {r['gd_steps_to_tol']}, heavy ball {r['hb_steps_to_tol']}"),
    ]


def plot(r, out):
    plt = _common.figure()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    g1, g2 = np.meshgrid(np.linspace(-5.5, 1, 200), np.linspace(-2.5, 2.5, 200))
    ax1.contour(g1, g2, 0.1 * g1**2 + 2 * g2**2, levels=20, colors="0.8", linewidths=0.6)
    for path, label in ((r["gd_path"][:40], "GD"), (r["hb_path"][:40], f"heavy ball alpha={ALPHA}")):
        ax1.plot(path[:, 0], path[:, 1], ".-", lw=0.8, ms=3, label=label)
    ax1.set(xlabel="x1", ylabel="x2", title=f"first 40 steps, lr={LR}")
    ax1.legend(fontsize=8)
    k = np.arange(len(r["gd_path"]))
    ax2.semilogy(k, np.abs(r["gd_path"][:, 1]) + 1e-300, label="GD |x2|")
    ax2.semilogy(k, np.abs(r["hb_path"][:, 1]) + 1e-300, label="heavy ball |x2|")
    ax2.set(xlabel="step", ylabel="|x2| (steep coordinate)", ylim=(1e-12, 10))
    ax2.legend(fontsize=8)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
