"""Claim 11: the mini-batch gradient's standard deviation falls as sigma/sqrt(m) (seed 003 §3 item 3).

Softmax regression on the bundled digits' training split (1,257 images, 64 pixels -> 10 classes) at a fixed
weight. For each batch size m, many mini-batches are drawn with replacement; the spread of the mini-batch
gradient g_B around the full gradient g is measured as sqrt(E ||g_B - g||^2) (the root of the covariance's
trace). Theory: sigma^2/m exactly, with sigma^2 = (1/N) sum_i ||g_i - g||^2 from the per-example gradients.
Drawn without replacement the variance carries the finite-population factor (N - m)/(N - 1).

Run:  python examples/gallery/claim11_minibatch_std.py [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt.data import load_digits

try:
    from . import _common
except ImportError:
    import _common

TITLE = "Mini-batch gradient std falls as sigma/sqrt(m)"
CLAIM = (
    "seed 003 §3 item 3: 'the mean of n i.i.d. samples has standard deviation sigma/sqrt(n)', so using more "
    "samples to estimate the gradient pays off less than linearly"
)
FIGURE = "claim11_minibatch_std.png"


def setup():
    x, y = load_digits("train", dtype=np.float64)
    w = tg.Tensor(np.random.default_rng(0).normal(0, 0.1, (64, 10)), requires_grad=True)
    return x.numpy(), y.numpy(), w


def gradient(w, x, y, idx):
    w.grad = None
    F.cross_entropy(tg.Tensor(x[idx]) @ w, tg.Tensor(y[idx])).backward()
    return w.grad.numpy().ravel()


def measure(quick=False):
    x, y, w = setup()
    n = len(y)
    batches = 100 if quick else 600
    sizes = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256] + ([] if quick else [512, 1024]))
    full = gradient(w, x, y, np.arange(n))
    per_example = np.stack([gradient(w, x, y, [i]) for i in range(n)])
    sigma2 = float(((per_example - full) ** 2).sum(1).mean())
    rng = np.random.default_rng(1)
    r = {"n": n, "sizes": sizes, "batches": batches, "sigma": np.sqrt(sigma2)}
    for replace in (True, False):
        std, se = [], []
        for m in sizes:
            sq = np.array(
                [((gradient(w, x, y, rng.choice(n, m, replace=replace)) - full) ** 2).sum() for _ in range(batches)]
            )
            std.append(np.sqrt(sq.mean()))
            se.append(sq.std(ddof=1) / np.sqrt(batches) / (2 * np.sqrt(sq.mean())))  # delta method for the root
        key = "with" if replace else "without"
        r[f"std_{key}"], r[f"se_{key}"] = np.array(std), np.array(se)
    r["theory_with"] = np.sqrt(sigma2 / sizes)
    r["theory_without"] = np.sqrt(sigma2 / sizes * (n - sizes) / (n - 1))
    small = sizes <= 256  # where the finite-population factor is still above 0.8
    r["slope_with"] = _common.loglog_slope(sizes, r["std_with"])
    r["slope_without_small_m"] = _common.loglog_slope(sizes[small], r["std_without"][small])
    r["z_with"] = (r["std_with"] - r["theory_with"]) / r["se_with"]
    r["z_without"] = (r["std_without"] - r["theory_without"]) / r["se_without"]
    return r


def judge(r):
    ok = abs(r["slope_with"] + 0.5) < 0.05 and np.abs(r["z_with"]).max() < 5 and np.abs(r["z_without"]).max() < 5
    why = (
        f"with replacement the std falls as m^{r['slope_with']:.3f} over m = {r['sizes'][0]}..{r['sizes'][-1]}, within "
        f"{np.abs(r['z_with']).max():.1f} standard errors of sigma/sqrt(m) (sigma = {r['sigma']:.3f}) at every m; "
        "without replacement it follows sigma/sqrt(m) sqrt((N - m)/(N - 1)) within "
        f"{np.abs(r['z_without']).max():.1f} SE"
    )
    return ok, why


def rows(r):
    out = [
        (
            "setting",
            f"softmax regression on the digits train split (N = {r['n']}), fixed W, {r['batches']} batches per m",
        )
    ]
    out.append(("sigma (per-example gradient spread)", f"{r['sigma']:.4f}"))
    for i, m in enumerate(r["sizes"]):
        out.append(
            (
                f"m = {m}",
                f"std {r['std_with'][i]:.4f} (theory {r['theory_with'][i]:.4f}); without replacement "
                f"{r['std_without'][i]:.4f} (theory {r['theory_without'][i]:.4f})",
            )
        )
    out.append(
        (
            "log-log slope",
            f"{r['slope_with']:.4f} with replacement, {r['slope_without_small_m']:.4f} without (m <= 256)",
        )
    )
    return out


def plot(r, out):
    plt = _common.figure()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    m = r["sizes"]
    ax.loglog(m, r["std_with"], "o", label="with replacement")
    ax.loglog(m, r["std_without"], "s", mfc="none", label="without replacement")
    ax.loglog(m, r["theory_with"], "k-", lw=0.8, label="sigma/sqrt(m)")
    ax.loglog(m, r["theory_without"], "k--", lw=0.8, label="sigma/sqrt(m) sqrt((N-m)/(N-1))")
    ax.set(xlabel="batch size m", ylabel="sqrt(E||g_B - g||^2)")
    ax.legend(fontsize=8)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
