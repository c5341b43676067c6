"""A small CNN on scikit-learn's 8x8 handwritten digits (1,797 real images, bundled with sklearn: no
download), trained with SGD + momentum (``tinygrad_opt.optim.SGD``):

    v <- mu v + g,   theta <- theta - lr v          (seed 003 §4.2)

Run:  python examples/cnn_digits.py            (about 10 s on a laptop CPU, test accuracy > 90%)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import nn


def load_digits_split(test_fraction=0.2, seed=0):
    """Images scaled to [0, 1] as (N, 1, 8, 8) float32, integer labels; a seeded shuffle split."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(len(y) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def make_model(device=None):
    """conv(1->8) relu pool -> conv(8->16) relu pool -> linear(64->10): 8x8 -> 4x4 -> 2x2."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, device=device),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, device=device),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 2 * 2, 10, device=device),
    )


def accuracy(model, x, y, batch_size=512, device=None):
    model.eval()
    correct = 0
    with tg.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(tg.Tensor(x[i : i + batch_size], device=device))
            correct += int((logits.numpy().argmax(1) == y[i : i + batch_size]).sum())
    model.train()
    return correct / len(y)


def main(epochs=8, batch_size=32, lr=0.05, momentum=0.9, seed=0, max_steps=None, verbose=True, device=None):
    """Train and evaluate on ``device`` (default: the default device); returns {'losses': per-step
    training losses, 'test_accuracy', 'seconds'}. The weights are drawn on the CPU and then moved, so a
    seed gives the same run on every device (a GPU's generator draws a different stream)."""
    device = tg.backend.parse_device(device)
    tg.manual_seed(seed)
    x_train, y_train, x_test, y_test = load_digits_split(seed=seed)
    model = make_model(device="cpu").to(device)
    optimizer = tg.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    rng = np.random.default_rng(seed)
    losses, step, start = [], 0, time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(y_train))
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(
                model(tg.Tensor(x_train[idx], device=device)), tg.Tensor(y_train[idx], device=device)
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
            if max_steps is not None and step >= max_steps:
                break
        if verbose:
            recent = np.mean(losses[-(len(order) // batch_size) :])
            print(f"epoch {epoch + 1}: mean training loss {recent:.4f}")
        if max_steps is not None and step >= max_steps:
            break
    test_acc = accuracy(model, x_test, y_test, device=device)
    seconds = time.perf_counter() - start
    if verbose:
        print(
            f"test accuracy {test_acc:.3f} ({len(y_test)} images, {seconds:.1f} s, {model.num_parameters()} parameters)"
        )
    return {"losses": losses, "test_accuracy": test_acc, "seconds": seconds}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: the default device)")
    args = parser.parse_args()
    main(args.epochs, args.batch_size, args.lr, seed=args.seed, device=args.device)
