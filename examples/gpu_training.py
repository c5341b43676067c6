"""The digits MLP of examples/mlp_digits.py on the GPU: the same ``train_digits`` call, only the device
argument changes (``--device cuda`` by default when ``tinygrad_opt.cuda_available()``).

Without a GPU (or without CuPy: ``pip install 'tinygrad_opt[cuda]'``) it says so and trains on the CPU.
The weights are drawn on the CPU and moved, and the loader shuffles on the host, so the GPU run sees
the same numbers as the CPU run; its accuracy equals the CPU's up to float32 rounding (summation order
in the GPU's kernels), see docs/gpu.md.

Run:  python examples/gpu_training.py [--device cuda] [--epochs 20] [--out docs/img] [--quick]
"""

from __future__ import annotations

import os
import sys

import tinygrad_opt as tg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlp_digits import make_mlp, parse_args, report, train_digits  # noqa: E402


def main(argv=None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv, epochs=20, lr=0.05)
    if args.device is None:
        if tg.cuda_available():
            args.device = "cuda"
        else:
            print("no CUDA device (CuPy is missing or sees no GPU): training on the CPU instead")
            args.device = "cpu"
    device = tg.backend.parse_device(args.device)
    result = train_digits(
        make_mlp, device=device, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed
    )
    report("MLP 64-128-10", result, device, args, "gpu_training_curves.png")
    return result


if __name__ == "__main__":
    main()
