"""The Hessian spectrum of an MLP on the 8x8 digits shipped in the package, before and after training
(``tinygrad_opt.analysis``, docs/analysis.md).

Trains a 64-32-10 tanh MLP (float64) with plain SGD, θ ← θ − εg, recording ‖g‖ each step with
``GradientNormTracker``. Then, at the initial and the trained weights, on the loss over a fixed subset
of 512 training images (an HVP costs about a backward pass over them; ``--analysis-size`` changes it):
the top Hessian eigenvalues (Lanczos), λ_min and the condition number, the critical-point type from the
signs of the extreme eigenvalues (seed 000 "Hessian", seed 003 §2.3; neither point has ∇f = 0, so the
type is that of the curvature there and ‖∇f‖ is printed beside it), the Hutchinson trace, the spectral
density (stochastic Lanczos quadrature), and the second-order model of one more SGD step
f(θ − εg) ≈ f − εgᵀg + ½ε²gᵀHg with its optimal step ε* = gᵀg / gᵀHg (seed 003 §2.1).

Writes docs/img/hessian_spectrum.png. Needs matplotlib (``pip install tinygrad_opt[plot]``).

Run:  python examples/hessian_spectrum.py [--epochs 10] [--out docs/img] [--quick]     (2 s with OPENBLAS_NUM_THREADS=1)
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import analysis, nn
from tinygrad_opt.data import load_digits

DEFAULT_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img"))


def make_model(device=None):
    return nn.Sequential(
        nn.Linear(64, 32, dtype="float64", device=device), nn.Tanh(), nn.Linear(32, 10, dtype="float64", device=device)
    )


def full_loss(model, x, y):
    """loss_fn(params) for the analysis: the mean cross-entropy over (x, y). It reads the model's
    parameters, which are the tensors passed as ``params``."""
    return lambda params: F.cross_entropy(model(x), y)


def report(model, x, y, lr, seed):
    """The spectrum and the step model at the model's current weights, as a dict of numbers."""
    loss_fn, params = full_loss(model, x, y), list(model.parameters())
    top = analysis.hessian_eigenvalues(loss_fn, params, k=5, tol=1e-6, seed=seed)
    (lowest,) = analysis.hessian_eigenvalues(loss_fn, params, which="SA", tol=1e-6, max_iter=200, seed=seed)
    trace = analysis.hutchinson_trace(loss_fn, params, samples=100, seed=seed)
    grid, density = analysis.spectral_density(loss_fn, params, num_probes=5, lanczos_steps=60, seed=seed)
    g = tg.autodiff.grad(loss_fn(params), params)
    return {
        "loss": loss_fn(params).item(),
        "grad_norm": math.sqrt(sum(float((gi * gi).sum()) for gi in g)),
        # grad_tol=inf: classify the curvature where we are; at the default 1e-6 it raises NotCriticalPointError
        "type": analysis.classify_critical_point(loss_fn, params, grad_tol=math.inf, max_iter=200, seed=seed),
        "top": top,
        "lowest": lowest,
        "condition": analysis.condition_number(loss_fn, params, max_iter=200, seed=seed),
        "trace": trace,
        "slq_trace": np.trapezoid(grid * density, grid) * sum(p.numel() for p in params),
        "grid": grid,
        "density": density,
        "predicted": analysis.taylor_prediction(loss_fn, params, lr),
        "actual": loss_after_step(model, loss_fn, params, lr),
        "optimal_step": analysis.optimal_step(loss_fn, params),
    }


def loss_after_step(model, loss_fn, params, eps):
    """The true loss f(θ − εg) after one full-batch gradient step; the weights are put back after."""
    g = tg.autodiff.grad(loss_fn(params), params)
    saved = [p.detach().clone() for p in params]
    with tg.no_grad():
        for p, gi in zip(params, g):
            p.copy_(p - eps * gi)
        value = loss_fn(params).item()
        for p, s in zip(params, saved):
            p.copy_(s)
    return value


def train(model, x, y, epochs, batch_size, lr, seed, tracker, curvature_every=10):
    """Plain SGD; the tracker records ‖g‖ every step and the step model's terms on the mini-batch every
    ``curvature_every`` steps."""
    optimizer = tg.optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            measure = len(losses) % curvature_every == 0
            tracker.step(full_loss(model, x[idx], y[idx]) if measure else None)
            optimizer.step()
            losses.append(loss.item())
    return losses


