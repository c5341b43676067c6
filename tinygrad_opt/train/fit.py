"""The training loop of seed 000's opening section (SPEC §8) as a small ``Trainer`` / ``fit``.

Per epoch: ``model.train()``; per batch: forward, loss + regularization terms, zero_grad, backward,
``optimizer.step()`` (or ``optimizer.step(closure)`` for optimizers that re-evaluate the loss:
line-search / curvature methods); then validation in eval mode under ``no_grad``, the history row,
the scheduler step, best-model tracking, the callbacks, and the checkpoints. See docs/training.md.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from .. import autodiff
from ..checkpoint import load_checkpoint, save_checkpoint
from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    ClosureError,
    HyperparameterError,
    MissingPackageError,
    ShapeError,
)
from ..nn.functional import cross_entropy
from ..optim.lr_scheduler import ReduceLROnPlateau
from ..tensor import Tensor
from .callbacks import _copy_weights, _resolve_mode, improved

LAST = "last.safetensors"
BEST = "best.safetensors"


def needs_closure(optimizer) -> bool:
    """True for optimizers whose ``step`` must re-evaluate the loss — their class says so with
    ``requires_closure`` (the line-search, Newton and curvature methods) — and for wrappers (Lookahead)
    around one of them."""
    if getattr(optimizer, "requires_closure", False):
        return True
    inner = getattr(optimizer, "optimizer", None)
    return inner is not None and inner is not optimizer and needs_closure(inner)


def _fail(where: str, name: str, value, want: str, error=HyperparameterError):
    """A value out of range (HyperparameterError) or of the wrong type (``error=ArgumentTypeError``)."""
    raise error(f"{where}: {name} must be {want}, got {value!r}")


def _check_not_empty(where: str, name: str, loader) -> None:
    """A loader that yields no batch would report a loss of 0 (the mean of nothing): refuse it."""
    if loader is not None and hasattr(loader, "__len__") and len(loader) == 0:
        raise ArgumentError(
            f"{where}: {name} yields no batches (len 0); the dataset is empty, or drop_last=True with a batch "
            "size larger than the dataset"
        )


def _batch_xy(where: str, batch):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch
    raise ArgumentTypeError(
        f"{where}: each batch must be an (inputs, targets) pair, got {type(batch).__name__}"
        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        + "; use DataLoader(TensorDataset(x, y))"
    )


def accuracy_count(output, target):
    """Number of rows whose argmax equals the integer target (targets may also be one-hot/probabilities),
    as a 0-d Tensor on the output's device: counting reads nothing back to the host."""
    from ..tensor import Tensor

    for name, t in (("output", output), ("target", target)):
        if not isinstance(t, Tensor):
            raise ArgumentTypeError(f"accuracy_count: {name} must be a Tensor, got {type(t).__name__}")
    if output.ndim == 0 or target.shape not in (output.shape[:-1], output.shape):
        raise ShapeError(
            f"accuracy_count: target of shape {target.shape} does not fit output of shape {output.shape}; pass "
            f"class indices of shape {output.shape[:-1]} or one-hot targets of shape {output.shape}"
        )
    if target.ndim == output.ndim:
        target = target.argmax(-1)
    return (output.detach().argmax(-1) == target).astype(np.int64).sum()


class _Meter:
    """Example-weighted means of the loss and the metric over one pass, summed on the device and read
    on the host once, at the pass's end (a per-batch read would sync the GPU every step)."""

    def __init__(self):
        self.n, self.loss, self.correct = 0, 0.0, 0

    def add(self, loss, n: int, correct) -> None:
        self.n += n
        self.loss = self.loss + loss.detach() * n
        if correct is not None:
            self.correct = self.correct + correct

    def result(self):
        n = max(self.n, 1)
        return float(self.loss) / n, int(self.correct) / n


