"""Command-line entry point: ``tinygrad-opt`` (or ``python -m tinygrad_opt``).

With no arguments it runs the built-in default job: the autodiff tour on the seed's worked examples
(gradient, Jacobian, Hessian, HVP in both modes, stable softmax), each result next to its closed form,
then trains an MLP on scikit-learn's real handwritten digits (SGD + Nesterov, cosine schedule).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import tinygrad_opt as tg


def _demo_autodiff(out):
    x, y = tg.tensor(3.0, dtype="float64"), tg.tensor(2.0, dtype="float64")
    gx, gy = tg.grad(lambda a, b: a**2 + 2 * a * b + b**3, argnums=(0, 1))(x, y)
    out(f"grad of x^2 + 2xy + y^3 at (3, 2): ({gx.item():g}, {gy.item():g})   closed form (10, 18)")

    def f3(v):
        return tg.stack([v[0] ** 2 + 5 * v[1], 3 * v[0] * v[1].sin(), v[0] ** 2 * v[1]])

    p = tg.tensor([1.0, 2.0], dtype="float64")
    jr, jf = tg.jacobian(f3, mode="rev")(p), tg.jacobian(f3, mode="fwd")(p)
    closed = np.array([[2, 5], [3 * np.sin(2), 3 * np.cos(2)], [4, 1]])  # row 3: (2 x1 x2, x1^2)
    out(
        f"Jacobian of the R^2 -> R^3 example at (1, 2), rev == fwd == closed form: "
        f"{np.allclose(jr.numpy(), closed) and np.allclose(jf.numpy(), closed)}"
    )
    out(f"{jr.numpy().round(4)}")

    def rosen(v):
        return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2

    h = tg.hessian(rosen)(p)
    v = tg.tensor([1.0, -1.0], dtype="float64")
    fr, rr = tg.hvp(rosen, p, v), tg.hvp(rosen, p, v, mode="rev-rev")
    out(f"Rosenbrock Hessian at (1, 2):\n{h.numpy()}")
    out(f"HVP fwd-rev {fr.numpy()} == rev-rev {rr.numpy()} == H v {h.numpy() @ v.numpy()}")
    s = tg.tensor([1000.0, 990.0, 980.0]).softmax()
    out(f"softmax([1000, 990, 980]) = {s.numpy()} (finite, sums to {s.sum().item():.6f})")


def _digits():
    """scikit-learn's 8x8 handwritten digits (real images shipped inside the package), split 80/20."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(x))
    cut = int(0.8 * len(x))
    return x[order[:cut]], d.target[order[:cut]], x[order[cut:]], d.target[order[cut:]]


def _demo_training(out, epochs):
    """MLP 64-128-10 on the digits: cross-entropy, SGD with Nesterov momentum, cosine LR schedule."""
    from tinygrad_opt import nn, optim

    try:
        x_train, y_train, x_test, y_test = _digits()
    except ImportError:
        out("scikit-learn is missing: `pip install 'tinygrad_opt[examples]'` for the digits demo")
        return None
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    batches = -(-len(x_train) // 64)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * batches)
    rng = np.random.default_rng(0)
    x_train, y_train, x_test = tg.tensor(x_train), tg.tensor(y_train), tg.tensor(x_test)  # on the device once
    for epoch in range(1, epochs + 1):
        order, total = rng.permutation(len(x_train)), 0.0
        for i in range(0, len(order), 64):
            idx = order[i : i + 64]
            loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total = total + loss.detach() * len(idx)  # summed on the device: no sync inside the epoch
        with tg.no_grad():
            acc = float((model(x_test).numpy().argmax(1) == y_test).mean())
        total = total.item()
        lr = sched.get_last_lr()[0]
        out(f"epoch {epoch:2d}  train loss {total / len(order):.4f}  test accuracy {acc:.3f}  lr {lr:.4f}")
    return acc


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tinygrad-opt", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs of the digits MLP")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: $TINYGRAD_OPT_DEVICE or cpu)")
    args = parser.parse_args(argv)
    if args.device:
        try:
            tg.set_default_device(args.device)
        except tg.DeviceError as exc:  # unknown device, or CUDA without CuPy/GPU: one line, exit 2
            parser.error(f"--device: {exc}")
    out = print
    out(f"tinygrad_opt {tg.__version__} on {tg.get_default_device()}")
    _demo_autodiff(out)
    acc = _demo_training(out, args.epochs)
    if acc is not None:
        out(f"done: digits test accuracy {acc:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
