"""A small training loop (SPEC §8): ``fit`` / ``Trainer``, callbacks with early stopping, checkpoints
with bit-exact resume, and ``plot_history``. See docs/training.md."""

from .callbacks import Callback, EarlyStopping, LambdaCallback
from .fit import BEST, LAST, Trainer, accuracy_count, fit, needs_closure, plot_history

__all__ = [
    "BEST",
    "LAST",
    "Callback",
    "EarlyStopping",
    "LambdaCallback",
    "Trainer",
    "accuracy_count",
    "fit",
    "needs_closure",
    "plot_history",
]
