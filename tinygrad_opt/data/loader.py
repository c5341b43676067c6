"""DataLoader: minibatches of a Dataset, reshuffled every epoch (seed 003 §3.2), with exact resume and
batch-size schedules (seed 003 §4.1.3 item 3: increasing the batch size during training).

Reproducibility contract: epoch ``e``'s order is ``numpy.random.default_rng([seed, e]).permutation(n)``,
a pure function of (seed, epoch). The same seed gives the same batches every run, every epoch gets a
fresh permutation, and ``set_epoch``/``load_state_dict`` can jump to any epoch (or into the middle of
one) without replaying the epochs before it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from ..errors import ArgumentTypeError, DeviceError, HyperparameterError, StateDictError, check_int
from ..tensor import Tensor
from .dataset import TensorDataset, _rows


def growing_batch_size(initial: int, factor: float = 2, every: int = 1, maximum: int | None = None):
    """Schedule ``epoch -> min(maximum, floor(initial * factor ** (epoch // every)))`` for ``batch_size=``.

    Growing the batch instead of decaying the learning rate lowers the gradient noise in the same way
    while taking fewer, larger steps.
    """
    check_int("growing_batch_size", "initial", initial)
    check_int("growing_batch_size", "every", every)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 1 <= factor < math.inf:
        raise HyperparameterError(f"growing_batch_size: factor must be a finite number >= 1, got {factor!r}")
    if maximum is not None:
        check_int("growing_batch_size", "maximum", maximum)
        if maximum < initial:
            raise HyperparameterError(f"growing_batch_size: maximum={maximum} is below initial={initial}")

    def batch_size(epoch: int) -> int:
        size = int(initial * factor ** (epoch // every))
        return size if maximum is None else min(size, maximum)

    return batch_size


class DataLoader:
    """Iterate ``dataset`` in batches; each batch is a tuple of Tensors with a leading batch axis.

    ``batch_size``: an int, or a schedule ``epoch -> int`` (e.g. :func:`growing_batch_size`).
    ``shuffle``: a fresh permutation every epoch, drawn from a NumPy Generator seeded with (``seed``,
    epoch); ``seed=None`` draws a seed once from the OS, kept in ``state_dict()``.
    ``drop_last``: skip the final batch when it is smaller than the batch size.
    ``device``: put every batch there (the model's device); None keeps a TensorDataset's device, and
    arrays from other datasets go to the default device.
    ``pin_memory``: batches from host data go to a GPU ``device`` through pinned host buffers, so the
    copy runs asynchronously while the GPU works (as PyTorch's ``pin_memory=True``); ignored on the
    CPU. Data already on the GPU (``TensorDataset`` of device tensors, as the CLI uses) needs no copy.
    Each ``iter(loader)`` is one epoch; the epoch counter advances when a pass ends (or is abandoned).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, device=None, pin_memory=False):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise ArgumentTypeError(
                f"DataLoader: dataset needs __len__ and __getitem__ (a Dataset), got {type(dataset).__name__}; "
                "wrap tensors in TensorDataset(x, y)"
            )
        if not callable(batch_size):
            check_int("DataLoader", "batch_size", batch_size)
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last), ("pin_memory", pin_memory)):
            if not isinstance(flag, bool):
                raise HyperparameterError(f"DataLoader: {name} must be True or False, got {flag!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
            raise HyperparameterError(f"DataLoader: seed must be a non-negative integer or None, got {seed!r}")
        try:
            device = None if device is None else backend.parse_device(device)
        except DeviceError as exc:
            raise DeviceError(f"DataLoader: {exc}") from None
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.seed = int(np.random.SeedSequence().entropy) if seed is None else int(seed)
        self.device = device
        self.pin_memory = pin_memory
        self._staging = None  # backend.PinnedStaging, made on the first pinned copy
        self.epoch = 0
        self._position = None  # batches handed out in the running pass; None between passes
        self._n_batches = 0
        self._skip = 0  # batches to skip at the start of the next pass (set by load_state_dict)

    # ------------------------------------------------------------------ epochs and batches
    def batch_size_at(self, epoch: int) -> int:
        """The batch size of epoch ``epoch`` (the schedule's value, checked)."""
        check_int("DataLoader.batch_size_at", "epoch", epoch, 0)
        if not callable(self.batch_size):
            return self.batch_size
        size = self.batch_size(epoch)
        check_int("DataLoader", f"batch_size schedule at epoch {epoch}", size)
        return int(size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass epoch ``epoch`` (its permutation and batch size)."""
        check_int("DataLoader.set_epoch", "epoch", epoch, 0)
        self.epoch, self._position, self._skip = int(epoch), None, 0

    def _batch_indices(self, epoch: int) -> list[np.ndarray]:
        n, size = len(self.dataset), self.batch_size_at(epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle else np.arange(n)
        stop = n - n % size if self.drop_last else n
        return [order[i : i + size] for i in range(0, stop, size)]

    def __len__(self) -> int:
        """Number of batches in the current (or next) epoch."""
        n, size = len(self.dataset), self.batch_size_at(self.epoch)
        return n // size if self.drop_last else -(-n // size)

    def __iter__(self):
        if self._position is not None:  # the previous pass was abandoned: it still counts as an epoch
            self._end_epoch()
        batches = self._batch_indices(self.epoch)
        self._n_batches, self._position = len(batches), self._skip
        self._skip = 0
        return self._run(batches)

    def _run(self, batches):
        for index in batches[self._position :]:
            batch = self._fetch(index)
            self._position += 1
            yield batch
        self._end_epoch()

    def _end_epoch(self) -> None:
        self.epoch, self._position = self.epoch + 1, None

    def _fetch(self, index: np.ndarray) -> tuple:
        if isinstance(self.dataset, TensorDataset):  # indices from _batch_indices are in range: no check
            return tuple(self._place(_rows(t, index)) for t in self.dataset.tensors)
        items = [self.dataset[int(i)] for i in index]
        items = [item if isinstance(item, tuple) else (item,) for item in items]
        return tuple(self._place(_stack(field)) for field in zip(*items))

    def _place(self, t: Tensor) -> Tensor:
        if self.device is None or t.device == self.device:
            return t
        if self.pin_memory and t.device == "cpu":
            if self._staging is None:
                self._staging = backend.PinnedStaging()
            return Tensor(self._staging.to_device(t.data, self.device), device=self.device, copy=False)
        return t.to(self.device)

    # ------------------------------------------------------------------ resume
    def state_dict(self) -> dict:
        """Plain data (JSON-able): where the stream of batches stands. A pass that has handed out every
        batch counts as finished, so saving after the last batch resumes at the next epoch."""
        epoch, done = self.epoch, 0
        if self._position is not None:
            epoch, done = (epoch + 1, 0) if self._position >= self._n_batches else (epoch, self._position)
        return {"epoch": epoch, "batches_done": done, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        """Continue exactly where ``state`` was taken: the next pass yields the rest of that epoch.
        A state that does not fit (keys, types, a position past the epoch's end) raises StateDictError
        and changes nothing."""
        where = "DataLoader.load_state_dict"
        if not isinstance(state, dict):
            raise ArgumentTypeError(f"{where}: state must be the dict DataLoader.state_dict() returns, got {state!r}")
        keys = ("epoch", "batches_done", "seed")
        missing, unexpected = [k for k in keys if k not in state], [k for k in state if k not in keys]
        if missing or unexpected:
            raise StateDictError(
                f"{where}: missing keys {missing}, unexpected keys {unexpected}; pass what state_dict() returned",
                missing_keys=missing,
                unexpected_keys=unexpected,
            )
        for key in keys:
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise StateDictError(f"{where}: {key} must be an integer >= 0, got {value!r}", mismatched=[key])
        epoch, done = int(state["epoch"]), int(state["batches_done"])
        n = len(self.dataset)
        size = self.batch_size_at(epoch)
        batches = n // size if self.drop_last else -(-n // size)
        if done > batches:
            raise StateDictError(
                f"{where}: batches_done={done} but epoch {epoch} has only {batches} batches of {size}; the state "
                "is from another dataset or batch size",
                mismatched=["batches_done"],
            )
        self.set_epoch(epoch)
        self.seed, self._skip = int(state["seed"]), done


def _stack(values) -> Tensor:
    """One batch field from per-example values (Tensors stay on their device, the rest via NumPy)."""
    if isinstance(values[0], Tensor):
        arrays = [v.data for v in values]
        return Tensor(backend.xp_of(arrays[0]).stack(arrays), device=values[0].device, copy=False)
    return Tensor(np.stack([np.asarray(v) for v in values]), copy=False)
