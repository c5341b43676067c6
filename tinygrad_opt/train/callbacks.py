"""Callbacks for :class:`tinygrad_opt.train.Trainer`: hooks around epochs, and early stopping.

A callback is any object with some of the hooks below (the base class gives empty ones). A hook may
set ``trainer.stop_training = True`` to end training after the current epoch. A callback that keeps
state across epochs gives ``state_dict()`` / ``load_state_dict()`` so that ``resume=True`` continues
it exactly (the trainer stores it in ``last.safetensors``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import ArgumentError, ArgumentTypeError, HyperparameterError, StateDictError


class Callback:
    """Base class: every hook does nothing. ``logs`` is the epoch's row of the history
    (``{'epoch': e, 'train_loss': ..., 'val_loss': ..., 'lr': ...}``)."""

    def on_train_begin(self, trainer) -> None:
        pass

    def on_epoch_begin(self, trainer, epoch: int) -> None:
        pass

    def on_batch_end(self, trainer, batch: int, loss) -> None:
        """``loss`` is the batch's detached 0-d loss Tensor (``float(loss)`` reads it: a GPU sync)."""

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, trainer) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def _copy_weights(model) -> dict:
    """A host snapshot of ``model.state_dict()`` (the state dict's tensors are views; copy them)."""
    return {k: np.array(v.numpy(), copy=True) for k, v in model.state_dict().items()}


def _resolve_mode(owner: str, monitor: str, mode: str) -> str:
    if mode not in ("min", "max", "auto"):
        raise HyperparameterError(f"{owner}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    if mode == "auto":
        return "min" if "loss" in monitor else "max"
    return mode


def improved(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` (``best=None``: always)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` (a history key: 'val_loss', 'val_accuracy', 'train_loss', ...) has not
    improved by more than ``min_delta`` for ``patience`` epochs in a row.

    ``mode``: 'min', 'max' or 'auto' (min for keys containing 'loss', else max).
    ``restore_best``: when training ends (stopped early or not), load the weights of the best epoch
    into the model. After training, ``best``, ``best_epoch`` and ``stopped_epoch`` (None when it ran
    to the end) say what happened."""

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ):
        if not isinstance(monitor, str):
            raise ArgumentTypeError(f"EarlyStopping: monitor must be a history key such as 'val_loss', got {monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral):
            raise ArgumentTypeError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        if patience < 0:
            raise HyperparameterError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real):
            raise ArgumentTypeError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if not 0 <= min_delta < math.inf:
            raise HyperparameterError(f"EarlyStopping: min_delta must be a finite number >= 0, got {min_delta!r}")
        if not isinstance(restore_best, bool):
            raise ArgumentTypeError(f"EarlyStopping: restore_best must be True or False, got {restore_best!r}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode = _resolve_mode("EarlyStopping", monitor, mode)
        self.restore_best = restore_best
        self.wait, self.best, self.best_epoch, self.stopped_epoch = 0, None, None, None
        self.best_weights = None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor not in logs:
            raise HyperparameterError(
                f"EarlyStopping: monitor {self.monitor!r} is not in the history (keys: {sorted(logs)}); "
                "pass a val_loader for 'val_*' keys"
            )
        value = logs[self.monitor]
        if improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = _copy_weights(trainer.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_train_end(self, trainer):
        if self.restore_best and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state_dict()``'s dict; a dict that does not fit raises StateDictError first."""
        keys = ("wait", "best", "best_epoch", "stopped_epoch", "best_weights")
        if not isinstance(state, dict):
            raise ArgumentTypeError(f"EarlyStopping.load_state_dict: state must be a dict, got {type(state).__name__}")
        missing, unexpected = [k for k in keys if k not in state], [k for k in state if k not in keys]
        if missing or unexpected:
            raise StateDictError(
                f"EarlyStopping.load_state_dict: missing keys {missing}, unexpected keys {unexpected}; pass what "
                "EarlyStopping.state_dict() returned",
                missing_keys=missing,
                unexpected_keys=unexpected,
            )
        wait = state["wait"]
        if isinstance(wait, bool) or not isinstance(wait, numbers.Integral) or wait < 0:
            raise StateDictError(
                f"EarlyStopping.load_state_dict: wait must be an integer >= 0, got {wait!r}", mismatched=["wait"]
            )
        if state["best_weights"] is not None and not isinstance(state["best_weights"], dict):
            raise StateDictError(
                "EarlyStopping.load_state_dict: best_weights must be a dict of arrays or None",
                mismatched=["best_weights"],
            )
        self.wait, self.best = int(state["wait"]), state["best"]
        self.best_epoch, self.stopped_epoch = state["best_epoch"], state["stopped_epoch"]
        weights = state["best_weights"]
        self.best_weights = None if weights is None else {k: np.array(v, copy=True) for k, v in weights.items()}


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda trainer, epoch, logs: ...)``."""

    def __init__(self, **hooks):
        allowed = {"on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end"}
        for name, fn in hooks.items():
            if name not in allowed:
                raise ArgumentError(f"LambdaCallback: unknown hook {name!r}; use one of {sorted(allowed)}")
            if not callable(fn):
                raise ArgumentTypeError(f"LambdaCallback: {name} must be callable, got {fn!r}")
            setattr(self, name, fn)
