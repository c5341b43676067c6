"""The handwritten digits (8x8, 10 classes, 1,797 images) shipped inside the package, with fixed splits.

Source: the test part ("optdigits.tes") of the UCI "Optical Recognition of Handwritten Digits" data set
(E. Alpaydin and C. Kaynak, 1998), as bundled by scikit-learn's ``load_digits``; licensed CC BY 4.0, see
``DIGITS_LICENSE.md`` next to this file. Each pixel counts the "on" pixels of a 4x4 block of a 32x32
bitmap, so values are integers 0..16.

``digits.npz`` holds ``images`` (1797, 8, 8) uint8, ``labels`` (1797,) uint8 and ``split`` (1797,) uint8
(0 train, 1 val, 2 test). It was written once, with scikit-learn installed, by::

    python -c "from tinygrad_opt.data.digits import build_digits_npz; build_digits_npz()"

The split is stored, not recomputed, so it stays the same whatever NumPy's random streams do: per class
18 images go to val and 36 to test (drawn by ``numpy.random.default_rng(0)``), the rest to train, which
gives 1,257 train / 180 val / 360 test. Loading needs only NumPy.
"""

from __future__ import annotations

import numbers
import os
import random
from pathlib import Path

import numpy as np

from .. import backend
from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    DeviceError,
    DTypeError,
    HyperparameterError,
    MissingDatasetPackageError,
    check_int,
)
from ..tensor import Tensor

DIGITS_PATH = Path(__file__).with_name("digits.npz")
SPLITS = {"train": 0, "val": 1, "test": 2}
SPLIT_SIZES = {"train": 1257, "val": 180, "test": 360}
_PER_CLASS = {"val": 18, "test": 36}
PIXEL_MAX = 16


def build_digits_npz(path=DIGITS_PATH, seed: int = 0) -> Path:
    """Write ``digits.npz`` from scikit-learn's copy of the data (a one-off; needs scikit-learn)."""
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(f"build_digits_npz: path must be a file path, got {type(path).__name__}")
    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    if not os.path.isdir(directory):
        raise ArgumentError(f"build_digits_npz: the directory {directory!r} does not exist; create it first")
    check_int("build_digits_npz", "seed", seed, 0)
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as exc:
        raise MissingDatasetPackageError(
            "build_digits_npz: needs scikit-learn (pip install scikit-learn); loading needs only NumPy"
        ) from exc

    bunch = sk_load_digits()
    images = bunch.images.astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    split = np.full(len(labels), SPLITS["train"], dtype=np.uint8)
    rng = np.random.default_rng(seed)
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        n_val, n_test = _PER_CLASS["val"], _PER_CLASS["test"]
        split[members[:n_val]] = SPLITS["val"]
        split[members[n_val : n_val + n_test]] = SPLITS["test"]
    np.savez_compressed(path, images=images, labels=labels, split=split)
    return Path(path)


def load_digits(split: str | None = "train", dtype=np.float32, normalize: bool = True, device=None):
    """``(x, y)`` Tensors of one fixed split: ``x`` of shape (n, 64) and ``dtype``, ``y`` int64 labels 0..9.

    ``split``: 'train' (1,257), 'val' (180), 'test' (360) or None for all 1,797 in the original order.
    ``normalize=True`` divides the pixels by 16 into [0, 1], a fixed scale that uses no statistics of any
    split; for zero mean and unit variance fit :func:`tinygrad_opt.data.standardize` on the train split.
    Reshape ``x`` to (n, 1, 8, 8) for a CNN.
    """
    if split is not None and (not isinstance(split, str) or split not in SPLITS):
        raise ArgumentError(f"load_digits: unknown split {split!r}; use 'train', 'val', 'test' or None")
    dtype = _float_dtype("load_digits", dtype, normalize)
    if not isinstance(normalize, bool):
        raise ArgumentTypeError(f"load_digits: normalize must be True or False, got {normalize!r}")
    device = _device("load_digits", device)
    with np.load(DIGITS_PATH) as data:
        images, labels, which = data["images"], data["labels"], data["split"]
    if split is not None:
        keep = which == SPLITS[split]
        images, labels = images[keep], labels[keep]
    x = images.reshape(len(images), -1).astype(dtype)
    if normalize:
        x /= PIXEL_MAX
    return Tensor(x, device=device), Tensor(labels.astype(np.int64), device=device)


# --------------------------------------------------------------------------- optional: MNIST-1D


def load_mnist1d(split: str = "train", num_samples: int = 5000, seed: int = 42, dtype=np.float32, device=None):
    """``(x, y)`` Tensors of MNIST-1D (Greydanus, 2020): x (n, 40) 1-D signals, y int64 labels 0..9.

    Generated locally by the ``mnist1d`` package (``pip install 'tinygrad_opt[mnist1d]'``) with its default
    arguments, ``num_samples`` and ``seed``; its own split is 80% 'train' / 20% 'test'. The package seeds
    Python's and NumPy's global generators; their states are restored afterwards.
    """
    where = "load_mnist1d"
    if split not in ("train", "test"):
        raise ArgumentError(f"{where}: unknown split {split!r}; use 'train' or 'test'")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples < 5:
        raise HyperparameterError(
            f"{where}: num_samples must be an integer >= 5 (it is split 80% train / 20% test), got {num_samples!r}"
        )
    check_int(where, "seed", seed, 0)
    dtype = _float_dtype(where, dtype, True)
    device = _device(where, device)
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise MissingDatasetPackageError(
            "load_mnist1d: the 'mnist1d' package is not installed; pip install 'tinygrad_opt[mnist1d]'"
        ) from exc
    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    x, y = (data["x"], data["y"]) if split == "train" else (data["x_test"], data["y_test"])
    return Tensor(np.asarray(x, dtype=dtype), device=device), Tensor(np.asarray(y, dtype=np.int64), device=device)


def _float_dtype(where: str, dtype, fractions: bool) -> np.dtype:
    """``dtype`` as a NumPy dtype; a float one where the values are fractions."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(f"{where}: dtype {dtype!r} is not a dtype; pass e.g. np.float32") from None
    if dt.kind not in "fiu" or (fractions and dt.kind != "f"):
        want = "a float dtype (the values are fractions)" if fractions else "a numeric dtype"
        raise DTypeError(f"{where}: dtype {dt} cannot hold the data; pass {want}, e.g. np.float32")
    return dt


def _device(where: str, device):
    try:
        return None if device is None else backend.parse_device(device)
    except DeviceError as exc:
        raise DeviceError(f"{where}: {exc}") from None
