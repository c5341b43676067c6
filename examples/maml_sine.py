"""Few-shot sine-wave regression (Finn et al. 2017, §5.1) with second-order MAML, first-order MAML and
Reptile (``tinygrad_opt.strategies``, docs/strategies.md), against a network pretrained on all tasks.

A task is y = A sin(x − φ) with amplitude A ~ U[0.1, 5], phase φ ~ U[0, π], x ~ U[−5, 5]; a learner sees
K = 10 points of a new task and takes SGD steps (α = 0.01) from the meta-learned initialization of a
1-40-40-1 ReLU MLP. Reported: the mean squared error on 100 points of held-out tasks after 0, 1 and 10
adaptation steps. Writes docs/img/maml_sine.png.

Run:  python examples/maml_sine.py [--iterations 2000] [--out docs/img]    (about 1 min; ``--quick``: 10 s)
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.nn import functional as F
from tinygrad_opt.strategies import adapt, maml_step, reptile_step

K = 10  # shots per task
ALPHA = 0.01  # inner (adaptation) learning rate
STEPS = 10  # adaptation steps at evaluation


def sample_task(rng):
    """(amplitude, phase) of one sine task."""
    return rng.uniform(0.1, 5.0), rng.uniform(0.0, math.pi)


def task_points(rng, task, n):
    amplitude, phase = task
    x = rng.uniform(-5.0, 5.0, size=(n, 1)).astype(np.float32)
    return tg.tensor(x), tg.tensor((amplitude * np.sin(x - phase)).astype(np.float32))


def make_model(seed):
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1))


def train(method, iterations, meta_batch, seed):
    """Meta-train (or, for 'pretrained', plainly train on pooled tasks) one model; returns it."""
    rng = np.random.default_rng(seed)
    model = make_model(seed)
    opt = tg.optim.Adam(model.parameters(), lr=1e-3)
    for it in range(iterations):
        tasks = [task_points(rng, sample_task(rng), 2 * K) for _ in range(meta_batch)]
        tasks = [(x[:K], y[:K], x[K:], y[K:]) for x, y in tasks]
        if method == "MAML":
            maml_step(model, tasks, F.mse_loss, opt, ALPHA, 1)
        elif method == "first-order MAML":
            maml_step(model, tasks, F.mse_loss, opt, ALPHA, 1, first_order=True)
        elif method == "Reptile":  # ε annealed linearly from 1 to 0 (Nichol et al.); 5 inner steps of 2K points
            pooled = [(tg.cat([xs, xq]), tg.cat([ys, yq])) for xs, ys, xq, yq in tasks]
            reptile_step(model, pooled, F.mse_loss, 0.02, 5, outer_lr=1.0 - it / iterations)
        else:  # pretrained: one regression model for all tasks at once
            x, y = (
                tg.cat([t[0] for t in tasks] + [t[2] for t in tasks]),
                tg.cat([t[1] for t in tasks] + [t[3] for t in tasks]),
            )
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()
    return model


def evaluate(model, tasks):
    """Mean query MSE over the tasks after 0..STEPS SGD steps (α = ALPHA) on each task's K shots."""
    curves = np.zeros((len(tasks), STEPS + 1))
    for i, (xs, ys, xq, yq) in enumerate(tasks):
        phi = {n: p.detach() for n, p in model.named_parameters()}
        for s in range(STEPS + 1):
            with tg.no_grad():
                curves[i, s] = F.mse_loss(nn.functional_call(model, phi, (xq,)), yq).item()
            if s < STEPS:
                phi = {n: p.detach() for n, p in adapt(model, xs, ys, F.mse_loss, ALPHA, params=phi).items()}
    return curves.mean(0)


def held_out_tasks(n, seed):
    rng = np.random.default_rng(seed)
    tasks = []
    for _ in range(n):
        task = sample_task(rng)
        xs, ys = task_points(rng, task, K)
        xq = np.linspace(-5, 5, 100, dtype=np.float32)[:, None]
        tasks.append((xs, ys, tg.tensor(xq), tg.tensor((task[0] * np.sin(xq - task[1])).astype(np.float32))))
    return tasks


def plot(results, models, task, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for name, curve in results.items():
        ax1.plot(range(STEPS + 1), curve, marker="o", label=name)
    ax1.set(xlabel="SGD steps on the K = 10 shots", ylabel="MSE on held-out tasks", yscale="log")
    ax1.set_title("post-adaptation error")
    ax1.legend()
    xs, ys, xq, yq = task
    ax2.plot(xq.numpy(), yq.numpy(), "k", lw=2, label="true")
    ax2.plot(xs.numpy(), ys.numpy(), "k^", label="K = 10 shots")
    for name in ("MAML", "pretrained"):
        phi = adapt(models[name], xs, ys, F.mse_loss, ALPHA, STEPS, first_order=True)
        with tg.no_grad():
            ax2.plot(xq.numpy(), nn.functional_call(models[name], phi, (xq,)).numpy(), "--", label=f"{name}, 10 steps")
    ax2.set_title("one held-out task")
    ax2.legend(fontsize=8)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000, help="meta-iterations per method")
    parser.add_argument("--meta-batch", type=int, default=10, help="tasks per meta-iteration")
    parser.add_argument("--eval-tasks", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a short run (smoke test)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img"))
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations, args.eval_tasks = 200, 20
    tasks = held_out_tasks(args.eval_tasks, seed=12345)
    results, models = {}, {}
    for method in ("MAML", "first-order MAML", "Reptile", "pretrained"):
        start = time.perf_counter()
        models[method] = train(method, args.iterations, args.meta_batch, args.seed)
        results[method] = evaluate(models[method], tasks)
        c = results[method]
        print(
            f"{method:17s} MSE after 0/1/10 steps: {c[0]:.3f} / {c[1]:.3f} / {c[10]:.3f}   "
            f"({time.perf_counter() - start:.1f} s)"
        )
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "maml_sine.png")
    plot(results, models, tasks[0], path)
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
