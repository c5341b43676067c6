"""Claim 2: plain gradient descent stalls at a saddle; gradient noise or momentum escapes (seed 000, seed 004).

On f = x^2 - y^2 the saddle (0, 0) attracts along x and repels along y: gradient descent multiplies x by
1 - 2 lr and y by 1 + 2 lr. From a start on the stable axis (y = 0 exactly) GD converges to the saddle and
stays; a start 1e-8 off the axis leaves only after log(1e8)/log(1 + 2 lr) steps. Gradient noise kicks y
off the axis at once; heavy ball grows y by the larger root of z^2 - (1 + alpha + 2 lr) z + alpha.

Run:  python examples/gallery/claim02_saddle.py [--quick] [--out DIR]
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

TITLE = "Plain GD stalls at a saddle; noise or momentum escapes"
CLAIM = (
    "seed 000 (Ch.3): standard gradient descent 'stops wherever the gradient is zero' and cannot tell a saddle "
    "from a minimum; momentum, stochasticity and second-order methods are the remedies. Seed 004: SGD 'slows "
    "to 0 at a saddle and cannot leave the plateau'; momentum's inertia 'makes it more likely to leave'"
)
FIGURE = "claim02_saddle.png"
LR, ALPHA, NOISE, ESCAPE = 0.1, 0.9, 1e-3, 1.0


def run(start, steps, momentum=0.0, noise=0.0, seed=0):
    """Iterates of SGD on x^2 - y^2; ``noise`` adds N(0, noise^2) to every gradient component."""
    rng = np.random.default_rng(seed)
    p = tg.Tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = optim.SGD([p], lr=LR, momentum=momentum)
    path = [p.numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        (p[0] ** 2 - p[1] ** 2).backward()
        if noise:
            p.grad = p.grad + tg.Tensor(rng.normal(0.0, noise, 2))
        opt.step()
        path.append(p.numpy().copy())
        if np.linalg.norm(path[-1]) > 1e3:  # far gone: the rest is divergence along -y
            break
    return np.array(path)


def escape_step(path):
    """First step with distance from the saddle > ESCAPE (None if it never leaves)."""
    hits = np.flatnonzero(np.linalg.norm(path, axis=1) > ESCAPE)
    return int(hits[0]) if len(hits) else None


def measure(quick=False):
    steps = 150 if quick else 300
    runs = {
        ("GD", "on axis"): run((1.0, 0.0), steps),
        ("momentum", "on axis"): run((1.0, 0.0), steps, momentum=ALPHA),
        ("GD + noise", "on axis"): run((1.0, 0.0), steps, noise=NOISE),
        ("GD", "1e-8 off"): run((1.0, 1e-8), steps),
        ("momentum", "1e-8 off"): run((1.0, 1e-8), steps, momentum=ALPHA),
    }
    out = {"steps": steps, "paths": {f"{m}, {s}": p for (m, s), p in runs.items()}}
    for (method, start), path in runs.items():
        key = f"{method}, {start}"
        out[f"final distance: {key}"] = float(np.linalg.norm(path[-1]))
        out[f"escape step: {key}"] = escape_step(path)
    out["gd_growth_theory"] = 1 + 2 * LR
    out["hb_growth_theory"] = float(((1 + ALPHA + 2 * LR) + np.sqrt((1 + ALPHA + 2 * LR) ** 2 - 4 * ALPHA)) / 2)
    return out


def judge(r):
    gd_stalls = r["final distance: GD, on axis"] < 1e-6
    noise_escapes = r["escape step: GD + noise, on axis"] is not None
    hb_on_axis = r["escape step: momentum, on axis"]
    gd_off, hb_off = r["escape step: GD, 1e-8 off"], r["escape step: momentum, 1e-8 off"]
    hb_faster = gd_off is not None and hb_off is not None and hb_off < gd_off
    ok = gd_stalls and noise_escapes and hb_faster
    why = (
        f"from the stable axis GD ends {r['final distance: GD, on axis']:.1e} from the saddle after "
        f"{r['steps']} steps while gradient noise (std {NOISE:g}) escapes at step "
        f"{r['escape step: GD + noise, on axis']}; momentum escapes a 1e-8 offset at step {hb_off} against GD's "
        f"{gd_off}"
    )
    if hb_on_axis is None:
        why += " (but from exactly on the axis momentum converges to the saddle just as GD does: no gradient, no push)"
    return ok, why


def rows(r):
    rows_ = [
        ("setting", f"lr = {LR}, heavy ball alpha = {ALPHA}, noise std {NOISE:g}, escaped = distance > {ESCAPE:g}")
    ]
    for key in r["paths"]:
        rows_.append(
            (
                key,
                f"distance after {len(r['paths'][key]) - 1} steps {r[f'final distance: {key}']:.3g}, "
                f"escape step {r[f'escape step: {key}']}",
            )
        )
    rows_.append(
        ("growth of y per step (theory)", f"GD {r['gd_growth_theory']:.3f}, heavy ball {r['hb_growth_theory']:.3f}")
    )
    return rows_


def plot(r, out):
    plt = _common.figure()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for key, path in r["paths"].items():
        ax.semilogy(np.linalg.norm(path, axis=1) + 1e-300, label=key)
    ax.axhline(ESCAPE, color="0.5", lw=0.6, ls="--")
    ax.set(
        xlabel="step",
        ylabel="distance from the saddle",
        title="f = x^2 - y^2 from (1, 0) or (1, 1e-8)",
        ylim=(1e-20, 1e3),
    )
    ax.legend(fontsize=7)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
