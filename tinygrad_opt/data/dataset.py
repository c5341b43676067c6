"""Datasets (anything with ``__len__`` and ``__getitem__``) and input standardization.

Standardization (seed 000, step 1): fit the per-feature mean and standard deviation on the training split
only, then apply the same affine map x' = (x - mean) / std to every split, so no statistic of the
validation or test data leaks into training.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod

import numpy as np

from .. import backend
from ..errors import ArgumentError, ArgumentTypeError, AxisError, HyperparameterError, ShapeError, StateDictError
from ..tensor import Tensor


class Dataset(ABC):
    """A map from an index in ``range(len(self))`` to one example (a tuple of Tensors/arrays/scalars)."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __getitem__(self, index): ...


class TensorDataset(Dataset):
    """Examples are rows of the given tensors: ``ds[i] == (t[i] for t in tensors)``; all share dim 0.

    Arrays and lists are turned into Tensors on the default device. ``ds[index_array]`` gathers many rows
    at once (one fancy index per tensor: the DataLoader's fast path).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ShapeError("TensorDataset: needs at least one tensor")
        for i, t in enumerate(tensors):
            if not (isinstance(t, (Tensor, np.ndarray, list, tuple)) or backend.is_array(t)):
                raise ArgumentTypeError(
                    f"TensorDataset: tensors[{i}] is a {type(t).__name__}; pass Tensors, arrays or lists of numbers"
                )
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        shapes = [t.shape for t in self.tensors]
        if any(len(s) == 0 for s in shapes) or len({s[0] for s in shapes}) != 1:
            raise ShapeError(f"TensorDataset: all tensors need the same (non-empty) first dimension, got {shapes}")

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        _check_index("TensorDataset", index, len(self))
        return tuple(_rows(t, index) for t in self.tensors)


def _check_index(owner: str, index, n: int) -> None:
    """An int (or a host array of ints) in -n..n-1; device index arrays are not read (no GPU sync)."""
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (numbers.Integral, slice, list, np.ndarray)):
        if backend.is_device_array(index):
            return
        raise ArgumentTypeError(
            f"{owner}: index must be an int, a slice or an array of ints, got {type(index).__name__} {index!r}"
        )
    if isinstance(index, slice):
        return
    values = np.asarray(index)
    if values.dtype == np.bool_:
        if values.shape != (n,):
            raise ShapeError(f"{owner}: a boolean index needs one entry per example ({n}), got shape {values.shape}")
        return
    if values.size and values.dtype.kind not in "iu":
        raise ArgumentTypeError(f"{owner}: index arrays must hold ints, got dtype {values.dtype}")
    if values.size and (values.min() < -n or values.max() >= n):
        bad = values.min() if values.min() < -n else values.max()
        raise AxisError(f"{owner}: index {int(bad)} is out of range for {n} examples (valid {-n}..{n - 1})")


def _rows(t: Tensor, index) -> Tensor:
    """``t[index]`` with an index array first moved to ``t``'s device (CuPy wants device indices)."""
    if isinstance(index, (list, np.ndarray)) or backend.is_device_array(index):
        index = backend.to_device(backend.asarray(index) if isinstance(index, list) else index, t.device)
    return t[index]


