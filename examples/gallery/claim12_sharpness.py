"""Claim 12: large batches end in sharper minima than small ones (seed 003 §3.1; Keskar et al., 2017).

The same MLP (64 -> 32 tanh -> 10) on the bundled digits' training split, from the same initial weights, is
trained with SGD at the same learning rate with small batches and with the full batch, each until the
training loss falls below the same target. Sharpness is the largest eigenvalue of the Hessian of the full
training loss at the end point, by Lanczos on Hessian-vector products
(``tinygrad_opt.analysis.hessian_eigenvalues``).

Run:  python examples/gallery/claim12_sharpness.py [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import analysis, nn, optim
from tinygrad_opt.data import load_digits

try:
    from . import _common
except ImportError:
    import _common

TITLE = "Large-batch training ends in sharper minima (top Hessian eigenvalue)"
CLAIM = (
    "seed 003 §3.1: larger batches give 'more accurate gradient estimates and less gradient noise; the noise is "
    "then too weak to push the parameters out of the basin of a sharp minimum', so generalization worsens "
    "(Keskar et al.: large-batch methods converge to sharp minimizers)"
)
FIGURE = "claim12_sharpness.png"
LR = 0.5


def train(batch, target, max_epochs, seed=0):
    """Train until the full training loss < target (checked after every step); returns the per-epoch loss
    curve, the epochs begun, the final loss, the sharpness and the test error."""
    x, y = load_digits("train", dtype=np.float64)
    xt, yt = load_digits("test", dtype=np.float64)
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 32, dtype=np.float64), nn.Tanh(), nn.Linear(32, 10, dtype=np.float64))
    opt = optim.SGD(model.parameters(), lr=LR)
    rng = np.random.default_rng(seed)
    n = len(y.numpy())
    full_loss = lambda: F.cross_entropy(model(x), y)  # noqa: E731
    curve, epoch, done = [], 0, False
    while epoch < max_epochs and not done:
        order = rng.permutation(n)
        for i in range(0, n, batch):
            idx = tg.Tensor(order[i : i + batch])
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            with tg.no_grad():
                loss = full_loss().item()
            if loss < target:  # stop at the same loss level, whatever the batch size
                done = True
                break
        epoch += 1
        curve.append(loss)
    params = list(model.parameters())
    top = analysis.hessian_eigenvalues(lambda ps: full_loss(), params, k=1)[0]
    with tg.no_grad():
        test_err = 100.0 * float((model(xt).numpy().argmax(1) != yt.numpy()).mean())
    return {
        "curve": np.array(curve),
        "epochs": epoch,
        "loss": curve[-1],
        "sharpness": float(top),
        "test_error": test_err,
    }


def measure(quick=False):
    target, small, seeds = (0.5, 32, (0,)) if quick else (0.1, 16, (0, 1))
    r = {"target": target, "small_batch": small, "large_batch": 1257, "seeds": seeds}
    for name, batch, cap in (("small", small, 400), ("large", 1257, 20000)):
        runs = [train(batch, target, cap, seed) for seed in seeds]
        r[name] = runs
        r[f"{name}_sharpness"] = np.array([v["sharpness"] for v in runs])
        r[f"{name}_loss"] = np.array([v["loss"] for v in runs])
        r[f"{name}_epochs"] = np.array([v["epochs"] for v in runs])
        r[f"{name}_test_error"] = np.array([v["test_error"] for v in runs])
    r["ratio"] = float(r["large_sharpness"].mean() / r["small_sharpness"].mean())
    return r


def judge(r):
    reached = bool((r["small_loss"] < r["target"]).all() and (r["large_loss"] < r["target"]).all())
    ok = reached and bool(r["large_sharpness"].min() > r["small_sharpness"].max())
    why = (
        f"at training loss < {r['target']}, the top Hessian eigenvalue is {r['large_sharpness'].mean():.2f} after "
        f"full-batch training and {r['small_sharpness'].mean():.2f} after batch-{r['small_batch']} training "
        f"({r['ratio']:.1f}x; seeds {list(r['seeds'])}, every large-batch run sharper than every small-batch run: "
        f"{bool(r['large_sharpness'].min() > r['small_sharpness'].max())})"
    )
    return ok, why


def rows(r):
    out = [
        (
            "setting",
            f"MLP 64-32-10 tanh, SGD lr {LR}, train until the full training loss < {r['target']}, "
            f"seeds {list(r['seeds'])}",
        )
    ]
    for name in ("small", "large"):
        batch = r["small_batch"] if name == "small" else r["large_batch"]
        out.append((f"batch {batch}: top Hessian eigenvalue", ", ".join(f"{v:.3f}" for v in r[f"{name}_sharpness"])))
        out.append(
            (
                f"batch {batch}: epochs, final training loss, test error %",
                ", ".join(
                    f"({e}, {loss:.4f}, {t:.1f})"
                    for e, loss, t in zip(r[f"{name}_epochs"], r[f"{name}_loss"], r[f"{name}_test_error"])
                ),
            )
        )
    return out


def plot(r, out):
    plt = _common.figure()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name in ("small", "large"):
        batch = r["small_batch"] if name == "small" else r["large_batch"]
        for i, run in enumerate(r[name]):
            ax1.semilogy(
                np.arange(1, len(run["curve"]) + 1),
                run["curve"],
                color="C0" if name == "small" else "C1",
                label=f"batch {batch}" if i == 0 else None,
            )
        ax2.plot([batch] * len(r["seeds"]), r[f"{name}_sharpness"], "o", color="C0" if name == "small" else "C1")
    ax1.set(xlabel="epoch", ylabel="training loss", xscale="log")
    ax1.legend(fontsize=8)
    ax2.set(xscale="log", xlabel="batch size", ylabel="top Hessian eigenvalue at the end")
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
