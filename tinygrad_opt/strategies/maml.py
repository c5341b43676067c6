"""Meta-learning as a two-level optimization (seed 000 syllabus §11): MAML, first-order MAML, Reptile.

A task i has a support set (for the inner, per-task adaptation) and a query set (for the outer, meta
objective). With inner learning rate α and k inner steps from the shared initialization θ:

    φ_0 = θ,  φ_{j+1} = φ_j − α ∇L_support(φ_j)          (inner loop, plain SGD)
    MAML:    min_θ  Σ_i L_query,i(φ_k(θ))                  (Finn et al. 2017)

Second-order MAML differentiates through the inner steps; for k = 1 the meta-gradient is
(I − α ∇²L_support(θ)) ∇L_query(φ). First-order MAML drops the Hessian terms, i.e. the meta-gradient is
∇L_query(φ). Reptile (Nichol et al. 2018) needs no query set and no meta-gradient:
θ ← θ + ε (mean_i φ_i − θ).

Tasks are tuples of Tensors: ``(x_support, y_support, x_query, y_query)`` for MAML; Reptile also takes
``(x, y)`` pairs. The model is run with substituted weights through ``nn.functional_call``.
"""

from __future__ import annotations

from .. import autodiff
from ..autodiff import enable_grad, no_grad
from ..errors import ArgumentError, ArgumentTypeError, ShapeError
from ..nn.module import functional_call
from ..tensor import Tensor, zeros_like
from ..train.fit import needs_closure
from ._checks import check_callable, check_optimizer, count, positive, scalar_loss, trainable

__all__ = ["adapt", "maml_loss", "maml_step", "reptile_step"]

LOSS_SIGNATURE = "loss_fn(output, target) -> scalar Tensor"


def adapt(
    model, x, y, loss_fn, inner_lr: float, inner_steps: int = 1, *, first_order: bool = False, params=None
) -> dict:
    """The task-adapted weights φ_k (inner loop above), as ``{name: Tensor}`` for ``nn.functional_call``.

    With ``first_order=False`` φ_k keeps the graph through every inner gradient (create_graph), so a loss
    at φ_k back-propagates the full MAML meta-gradient into the model's parameters; with ``first_order=True``
    the inner gradients are constants and ∂φ_k/∂θ = I. ``params`` (a dict such as a previous ``adapt``
    result) replaces the starting point φ_0 = θ, so adaptation can continue step by step. The model itself
    is not changed."""
    named = _check_common("adapt", model, loss_fn, inner_lr, inner_steps, first_order)
    if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
        raise ArgumentTypeError(
            f"adapt: x and y must be Tensors (the support set), got {type(x).__name__} and {type(y).__name__}"
        )
    if params is not None:
        named = _check_start(named, params)
    return _adapt("adapt", model, named, x, y, loss_fn, inner_lr, inner_steps, first_order)


def maml_loss(model, tasks, loss_fn, inner_lr: float, inner_steps: int = 1, *, first_order: bool = False) -> Tensor:
    """The meta-objective (1/n) Σ_i L_query,i(φ_k,i(θ)) as a scalar Tensor whose ``backward()`` gives the
    (first- or second-order) MAML meta-gradient in the model's ``.grad``. Keeps every task's graph alive
    until then; ``maml_step`` back-propagates task by task instead."""
    named = _check_common("maml_loss", model, loss_fn, inner_lr, inner_steps, first_order)
    tasks = _check_tasks("maml_loss", tasks, (4,))
    losses = [_query_loss("maml_loss", model, named, t, loss_fn, inner_lr, inner_steps, first_order) for t in tasks]
    total = losses[0]
    for loss in losses[1:]:
        total = total + loss
    return total / len(losses)


def maml_step(
    model, tasks, loss_fn, meta_optimizer, inner_lr: float, inner_steps: int = 1, *, first_order: bool = False
) -> Tensor:
    """One meta-update: zero the meta-optimizer's gradients, accumulate the MAML meta-gradient of the mean
    query loss task by task (one graph alive at a time), then ``meta_optimizer.step()``. Returns the mean
    query loss after adaptation (before the update) as a detached 0-d Tensor; nothing is read to the host.
    Optimizers that re-evaluate the loss (L-BFGS, …) get a closure that redoes all of it."""
    named = _check_common("maml_step", model, loss_fn, inner_lr, inner_steps, first_order)
    tasks = _check_tasks("maml_step", tasks, (4,))
    check_optimizer("maml_step", "meta_optimizer", meta_optimizer)

    def closure():
        meta_optimizer.zero_grad()
        total = None
        for task in tasks:
            loss = _query_loss("maml_step", model, named, task, loss_fn, inner_lr, inner_steps, first_order)
            (loss / len(tasks)).backward()
            total = loss.detach() if total is None else total + loss.detach()
        return total / len(tasks)

    if needs_closure(meta_optimizer):
        return meta_optimizer.step(closure)
    loss = closure()
    meta_optimizer.step()
    return loss


