"""Exception types: one family. Every error the library raises on purpose is a ``TinygradOptError``
and also the builtin a NumPy/PyTorch user would catch (``ShapeError`` is a ``ValueError``, ``AxisError``
an ``IndexError``, ``ArgumentTypeError`` a ``TypeError``...), so both ``except`` styles work. Each
message names the public function that was called, the offending shapes/values and what to do."""

import numbers


class TinygradOptError(Exception):
    """Base class of every error the library raises on purpose."""


class ShapeError(TinygradOptError, ValueError):
    """Shapes that an op cannot combine."""


class DTypeError(TinygradOptError, TypeError):
    """Dtypes that an op cannot combine, or gradients asked of a non-float tensor."""


class DeviceError(TinygradOptError, RuntimeError):
    """Unknown device, CUDA without CuPy/GPU, or tensors on different devices in one op."""


class GraphError(TinygradOptError, RuntimeError):
    """Backward misuse: non-scalar output without a gradient, freed graph, nothing requires grad."""


class InplaceError(GraphError):
    """A tensor saved for backward was modified in place after it was saved."""


class AnomalyError(TinygradOptError, FloatingPointError):
    """Raised in detect_anomaly() mode at the first op that produces NaN or Inf."""


class ArgumentError(TinygradOptError, ValueError):
    """An argument whose value is outside its valid range: a negative size, a zero stride, eps < 0,
    an unknown name among fixed choices, an empty tensor where values are needed."""


class ArgumentTypeError(TinygradOptError, TypeError):
    """An argument of the wrong type: a float where a size is needed, None where a model is needed,
    a string or an object where numbers are needed, a function that returns the wrong structure."""


class AxisError(ShapeError, IndexError):
    """A dimension, axis or index outside the tensor's range (``unsqueeze(5)`` on a 2-D tensor). Both an
    ``IndexError`` (as PyTorch raises) and a ``ValueError`` (as NumPy's ``AxisError``)."""


class StateDictError(TinygradOptError, RuntimeError, ValueError):
    """``load_state_dict`` (module, optimizer or scheduler) got a dict that does not fit: missing or
    unexpected keys, shapes or types that differ, another optimizer's state. Nothing was changed.
    A ``RuntimeError`` as PyTorch's ``Module.load_state_dict`` raises, and a ``ValueError`` as its
    optimizers' do."""

    def __init__(self, message, missing_keys=(), unexpected_keys=(), mismatched=()):
        super().__init__(message)
        self.missing_keys = list(missing_keys)
        self.unexpected_keys = list(unexpected_keys)
        self.mismatched = list(mismatched)


class HyperparameterError(ArgumentError):
    """An optimizer/scheduler hyper-parameter outside its valid range (negative lr, beta >= 1, ...)."""


class ClosureError(TinygradOptError, TypeError):
    """An optimizer's closure (or an analysis ``loss_fn``) that returns no scalar Tensor."""


class LineSearchError(TinygradOptError, FloatingPointError):
    """A line search met a non-finite loss or gradient; the parameters are restored to the step's start."""


class CurvatureError(TinygradOptError, ArithmeticError):
    """A curvature matrix that a method must invert is singular or not positive definite."""


class NotCriticalPointError(TinygradOptError, ValueError):
    """``analysis.classify_critical_point`` at a point whose gradient is not ~0."""


class CheckpointError(TinygradOptError, ValueError):
    """A file that is not a readable checkpoint (truncated, foreign, newer format) or that does not fit
    the objects it is restored into. The message names the file, the problem and the fix."""


class MissingPackageError(TinygradOptError, ImportError):
    """An optional package that is not installed (matplotlib for plots, mnist1d for its data set); the
    message names the extra to install."""


class MissingDatasetPackageError(MissingPackageError):
    """An optional data set whose generator package is not installed (the message names the extra)."""


def check_int(where: str, name: str, value, low: int = 1) -> int:
    """``value`` as an int >= ``low`` (a bool is no int), else a HyperparameterError naming ``where``:
    the counts, sizes, epochs and seeds of data loaders, data sets and the analysis tools."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise HyperparameterError(f"{where}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)
