"""Greedy layer-wise supervised pretraining (seed 003 §8.3).

Stage 1 trains the first hidden block with a temporary output head: x → h¹ → y. Stage k adds block k on
top of the output h^(k−1) of the blocks trained so far and trains h^(k−1) → h^k → y with a new head. In the
seed's form the earlier blocks are frozen (their output is the next stage's input); ``freeze=False``
fine-tunes them too. Finally, all blocks and the last head can be fine-tuned jointly.
"""

from __future__ import annotations

import numbers

from ..errors import ArgumentError, ArgumentTypeError
from ..nn.module import Module, Sequential
from ..train.fit import fit
from ._checks import check_callable, check_module, check_optimizer

__all__ = ["greedy_layerwise_pretrain"]


def greedy_layerwise_pretrain(
    blocks, make_head, train_loader, make_optimizer, *, epochs=1, freeze=True, fine_tune_epochs=0, **fit_options
):
    """Train ``blocks`` greedily, one stage per block, then optionally fine-tune the whole network.

    ``blocks``: the hidden blocks in order (e.g. ``Sequential(Linear(64, 32), Tanh())``); ``make_head(k)``
    builds stage k's output head (k = 0 … len(blocks) − 1) on top of block k's output; the last head
    becomes the model's output layer. ``make_optimizer(params)`` builds a fresh optimizer for each stage
    (over the parameters trained in it). ``epochs`` per stage (an int, or one int per stage); with
    ``freeze=True`` the blocks before k have ``requires_grad`` off during stage k (no gradient is even
    computed for them) and are restored afterwards. ``fit_options`` go to ``train.fit`` (``loss_fn``,
    ``val_loader``, ``metric``, ``callbacks``, ``progress``, …).

    Returns ``(model, histories)``: ``model = Sequential(*blocks, last_head)`` (the blocks and head are
    the same objects, trained in place) and the list of ``fit`` histories, one per stage, then the
    fine-tuning one when ``fine_tune_epochs > 0``.
    """
    blocks = _check_blocks(blocks)
    check_callable("greedy_layerwise_pretrain", "make_head", make_head, "make_head(k) -> Module")
    check_callable("greedy_layerwise_pretrain", "make_optimizer", make_optimizer, "make_optimizer(params) -> Optimizer")
    stage_epochs = _check_epochs(epochs, len(blocks))
    if not isinstance(freeze, bool):
        raise ArgumentTypeError(f"greedy_layerwise_pretrain: freeze must be True or False, got {freeze!r}")
    if isinstance(fine_tune_epochs, bool) or not isinstance(fine_tune_epochs, numbers.Integral) or fine_tune_epochs < 0:
        raise ArgumentError(
            f"greedy_layerwise_pretrain: fine_tune_epochs must be an int >= 0, got {fine_tune_epochs!r}"
        )

    # everything the user supplies is built and checked before the first stage trains
    heads = [check_module(f"greedy_layerwise_pretrain: make_head({k})", make_head(k)) for k in range(len(blocks))]
    stages = [Sequential(*blocks[: k + 1], head) for k, head in enumerate(heads)]
    optimizers = []
    for k, stage in enumerate(stages):
        frozen = {id(p) for b in blocks[:k] for p in b.parameters()} if freeze else set()
        optimizers.append(_optimizer(make_optimizer, [p for p in _trainable(stage) if id(p) not in frozen]))
    model = Sequential(*blocks, heads[-1])
    fine_tune = _optimizer(make_optimizer, _trainable(model)) if fine_tune_epochs else None

    histories = []
    for k, (stage, opt) in enumerate(zip(stages, optimizers)):
        frozen = [p for b in blocks[:k] for p in b.parameters() if p.requires_grad] if freeze else []
        for p in frozen:
            p.requires_grad_(False)
        try:
            histories.append(
                fit(stage, opt, train_loader, epochs=stage_epochs[k], **{"progress": False, **fit_options})
            )
        finally:
            for p in frozen:
                p.requires_grad_(True)
    if fine_tune is not None:
        histories.append(
            fit(model, fine_tune, train_loader, epochs=fine_tune_epochs, **{"progress": False, **fit_options})
        )
    return model, histories


def _trainable(model) -> list:
    return [p for p in model.parameters() if p.requires_grad]


def _optimizer(make_optimizer, params):
    return check_optimizer("greedy_layerwise_pretrain", "make_optimizer(params)", make_optimizer(params))


def _check_blocks(blocks) -> list:
    if isinstance(blocks, Module) and not isinstance(blocks, Sequential) or not hasattr(blocks, "__iter__"):
        raise ArgumentTypeError(
            f"greedy_layerwise_pretrain: blocks must be a list of Modules (one per hidden layer), got "
            f"{type(blocks).__name__}"
        )
    blocks = list(blocks)
    if not blocks:
        raise ArgumentError("greedy_layerwise_pretrain: blocks is empty; pass at least one hidden block")
    for i, b in enumerate(blocks):
        check_module(f"greedy_layerwise_pretrain: blocks[{i}]", b)
    return blocks


def _check_epochs(epochs, n) -> list:
    values = list(epochs) if isinstance(epochs, (list, tuple)) else [epochs] * n
    if len(values) != n:
        raise ArgumentError(
            f"greedy_layerwise_pretrain: epochs has {len(values)} entries for {n} blocks; give one per block"
        )
    for e in values:
        if isinstance(e, bool) or not isinstance(e, numbers.Integral) or e < 1:
            raise ArgumentError(f"greedy_layerwise_pretrain: epochs must be ints >= 1, got {epochs!r}")
    return [int(e) for e in values]
