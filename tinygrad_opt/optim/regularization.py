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
from .optimizer import nonnegative, tensor_list


def l1_penalty(parameters, weight: float) -> Tensor:
    """lambda sum |theta| over ``parameters`` (a Tensor, a Module or an iterable of Tensors)."""
    nonnegative("l1_penalty", "weight", weight)
    return weight * sum(p.abs().sum() for p in tensor_list("l1_penalty", parameters))


def l2_penalty(parameters, weight: float) -> Tensor:
    """lambda/2 sum theta^2 over ``parameters`` (a Tensor, a Module or an iterable of Tensors)."""
    nonnegative("l2_penalty", "weight", weight)
    return (0.5 * weight) * sum((p * p).sum() for p in tensor_list("l2_penalty", parameters))
