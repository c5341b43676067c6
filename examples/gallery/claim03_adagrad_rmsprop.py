"""Claim 3: AdaGrad's effective rate eps/(delta + sqrt(r)) decays to 0; RMSProp's stays bounded (seed 003 §5.3.2).

The rate is read off the optimizers as |d theta| / |g| per coordinate while they are fed a gradient stream:
a constant gradient c = g^2 (the seed's derivation: AdaGrad r = tau c, RMSProp r = c (1 - rho^tau)) and a
stationary random stream g ~ N(0.5, 1) per coordinate (AdaGrad's r grows like tau E[g^2]; RMSProp's r
fluctuates around E[g^2]).

Run:  python examples/gallery/claim03_adagrad_rmsprop.py [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np

from tinygrad_opt import optim

try:
    from . import _common
except ImportError:
    import _common

TITLE = "AdaGrad's effective rate decays to 0, RMSProp's stays bounded"
CLAIM = (
    "seed 003 §5.3.2: for a constant gradient AdaGrad's rate eps/(delta + sqrt(tau c)) falls from "
    "eps/(delta + sqrt(c)) to 0, while RMSProp's eps/(delta + sqrt(c (1 - rho^tau))) only falls to the "
    "'larger asymptote' eps/(delta + sqrt(c))"
)
FIGURE = "claim03_adagrad_rmsprop.png"
LR, RHO, DIM = 0.01, 0.99, 256


def rates(make, stream, steps):
    """Effective per-coordinate rate |d theta_i / g_i| at every step, averaged over coordinates."""
    grads = np.stack([stream(t) for t in range(steps)])
    return np.mean(np.abs(_common.updates(make, lambda t: grads[t], steps, DIM) / grads), axis=1)


def measure(quick=False):
    steps = 2000 if quick else 20000
    c = 4.0  # constant gradient g = 2 in every coordinate
    rng = np.random.default_rng(0)
    noise = rng.normal(0.5, 1.0, (steps, DIM))
    adagrad = lambda ps: optim.Adagrad(ps, lr=LR, eps=1e-10)  # noqa: E731
    rmsprop = lambda ps: optim.RMSprop(ps, lr=LR, alpha=RHO, eps=1e-8)  # noqa: E731
    tau = np.arange(1, steps + 1)
    r = {
        "steps": steps,
        "tau": tau,
        "adagrad_const": rates(adagrad, lambda t: np.full(DIM, 2.0), steps),
        "rmsprop_const": rates(rmsprop, lambda t: np.full(DIM, 2.0), steps),
        "adagrad_random": rates(adagrad, lambda t: noise[t], steps),
        "rmsprop_random": rates(rmsprop, lambda t: noise[t], steps),
        "adagrad_const_theory": LR / (1e-10 + np.sqrt(tau * c)),
        "rmsprop_const_theory": LR / (1e-8 + np.sqrt(c * (1 - RHO**tau))),
        "rmsprop_asymptote": LR / (1e-8 + np.sqrt(c)),
        "rmsprop_random_asymptote": LR / np.sqrt(1.25),  # E[g^2] = 0.5^2 + 1
    }
    late = slice(steps // 10, None)
    r["adagrad_const_slope"] = _common.loglog_slope(tau[late], r["adagrad_const"][late])
    r["adagrad_random_slope"] = _common.loglog_slope(tau[late], r["adagrad_random"][late])
    r["adagrad_const_max_rel_error"] = float(np.max(np.abs(r["adagrad_const"] / r["adagrad_const_theory"] - 1)))
    r["rmsprop_const_max_rel_error"] = float(np.max(np.abs(r["rmsprop_const"] / r["rmsprop_const_theory"] - 1)))
    r["adagrad_final_ratio"] = float(r["adagrad_const"][-1] / r["adagrad_const"][0])
    r["rmsprop_final_over_asymptote"] = float(r["rmsprop_const"][-1] / r["rmsprop_asymptote"])
    r["rmsprop_random_late_min_over_asymptote"] = float(r["rmsprop_random"][late].min() / r["rmsprop_random_asymptote"])
    r["adagrad_random_final"] = float(r["adagrad_random"][-1])
    return r


def judge(r):
    ok = (
        abs(r["adagrad_const_slope"] + 0.5) < 0.01
        and abs(r["adagrad_random_slope"] + 0.5) < 0.05
        and abs(r["rmsprop_final_over_asymptote"] - 1) < 1e-6
        and r["rmsprop_random_late_min_over_asymptote"] > 0.5
    )
    why = (
        f"AdaGrad's rate falls as tau^{r['adagrad_const_slope']:.3f} (constant g) and tau^"
        f"{r['adagrad_random_slope']:.3f} (random g), to {r['adagrad_final_ratio']:.4f} of its first value after "
        f"{r['steps']} steps; RMSProp's settles at {r['rmsprop_final_over_asymptote']:.6f} x eps/(delta + sqrt(c)) "
        f"and on the random stream never drops below {r['rmsprop_random_late_min_over_asymptote']:.2f} x "
        "eps/sqrt(E g^2)"
    )
    return ok, why


def rows(r):
    return [
        ("setting", f"lr eps = {LR}, RMSProp rho = {RHO}, {DIM} coordinates, {r['steps']} steps"),
        (
            "constant g = 2: largest relative error against the seed's closed forms",
            f"AdaGrad {r['adagrad_const_max_rel_error']:.1e}, RMSProp {r['rmsprop_const_max_rel_error']:.1e}",
        ),
        (
            "AdaGrad rate ~ tau^p, p",
            f"{r['adagrad_const_slope']:.4f} (constant), {r['adagrad_random_slope']:.4f} (random); theory -0.5",
        ),
        (
            "AdaGrad final rate / first rate",
            f"{r['adagrad_final_ratio']:.5f} (theory 1/sqrt(tau) = {1 / np.sqrt(r['steps']):.5f})",
        ),
        ("RMSProp final rate / eps/(delta + sqrt(c))", f"{r['rmsprop_final_over_asymptote']:.8f}"),
        (
            "RMSProp random stream: smallest late rate / eps/sqrt(E g^2)",
            f"{r['rmsprop_random_late_min_over_asymptote']:.3f}",
        ),
    ]


def plot(r, out):
    plt = _common.figure()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    tau = r["tau"]
    ax.loglog(tau, r["adagrad_const"], label="AdaGrad, constant g")
    ax.loglog(tau, r["adagrad_random"], label="AdaGrad, random g", alpha=0.7)
    ax.loglog(tau, r["rmsprop_const"], label="RMSProp, constant g")
    ax.loglog(tau, r["rmsprop_random"], label="RMSProp, random g", alpha=0.7)
    ax.loglog(tau, r["adagrad_const_theory"], "k:", lw=0.8, label="eps/sqrt(tau c)")
    ax.set(xlabel="step tau", ylabel="effective rate |d theta / g|")
    ax.legend(fontsize=7)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
