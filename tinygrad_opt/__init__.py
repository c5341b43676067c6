"""tinygrad_opt: a from-scratch autodiff framework on NumPy/CuPy with reverse mode, forward mode,
JAX-style transforms (grad, vjp, jvp, hvp, jacobian, hessian) and, on top, nn and optim."""

from . import autodiff, backend, func, nn, ops
from .autodiff import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import Generator, cuda_available, get_default_device, manual_seed, set_default_device
from .errors import (
    AnomalyError,
    ArgumentError,
    ArgumentTypeError,
    AxisError,
    CheckpointError,
    ClosureError,
    CurvatureError,
    DeviceError,
    DTypeError,
    GraphError,
    HyperparameterError,
    InplaceError,
    LineSearchError,
    MissingDatasetPackageError,
    MissingPackageError,
    NotCriticalPointError,
    ShapeError,
    StateDictError,
    TinygradOptError,
)
from .func import (
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    linearize,
    tree_flatten,
    tree_map,
    tree_unflatten,
    value_and_grad,
    vjp,
)
from .ops.conv import avg_pool1d, avg_pool2d, conv1d, conv2d, max_pool1d, max_pool2d, unfold
from .tensor import (
    Tensor,
    addmm,
    arange,
    as_tensor,
    bool_,
    cat,
    concatenate,
    einsum,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    int32,
    int64,
    linspace,
    maximum,
    minimum,
    one_hot,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    set_default_dtype,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

from . import optim  # isort: skip  (after the core it builds on)
from . import analysis  # isort: skip  (uses the transforms)
from . import data  # isort: skip
from . import train  # isort: skip  (data, nn, optim, checkpoints)
from . import strategies  # isort: skip  (MAML, continuation, greedy pretraining: nn, optim, train)
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint  # isort: skip  (nn, optim state)

__version__ = "0.1.0"
