"""Datasets (anything with ``__len__`` and ``__getitem__``) and input standardization.

Standardization (seed 000, step 1): fit the per-feature mean and standard deviation on the training split
only, then apply the same affine map x' = (x - mean) / std to every split, so no statistic of the
validation or test data leaks into training.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .. import backend
from ..errors import ShapeError
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
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        shapes = [t.shape for t in self.tensors]
        if any(len(s) == 0 for s in shapes) or len({s[0] for s in shapes}) != 1:
            raise ShapeError(f"TensorDataset: all tensors need the same (non-empty) first dimension, got {shapes}")

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(_rows(t, index) for t in self.tensors)


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
        self.mean = np.asarray(mean)
        self.std = np.asarray(std)

    @classmethod
    def fit(cls, train_x, eps: float = 1e-8) -> Standardize:
        data = train_x.data if isinstance(train_x, Tensor) else np.asarray(train_x)
        if data.ndim == 0 or data.shape[0] < 1:
            raise ShapeError(f"standardize: need at least one example along axis 0, got shape {data.shape}")
        xp = backend.xp_of(data)
        mean, std = xp.mean(data, axis=0), xp.std(data, axis=0)
        std = xp.where(std < eps, 1.0, std).astype(std.dtype)
        return cls(backend.to_numpy(mean), backend.to_numpy(std))

    def __call__(self, x):
        """The transform of a Tensor (a Tensor on its device, same dtype) or of an array (a NumPy array)."""
        if not isinstance(x, Tensor):
            x = np.asarray(x)
        if x.shape[1:] != self.mean.shape:
            raise ShapeError(f"Standardize: fitted on features of shape {self.mean.shape}, got input {x.shape}")
        if not isinstance(x, Tensor):
            return ((x - self.mean) / self.std).astype(x.dtype, copy=False)
        mean = Tensor(self.mean.astype(x.dtype), device=x.device)
        std = Tensor(self.std.astype(x.dtype), device=x.device)
        return (x - mean) / std

    def state_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_state_dict(cls, state: dict) -> Standardize:
        return cls(state["mean"], state["std"])


def standardize(train_x, eps: float = 1e-8) -> Standardize:
    """Fit a :class:`Standardize` on the training inputs only; call it on every split."""
    return Standardize.fit(train_x, eps)
