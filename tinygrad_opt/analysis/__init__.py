"""Analysis of the loss surface through Hessian-vector products (SPEC §9; docs/analysis.md).

Every function takes ``loss_fn, params``: ``loss_fn(params)`` returns a scalar Tensor and ``params`` is a
list of Tensors that require grad (``list(model.parameters())``). The loss and its gradient are evaluated
once; each HVP after that is one backward pass. Parameter values and ``.grad`` are never changed.

hessian.py   HVPOperator / hvp_operator: H v from the recorded gradient, flat vectors, diagonal blocks
lanczos.py   Lanczos with full reorthogonalization, power iteration with shift and deflation
spectrum.py  top-k eigenvalues, per-block eigenvalues, condition number, critical points, SLQ density
trace.py     Hutchinson trace and diagonal, per-block trace
taylor.py    the second-order step model f − εgᵀg + ½ε²gᵀHg, the optimal step, gradient-norm tracking
"""

from ..errors import NotCriticalPointError
from .hessian import HVPOperator, hvp_operator
from .spectrum import (
    block_eigenvalues,
    classify_critical_point,
    condition_number,
    hessian_eigenvalues,
    spectral_density,
)
from .taylor import GradientNormTracker, optimal_step, taylor_prediction
from .trace import TraceEstimate, block_trace, hutchinson_diagonal, hutchinson_trace
