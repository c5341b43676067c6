"""Claim 7: conjugate gradients minimize an n-dimensional quadratic in n steps (seed 003 §7.2.4 item 3).

f(x) = 1/2 x^T A x - b^T x with A a random SPD matrix of condition number 100 (random eigenvectors; eigenvalues
evenly spaced in [1, 100], or log-spaced), for several n. ``ConjugateGradient(line_search_fn='exact')``
(Fletcher-Reeves, no gradient tolerance) runs n + 1 steps; ||g_k|| / ||g_0|| is recorded after every step. In
exact arithmetic g_n = 0. In floating point CG loses conjugacy, and with log-spaced eigenvalues that delays the
finish well past n (a known effect of rounding, reproduced by a textbook NumPy CG on the same matrices).

Run:  python examples/gallery/claim07_cg.py [--quick] [--out DIR]
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

TITLE = "CG solves an n-dimensional quadratic in n steps"
CLAIM = (
    "seed 003 §7.2.4 item 3: 'in theory, for a quadratic objective, n iterations are needed, n the number of "
    "parameters'"
)
FIGURE = "claim07_cg.png"
KAPPA = 100.0


SPECTRA = {"even": lambda n: np.linspace(1.0, KAPPA, n), "log": lambda n: np.logspace(0, np.log10(KAPPA), n)}


def quadratic(n, spectrum, seed):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    a = (q * SPECTRA[spectrum](n)) @ q.T
    return (a + a.T) / 2, rng.normal(size=n)


def run(n, spectrum, seed=0):
    """||g_k|| / ||g_0|| for k = 0..n+1 (one step past n, to show it stays at rounding level)."""
    a_np, b_np = quadratic(n, spectrum, seed)
    a, b = tg.Tensor(a_np), tg.Tensor(b_np)
    x = tg.Tensor(np.zeros(n), requires_grad=True)
    opt = optim.ConjugateGradient([x], line_search_fn="exact", tolerance_grad=0.0)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x * (a @ x)).sum() - (b * x).sum()
        loss.backward()
        return loss

    norms = []
    for _ in range(n + 2):
        norms.append(np.linalg.norm(a_np @ x.numpy() - b_np))
        if len(norms) == n + 2:
            break
        opt.step(closure)
    return np.array(norms) / norms[0]


def measure(quick=False):
    sizes = (2, 5, 10, 20) if quick else (2, 5, 10, 20, 50, 100)
    r = {"sizes": sizes}
    for spectrum in SPECTRA:
        runs = {n: run(n, spectrum) for n in sizes}
        r[spectrum] = {
            "norms": runs,
            "after_n": {n: float(v[n]) for n, v in runs.items()},
            "after_n_minus_1": {n: float(v[n - 1]) for n, v in runs.items()},
        }
    return r


def judge(r):
    even, log = r["even"], r["log"]
    ok = all(even["after_n"][n] < 1e-8 for n in r["sizes"])
    why = (
        f"with evenly spaced eigenvalues ||g_n||/||g_0|| <= {max(even['after_n'].values()):.1e} for n in "
        f"{list(r['sizes'])} (after n - 1 steps it is still {even['after_n_minus_1'][5]:.1e} for n = 5)"
    )
    late = [n for n in r["sizes"] if log["after_n"][n] >= 1e-8]
    if late:
        why += "; with log-spaced eigenvalues rounding delays the finish: ||g_n||/||g_0|| = " + ", ".join(
            f"{log['after_n'][n]:.1e} (n = {n})" for n in late
        )
    return ok, why


def rows(r):
    out = [("setting", f"random SPD A, condition number {KAPPA:g}, Fletcher-Reeves CG, exact line search, float64")]
    for spectrum in SPECTRA:
        v = r[spectrum]
        for n in r["sizes"]:
            out.append(
                (
                    f"{spectrum}-spaced eigenvalues, n = {n}",
                    f"||g_(n-1)||/||g_0|| = {v['after_n_minus_1'][n]:.2e}, ||g_n||/||g_0|| = {v['after_n'][n]:.2e}",
                )
            )
    return out


def plot(r, out):
    plt = _common.figure()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, spectrum in zip(axes, SPECTRA):
        for n, v in r[spectrum]["norms"].items():
            ax.semilogy(np.arange(len(v)) / n, v + 1e-300, ".-", ms=3, label=f"n = {n}")
        ax.axvline(1.0, color="0.5", lw=0.6, ls="--")
        ax.set(xlabel="step k / n", title=f"eigenvalues {spectrum}-spaced in [1, {KAPPA:g}]", ylim=(1e-17, 10))
    axes[0].set_ylabel("||g_k|| / ||g_0||")
    axes[0].legend(fontsize=8)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
