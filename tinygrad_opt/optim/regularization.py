"""Parameter-norm penalties as loss terms (seed 000 "Regularization"; SPEC §7).

    l1_penalty = lambda sum_i |theta_i|            (gradient lambda sign(theta): drives weights to exactly 0)
    l2_penalty = lambda / 2 sum_i theta_i^2        (gradient lambda theta)

With the 1/2, adding ``l2_penalty(params, lambda)`` to the loss is exactly coupled weight decay
``weight_decay=lambda`` in SGD/Adam (``g <- g + lambda theta``). Decoupled decay (AdamW) is not a loss
term: it shrinks theta by (1 - lr lambda) outside the adaptive rescaling, which for adaptive methods
gives a different trajectory (Loshchilov & Hutter 2019).
"""

from __future__ import annotations

from ..tensor import Tensor
from .optimizer import nonnegative


def _params(parameters) -> list:
    if hasattr(parameters, "parameters"):
        parameters = parameters.parameters()
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def l1_penalty(parameters, weight: float) -> Tensor:
    nonnegative("l1_penalty", "weight", weight)
    return weight * sum(p.abs().sum() for p in _params(parameters))


def l2_penalty(parameters, weight: float) -> Tensor:
    nonnegative("l2_penalty", "weight", weight)
    return (0.5 * weight) * sum((p * p).sum() for p in _params(parameters))
