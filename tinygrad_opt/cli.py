"""Command-line entry point: ``tinygrad-opt`` (or ``python -m tinygrad_opt``).

``tinygrad-opt train`` trains on real data through ``train.fit`` (the built-in default: an MLP on the
bundled 8×8 digits, SGD with Nesterov momentum and a cosine schedule, 10 epochs, under 10 s on 2 cores);
every optimizer and schedule of the suite is selectable by name, with checkpoints and exact resume.
``tinygrad-opt tour`` prints the autodiff tour on the seed's worked examples (gradient, Jacobian,
Hessian, HVP in both modes, stable softmax), each result next to its closed form. Bad arguments end with
one line on stderr naming the option and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import math
import os
import sys

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn


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


DEFAULT_EPOCHS = {"mlp": 10, "cnn": 20}
"""Epochs when --epochs is not given: the CNN has more weights to settle (0.967 after 10, 0.978 after 20)."""

OPTIMIZER_DEFAULTS = {"SGD": dict(lr=0.1, momentum=0.9, nesterov=True)}
"""Per-optimizer settings beyond the class defaults (``--lr`` overrides lr)."""


def optimizers() -> dict:
    """Every optimizer class of the suite, by lower-case name."""
    from tinygrad_opt import optim

    return {
        name.lower(): cls
        for name, cls in vars(optim).items()
        if isinstance(cls, type) and issubclass(cls, optim.Optimizer) and cls is not optim.Optimizer
    } | {"lookahead": optim.Lookahead}


def _has_momentum(opt) -> bool:
    """Whether OneCycle/Cyclic can cycle the momentum (SGD with momentum, the Adam family's beta1)."""
    group = opt.param_groups[0]
    return bool(group.get("momentum")) or "betas" in group


SCHEDULES = {
    "none": None,
    "cosine": lambda L, o, e: L.CosineAnnealingLR(o, T_max=e),
    "step": lambda L, o, e: L.StepLR(o, step_size=max(1, e // 3)),
    "multistep": lambda L, o, e: L.MultiStepLR(o, milestones=[max(1, e // 2), max(2, 3 * e // 4)]),
    "exponential": lambda L, o, e: L.ExponentialLR(o, gamma=0.9),
    "linear": lambda L, o, e: L.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=e),
    "polynomial": lambda L, o, e: L.PolynomialLR(o, total_iters=e, power=2.0),
    "constant": lambda L, o, e: L.ConstantLR(o, factor=0.5, total_iters=max(1, e // 2)),
    "warm_restarts": lambda L, o, e: L.CosineAnnealingWarmRestarts(o, T_0=max(1, e // 3)),
    "onecycle": lambda L, o, e: L.OneCycleLR(
        o, max_lr=o.param_groups[0]["lr"], total_steps=e, cycle_momentum=_has_momentum(o)
    ),
    "cyclic": lambda L, o, e: L.CyclicLR(
        o,
        base_lr=o.param_groups[0]["lr"] / 10,
        max_lr=o.param_groups[0]["lr"],
        step_size_up=max(1, e // 4),
        cycle_momentum=_has_momentum(o),
    ),
    "warmup": lambda L, o, e: L.WarmupLR(o, warmup_steps=max(1, e // 4)),
    "plateau": lambda L, o, e: L.ReduceLROnPlateau(o, patience=2),
}
"""Schedules by name (stepped once per epoch); ``e`` is the number of epochs."""


def _choice(kind, names):
    def parse(value):
        key = value.lower()
        if key not in names:
            raise argparse.ArgumentTypeError(f"unknown {kind} {value!r}; choose from {', '.join(sorted(names))}")
        return key

    return parse


def _positive_int(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value!r}")
    return number


def _seed(value):
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value!r}")
    return number


def _positive_float(value):
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {value!r}")
    return number


def build_model(kind: str, data: str):
    if data == "mnist1d":
        if kind == "cnn":
            raise tg.ArgumentError("--model: cnn is built for the 8×8 digits; use --model mlp with --data mnist1d")
        return nn.Sequential(nn.Linear(40, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    if kind == "cnn":
        return nn.Sequential(
            Images(),
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 2 * 2, 10),
        )
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


class Images(nn.Module):
    """(N, 64) rows as (N, 1, 8, 8) images, the CNN's first (parameter-free) layer."""

    def forward(self, x):
        return x.reshape(x.shape[0], 1, 8, 8)


def build_optimizer(name: str, model, lr):
    cls = optimizers()[name]
    if name == "lookahead":
        from tinygrad_opt import optim

        return cls(optim.SGD(model.parameters(), **{**OPTIMIZER_DEFAULTS["SGD"], **({"lr": lr} if lr else {})}))
    kwargs = dict(OPTIMIZER_DEFAULTS.get(cls.__name__, {}))
    if lr is not None:
        kwargs["lr"] = lr
    first = next(iter(inspect.signature(cls).parameters))
    return cls(model, **kwargs) if first == "model" else cls(model.parameters(), **kwargs)


def _load(data: str, device):
    from tinygrad_opt import data as D

    if data == "mnist1d":
        train, test = D.load_mnist1d("train", device=device), D.load_mnist1d("test", device=device)
        return train, None, test
    return tuple(D.load_digits(split, device=device) for split in ("train", "val", "test"))


def run_train(args, out) -> float:
    from tinygrad_opt import data as D
    from tinygrad_opt import optim
    from tinygrad_opt.train import Trainer, plot_history

    tg.manual_seed(args.seed)
    if args.epochs is None:
        args.epochs = DEFAULT_EPOCHS[args.model]
    device = tg.get_default_device()
    (x, y), val, (xt, yt) = _load(args.data, device)
    model = build_model(args.model, args.data).to(device)
    opt = build_optimizer(args.optimizer, model, args.lr)
    make = SCHEDULES[args.schedule]
    sched = make(optim.lr_scheduler, opt, args.epochs) if make else None
    loader = D.DataLoader(D.TensorDataset(x, y), batch_size=args.batch_size, shuffle=True, seed=args.seed)
    val_loader = D.DataLoader(D.TensorDataset(*val), batch_size=512) if val is not None else None
    trainer = Trainer(model, opt, scheduler=sched, checkpoint_dir=args.checkpoint_dir, progress=False, log=out)
    history = trainer.fit(loader, epochs=args.epochs, val_loader=val_loader, resume=args.resume)
    if args.plot:
        plot_history(history, args.plot)
    _, accuracy = trainer.evaluate(D.DataLoader(D.TensorDataset(xt, yt), batch_size=512))
    out(f"test accuracy {accuracy:.4f}")
    return accuracy


def _tour(args, out):
    _demo_autodiff(out)
    return 0


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr (``tinygrad-opt train: error: --lr: ...``), exit code 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="tinygrad-opt", description="tinygrad_opt: train on real data, or tour the autodiff engine")
    sub = top.add_subparsers(dest="command", metavar="{train,tour}", parser_class=_Parser)
    train = sub.add_parser("train", help="train a model on real data (default: MLP on the bundled digits)")
    train.add_argument("--data", type=_choice("data set", {"digits", "mnist1d"}), default="digits")
    train.add_argument("--model", type=_choice("model", {"mlp", "cnn"}), default="mlp")
    train.add_argument("--optimizer", type=_choice("optimizer", optimizers()), default="sgd", help="any optimizer")
    train.add_argument("--lr", type=_positive_float, default=None, help="learning rate (default: per optimizer)")
    train.add_argument("--schedule", type=_choice("schedule", SCHEDULES), default="cosine")
    train.add_argument("--epochs", type=_positive_int, default=None, help="default: 10 (mlp), 20 (cnn)")
    train.add_argument("--batch-size", type=_positive_int, default=64)
    train.add_argument("--device", default=None, help="cpu or cuda (default: $TINYGRAD_OPT_DEVICE or cpu)")
    train.add_argument("--seed", type=_seed, default=0)
    train.add_argument("--checkpoint-dir", default=None, help="write last/best checkpoints here every epoch")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoint in --checkpoint-dir")
    train.add_argument("--plot", default=None, help="save the loss/accuracy curves to this PNG")
    train.add_argument("--quiet", action="store_true", help="print only the final line")
    tour = sub.add_parser("tour", help="the autodiff tour on the seed's worked examples")
    tour.add_argument("--device", default=None, help="cpu or cuda")
    return top


def _writable_parent(path: str) -> str | None:
    """Why ``path`` (a file or directory to be created) cannot be written, or None."""
    directory = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(directory):  # makedirs creates the missing part: the first existing one counts
        directory = os.path.dirname(directory)
    if not os.path.isdir(directory):
        return f"{directory!r} is a file, not a directory"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"the directory {directory!r} is not writable"
    return None


def _check_train_args(args) -> tuple[str, str] | None:
    """(option, problem) for the first bad combination of ``train`` arguments, checked before anything runs."""
    if args.resume and not args.checkpoint_dir:
        return "--resume", "needs --checkpoint-dir (the directory holding last.safetensors)"
    if args.checkpoint_dir is not None:
        if not args.checkpoint_dir.strip():
            return "--checkpoint-dir", "is empty; pass a directory (it is created if missing)"
        if os.path.exists(args.checkpoint_dir) and not os.path.isdir(args.checkpoint_dir):
            return "--checkpoint-dir", f"{args.checkpoint_dir!r} is a file, not a directory"
        problem = _writable_parent(os.path.join(args.checkpoint_dir, "last.safetensors"))
        if problem:
            return "--checkpoint-dir", problem
    if args.plot is not None:
        if not args.plot.endswith(".png"):
            return "--plot", f"expects a .png path, got {args.plot!r}"
        if os.path.isdir(args.plot):
            return "--plot", f"{args.plot!r} is a directory; pass a file such as curves.png"
        directory = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(directory):
            what = "is a file, not a directory" if os.path.exists(directory) else "does not exist; create it first"
            return "--plot", f"{directory!r} {what}"
        if not os.access(directory, os.W_OK | os.X_OK):
            return "--plot", f"the directory {directory!r} is not writable"
    if args.data == "mnist1d":
        if args.model == "cnn":
            return "--model", "cnn is built for the 8×8 digits; use --model mlp with --data mnist1d"
        if importlib.util.find_spec("mnist1d") is None:
            return "--data", "mnist1d needs the 'mnist1d' package; pip install 'tinygrad_opt[mnist1d]'"
    return None


def main(argv=None) -> int:
    """Run the command line; returns the exit code (bad arguments: one line on stderr, SystemExit(2)).
    Every argument is checked before anything runs; the default device is restored on return."""
    top = parser()
    args = top.parse_args(argv)
    if args.command is None:
        top.print_help()
        return 0
    sub = top._subparsers._group_actions[0].choices[args.command]
    if args.device is not None:
        try:
            tg.backend.parse_device(args.device)  # '' and unknown names: before any other check
        except tg.DeviceError as exc:
            sub.error(f"--device: {exc}")
    problem = _check_train_args(args) if args.command == "train" else None
    if problem:
        sub.error(f"{problem[0]}: {problem[1]}")
    previous = tg.get_default_device()
    try:
        if args.device is not None:
            try:
                tg.set_default_device(args.device)
            except tg.DeviceError as exc:  # CUDA without CuPy/GPU, or no such GPU: one line, exit 2
                sub.error(f"--device: {exc}")
        if args.command == "tour":
            print(f"tinygrad_opt {tg.__version__} on {tg.get_default_device()}")
            return _tour(args, print)
        return _train(args, sub)
    finally:
        tg.set_default_device(previous)


def _train(args, sub) -> int:
    out = (lambda line: None) if args.quiet else print
    out(f"tinygrad_opt {tg.__version__} on {tg.get_default_device()}")
    try:
        accuracy = run_train(args, out)
    except tg.CheckpointError as exc:  # a checkpoint in --checkpoint-dir that does not fit these arguments
        option = "--resume" if args.resume else "--checkpoint-dir"
        sub.error(f"{option}: {str(exc).splitlines()[0]}")
    except (ValueError, tg.TinygradOptError, ImportError) as exc:
        sub.error(str(exc).splitlines()[0])
    if args.quiet:
        print(f"test accuracy {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
