"""Checkpoints: model + optimizer + scheduler + RNG + epoch in one safetensors file, written atomically.

The file is a plain safetensors file. Tensor names:

- the model's ``state_dict()`` keys, unprefixed (``0.weight``, ``0.bias`` …: PyTorch's names, so
  ``safetensors.torch.load_file`` + ``torch_model.load_state_dict`` reads the weights);
- every other array under its section and path: ``optimizer.state.<index>.<key>`` (``.<i>`` for list
  items such as L-BFGS's ``old_dirs``), ``scheduler.…``, ``history.…``, ``extra.…``.

Everything else is one JSON document under the ``__metadata__`` key ``"tinygrad_opt"``. Values that JSON
cannot say directly are tagged objects: ``{"$tensor": name}`` (an array in the tensor table),
``{"$tuple": [...]}``, ``{"$dict": [[key, value], ...]}`` (non-string keys such as parameter indices),
``{"$float": "inf"}`` and ``{"$scalar": dtype, "value": v}`` (NumPy scalars). Finite floats are JSON
numbers, which Python writes and reads back bit-exactly.

Loading never executes code: the header is JSON, the arrays are raw bytes. ``load_checkpoint`` only
reads; ``Checkpoint.restore`` validates everything before it changes anything. See docs/checkpoints.md.
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
from dataclasses import dataclass

import numpy as np
import safetensors
import safetensors.numpy

from . import backend
from .errors import ArgumentTypeError, CheckpointError, TinygradOptError
from .tensor import Tensor

FORMAT = "tinygrad_opt.checkpoint"
FORMAT_VERSION = 1
METADATA_KEY = "tinygrad_opt"
SECTION_PREFIXES = ("optimizer.", "scheduler.", "history.", "extra.")
"""Tensor-name prefixes of everything that is not a model weight (filter these out for torch)."""


def _error(path, problem: str, fix: str) -> CheckpointError:
    return CheckpointError(f"{path}: {problem}; {fix}")


def _check_path(where: str, path, writing: bool) -> str:
    """``path`` as a str: a str/PathLike naming a file (not a directory); for writing, in an existing
    directory. Checked before any file is opened."""
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(f"{where}: path must be a file path (str or os.PathLike), got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise CheckpointError(f"{where}: path {path!r} is not a file name; pass e.g. 'run/last.safetensors'")
    if os.path.isdir(path):
        raise CheckpointError(
            f"{where}: {path} is a directory; pass a file path such as {os.path.join(path, 'last.safetensors')}"
        )
    directory = os.path.dirname(os.path.abspath(path))
    if writing and not os.path.isdir(directory):
        raise CheckpointError(f"{where}: {path}: the directory {directory} does not exist; create it first")
    return path


def _check_stateful(where: str, name: str, obj, methods=("state_dict",)) -> None:
    if obj is not None and not all(callable(getattr(obj, m, None)) for m in methods):
        want = {"model": "a Module", "optimizer": "an Optimizer", "scheduler": "an LR scheduler"}[name]
        public = " and ".join(f"{m}()" for m in methods if not m.startswith("_"))
        raise ArgumentTypeError(f"{where}: {name} must be {want} (with {public}), got {type(obj).__name__}")


def _check_flag(where: str, name: str, value) -> None:
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{where}: {name} must be True or False, got {value!r}")


# --------------------------------------------------------------------------- value <-> JSON + tensors


def _encode(value, name: str, tensors: dict):
    """JSON-ready form of ``value``; arrays go into ``tensors`` under ``name`` (their path)."""
    if isinstance(value, np.generic):  # before float: np.float64 is a float subclass
        return {"$scalar": value.dtype.name, "value": _encode(value.item(), name, tensors)}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Tensor) or backend.is_array(value):
        if name in tensors:
            raise CheckpointError(f"save_checkpoint: two arrays would both be stored as {name!r}; rename one")
        host = value.numpy() if isinstance(value, Tensor) else backend.to_numpy(value)
        tensors[name] = np.ascontiguousarray(host)
        return {"$tensor": name}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, f"{name}.{i}", tensors) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{name}.{i}", tensors) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v, f"{name}.{k}", tensors) for k, v in value.items()}
        return {"$dict": [[_encode(k, name, {}), _encode(v, f"{name}.{k}", tensors)] for k, v in value.items()]}
    raise ArgumentTypeError(
        f"save_checkpoint: {name} is a {type(value).__name__}; a checkpoint stores None, bools, numbers, "
        "strings, lists, tuples, dicts and arrays"
    )


def _decode(value, tensors: dict):
    """Inverse of ``_encode``; raises KeyError/ValueError on a malformed document."""
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if "$tensor" in value:
        return tensors[value["$tensor"]]
    if "$tuple" in value:
        return tuple(_decode(v, tensors) for v in value["$tuple"])
    if "$dict" in value:
        return {_decode(k, tensors): _decode(v, tensors) for k, v in value["$dict"]}
    if "$float" in value:
        return float(value["$float"])
    if "$scalar" in value:
        return np.dtype(value["$scalar"]).type(_decode(value["value"], tensors))
    if any(k.startswith("$") for k in value):
        raise ValueError(f"unknown tag in {sorted(value)}")
    return {k: _decode(v, tensors) for k, v in value.items()}


# --------------------------------------------------------------------------- writing


def _rng_state() -> dict:
    """The CPU default generator's full state and its last seed (``manual_seed`` seeds every device, so
    that is also the CUDA generators' seed; CuPy's generator state itself cannot be saved)."""
    cpu = backend.default_generator("cpu")
    return {"cpu": cpu.get_state(), "seed": cpu.seed}


def save_checkpoint(
    path,
    *,
    model=None,
    optimizer=None,
    scheduler=None,
    epoch=None,
    best_metric=None,
    history=None,
    rng=True,
    extra=None,
) -> None:
    """Write one checkpoint file atomically: after a crash ``path`` holds the old file or the new one.

    ``model``'s ``state_dict()``, ``optimizer``'s and ``scheduler``'s state dicts, the CPU generator's
    state (``rng=True``) and the plain values ``epoch``, ``best_metric``, ``history``, ``extra`` (None,
    numbers, strings, lists, tuples, dicts, arrays)."""
    from . import __version__

    where = "save_checkpoint"
    path = _check_path(where, path, writing=True)
    _check_stateful(where, "model", model)
    _check_stateful(where, "optimizer", optimizer)
    _check_stateful(where, "scheduler", scheduler)
    _check_flag(where, "rng", rng)
    tensors: dict = {}
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "library_version": __version__, "model": None}
    if model is not None:
        weights = model.state_dict()
        doc["model"] = list(weights)
        for name, t in weights.items():
            tensors[name] = np.ascontiguousarray(t.numpy())
    for section, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        doc[section] = None
        if obj is not None:
            doc[section] = {"class": type(obj).__name__, "state_dict": _encode(obj.state_dict(), section, tensors)}
    doc["epoch"] = _encode(epoch, "epoch", tensors)
    doc["best_metric"] = _encode(best_metric, "best_metric", tensors)
    doc["history"] = _encode(history, "history", tensors)
    doc["extra"] = _encode(extra, "extra", tensors)
    doc["rng"] = _rng_state() if rng else None
    metadata = {METADATA_KEY: json.dumps(doc, allow_nan=False, separators=(",", ":"))}
    _atomic_write(path, safetensors.numpy.save(tensors, metadata=metadata))


def _atomic_write(path: str, data: bytes) -> None:
    """Temp file in the target's directory, write + fsync, rename over ``path``, fsync the directory.
    On any error the temp file is removed and ``path`` is untouched."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            if os.path.exists(path):
                os.chmod(tmp, os.stat(path).st_mode & 0o7777)  # keep the old file's permissions
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); platforms that cannot open a directory skip it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- reading