class Trainer:
    """Holds the model, optimizer, schedule, callbacks and checkpoint settings; ``fit`` runs the loop.

    ``loss_fn(output, target)``: a scalar Tensor (default ``cross_entropy``). ``regularizers``:
    callables ``model -> scalar Tensor`` added to the training loss (e.g. ``lambda m: l2_penalty(m, 1e-4)``);
    the history records the data loss without them. ``metric``: 'accuracy' or None. ``monitor``: the
    history key that picks the best model (default 'val_accuracy' with a validation loader and
    metric, else 'val_loss', else 'train_loss'); ``monitor_mode`` 'min'/'max'/'auto'.
    ``scheduler_interval``: step the scheduler once per 'epoch' (default) or per 'batch'
    (OneCycleLR, CyclicLR); ReduceLROnPlateau steps per epoch with the validation loss (or the training
    loss without a validation loader). ``checkpoint_dir``: write ``last.safetensors`` after every epoch
    and ``best.safetensors`` when the monitored value improves. ``progress``: a tqdm bar per epoch when
    tqdm is installed, else one line per epoch through ``log`` (default ``print``); ``progress=False``
    logs only when ``log`` is given.
    """

    _where = "Trainer"  # the public name in error messages (fit builds a Trainer under its own name)

    def __init__(
        self,
        model,
        optimizer,
        *,
        loss_fn=cross_entropy,
        scheduler=None,
        scheduler_interval="epoch",
        metric="accuracy",
        monitor=None,
        monitor_mode="auto",
        callbacks=(),
        regularizers=(),
        checkpoint_dir=None,
        progress=True,
        log=None,
    ):
        where = self._where
        wrong = ArgumentTypeError
        if not (hasattr(model, "parameters") and hasattr(model, "state_dict") and callable(model)):
            _fail(where, "model", model, "a Module", wrong)
        if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad") and hasattr(optimizer, "param_groups")):
            _fail(where, "optimizer", optimizer, "an Optimizer", wrong)
        if not callable(loss_fn):
            _fail(where, "loss_fn", loss_fn, "a callable (output, target) -> scalar Tensor", wrong)
        if scheduler is not None and not hasattr(scheduler, "step"):
            _fail(where, "scheduler", scheduler, "an LR scheduler or None", wrong)
        if scheduler_interval not in ("epoch", "batch"):
            _fail(where, "scheduler_interval", scheduler_interval, "'epoch' or 'batch'")
        if scheduler_interval == "batch" and isinstance(scheduler, ReduceLROnPlateau):
            _fail(
                where,
                "scheduler_interval",
                scheduler_interval,
                "'epoch' for ReduceLROnPlateau (it needs an epoch metric)",
            )
        if metric not in ("accuracy", None):
            _fail(where, "metric", metric, "'accuracy' or None")
        if monitor is not None and not isinstance(monitor, str):
            _fail(where, "monitor", monitor, "a history key such as 'val_loss' or None", wrong)
        if monitor_mode not in ("min", "max", "auto"):
            _fail(where, "monitor_mode", monitor_mode, "'min', 'max' or 'auto'")
        hooks = ("on_epoch_end", "on_train_begin", "on_train_end", "on_batch_end", "on_epoch_begin")
        for name, items in (("callbacks", callbacks), ("regularizers", regularizers)):
            if not isinstance(items, (list, tuple)):
                _fail(where, name, items, f"a list (pass [{name[:-1]}] for one)", wrong)
        callbacks, regularizers = list(callbacks), list(regularizers)
        for i, cb in enumerate(callbacks):
            if isinstance(cb, type) or not any(hasattr(cb, h) for h in hooks):
                _fail(
                    where,
                    f"callbacks[{i}]",
                    cb,
                    "a Callback instance (an object with on_epoch_end or another hook)",
                    wrong,
                )
        for i, reg in enumerate(regularizers):
            if not callable(reg):
                _fail(where, f"regularizers[{i}]", reg, "a callable model -> scalar Tensor", wrong)
        if checkpoint_dir is not None and not isinstance(checkpoint_dir, (str, os.PathLike)):
            _fail(where, "checkpoint_dir", checkpoint_dir, "a directory path or None", wrong)
        if checkpoint_dir is not None and (not os.fspath(checkpoint_dir) or os.path.isfile(checkpoint_dir)):
            _fail(
                where, "checkpoint_dir", checkpoint_dir, "a directory (created if missing), not a file", ArgumentError
            )
        if not isinstance(progress, bool):
            _fail(where, "progress", progress, "True or False", wrong)
        if log is not None and not callable(log):
            _fail(where, "log", log, "a callable taking one string, or None", wrong)
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.scheduler, self.scheduler_interval = scheduler, scheduler_interval
        self.metric, self.monitor, self.monitor_mode = metric, monitor, monitor_mode
        self.callbacks, self.regularizers = callbacks, regularizers
        self.checkpoint_dir = None if checkpoint_dir is None else os.fspath(checkpoint_dir)
        self.progress, self.log = progress, log
        self.use_closure = needs_closure(optimizer)
        self._reset()

    @property
    def _fit_name(self) -> str:
        return "fit" if self._where == "fit" else "Trainer.fit"

    def _reset(self) -> None:
        self.epoch = 0  # epochs completed
        self.history: dict = {}
        self.best_metric = None
        self.best_epoch = None
        self.best_state = None
        self.stop_training = False

    # ------------------------------------------------------------------ one batch / one pass
    def _loss(self, x, y):
        output = self.model(x)
        data_loss = self.loss_fn(output, y)
        if not isinstance(data_loss, Tensor) or data_loss.shape not in ((), (1,)):
            what = f"a Tensor of shape {data_loss.shape}" if isinstance(data_loss, Tensor) else type(data_loss).__name__
            raise ClosureError(
                f"{self._fit_name}: loss_fn(output, target) returned {what}; it must return a scalar Tensor (reduce "
                "with .mean() or .sum())"
            )
        total = data_loss
        for reg in self.regularizers:
            total = total + reg(self.model)
        return output, data_loss, total

    def _train_step(self, x, y):
        """One optimizer step; returns (output, data loss) of the evaluation at the step's start."""
        if not self.use_closure:
            output, data_loss, total = self._loss(x, y)
            self.optimizer.zero_grad()
            total.backward()
            self.optimizer.step()
            return output, data_loss
        first = []

        def closure():
            self.optimizer.zero_grad()
            output, data_loss, total = self._loss(x, y)
            total.backward()
            if not first:
                first.append((output.detach(), data_loss.detach()))
            return total

        self.optimizer.step(closure)
        return first[0]

    def _count(self, output, y):
        return accuracy_count(output, y) if self.metric == "accuracy" else None

    def _train_epoch(self, loader, epoch: int, bar_factory):
        self.model.train()
        meter = _Meter()
        batches = iter(loader)
        bar = bar_factory(batches, len(loader), f"epoch {epoch + 1}") if bar_factory else batches
        for i, batch in enumerate(bar):
            x, y = _batch_xy(self._fit_name, batch)
            output, data_loss = self._train_step(x, y)
            loss = data_loss.detach()
            meter.add(loss, len(y), self._count(output, y))
            if self.scheduler is not None and self.scheduler_interval == "batch":
                self.scheduler.step()
            for cb in self.callbacks:
                if hasattr(cb, "on_batch_end"):
                    cb.on_batch_end(self, i, loss)
        result = meter.result()
        if bar is not batches:
            bar.set_postfix(loss=f"{result[0]:.4f}", refresh=False)  # the epoch's mean: no per-batch sync
            bar.close()
        return result

    def evaluate(self, loader):
        """(mean loss, accuracy or None) over ``loader`` in eval mode, without gradients."""
        where = "Trainer.evaluate"
        if not hasattr(loader, "__iter__"):
            _fail(where, "loader", loader, "a DataLoader", ArgumentTypeError)
        _check_not_empty(where, "loader", loader)
        self.model.eval()
        meter = _Meter()
        with autodiff.no_grad():
            for batch in loader:
                x, y = _batch_xy(where, batch)
                output = self.model(x)
                meter.add(self.loss_fn(output, y), len(y), self._count(output, y))
        loss, acc = meter.result()
        return loss, (acc if self.metric == "accuracy" else None)

    # ------------------------------------------------------------------ checkpoints
    def _path(self, name):
        return os.path.join(self.checkpoint_dir, name)

    def _save_last(self, train_loader) -> None:
        extra = {
            "loader": train_loader.state_dict() if hasattr(train_loader, "state_dict") else None,
            "best_epoch": self.best_epoch,
            "best_state": self.best_state,
            "stopped": self.stop_training,
            "callbacks": [cb.state_dict() if hasattr(cb, "state_dict") else {} for cb in self.callbacks],
        }
        save_checkpoint(
            self._path(LAST),
            model=self.model,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            epoch=self.epoch,
            best_metric=self.best_metric,
            history=self.history,
            rng=True,
            extra=extra,
        )

    def _resume(self, train_loader) -> bool:
        path = self._path(LAST)
        if not os.path.exists(path):
            return False
        ckpt = load_checkpoint(path)
        ckpt.restore(self.model, self.optimizer, self.scheduler, rng=True)
        extra = ckpt.extra or {}
        if extra.get("loader") is not None and hasattr(train_loader, "load_state_dict"):
            train_loader.load_state_dict(extra["loader"])
        self.epoch = int(ckpt.epoch)
        self.history = {k: list(v) for k, v in (ckpt.history or {}).items()}
        self.best_metric, self.best_epoch = ckpt.best_metric, extra.get("best_epoch")
        best = extra.get("best_state")
        self.best_state = None if best is None else {k: np.array(v, copy=True) for k, v in best.items()}
        self.stop_training = bool(extra.get("stopped", False))
        for cb, state in zip(self.callbacks, extra.get("callbacks") or []):
            if hasattr(cb, "load_state_dict"):
                cb.load_state_dict(state)
        return True

    # ------------------------------------------------------------------ the loop
    def _bar_factory(self):
        if not self.progress:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None

        def make(iterable, total, desc):
            return tqdm(iterable, total=total, desc=desc, leave=False)

        return make

    def _say(self, line: str, bar_factory) -> None:
        if self.log is not None:
            self.log(line)
        elif self.progress:
            if bar_factory is not None:
                from tqdm.auto import tqdm

                tqdm.write(line)
            else:
                print(line)

    def _monitor_key(self, has_val: bool) -> str:
        if self.monitor is not None:
            return self.monitor
        if has_val:
            return "val_accuracy" if self.metric == "accuracy" else "val_loss"
        return "train_loss"

    def fit(self, train_loader, *, epochs: int, val_loader=None, resume: bool = False) -> dict:
        """Train until ``epochs`` epochs are completed in total (or a callback stops it); return the
        history: lists ``epoch``, ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``, ``lr``
        (accuracy keys with ``metric='accuracy'``, val keys with a ``val_loader``).

        ``resume=True`` continues from ``checkpoint_dir/last.safetensors`` when it exists (a fresh run
        otherwise): model, optimizer, scheduler, loader position, RNG, history, best model and callback
        states come back, so the run ends bit for bit as an uninterrupted one."""
        where = self._fit_name
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral):
            _fail(where, "epochs", epochs, "an integer >= 1", ArgumentTypeError)
        if epochs < 1:
            _fail(where, "epochs", epochs, "an integer >= 1")
        if not (hasattr(train_loader, "__iter__") and hasattr(train_loader, "__len__")):
            _fail(where, "train_loader", train_loader, "a DataLoader (iterable with len)", ArgumentTypeError)
        if val_loader is not None and not hasattr(val_loader, "__iter__"):
            _fail(where, "val_loader", val_loader, "a DataLoader or None", ArgumentTypeError)
        for name, loader in (("train_loader", train_loader), ("val_loader", val_loader)):
            _check_not_empty(where, name, loader)
        if not isinstance(resume, bool):
            _fail(where, "resume", resume, "True or False", ArgumentTypeError)
        if resume and self.checkpoint_dir is None:
            _fail(
                where,
                "resume",
                resume,
                "False when checkpoint_dir is None (resume reads checkpoint_dir/last.safetensors)",
            )
        monitor = self._monitor_key(val_loader is not None)
        if monitor.startswith("val_") and val_loader is None:
            _fail(where, "monitor", monitor, "a 'train_*' key when there is no val_loader")
        keys = ["epoch", "train_loss", "lr"] + (["train_accuracy"] if self.metric == "accuracy" else [])
        if val_loader is not None:
            keys += ["val_loss"] + (["val_accuracy"] if self.metric == "accuracy" else [])
        if monitor not in keys:  # found before the first epoch, not after it
            _fail(where, "monitor", monitor, f"one of the history keys {sorted(keys)}")
        mode = _resolve_mode(where, monitor, self.monitor_mode)
        if self.checkpoint_dir is not None:
            os.makedirs(self.checkpoint_dir, exist_ok=True)
        self._reset()
        if resume:
            self._resume(train_loader)
        bar_factory = self._bar_factory()
        for cb in self.callbacks:
            if hasattr(cb, "on_train_begin"):
                cb.on_train_begin(self)
        while self.epoch < epochs and not self.stop_training:
            epoch = self.epoch
            if hasattr(train_loader, "set_epoch"):  # the loader's permutation follows the trainer's epoch
                train_loader.set_epoch(epoch)
            for cb in self.callbacks:
                if hasattr(cb, "on_epoch_begin"):
                    cb.on_epoch_begin(self, epoch)
            lr = float(self.optimizer.param_groups[0]["lr"]) if "lr" in self.optimizer.param_groups[0] else None
            train_loss, train_acc = self._train_epoch(train_loader, epoch, bar_factory)
            row = {"epoch": epoch + 1, "train_loss": train_loss}
            if self.metric == "accuracy":
                row["train_accuracy"] = train_acc
            if val_loader is not None:
                val_loss, val_acc = self.evaluate(val_loader)
                row["val_loss"] = val_loss
                if self.metric == "accuracy":
                    row["val_accuracy"] = val_acc
            row["lr"] = lr
            if monitor not in row:
                _fail(where, "monitor", monitor, f"one of the history keys {sorted(row)}")
            for key, value in row.items():
                self.history.setdefault(key, []).append(value)
            if self.scheduler is not None and self.scheduler_interval == "epoch":
                if isinstance(self.scheduler, ReduceLROnPlateau):
                    self.scheduler.step(row.get("val_loss", train_loss))
                else:
                    self.scheduler.step()
            self.epoch = epoch + 1
            if improved(row[monitor], self.best_metric, mode):
                self.best_metric, self.best_epoch = row[monitor], epoch + 1
                self.best_state = _copy_weights(self.model)
                if self.checkpoint_dir is not None:
                    save_checkpoint(
                        self._path(BEST),
                        model=self.model,
                        epoch=self.epoch,
                        best_metric=self.best_metric,
                        rng=False,
                        extra={"monitor": monitor},
                    )
            for cb in self.callbacks:
                if hasattr(cb, "on_epoch_end"):
                    cb.on_epoch_end(self, epoch + 1, row)
            if self.checkpoint_dir is not None:
                self._save_last(train_loader)
            self._say(_format_row(row, epochs), bar_factory)
        for cb in self.callbacks:
            if hasattr(cb, "on_train_end"):
                cb.on_train_end(self)
        return self.history


