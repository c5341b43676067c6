"""Claim 8: batch normalization is invariant to the scale of the weights before it (seed 003 §10.1.5 item 4).

h = x W^T, then BatchNorm1d. With W~ = a W the normalized output is the same, the gradient with respect to
the input x is the same, and the gradient with respect to W is divided by a. Exact with eps = 0; with the
default eps = 1e-5 the identity holds up to eps / Var(h), which matters only for small a.

Run:  python examples/gallery/claim08_bn_scale.py [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn

try:
    from . import _common
except ImportError:
    import _common

TITLE = "BN is invariant to weight scale"
CLAIM = (
    "seed 003 §10.1.5 item 4: for W~ = lambda W the BN output h^<1> is unchanged, grad_x L is unchanged "
    "('weight scaling does not affect the gradient flow') and dh/dW~ = (1/lambda) dh/dW: 'the larger the weight, "
    "the smaller its gradient'"
)
FIGURE = "claim08_bn_scale.png"
SCALES = (1e-3, 1e-2, 0.1, 0.5, 2.0, 10.0, 100.0, 1e3)


def forward_backward(w, x, probe, eps):
    """BN(x W^T) with a fixed weighted-sum loss; returns (output, dL/dx, dL/dW)."""
    xt, wt = tg.Tensor(x, requires_grad=True), tg.Tensor(w, requires_grad=True)
    bn = nn.BatchNorm1d(w.shape[0], eps=eps, dtype=np.float64)
    out = bn(xt @ wt.T)
    (out * tg.Tensor(probe)).sum().backward()
    return out.numpy(), xt.grad.numpy(), wt.grad.numpy()


def measure(quick=False):
    rng = np.random.default_rng(0)
    n, d_in, d_out = (32, 10, 6) if quick else (256, 64, 32)
    x, w, probe = rng.normal(size=(n, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=(n, d_out))
    r = {"scales": SCALES, "shape": (n, d_in, d_out)}
    for eps in (0.0, 1e-5):
        y1, gx1, gw1 = forward_backward(w, x, probe, eps)
        out_err, gx_err, gw_err = [], [], []
        for a in SCALES:
            ya, gxa, gwa = forward_backward(a * w, x, probe, eps)
            out_err.append(np.abs(ya - y1).max() / np.abs(y1).max())
            gx_err.append(np.abs(gxa - gx1).max() / np.abs(gx1).max())
            gw_err.append(np.abs(a * gwa - gw1).max() / np.abs(gw1).max())
        r[eps] = {"output": np.array(out_err), "grad_x": np.array(gx_err), "a_grad_w": np.array(gw_err)}
    ratios, gw1 = [], forward_backward(w, x, probe, 0.0)[2]
    for a in SCALES:
        gwa = forward_backward(a * w, x, probe, 0.0)[2]
        ratios.append(np.linalg.norm(gwa) / np.linalg.norm(gw1))
    r["grad_w_norm_ratio"] = np.array(ratios)
    r["worst_exact"] = float(max(r[0.0][k].max() for k in ("output", "grad_x", "a_grad_w")))
    r["worst_default_eps"] = float(max(r[1e-5][k].max() for k in ("output", "grad_x", "a_grad_w")))
    return r


def judge(r):
    slope = _common.loglog_slope(r["scales"], r["grad_w_norm_ratio"])
    ok = r["worst_exact"] < 1e-9 and abs(slope + 1) < 1e-9
    why = (
        f"for a from {SCALES[0]:g} to {SCALES[-1]:g} (eps = 0) the output, grad_x and a * grad_W agree with a = 1 "
        f"to {r['worst_exact']:.1e} relative, and ||grad_W|| ~ a^{slope:.6f}; with the default eps = 1e-5 the "
        f"largest relative change is {r['worst_default_eps']:.1e} (at a = {SCALES[0]:g}, where a^2 Var(h) is "
        "comparable to eps)"
    )
    return ok, why


def rows(r):
    out = [("setting", f"Linear (no bias) -> BatchNorm1d, batch x in x out = {r['shape']}, float64")]
    for eps in (0.0, 1e-5):
        v = r[eps]
        out.append(
            (
                f"eps = {eps:g}: max relative change of output / grad_x / a * grad_W over a",
                f"{v['output'].max():.1e} / {v['grad_x'].max():.1e} / {v['a_grad_w'].max():.1e}",
            )
        )
    out.append(
        (
            "||grad_W(a)|| / ||grad_W(1)||",
            ", ".join(f"a={a:g}: {q:.4g}" for a, q in zip(SCALES, r["grad_w_norm_ratio"])),
        )
    )
    return out


def plot(r, out):
    plt = _common.figure()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    a = np.array(r["scales"])
    ax1.loglog(a, r["grad_w_norm_ratio"], "o-", label="||grad_W(a)|| / ||grad_W(1)||")
    ax1.loglog(a, 1 / a, "k:", label="1/a")
    ax1.set(xlabel="weight scale a")
    ax1.legend(fontsize=8)
    for eps, style in ((0.0, "o-"), (1e-5, "s--")):
        ax2.loglog(a, r[eps]["output"] + 1e-18, style, label=f"output change, eps={eps:g}")
    ax2.set(xlabel="weight scale a", ylabel="max relative change vs a = 1")
    ax2.legend(fontsize=8)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
