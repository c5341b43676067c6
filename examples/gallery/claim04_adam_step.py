"""Claim 4: Adam's step is about eps (the learning rate) for a constant gradient, whatever its size (seed 003 §5.4.2).

With a constant g the bias-corrected moments are s_hat = g and r_hat = g^2 exactly, so
|d theta| = eps |g| / (|g| + delta): eps to within delta/|g|. The measurement feeds Adam constant gradients
spanning nine orders of magnitude and reads |d theta| / eps at every step, beside SGD's step eps |g| and the
shrinking steps of AdaGrad and RMSProp on the same stream.

Run:  python examples/gallery/claim04_adam_step.py [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np

from tinygrad_opt import optim

try:
    from . import _common
except ImportError:
    import _common

TITLE = "Adam's step is about eps for constant gradients"
CLAIM = (
    "seed 003 §5.4.2: with a constant gradient, s_hat = g and r_hat = g^2, so d theta = -eps g/(sqrt(g^2) + delta) "
    "~ eps: 'whatever the size of the gradient, Adam's step is almost exactly eps', while AdaGrad's and "
    "RMSProp's steps shrink over time"
)
FIGURE = "claim04_adam_step.png"
GRADS = np.array([1e-4, 1e-2, 1.0, 1e2, 1e4])
LRS = (1e-3, 1e-2, 1e-1)


def steps_of(make, g, steps):
    """|d theta| of every step for the constant gradient vector ``g``, shape (steps, len(g))."""
    return np.abs(_common.updates(make, lambda t: g, steps, len(g)))


def measure(quick=False):
    steps = 200 if quick else 2000
    r = {"steps": steps, "grads": GRADS, "lrs": LRS, "adam_ratio": {}}
    for lr in LRS:
        r["adam_ratio"][lr] = steps_of(lambda ps, lr=lr: optim.Adam(ps, lr=lr), GRADS, steps) / lr
    lr = LRS[1]
    r["sgd_ratio"] = steps_of(lambda ps: optim.SGD(ps, lr=lr), GRADS, steps) / lr
    r["adagrad_ratio"] = steps_of(lambda ps: optim.Adagrad(ps, lr=lr), GRADS, steps) / lr
    r["rmsprop_ratio"] = steps_of(lambda ps: optim.RMSprop(ps, lr=lr), GRADS, steps) / lr
    theory = GRADS / (GRADS + 1e-8)  # eps |g| / (|g| + delta) over eps, Adam's default delta = 1e-8
    r["adam_max_dev_from_1"] = max(float(np.abs(v - 1).max()) for v in r["adam_ratio"].values())
    r["adam_max_dev_from_theory"] = max(float(np.abs(v / theory - 1).max()) for v in r["adam_ratio"].values())
    r["sgd_ratio_span"] = (float(r["sgd_ratio"][0].min()), float(r["sgd_ratio"][0].max()))
    r["adagrad_final"] = float(r["adagrad_ratio"][-1, 2])
    r["rmsprop_final"] = float(r["rmsprop_ratio"][-1, 2])
    r["rmsprop_first"] = float(r["rmsprop_ratio"][0, 2])
    return r


def judge(r):
    ok = r["adam_max_dev_from_1"] < 1e-3 and r["adam_max_dev_from_theory"] < 1e-9
    why = (
        f"|d theta|/eps stays within {r['adam_max_dev_from_1']:.1e} of 1 at every step for |g| from "
        f"{GRADS[0]:g} to {GRADS[-1]:g} and eps in {list(LRS)} (SGD's step/eps spans "
        f"{r['sgd_ratio_span'][0]:g}..{r['sgd_ratio_span'][1]:g})"
    )
    return ok, why


def rows(r):
    return [
        (
            "setting",
            f"constant gradients |g| in {', '.join(f'{g:g}' for g in GRADS)}, "
            f"Adam defaults (betas 0.9, 0.999, delta 1e-8), {r['steps']} steps",
        ),
        (
            "Adam: max over steps, |g|, eps of | |d theta|/eps - 1 |",
            f"{r['adam_max_dev_from_1']:.2e} (largest at |g| = 1e-4: delta/|g| = 1e-4)",
        ),
        ("Adam: max deviation from eps |g|/(|g| + delta)", f"{r['adam_max_dev_from_theory']:.1e}"),
        ("SGD: |d theta|/eps", f"= |g|, from {r['sgd_ratio_span'][0]:g} to {r['sgd_ratio_span'][1]:g}"),
        (
            "|g| = 1: AdaGrad |d theta|/eps at the last step",
            f"{r['adagrad_final']:.4f} (1/sqrt(tau) = {1 / np.sqrt(r['steps']):.4f})",
        ),
        (
            "|g| = 1: RMSProp |d theta|/eps, first and last step",
            f"{r['rmsprop_first']:.3f} -> {r['rmsprop_final']:.4f} (1/sqrt(1 - rho) = 10 -> 1)",
        ),
    ]


def plot(r, out):
    plt = _common.figure()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    t = np.arange(1, r["steps"] + 1)
    for j, g in enumerate(GRADS):
        ax.loglog(t, r["adam_ratio"][LRS[1]][:, j], label=f"Adam, |g| = {g:g}")
    ax.loglog(t, r["adagrad_ratio"][:, 2], "--", label="AdaGrad, |g| = 1")
    ax.loglog(t, r["rmsprop_ratio"][:, 2], ":", label="RMSProp, |g| = 1")
    ax.set(xlabel="step", ylabel="|d theta| / eps", title=f"constant gradients, eps = {LRS[1]}")
    ax.legend(fontsize=7)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