def _format_row(row: dict, epochs: int) -> str:
    parts = [f"epoch {row['epoch']}/{epochs}"]
    for key, value in row.items():
        if key != "epoch" and value is not None:
            parts.append(f"{key} {value:.4g}")
    return "  ".join(parts)


def fit(model, optimizer, train_loader, *, epochs, val_loader=None, resume=False, **options) -> dict:
    """``Trainer(model, optimizer, **options).fit(train_loader, epochs=..., val_loader=..., resume=...)``;
    returns the history dict. ``options``: loss_fn, scheduler, scheduler_interval, metric, monitor,
    monitor_mode, callbacks, regularizers, checkpoint_dir, progress, log (see :class:`Trainer`)."""
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise ArgumentTypeError(f"fit: unknown option {unknown[0]!r}; the options are {', '.join(sorted(_OPTIONS))}")
    trainer = _FitTrainer(model, optimizer, **options)
    return trainer.fit(train_loader, epochs=epochs, val_loader=val_loader, resume=resume)


class _FitTrainer(Trainer):
    """The Trainer that ``fit`` builds: the same, with ``fit`` as the name in error messages."""

    _where = "fit"


_OPTIONS = frozenset(
    (
        "loss_fn scheduler scheduler_interval metric monitor monitor_mode callbacks regularizers "
        "checkpoint_dir progress log"
    ).split()
)


