"""Greedy layer-wise supervised pretraining (seed 003 §8.3) against end-to-end training, on the bundled
8x8 digits, for a deep narrow MLP: 6 hidden layers of 16 sigmoid units (64-16-16-16-16-16-16-10).

Both runs use the same optimizer (SGD, lr 0.1, momentum 0.9, batch 32) and the same total number of
epochs. Greedy: stage k trains hidden layer k with a fresh linear head on top of the frozen layers below
(``epochs`` each), then the whole network is fine-tuned for ``epochs``. End-to-end: the same network
trained from the start for 7 × ``epochs``. Its gradients vanish through six sigmoid layers, so it
stays near chance for a long time; the greedy stages each train a one-hidden-layer problem. For
reference, the same network trained end to end with Adam (lr 1e-2) is also reported.
Writes docs/img/layerwise_pretraining.png (validation accuracy against epochs for both).

Run:  python examples/layerwise_pretraining.py [--epochs 10] [--out docs/img]    (about 5 s)
"""

from __future__ import annotations

import argparse
import os

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.data import DataLoader, TensorDataset, load_digits
from tinygrad_opt.strategies import greedy_layerwise_pretrain
from tinygrad_opt.train import fit

DEPTH, WIDTH = 6, 16


def blocks():
    return [nn.Sequential(nn.Linear(64 if i == 0 else WIDTH, WIDTH), nn.Sigmoid()) for i in range(DEPTH)]


def sgd(params):
    return tg.optim.SGD(params, lr=0.1, momentum=0.9)


def test_accuracy(model, x, y):
    with tg.no_grad():
        return (model(x).argmax(-1) == y).astype("float64").mean().item()


def run(epochs, seed):
    x, y = load_digits("train")
    xv, yv = load_digits("val")
    xt, yt = load_digits("test")
    val = DataLoader(TensorDataset(xv, yv), batch_size=256)

    def loader():
        return DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=seed)

    tg.manual_seed(seed)
    greedy, histories = greedy_layerwise_pretrain(
        blocks(), lambda k: nn.Linear(WIDTH, 10), loader(), sgd, epochs=epochs, fine_tune_epochs=epochs, val_loader=val
    )
    tg.manual_seed(seed)
    e2e = nn.Sequential(*blocks(), nn.Linear(WIDTH, 10))
    e2e_history = fit(e2e, sgd(e2e.parameters()), loader(), epochs=(DEPTH + 1) * epochs, val_loader=val, progress=False)
    tg.manual_seed(seed)
    adam = nn.Sequential(*blocks(), nn.Linear(WIDTH, 10))
    adam_opt = tg.optim.Adam(adam.parameters(), lr=1e-2)
    adam_history = fit(adam, adam_opt, loader(), epochs=(DEPTH + 1) * epochs, val_loader=val, progress=False)
    greedy_curve = [a for h in histories for a in h["val_accuracy"]]
    return {
        "greedy_curve": greedy_curve,
        "e2e_curve": e2e_history["val_accuracy"],
        "adam_curve": adam_history["val_accuracy"],
        "stage_val": [h["val_accuracy"][-1] for h in histories],
        "greedy_test": test_accuracy(greedy, xt, yt),
        "e2e_test": test_accuracy(e2e, xt, yt),
        "adam_test": test_accuracy(adam, xt, yt),
    }


def plot(result, epochs, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    n = len(result["greedy_curve"])
    ax.plot(range(1, n + 1), result["greedy_curve"], label="greedy layer-wise (stages, then fine-tuning)")
    ax.plot(range(1, n + 1), result["e2e_curve"], label="end-to-end")
    ax.plot(range(1, n + 1), result["adam_curve"], label="end-to-end with Adam (lr 1e-2)", alpha=0.7)
    for k in range(1, DEPTH + 1):
        ax.axvline(k * epochs + 0.5, color="0.85", lw=0.8)
    ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1))
    ax.set_title(f"digits, MLP 64-{'-'.join([str(WIDTH)] * DEPTH)}-10 (sigmoid), SGD + momentum unless stated")
    ax.legend(loc="center right")
    path = os.path.join(out, "layerwise_pretraining.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per greedy stage and for fine-tuning")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="fewer epochs (smoke test)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img"))
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 3
    result = run(args.epochs, args.seed)
    stages = ", ".join(f"{a:.3f}" for a in result["stage_val"])
    print(f"greedy: validation accuracy at the end of each stage (then fine-tuning): {stages}")
    print(f"greedy layer-wise: test accuracy {result['greedy_test']:.3f}")
    print(f"end-to-end ({(DEPTH + 1) * args.epochs} epochs): test accuracy {result['e2e_test']:.3f}")
    print(f"end-to-end with Adam ({(DEPTH + 1) * args.epochs} epochs): test accuracy {result['adam_test']:.3f}")
    os.makedirs(args.out, exist_ok=True)
    print(f"wrote {plot(result, args.epochs, args.out)}")
    return result


if __name__ == "__main__":
    main()
