"""Claim 9: BN degrades at small batch sizes while GN does not (seed 003 §10.2.4), in miniature.

The seed's table (ResNet-50 on ImageNet, validation error %, from the GroupNorm paper):
batch 32/16/8/4/2: BN 23.6/23.7/24.8/27.3/34.7, GN 24.1/24.2/24.0/24.2/24.1. Here: a small CNN
(conv 1->16, norm, ReLU, pool, conv 16->32, norm, ReLU, pool, linear 128->10) on the bundled 8x8 digits,
BatchNorm2d or GroupNorm(4 groups), trained for the same number of epochs at every batch size with SGD
(momentum 0.9) and the linear scaling rule lr = 0.1 * m/32, as in the GroupNorm paper; test error on the
360-image test split (BN evaluates with its running statistics). Mean over seeds.

Run:  python examples/gallery/claim09_bn_gn_batch.py [--quick] [--out DIR]     (about a minute in full)
"""

from __future__ import annotations

import sys

import numpy as np

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import nn, optim
from tinygrad_opt.data import load_digits

try:
    from . import _common
except ImportError:
    import _common

TITLE = "BN degrades at small batch sizes while GN does not"
CLAIM = (
    "seed 003 §10.2.4: 'BN is easily affected by the batch size, GN is not'; ResNet-50/ImageNet validation error "
    "for batch 32/16/8/4/2: BN 23.6/23.7/24.8/27.3/34.7 %, GN 24.1/24.2/24.0/24.2/24.1 %"
)
FIGURE = "claim09_bn_gn_batch.png"
SEED_TABLE = {"BN": [23.6, 23.7, 24.8, 27.3, 34.7], "GN": [24.1, 24.2, 24.0, 24.2, 24.1]}
BATCHES = (32, 16, 8, 4, 2)
TEST_IMAGES = 360


def make_model(norm):
    layer = (lambda c: nn.BatchNorm2d(c)) if norm == "BN" else (lambda c: nn.GroupNorm(4, c))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), layer(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), layer(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10),
    )  # fmt: skip


def test_error(norm, batch, epochs, seed, data):
    """Train one model; its test error in %."""
    (xtr, ytr), (xte, yte) = data
    tg.manual_seed(seed)
    model = make_model(norm)
    opt = optim.SGD(model.parameters(), lr=0.1 * batch / 32, momentum=0.9)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(ytr))
        for i in range(0, len(order) - batch + 1, batch):  # drop the last partial batch (BN needs 2+ values)
            idx = order[i : i + batch]
            opt.zero_grad()
            F.cross_entropy(model(tg.Tensor(xtr[idx])), tg.Tensor(ytr[idx])).backward()
            opt.step()
    model.eval()
    with tg.no_grad():
        pred = model(tg.Tensor(xte)).numpy().argmax(1)
    return 100.0 * float((pred != yte).mean())


def measure(quick=False):
    x, y = load_digits("train")
    xt, yt = load_digits("test")
    data = ((x.numpy().reshape(-1, 1, 8, 8), y.numpy()), (xt.numpy().reshape(-1, 1, 8, 8), yt.numpy()))
    batches, epochs, seeds = ((32, 8), 1, (0,)) if quick else (BATCHES, 3, (0, 1))
    r = {"batches": batches, "epochs": epochs, "seeds": seeds}
    for norm in ("BN", "GN"):
        errs = np.array([[test_error(norm, m, epochs, s, data) for s in seeds] for m in batches])
        r[norm], r[f"{norm}_all"] = errs.mean(1), errs
    r["BN_degradation"] = float(r["BN"][-1] - r["BN"][0])
    r["GN_degradation"] = float(r["GN"][-1] - r["GN"][0])
    r["GN_minus_BN_at_smallest"] = float(r["GN"][-1] - r["BN"][-1])
    return r


def change_se(errors, runs):
    """Binomial standard error (in %) of the difference between the last and first mean test error."""
    p = np.asarray(errors)[[0, -1]] / 100
    return 100 * float(np.sqrt((p * (1 - p)).sum() / (TEST_IMAGES * runs)))


def judge(r):
    runs = len(r["seeds"])
    bn_se, gn_se = change_se(r["BN"], runs), change_se(r["GN"], runs)
    bn_degrades = r["BN_degradation"] > 2 * bn_se
    gn_flat = abs(r["GN_degradation"]) < 2 * gn_se or r["GN_degradation"] < 0
    ok = bn_degrades and gn_flat
    m0, m1 = r["batches"][0], r["batches"][-1]
    why = (
        f"from batch {m0} to {m1} BN's test error goes {r['BN'][0]:.1f}% -> {r['BN'][-1]:.1f}% "
        f"(change {r['BN_degradation']:+.1f} +- {bn_se:.1f}) and GN's {r['GN'][0]:.1f}% -> {r['GN'][-1]:.1f}% "
        f"(change {r['GN_degradation']:+.1f} +- {gn_se:.1f}; +- one binomial standard error)"
    )
    if not bn_degrades:
        why += "; in this miniature BN does not get worse at small batches"
    return ok, why


def rows(r):
    out = [
        (
            "setting",
            f"small CNN on the 8x8 digits, {r['epochs']} epochs per run, SGD momentum 0.9, lr = 0.1 m/32, "
            f"seeds {list(r['seeds'])}, error on the 360 test images",
        )
    ]
    out.append(("batch size", " / ".join(str(m) for m in r["batches"])))
    for norm in ("BN", "GN"):
        out.append((f"{norm} test error % (ours, mean)", " / ".join(f"{e:.1f}" for e in r[norm])))
        per_seed = ", ".join("/".join(f"{e:.1f}" for e in col) for col in r[f"{norm}_all"].T)
        out.append((f"{norm} test error % (ours, per seed)", per_seed))
        out.append(
            (f"{norm} validation error % (seed, ResNet-50/ImageNet)", " / ".join(f"{e:.1f}" for e in SEED_TABLE[norm]))
        )
    return out


def plot(r, out):
    plt = _common.figure()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for norm in ("BN", "GN"):
        ax1.plot(r["batches"], r[norm], "o-", label=f"{norm} (ours)")
        ax2.plot(BATCHES, SEED_TABLE[norm], "o-", label=f"{norm} (seed table)")
    for ax, title in ((ax1, "small CNN, 8x8 digits: test error %"), (ax2, "ResNet-50, ImageNet: val error % (seed)")):
        ax.set_xscale("log", base=2)
        ax.invert_xaxis()
        ax.set(xlabel="batch size", title=title)
        ax.legend(fontsize=8)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
