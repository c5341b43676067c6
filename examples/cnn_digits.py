"""A small CNN on the 8x8 handwritten digits shipped in the package, trained by ``tinygrad_opt.train.fit``
with SGD + Nesterov momentum (seed 003 §4.2.3): the training function is examples/mlp_digits.py's
``train_digits``; only the model differs.

    conv(1->8, 3x3) relu maxpool -> conv(8->16, 3x3) relu maxpool -> linear(64->10):  8x8 -> 4x4 -> 2x2

Prints one line per epoch and the test accuracy; writes docs/img/cnn_digits_curves.png.

Run:  python examples/cnn_digits.py [--epochs 20] [--device cpu] [--out docs/img] [--quick]     (about 7 s)
"""

from __future__ import annotations

import os
import sys

import tinygrad_opt as tg
from tinygrad_opt import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlp_digits import parse_args, report, train_digits  # noqa: E402


def make_cnn():
    """conv(1->8) relu pool -> conv(8->16) relu pool -> linear(64->10), on (N, 1, 8, 8) images."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 2 * 2, 10),
    )


def main(argv=None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv, epochs=20, lr=0.05)
    device = tg.backend.parse_device(args.device)
    result = train_digits(
        make_cnn,
        image_shape=(1, 8, 8),
        device=device,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    report("CNN", result, device, args, "cnn_digits_curves.png")
    return result


if __name__ == "__main__":
    main()