def _read_document(path: str, data: bytes) -> dict:
    """Check the safetensors framing and return our metadata document (nothing is executed)."""
    rewrite = "save it again, or use an earlier checkpoint"
    if len(data) < 8:
        raise _error(path, f"only {len(data)} bytes, too short for a checkpoint (truncated or empty file)", rewrite)
    n = int.from_bytes(data[:8], "little")
    if 8 + n > len(data):
        if data[8:9] == b"{":
            raise _error(path, f"the header needs {n} bytes but {len(data) - 8} follow: the file is truncated", rewrite)
        raise _error(path, "not a safetensors file", "pass a file written by save_checkpoint")
    try:
        header = json.loads(data[8 : 8 + n])
        ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise _error(
            path,
            "not a safetensors file (its header is not safetensors JSON)",
            "pass a file written by save_checkpoint",
        ) from None
    if max(ends, default=0) > len(data) - 8 - n:
        raise _error(
            path, f"the tensors need {max(ends)} bytes but {len(data) - 8 - n} follow: the file is truncated", rewrite
        )
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or METADATA_KEY not in meta:
        raise _error(
            path,
            "a safetensors file without tinygrad_opt checkpoint metadata (plain weights?)",
            "read it with safetensors.numpy.load_file and Module.load_state_dict",
        )
    try:
        doc = json.loads(meta[METADATA_KEY])
    except ValueError:
        raise _error(path, "its tinygrad_opt metadata is not valid JSON (corrupt file)", rewrite) from None
    version = doc.get("format_version") if isinstance(doc, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise _error(
            path,
            f"checkpoint format_version {version!r} is not supported (this tinygrad_opt reads 1..{FORMAT_VERSION})",
            "upgrade tinygrad_opt to the version that wrote it",
        )
    return doc


def _section(doc: dict, name: str, tensors: dict):
    """(class name, decoded state dict) of the optimizer or scheduler section, or (None, None)."""
    entry = doc.get(name)
    if entry is None:
        return None, None
    return entry["class"], _decode(entry["state_dict"], tensors)


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by ``save_checkpoint`` (nothing is applied; see ``Checkpoint.restore``).

    Raises CheckpointError for a truncated, foreign or newer-format file or a directory, and
    FileNotFoundError when there is no file."""
    path = _check_path("load_checkpoint", path, writing=False)
    with open(path, "rb") as f:
        data = f.read()
    doc = _read_document(path, data)
    try:
        tensors = safetensors.numpy.load(data)
        optimizer_class, optimizer_state = _section(doc, "optimizer", tensors)
        scheduler_class, scheduler_state = _section(doc, "scheduler", tensors)
        model_keys = doc["model"]
        return Checkpoint(
            path=path,
            format_version=doc["format_version"],
            model_state=None if model_keys is None else {k: tensors[k] for k in model_keys},
            optimizer_class=optimizer_class,
            optimizer_state=optimizer_state,
            scheduler_class=scheduler_class,
            scheduler_state=scheduler_state,
            epoch=_decode(doc.get("epoch"), tensors),
            best_metric=_decode(doc.get("best_metric"), tensors),
            history=_decode(doc.get("history"), tensors),
            rng=doc.get("rng"),
            extra=_decode(doc.get("extra"), tensors),
        )
    except (safetensors.SafetensorError, KeyError, ValueError, TypeError) as exc:
        raise _error(
            path, f"corrupt checkpoint ({type(exc).__name__}: {exc})", "save it again, or use an earlier checkpoint"
        ) from exc


# --------------------------------------------------------------------------- restoring


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` read: NumPy arrays and plain values, ready for the objects' load_state_dict."""

    path: str
    format_version: int
    model_state: dict | None
    optimizer_class: str | None
    optimizer_state: dict | None
    scheduler_class: str | None
    scheduler_state: dict | None
    epoch: object
    best_metric: object
    history: object
    rng: dict | None
    extra: object

    def restore(self, model=None, optimizer=None, scheduler=None, rng: bool = False) -> None:
        """Load the saved states into the given objects (and the CPU generator when ``rng``).

        Everything is validated before anything changes: on a CheckpointError the model, optimizer,
        scheduler and generator are exactly as they were."""
        where = "Checkpoint.restore"
        _check_stateful(where, "model", model, ("state_dict", "load_state_dict"))
        _check_stateful(where, "optimizer", optimizer, ("state_dict", "load_state_dict", "_checked_state"))
        _check_stateful(where, "scheduler", scheduler, ("state_dict", "load_state_dict", "_check_state"))
        _check_flag(where, "rng", rng)
        if model is not None:
            self._check_model(model)
        if optimizer is not None:
            self._check(optimizer, "optimizer", self.optimizer_class, self.optimizer_state, optimizer._checked_state)
        if scheduler is not None:
            check = functools.partial(_check_scheduler_state, scheduler)
            self._check(scheduler, "scheduler", self.scheduler_class, self.scheduler_state, check)
        if rng:
            self._check_rng()
        if model is not None:
            self._load_model(model)
        if optimizer is not None:
            optimizer.load_state_dict(self.optimizer_state)
        if scheduler is not None:
            scheduler.load_state_dict(self.scheduler_state)
        if rng:
            backend.default_generator("cpu").set_state(self.rng["cpu"])

    def _check_model(self, model) -> None:
        """Keys and shapes against the model; on a mismatch the module's own load_state_dict reports it
        (it checks everything before copying, so nothing changes)."""
        if self.model_state is None:
            raise _error(self.path, "the checkpoint holds no model", "save it with save_checkpoint(model=...)")
        current = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        if current != {k: tuple(v.shape) for k, v in self.model_state.items()}:
            self._load_model(model)

    def _load_model(self, model) -> None:
        try:
            model.load_state_dict(self.model_state)
        except (TinygradOptError, ValueError, TypeError) as exc:
            raise _error(
                self.path,
                f"the weights do not fit this {type(model).__name__} ({exc})",
                "build the model with the architecture that was saved, or load part of it with "
                "model.load_state_dict(ckpt.model_state, strict=False)",
            ) from exc

    def _check(self, obj, section: str, saved_class, state, validate) -> None:
        name = type(obj).__name__
        if state is None:
            raise _error(
                self.path, f"the checkpoint holds no {section}", f"save it with save_checkpoint({section}=...)"
            )
        if saved_class != name:
            raise _error(
                self.path,
                f"the {section} state is {saved_class}'s, not {name}'s",
                f"restore it into a new {saved_class}(...)",
            )
        try:
            validate(state)
        except (TinygradOptError, ValueError, TypeError, KeyError) as exc:
            raise _error(
                self.path,
                f"the {section} state does not fit this {name} ({exc})",
                f"build the {section} as it was when saved (same parameter groups and options)",
            ) from exc

    def _check_rng(self) -> None:
        saved = (self.rng or {}).get("cpu")
        if saved is None:
            raise _error(self.path, "the checkpoint holds no RNG state", "save it with save_checkpoint(rng=True)")
        ours = backend.default_generator("cpu").get_state()["bit_generator"]["bit_generator"]
        theirs = saved.get("bit_generator", {}).get("bit_generator")
        if saved.get("device") != "cpu" or theirs != ours:
            raise _error(
                self.path, f"the RNG state is for {theirs!r}, the generator is {ours!r}", "restore with rng=False"
            )


def _check_scheduler_state(scheduler, state) -> None:
    """The scheduler's own check, recursing into composites (SequentialLR, ChainedScheduler), whose
    load_state_dict would otherwise apply the first children before checking the later ones."""
    scheduler._check_state(state)
    for child, child_state in zip(getattr(scheduler, "_schedulers", ()), state.get("_schedulers", ())):
        _check_scheduler_state(child, child_state)
