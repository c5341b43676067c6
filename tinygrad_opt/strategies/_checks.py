"""Argument checks shared by the strategies: metadata only (types, lengths, Python scalars), run before
any state changes. Ranges reuse the optimizers' rules, so messages read the same across the library."""

from __future__ import annotations

from ..errors import ArgumentError, ArgumentTypeError
from ..nn.module import Module
from ..optim.optimizer import Optimizer, count, nonnegative, positive
from ..tensor import Tensor

__all__ = ["check_callable", "check_module", "check_optimizer", "count", "nonnegative", "positive", "trainable"]


def check_module(where: str, model) -> Module:
    if not isinstance(model, Module):
        raise ArgumentTypeError(f"{where}: model must be an nn.Module, got {type(model).__name__}")
    return model


def trainable(where: str, model) -> list[tuple[str, Tensor]]:
    """The model's ``(name, parameter)`` pairs that require grad; at least one."""
    named = [(n, p) for n, p in check_module(where, model).named_parameters() if p.requires_grad]
    if not named:
        raise ArgumentError(f"{where}: {type(model).__name__} has no parameter that requires grad; nothing to learn")
    return named


def check_callable(where: str, name: str, fn, signature: str):
    if not callable(fn):
        raise ArgumentTypeError(f"{where}: {name} must be a callable {signature}, got {type(fn).__name__}")
    return fn


def check_optimizer(where: str, name: str, opt) -> Optimizer:
    if not isinstance(opt, Optimizer):
        raise ArgumentTypeError(
            f"{where}: {name} must be a tinygrad_opt.optim Optimizer, got {type(opt).__name__}; build one with e.g. "
            f"optim.Adam(model.parameters(), lr=1e-3)"
        )
    return opt


def scalar_loss(where: str, loss, name: str = "loss_fn") -> Tensor:
    """``loss`` as a 0-d Tensor, or ArgumentTypeError naming what ``name`` returned."""
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        what = f"a Tensor of shape {loss.shape}" if isinstance(loss, Tensor) else f"a {type(loss).__name__}"
        raise ArgumentTypeError(
            f"{where}: {name} returned {what}; it must return a scalar Tensor (reduce with .mean() or .sum())"
        )
    return loss.reshape(())