def plot_history(history: dict, path=None):
    """Loss curves (left) and accuracy curves (right, when recorded) against the epoch; saved as a PNG
    at ``path`` when given. Needs matplotlib (``pip install 'tinygrad_opt[plot]'``); returns the Figure.
    The history and the path are checked before anything is drawn."""
    where = "plot_history"
    if not isinstance(history, dict):
        raise ArgumentTypeError(f"{where}: history must be the dict fit returns, got {type(history).__name__}")
    if not history.get("train_loss"):
        raise ArgumentError(f"{where}: history has no 'train_loss' values; pass the dict fit returns")
    epochs = history.get("epoch") or list(range(1, len(history["train_loss"]) + 1))
    for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        values = history.get(key)
        if values and len(values) != len(epochs):
            raise ShapeError(
                f"{where}: history[{key!r}] has {len(values)} values for {len(epochs)} epochs; every list must "
                "have one value per epoch"
            )
    if path is not None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise ArgumentTypeError(f"{where}: path must be a file path (str or os.PathLike) or None, got {path!r}")
        directory = os.path.dirname(os.path.abspath(os.fspath(path)))
        if not os.path.isdir(directory):
            raise ArgumentError(f"{where}: the directory {directory!r} of path does not exist; create it first")
        if not os.access(directory, os.W_OK):
            raise ArgumentError(f"{where}: the directory {directory!r} of path is not writable")
        if os.path.isdir(path):
            raise ArgumentError(
                f"{where}: path {os.fspath(path)!r} is a directory; pass a file name such as curves.png"
            )
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingPackageError(f"{where}: needs matplotlib; pip install 'tinygrad_opt[plot]'") from exc
    panels = [("loss", "train_loss", "val_loss")]
    if history.get("train_accuracy"):
        panels.append(("accuracy", "train_accuracy", "val_accuracy"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, (title, train_key, val_key) in zip(axes[0], panels):
        ax.plot(epochs, history[train_key], marker="o", label="train")
        if history.get(val_key):
            ax.plot(epochs, history[val_key], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    if path is not None:
        fig.savefig(os.fspath(path), dpi=110)
        plt.close(fig)
    return fig
