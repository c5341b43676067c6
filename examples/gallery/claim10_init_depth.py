"""Claim 10: Xavier (tanh) and Kaiming (ReLU) initialization keep the activation variance through depth;
naive N(0, 1) and N(0, 0.01^2) weights make it explode or vanish (seed 000 "Initialization", seed 003 §9.1).

1,000 N(0, 1) inputs go through a bias-free stack of width 256; the variance of each layer's pre-activation
h_l = W_l a_{l-1} is recorded. Theory for the naive inits: Var(h_{l+1}) = n sigma^2 E[phi(h_l)^2], so N(0, 1)
with ReLU multiplies the variance by n/2 = 128 per layer and N(0, 0.01^2) with tanh (linear regime) by
n 1e-4 = 0.0256. Xavier as the seed writes it (gain 1) is run beside PyTorch's tanh gain 5/3.

Run:  python examples/gallery/claim10_init_depth.py [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt.nn import init

try:
    from . import _common
except ImportError:
    import _common

TITLE = "Xavier/Kaiming keep the activation variance through depth"
CLAIM = (
    "seed 000 'Initialization': Xavier keeps 'the variance of each layer's input and output signal the same, so the "
    "signal neither diverges nor decays through the network' (for tanh/sigmoid); Kaiming's sqrt(2) compensates "
    "ReLU halving the variance"
)
FIGURE = "claim10_init_depth.png"
WIDTH = 256
SCHEMES = {
    "Xavier gain 1 (seed), tanh": (lambda w: init.xavier_normal_(w), "tanh"),
    "Xavier gain 5/3, tanh": (lambda w: init.xavier_normal_(w, gain=5 / 3), "tanh"),
    "Kaiming normal, ReLU": (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), "relu"),
    "N(0, 1), ReLU": (lambda w: init.normal_(w, 0.0, 1.0), "relu"),
    "N(0, 0.01^2), tanh": (lambda w: init.normal_(w, 0.0, 0.01), "tanh"),
}


def variances(fill, activation, depth, samples, seed=0):
    """Var(h_l) for l = 1..depth."""
    tg.manual_seed(seed)
    a = tg.Tensor(np.random.default_rng(seed).normal(size=(samples, WIDTH)))
    out = []
    with tg.no_grad():
        for _ in range(depth):
            w = fill(tg.zeros(WIDTH, WIDTH, dtype=np.float64))
            h = a @ w.T
            out.append(float(h.numpy().var()))
            a = h.tanh() if activation == "tanh" else h.relu()
    return np.array(out)


def measure(quick=False):
    depth, samples = (20, 200) if quick else (50, 1000)
    r = {"depth": depth, "samples": samples, "var": {}}
    for name, (fill, act) in SCHEMES.items():
        r["var"][name] = variances(fill, act, depth, samples)
    rel = {name: v / v[1] for name, v in r["var"].items()}  # relative to layer 2, the first after a nonlinearity
    r["relative"] = rel
    # geometric mean growth per layer from layer 2 on; for the naive inits over the first 10 layers (before
    # tanh saturates or float64 overflows matter)
    r["growth_per_layer"] = {name: float((v[-1] / v[1]) ** (1 / (depth - 2))) for name, v in r["var"].items()}
    for name in ("N(0, 1), ReLU", "N(0, 0.01^2), tanh"):
        r["growth_per_layer"][name] = float((r["var"][name][9] / r["var"][name][1]) ** (1 / 8))
    r["growth_theory"] = {"N(0, 1), ReLU": WIDTH / 2, "N(0, 0.01^2), tanh": WIDTH * 1e-4}
    r["range"] = {name: (float(v[1:].min()), float(v[1:].max())) for name, v in rel.items()}
    return r


def judge(r):
    keep = ("Xavier gain 5/3, tanh", "Kaiming normal, ReLU")
    # a finite width makes log Var a random walk (about 5/n per layer for ReLU, Hanin & Rolnick 2018), so the
    # test is on the average growth per layer: |log factor| < 0.1 is 3 standard errors at depth 20, width 256
    ok = all(abs(np.log(r["growth_per_layer"][k])) < 0.1 for k in keep)
    ok = ok and r["relative"]["N(0, 1), ReLU"][-1] > 1e30 and r["relative"]["N(0, 0.01^2), tanh"][-1] < 1e-20
    seed_xavier = r["relative"]["Xavier gain 1 (seed), tanh"][-1]
    why = (
        f"the variance changes by x{r['growth_per_layer']['Kaiming normal, ReLU']:.3f} per layer for Kaiming/ReLU and "
        f"x{r['growth_per_layer']['Xavier gain 5/3, tanh']:.3f} for Xavier gain 5/3/tanh (over {r['depth']} layers "
        f"Var(h_l)/Var(h_2) stays in [{r['range']['Kaiming normal, ReLU'][0]:.2f}, "
        f"{r['range']['Kaiming normal, ReLU'][1]:.2f}] for Kaiming/ReLU and "
        f"[{r['range']['Xavier gain 5/3, tanh'][0]:.2f}, "
        f"{r['range']['Xavier gain 5/3, tanh'][1]:.2f}]), while N(0, 1)/ReLU grows "
        f"x{r['growth_per_layer']['N(0, 1), ReLU']:.0f} per layer and N(0, 0.01^2)/tanh shrinks "
        f"x{r['growth_per_layer']['N(0, 0.01^2), tanh']:.4f}; Xavier with the seed's gain 1 and tanh drifts down "
        f"slowly, not exponentially (to {seed_xavier:.2f} of layer 2 at layer {r['depth']}: tanh's q -> q - 2q^2 map)"
    )
    return ok, why


def rows(r):
    out = [("setting", f"width {WIDTH}, depth {r['depth']}, {r['samples']} N(0, 1) inputs, no bias, float64")]
    for name, v in r["relative"].items():
        theory = r["growth_theory"].get(name)
        extra = f", growth per layer {r['growth_per_layer'][name]:.4g}" + (f" (theory {theory:.4g})" if theory else "")
        out.append(
            (
                name,
                f"Var(h_l)/Var(h_2) in [{r['range'][name][0]:.3g}, {r['range'][name][1]:.3g}], at layer "
                f"{r['depth']} {v[-1]:.3g}{extra}",
            )
        )
    return out


def plot(r, out):
    plt = _common.figure()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, v in r["relative"].items():
        ax.semilogy(np.arange(1, r["depth"] + 1), v, label=name)
    ax.set(xlabel="layer l", ylabel="Var(h_l) / Var(h_2)", ylim=(1e-40, 1e40))
    ax.legend(fontsize=7)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
