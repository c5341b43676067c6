"""An MLP 64-128-10 on the 8x8 handwritten digits shipped in the package (1,257 train / 180 val / 360
test images, no download), trained by ``tinygrad_opt.train.fit`` with SGD + Nesterov momentum:

    v <- mu v + g,   theta <- theta - lr (g + mu v)          (seed 003 §4.2.3)

Prints one line per epoch and the test accuracy; writes docs/img/mlp_digits_curves.png
(``train.plot_history``). ``train_digits`` is shared with examples/cnn_digits.py and
examples/gpu_training.py: only the model (and the device) differ.

Run:  python examples/mlp_digits.py [--epochs 20] [--device cpu] [--out docs/img] [--quick]     (about 3 s)
"""

from __future__ import annotations

import argparse
import os
import time

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.data import DataLoader, TensorDataset, load_digits
from tinygrad_opt.train import Trainer, plot_history

DEFAULT_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img"))


def make_mlp():
    """64 -> 128 -> ReLU -> 10."""
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def on_the_cpu(make):
    """``make()`` with the CPU as the default device: its random weights come from the CPU generator
    whatever the default device is (a GPU's generator draws a different stream)."""
    previous = tg.get_default_device()
    tg.set_default_device("cpu")
    try:
        return make()
    finally:
        tg.set_default_device(previous)


def train_digits(
    make_model, *, image_shape=(64,), device=None, epochs=20, lr=0.05, batch_size=32, seed=0, log=print
) -> dict:
    """Train ``make_model()`` on the digits' train split with ``fit`` (validation on the val split) and
    evaluate on the test split. The weights are drawn on the CPU and then moved, and the loader shuffles
    on the host, so a seed gives the same run on every device. Returns {'history', 'test_accuracy',
    'test_loss', 'seconds', 'model'}."""
    device = tg.backend.parse_device(device)
    tg.manual_seed(seed)
    model = on_the_cpu(make_model).to(device)
    x, y = load_digits("train", device=device)
    xv, yv = load_digits("val", device=device)
    xt, yt = load_digits("test", device=device)
    shape = (-1, *image_shape)
    train = DataLoader(TensorDataset(x.reshape(shape), y), batch_size=batch_size, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(xv.reshape(shape), yv), batch_size=512)
    optimizer = tg.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
    trainer = Trainer(model, optimizer, progress=False, log=log)
    start = time.perf_counter()
    history = trainer.fit(train, epochs=epochs, val_loader=val)
    test_loss, test_accuracy = trainer.evaluate(DataLoader(TensorDataset(xt.reshape(shape), yt), batch_size=512))
    seconds = time.perf_counter() - start
    return {
        "history": history,
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
        "seconds": seconds,
        "model": model,
    }


def parse_args(description, argv, epochs, lr):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: the default device)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="directory for the figure (default docs/img)")
    parser.add_argument("--quick", action="store_true", help="2 epochs, no figure (for the tests)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 2
    return args


def report(name: str, result: dict, device, args, figure: str) -> None:
    """Print the summary line and save the curves (except with --quick)."""
    params = result["model"].num_parameters()
    print(
        f"{name}: test accuracy {result['test_accuracy']:.4f} (360 images), test loss {result['test_loss']:.4f}, "
        f"{args.epochs} epochs, {params} parameters, device {device}, {result['seconds']:.1f} s"
    )
    if not args.quick:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, figure)
        plot_history(result["history"], path)
        print(f"wrote {path}")


def main(argv=None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv, epochs=20, lr=0.05)
    device = tg.backend.parse_device(args.device)
    result = train_digits(
        make_mlp, device=device, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed
    )
    report("MLP 64-128-10", result, device, args, "mlp_digits_curves.png")
    return result


if __name__ == "__main__":
    main()