def reptile_step(model, tasks, loss_fn, inner_lr: float, inner_steps: int = 1, outer_lr: float = 0.1) -> Tensor:
    """One Reptile update θ ← θ + ε (mean_i φ_k,i − θ) with ε = ``outer_lr`` (Nichol et al. 2018, batched
    version). φ_k,i is ``inner_steps`` SGD steps on task i's first two entries (its support set).
    Returns the mean support loss at θ (before adaptation) as a detached 0-d Tensor."""
    named = _check_common("reptile_step", model, loss_fn, inner_lr, inner_steps, False)
    tasks = _check_tasks("reptile_step", tasks, (2, 4))
    positive("reptile_step", "outer_lr", outer_lr)
    mean_phi = [zeros_like(p) for _, p in named]
    start = [(n, p.detach()) for n, p in named]  # φ needs no graph back to θ
    start_loss = None
    for x, y, *_ in tasks:
        with no_grad():
            loss = scalar_loss("reptile_step", loss_fn(model(x), y)).detach()
        start_loss = loss if start_loss is None else start_loss + loss
        phi = _adapt("reptile_step", model, start, x, y, loss_fn, inner_lr, inner_steps, True)
        mean_phi = [m + phi[n].detach() / len(tasks) for m, (n, _) in zip(mean_phi, named)]
    with no_grad():
        for m, (_, p) in zip(mean_phi, named):
            p.add_(m - p, alpha=outer_lr)
    return start_loss / len(tasks)


# --------------------------------------------------------------------------- internals


def _adapt(where, model, named, x, y, loss_fn, inner_lr, inner_steps, first_order) -> dict:
    names = [n for n, _ in named]
    params = [p if p.requires_grad else p.detach().requires_grad_() for _, p in named]  # constants: a fresh leaf
    with enable_grad():
        for _ in range(inner_steps):
            loss = scalar_loss(where, loss_fn(functional_call(model, dict(zip(names, params)), (x,)), y))
            grads = autodiff.grad(loss, params, create_graph=not first_order, retain_graph=True, allow_unused=True)
            params = [p if g is None else p - inner_lr * g for p, g in zip(params, grads)]
    return dict(zip(names, params))


def _query_loss(where, model, named, task, loss_fn, inner_lr, inner_steps, first_order) -> Tensor:
    x_s, y_s, x_q, y_q = task
    phi = _adapt(where, model, named, x_s, y_s, loss_fn, inner_lr, inner_steps, first_order)
    return scalar_loss(where, loss_fn(functional_call(model, phi, (x_q,)), y_q))


def _check_common(where, model, loss_fn, inner_lr, inner_steps, first_order) -> list:
    """Validate the model and the inner-loop settings; returns the trainable ``(name, parameter)`` pairs."""
    named = trainable(where, model)
    check_callable(where, "loss_fn", loss_fn, LOSS_SIGNATURE)
    positive(where, "inner_lr", inner_lr)
    count(where, "inner_steps", inner_steps)
    if not isinstance(first_order, bool):
        raise ArgumentTypeError(f"{where}: first_order must be True or False, got {first_order!r}")
    return named


def _check_start(named, params) -> list:
    """``params`` as ``(name, Tensor)`` pairs with the model's trainable names and shapes."""
    if not isinstance(params, dict) or not all(isinstance(v, Tensor) for v in params.values()):
        raise ArgumentTypeError(
            f"adapt: params must be a dict name -> Tensor (e.g. a previous adapt result), got {params!r}"
        )
    if set(params) != {n for n, _ in named}:
        raise ArgumentError(
            f"adapt: params has keys {sorted(params)} but the model's trainable parameters are "
            f"{sorted(n for n, _ in named)}; pass one Tensor per trainable parameter"
        )
    for n, p in named:
        if tuple(params[n].shape) != tuple(p.shape):
            raise ShapeError(f"adapt: params[{n!r}] has shape {params[n].shape}, the parameter has shape {p.shape}")
    return [(n, params[n]) for n, _ in named]


def _check_tasks(where, tasks, lengths) -> list:
    """The tasks as a list of tuples of Tensors of an allowed length (checked before any state changes)."""
    if isinstance(tasks, Tensor) or not hasattr(tasks, "__iter__"):
        raise ArgumentTypeError(f"{where}: tasks must be a list of task tuples, got {type(tasks).__name__}")
    tasks = list(tasks)
    if not tasks:
        raise ArgumentError(f"{where}: tasks is empty; pass at least one task")
    want = " or ".join(f"{n}-tuple" for n in lengths)
    layout = "(x_support, y_support, x_query, y_query)" if 4 in lengths else "(x, y)"
    for i, task in enumerate(tasks):
        if not (isinstance(task, (tuple, list)) and len(task) in lengths and all(isinstance(t, Tensor) for t in task)):
            got = f"length {len(task)}" if isinstance(task, (tuple, list)) else type(task).__name__
            raise ArgumentTypeError(f"{where}: tasks[{i}] must be a {want} of Tensors {layout}, got {got}")
    return tasks
