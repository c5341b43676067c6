"""Exception types. Each message names the op, the offending shapes/values and what to do."""


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


class HyperparameterError(TinygradOptError, ValueError):
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


class MissingDatasetPackageError(TinygradOptError, ImportError):
    """An optional data set whose generator package is not installed (the message names the extra)."""