class Standardize:
    """x' = (x - mean) / std with ``mean`` and ``std`` (per feature, over axis 0) fitted once.

    A feature whose fitted std is below ``eps`` (constant in the training split, e.g. the always-blank
    border pixels of the digits) keeps std = 1: it is centred but not scaled, so a value that differs on
    another split stays finite instead of being divided by ~0.
    """

    def __init__(self, mean, std):
        mean, std = _numbers("Standardize", "mean", mean), _numbers("Standardize", "std", std)
        if mean.dtype.kind != "f" or std.dtype.kind != "f":
            mean, std = mean.astype(np.float64), std.astype(np.float64)
        if mean.shape != std.shape:
            raise ShapeError(f"Standardize: mean has shape {mean.shape} but std has shape {std.shape}; they must match")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise ArgumentError(
                "Standardize: mean must be finite and std finite and > 0 for every feature; fit it with standardize()"
            )
        self.mean, self.std = mean, std

    @classmethod
    def fit(cls, train_x, eps: float = 1e-8) -> Standardize:
        where = "standardize"
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
            raise ArgumentTypeError(f"{where}: eps must be a number, got {eps!r}")
        if not 0 < eps < np.inf:
            raise HyperparameterError(f"{where}: eps must be a finite number > 0, got {eps!r}")
        data = train_x.data if isinstance(train_x, Tensor) else _numbers(where, "train_x", train_x)
        if data.ndim == 0:
            raise ShapeError(f"{where}: train_x must have examples along axis 0, got a 0-d value of shape ()")
        if data.shape[0] < 1:
            raise ArgumentError(f"{where}: need at least one example along axis 0, got shape {data.shape}")
        xp = backend.xp_of(data)
        with np.errstate(all="ignore"):  # NaN/inf in the data: reported below, from the statistics
            mean, std = xp.mean(data, axis=0), xp.std(data, axis=0)
            std = xp.where(std < eps, 1.0, std).astype(std.dtype)
        mean, std = backend.to_numpy(mean), backend.to_numpy(std)  # per feature: a small copy
        bad = ~(np.isfinite(mean) & np.isfinite(std))
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ArgumentError(
                f"{where}: train_x holds NaN or inf (feature {first if len(first) > 1 else first[0]} has mean "
                f"{mean[first]} and std {std[first]}); clean or impute the data first"
            )
        return cls(mean, std)

    def __call__(self, x):
        """The transform of a Tensor (a Tensor on its device) or of an array (a NumPy array). Float input
        keeps its dtype; integer input (raw pixel counts) becomes the fitted statistics' float dtype."""
        if not isinstance(x, Tensor):
            x = _numbers("Standardize", "x", x)
        if x.shape[1:] != self.mean.shape:
            raise ShapeError(
                f"Standardize: fitted on features of shape {self.mean.shape}, got input {x.shape}; pass "
                f"(n, {', '.join(map(str, self.mean.shape))}) rows"
            )
        dtype = x.dtype if x.dtype.kind == "f" else self.mean.dtype
        if not isinstance(x, Tensor):
            return ((x - self.mean) / self.std).astype(dtype, copy=False)
        mean = Tensor(self.mean.astype(dtype), device=x.device, copy=False)
        std = Tensor(self.std.astype(dtype), device=x.device, copy=False)
        return ((x if x.dtype == dtype else x.astype(dtype)) - mean) / std

    def state_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_state_dict(cls, state: dict) -> Standardize:
        if not isinstance(state, dict):
            raise ArgumentTypeError(f"Standardize.from_state_dict: state must be a dict, got {type(state).__name__}")
        missing = [k for k in ("mean", "std") if k not in state]
        unexpected = [k for k in state if k not in ("mean", "std")]
        if missing or unexpected:
            raise StateDictError(
                f"Standardize.from_state_dict: missing keys {missing}, unexpected keys {unexpected}; pass the "
                "dict Standardize.state_dict() returned",
                missing_keys=missing,
                unexpected_keys=unexpected,
            )
        return cls(state["mean"], state["std"])


def _numbers(owner: str, name: str, value) -> np.ndarray:
    """``value`` as a NumPy array of real numbers (ints, floats, bools are not data here)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        array = None
    if array is None or array.dtype.kind not in "iuf":
        raise ArgumentTypeError(
            f"{owner}: {name} must be numbers (a Tensor, an array or a list of numbers), got {type(value).__name__}"
        )
    return array


def standardize(train_x, eps: float = 1e-8) -> Standardize:
    """Fit a :class:`Standardize` on the training inputs only; call it on every split."""
    return Standardize.fit(train_x, eps)
