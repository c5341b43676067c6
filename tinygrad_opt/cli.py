"""Command-line entry point: ``tinygrad-opt`` (or ``python -m tinygrad_opt``).

With no arguments it runs the built-in default job: the autodiff tour on the seed's worked examples
(gradient, Jacobian, Hessian, HVP in both modes, stable softmax) and a short training run of a small
MLP fitted with plain gradient descent, printing each result next to its closed form.
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


def _demo_training(out, steps):
    rng = np.random.default_rng(0)
    xs = rng.uniform(-2, 2, (256, 1)).astype(np.float32)
    ys = np.sin(xs) + 0.05 * rng.standard_normal(xs.shape).astype(np.float32)
    x, y = tg.tensor(xs), tg.tensor(ys)
    gen = tg.Generator(0)
    w1 = (tg.randn(1, 32, generator=gen) * 1.0).requires_grad_()
    b1 = tg.zeros(32, requires_grad=True)
    w2 = (tg.randn(32, 1, generator=gen) * (1 / np.sqrt(32))).requires_grad_()
    b2 = tg.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    for step in range(steps + 1):
        pred = (x @ w1 + b1).tanh() @ w2 + b2
        loss = ((pred - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=0.1)
        if step % max(1, steps // 5) == 0:
            out(f"step {step:4d}  mse {loss.item():.5f}")
    return loss.item()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tinygrad-opt", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="training steps of the MLP demo")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: $TINYGRAD_OPT_DEVICE or cpu)")
    args = parser.parse_args(argv)
    if args.device:
        tg.set_default_device(args.device)
    out = print
    out(f"tinygrad_opt {tg.__version__} on {tg.get_default_device()}")
    _demo_autodiff(out)
    final = _demo_training(out, args.steps)
    out(f"done: final mse {final:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
