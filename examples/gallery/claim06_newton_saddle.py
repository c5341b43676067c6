"""Claim 6: Newton's method jumps to a saddle; damping (H + alpha I) fixes it (seed 003 §6.1.2).

f(x, y) = x^2/2 + y^4/4 - y^2/2 has a saddle at (0, 0) (Hessian diag(1, -1)) and minima at (0, +-1) with
f = -1/4. Where 3y^2 < 1 the Hessian is indefinite and the Newton step -H^-1 g points at the saddle in y.
Undamped Newton from (0.2, 0.3) climbs to the saddle; with alpha = 2 > |lambda_min| it descends to a minimum.
The end points are classified from the Hessian by ``tinygrad_opt.analysis.classify_critical_point``.

Run:  python examples/gallery/claim06_newton_saddle.py [--quick] [--out DIR]
"""

from __future__ import annotations

import sys

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import analysis, optim

try:
    from . import _common
except ImportError:
    import _common

TITLE = "Newton jumps to a saddle; damping fixes it"
CLAIM = (
    "seed 003 §6.1.2 item 2-3: near a saddle 'Newton's method moves the parameters towards the saddle, the wrong "
    "direction'; the fix is the regularized Hessian, theta <- theta - [H + alpha I]^-1 g"
)
FIGURE = "claim06_newton_saddle.png"
START, DAMPING = (0.2, 0.3), 2.0


def f(p):
    return 0.5 * p[0] ** 2 + 0.25 * p[1] ** 4 - 0.5 * p[1] ** 2


def run(damping, steps):
    """Iterates and losses of Newton(damping) from START; the end point's gradient norm and type."""
    p = tg.Tensor(np.array(START), requires_grad=True)
    opt = optim.Newton([p], damping=damping)

    def closure():
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    path, losses = [p.numpy().copy()], [f(p).item()]
    for _ in range(steps):
        opt.step(closure)
        path.append(p.numpy().copy())
        losses.append(f(p).item())
    loss_fn = lambda params: f(params[0])  # noqa: E731
    grad_norm = float(np.linalg.norm(analysis.hvp_operator(loss_fn, [p]).grad[0].numpy()))
    kind = analysis.classify_critical_point(loss_fn, [p], grad_tol=1e-8)
    eig = analysis.hessian_eigenvalues(loss_fn, [p], k=2, which="LA")
    return {"path": np.array(path), "losses": np.array(losses), "grad_norm": grad_norm, "type": kind, "eigs": eig}


def measure(quick=False):
    steps = 60
    plain, damped = run(0.0, steps), run(DAMPING, steps)
    return {"steps": steps, "undamped": plain, "damped": damped}


def judge(r):
    u, d = r["undamped"], r["damped"]
    ok = u["type"] == "saddle" and d["type"] == "minimum" and u["losses"][-1] > u["losses"][0]
    ok = ok and bool(np.all(np.diff(d["losses"]) <= 1e-15))
    why = (
        f"undamped Newton ends at {np.round(u['path'][-1], 12).tolist()} with f rising from {u['losses'][0]:.4f} "
        f"to {u['losses'][-1]:.4f}, a '{u['type']}' (Hessian eigenvalues {np.round(u['eigs'], 6).tolist()}); "
        f"with alpha = {DAMPING} f falls monotonically to {d['losses'][-1]:.6f} at a '{d['type']}'"
    )
    return ok, why


def rows(r):
    out = [("setting", f"f = x^2/2 + y^4/4 - y^2/2 from {START}; Newton lr = 1, damping 0 and {DAMPING}")]
    for name in ("undamped", "damped"):
        v = r[name]
        out.append((f"{name}: end point after {r['steps']} steps", f"{np.round(v['path'][-1], 10).tolist()}"))
        out.append((f"{name}: f start -> end", f"{v['losses'][0]:.6f} -> {v['losses'][-1]:.6f}"))
        out.append(
            (
                f"{name}: ||grad|| at the end, type, Hessian eigenvalues",
                f"{v['grad_norm']:.1e}, {v['type']}, {np.round(v['eigs'], 6).tolist()}",
            )
        )
    return out


def plot(r, out):
    plt = _common.figure()
    fig, ax = plt.subplots(figsize=(6, 4))
    gx, gy = np.meshgrid(np.linspace(-0.6, 0.6, 200), np.linspace(-1.3, 1.3, 200))
    ax.contour(gx, gy, 0.5 * gx**2 + 0.25 * gy**4 - 0.5 * gy**2, levels=25, colors="0.8", linewidths=0.6)
    for name, style in (("undamped", "o-"), ("damped", "s-")):
        path = r[name]["path"]
        ax.plot(path[:, 0], path[:, 1], style, ms=3, lw=0.9, label=f"{name} -> {r[name]['type']}")
    ax.plot([0], [0], "kx", ms=9, label="saddle (0, 0)")
    ax.set(xlabel="x", ylabel="y", title="Newton on x^2/2 + y^4/4 - y^2/2")
    ax.legend(fontsize=8)
    return _common.save(fig, out, FIGURE)


def main(argv=None):
    """Measure, print the seed's claim beside the numbers and the verdict, save the figure; returns the numbers."""
    args = _common.parse_args(argv, TITLE)
    return _common.run_claim(sys.modules[__name__], args.quick, args.out)[0]


if __name__ == "__main__":
    main()