def run(epochs=10, batch_size=32, lr=0.2, seed=0, analysis_size=512, out=None, verbose=True, device=None):
    device = tg.backend.parse_device(device)
    start = time.perf_counter()
    tg.manual_seed(seed)
    x, y = load_digits("train", dtype="float64", device=device)
    n_train = y.shape[0]
    order = tg.tensor(np.random.default_rng(seed).permutation(n_train)[:analysis_size], device=device)
    xa, ya = x[order], y[order]  # a fixed random subset of the training images
    model = make_model(device="cpu").to(device)
    n = model.num_parameters()
    before = report(model, xa, ya, lr, seed)
    tracker = analysis.GradientNormTracker(model.parameters(), lr=lr)
    losses = train(model, x, y, epochs, batch_size, lr, seed, tracker)
    after = report(model, xa, ya, lr, seed)
    seconds = time.perf_counter() - start
    if verbose:
        print(f"MLP 64-32-10 tanh, {n} parameters, {n_train} training images, SGD lr={lr}, {epochs} epochs")
        print(f"Hessian of the loss over {ya.shape[0]} training images:")
        for name, r in (("initial", before), ("trained", after)):
            print(
                f"{name}: loss {r['loss']:.4f}  |grad| {r['grad_norm']:.4f}  curvature type {r['type']}\n"
                f"  top-5 eigenvalues {np.array2string(r['top'], precision=4)}  "
                f"lambda_min {r['lowest']:.4g}  condition {r['condition']:.4g}\n"
                f"  trace: Hutchinson {r['trace'].estimate:.4f} +- {r['trace'].stderr:.4f}, SLQ {r['slq_trace']:.4f}\n"
                f"  one more step at eps={lr}: predicted {r['predicted']:.6f}, actual {r['actual']:.6f}; "
                f"optimal step eps* = {r['optimal_step']:.4g}"
            )
        h = {key: np.array(v) for key, v in tracker.history.items() if key != "param_grad_norms"}
        ratio = (h["second_order"] / h["first_order"])[~np.isnan(h["gHg"])]  # ½ε gᵀHg / gᵀg, every 10 steps
        print(
            f"mini-batch loss {np.mean(losses[:50]):.3f} -> {np.mean(losses[-50:]):.3f} (first / last 50 steps); "
            f"gradient norm {np.mean(h['grad_norm'][:50]):.3f} -> {np.mean(h['grad_norm'][-50:]):.3f}; "
            f"curvature term / linear term {np.mean(ratio[:5]):.3f} -> {np.mean(ratio[-5:]):.3f}"
        )
        print(f"{seconds:.1f} s")
    if out is not None:
        plot(before, after, losses, tracker.history["grad_norm"], os.path.join(out, "hessian_spectrum.png"))
    return {
        "before": before,
        "after": after,
        "losses": losses,
        "grad_norms": tracker.history["grad_norm"],
        "seconds": seconds,
    }


def plot(before, after, losses, grad_norms, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for r, name, color in ((before, "initial", "tab:gray"), (after, "trained", "tab:blue")):
        left.semilogy(r["grid"], np.maximum(r["density"], 1e-8), color=color, label=f"{name} weights")
    for i, lam in enumerate(after["top"]):
        left.axvline(lam, color="tab:red", lw=0.6, ls=":", label="trained: top-5 (Lanczos)" if i == 0 else None)
    left.set(xlabel="Hessian eigenvalue λ", ylabel="density ρ(λ) (SLQ)", ylim=(1e-6, None))
    left.set_title("Hessian spectral density (stochastic Lanczos quadrature)", fontsize=10)
    left.legend(fontsize=8)
    steps = np.arange(1, len(losses) + 1)
    (a,) = right.plot(steps, losses, color="tab:blue", lw=0.6, alpha=0.7, label="mini-batch loss")
    right.set(xlabel="SGD step", ylabel="loss")
    twin = right.twinx()
    (b,) = twin.plot(steps, grad_norms, color="tab:orange", lw=0.6, alpha=0.7, label="‖g‖ (GradientNormTracker)")
    twin.set_ylabel("gradient norm")
    right.set_title("training: loss and gradient norm (seed 003 §2.2)", fontsize=10)
    right.legend(handles=[a, b], fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--analysis-size", type=int, default=512, help="training images in the analysed loss")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: the default device)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="directory for the figure (default docs/img)")
    parser.add_argument("--quick", action="store_true", help="1 epoch, 128 analysed images, no figure")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.analysis_size = 1, 128
    return run(
        args.epochs,
        lr=args.lr,
        seed=args.seed,
        analysis_size=args.analysis_size,
        out=None if args.quick else args.out,
        device=args.device,
    )


if __name__ == "__main__":
    main()
