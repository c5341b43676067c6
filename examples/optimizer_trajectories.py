"""Every first-order optimizer of tinygrad_opt.optim on two test functions, plotted as trajectories.

    ravine      f = 0.1 x1² + 2 x2²             (seed 004: curvatures 0.2 and 4, condition number 20)
    Rosenbrock  f = (1 - x1)² + 100 (x2 - x1²)²  (a curved, flat-bottomed valley; minimum at (1, 1))

Writes docs/img/optim_ravine.png, docs/img/optim_rosenbrock.png (one panel per optimizer: contours and
the path) and docs/img/optim_loss_curves.png (loss against step, log scale). Needs matplotlib
(``pip install tinygrad_opt[plot]``).

Run:  python examples/optimizer_trajectories.py [--scale 1.0] [--out docs/img]     (about 30 s)
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import optim


def ravine(x):
    return 0.1 * x[0] ** 2 + 2 * x[1] ** 2


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


# name -> (class or factory, settings on the ravine, settings on Rosenbrock), chosen per problem by
# hand as a user would: the ravine's GD limit is lr < 2/4, Rosenbrock's curvature at the start is ~1e3.
OPTIMIZERS = {
    "GD": (optim.GD, {"lr": 0.4}, {"lr": 1e-3}),
    "SGD heavy ball (momentum 0.5)": (optim.SGD, {"lr": 0.4, "momentum": 0.5}, {"lr": 1e-3, "momentum": 0.5}),
    "SGD Nesterov (momentum 0.9)": (
        optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 6e-4, "momentum": 0.9, "nesterov": True},
    ),
    "Adagrad": (optim.Adagrad, {"lr": 0.8}, {"lr": 0.3}),
    "RMSprop": (optim.RMSprop, {"lr": 0.05}, {"lr": 3e-3}),
    "Adadelta": (optim.Adadelta, {"lr": 1.0, "eps": 1e-2}, {"lr": 0.3}),
    "Adam": (optim.Adam, {"lr": 0.2}, {"lr": 0.1}),
    "AMSGrad": (optim.Adam, {"lr": 0.2, "amsgrad": True}, {"lr": 0.1, "amsgrad": True}),
    "NAdam": (optim.NAdam, {"lr": 0.2}, {"lr": 0.03}),
    "RAdam": (optim.RAdam, {"lr": 0.2}, {"lr": 0.01}),
    "Adamax": (optim.Adamax, {"lr": 0.3}, {"lr": 0.1}),
    "Rprop": (optim.Rprop, {"lr": 0.1}, {"lr": 0.01}),
    "delta-bar-delta": (optim.DeltaBarDelta, {"lr": 0.1, "kappa": 0.01}, {"lr": 0.01, "kappa": 1e-3}),
    "ASGD": (optim.ASGD, {"lr": 0.4}, {"lr": 1e-3}),
    "SWATS (Adam then SGD)": (optim.SWATS, {"lr": 0.2, "switch_eps": 1e-5}, {"lr": 0.1, "switch_eps": 1e-5}),
    "Lookahead(SGD momentum 0.5)": (
        lambda p, **kw: optim.Lookahead(optim.SGD(p, momentum=0.5, **kw)),
        {"lr": 0.4},
        {"lr": 1e-3},
    ),
}

# name -> (f, start, plot window, steps)
PROBLEMS = {
    "ravine": (ravine, [-5.0, -2.0], (-5.5, 2.0, -2.5, 2.5), 100),
    "rosenbrock": (rosenbrock, [-1.5, 2.0], (-2.0, 2.0, -1.0, 3.0), 2000),
}


def trajectory(make, f, x0, steps):
    """The iterates and losses of ``steps`` optimizer steps from x0."""
    x = tg.Tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    opt = make([x])

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    path, losses = [x.numpy().copy()], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        path.append(x.numpy().copy())
    losses.append(float(f(x)))
    return np.array(path), np.array(losses)


def plot_problem(plt, name, scale, out):
    f, x0, (xa, xb, ya, yb), steps = PROBLEMS[name]
    steps = int(steps * scale)
    gx, gy = np.meshgrid(np.linspace(xa, xb, 300), np.linspace(ya, yb, 300))
    fz = f(np.stack([gx, gy]))
    cols = 4
    rows = -(-len(OPTIMIZERS) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.3 * rows), constrained_layout=True)
    curves = {}
    for ax, (label, (make, on_ravine, on_rosen)) in zip(axes.ravel(), OPTIMIZERS.items()):
        settings = on_ravine if name == "ravine" else on_rosen
        path, losses = trajectory(lambda p, make=make, kw=settings: make(p, **kw), f, x0, steps)
        curves[label] = losses
        levels = np.logspace(-2, np.log10(fz.max()), 15) if name == "rosenbrock" else 15
        ax.contour(gx, gy, fz, levels=levels, colors="0.75", linewidths=0.6)
        shown = path[np.all(np.isfinite(path), axis=1)]
        ax.plot(shown[:, 0], shown[:, 1], ".-", color="tab:red", ms=2.5, lw=0.8)
        ax.plot(*x0, "ko", ms=4)
        ax.plot(*((0, 0) if name == "ravine" else (1, 1)), "k*", ms=9)
        ax.set_xlim(xa, xb)
        ax.set_ylim(ya, yb)
        shown_settings = ", ".join(f"{k}={v:g}" for k, v in settings.items() if not isinstance(v, bool))
        ax.set_title(f"{label}\n{shown_settings}: f={losses[-1]:.2e}", fontsize=9)
    for ax in axes.ravel()[len(OPTIMIZERS) :]:
        ax.axis("off")
    title = "f = 0.1 x1² + 2 x2² (seed 004)" if name == "ravine" else "Rosenbrock (1 - x1)² + 100 (x2 - x1²)²"
    fig.suptitle(f"{title}: {steps} steps from {tuple(x0)}")
    path = os.path.join(out, f"optim_{name}.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path, curves


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the step counts (100 and 2000)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "img"))
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.out, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), constrained_layout=True)
    with np.errstate(all="ignore"):
        for ax, name in zip(axes, PROBLEMS):
            ax.set_prop_cycle(color=plt.cm.tab20(np.linspace(0, 1, len(OPTIMIZERS))))
            path, curves = plot_problem(plt, name, args.scale, args.out)
            print(f"wrote {path}")
            for label, losses in curves.items():
                ax.semilogy(np.maximum(losses, 1e-16), label=label, lw=1)
                print(f"  {name:10s} {label:30s} final f = {losses[-1]:.3e}")
            ax.set_title(name)
            ax.set_xlabel("step")
            ax.set_xscale("log")
            ax.set_ylabel("f - f*")
    axes[1].legend(fontsize=7, ncol=2)
    path = os.path.join(args.out, "optim_loss_curves.png")
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
