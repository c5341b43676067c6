"""The Hessian as an operator: loss and gradient evaluated once, then H v by one backward pass each.

``hvp_operator(loss_fn, params)`` records the gradient g = ∇f with its graph (``create_graph=True``).
H is the Jacobian of g (seed 000 "Hessian": "Hessian矩阵等价于梯度的Jacobian矩阵"), and since H is
symmetric, H v = J_gᵀ v: one backward pass through the recorded gradient seeded with v. No HVP runs
``loss_fn`` again, so every tool in this package costs one forward pass plus one backward pass per HVP.

The operator also reads and writes flat vectors (the parameters concatenated), which the Krylov methods
in ``lanczos.py`` work on, and restricts H to one parameter's diagonal block H_ii.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import autodiff, backend
from ..errors import (
    ArgumentTypeError,
    AxisError,
    ClosureError,
    CurvatureError,
    DeviceError,
    DTypeError,
    GraphError,
    HyperparameterError,
    ShapeError,
    check_int,
)
from ..tensor import Tensor, concatenate, randint, stack, zeros_like


class HVPOperator:
    """H v at fixed parameters. ``loss`` and ``grad`` are detached; ``num_hvps`` counts products."""

    def __init__(self, loss: Tensor, params: list, grads: list):
        self.params = params
        self.loss = loss.detach()
        self.grad = [g.detach() for g in grads]
        self._recorded = [g if g.requires_grad else None for g in grads]  # None: g_i is constant in θ
        self.sizes = [p.numel() for p in params]
        self.numel = sum(self.sizes)
        self.device, self.dtype = params[0].device, np.result_type(*[p.dtype for p in params])
        self.num_hvps = 0

    def __call__(self, vs) -> list:
        """H v for ``vs``, one tensor shaped like each parameter; returns a list shaped the same way."""
        vs = list(vs)
        if len(vs) != len(self.params):
            raise ShapeError(f"HVPOperator: got {len(vs)} vectors for {len(self.params)} parameters; pass one each")
        for i, (v, p) in enumerate(zip(vs, self.params)):
            if not isinstance(v, Tensor) or v.shape != p.shape:
                got = v.shape if isinstance(v, Tensor) else type(v).__name__
                raise ShapeError(f"HVPOperator: vector {i} has shape {got}, parameter {i} has shape {p.shape}")
        return self._product(vs, range(len(self.params)))

    def block(self, i: int, v: Tensor) -> Tensor:
        """H_ii v: the diagonal block of parameter i times v (shaped like it). Only g_i is swept back:
        (H [0, …, v, …, 0])_i = ∂(g_i · v)/∂θ_i."""
        n = len(self.params)
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise ArgumentTypeError(f"HVPOperator.block: i must be a parameter index (int), got {i!r}")
        if not -n <= i < n:
            raise AxisError(
                f"HVPOperator.block: parameter index {i} is out of range for {n} parameters (valid {-n}..{n - 1})"
            )
        i = int(i) % n
        if not isinstance(v, Tensor) or v.shape != self.params[i].shape:
            got = v.shape if isinstance(v, Tensor) else type(v).__name__
            raise ShapeError(f"HVPOperator.block: v has shape {got}, parameter {i} has shape {self.params[i].shape}")
        vs = [None] * n
        vs[i] = v
        return self._product(vs, [i])[0]

    def _product(self, vs, rows) -> list:
        live = [(g, v) for g, v in zip(self._recorded, vs) if g is not None and v is not None]
        inputs = [self.params[r] for r in rows]
        self.num_hvps += 1
        if not live:  # no gradient depends on the parameters: H = 0
            return [zeros_like(p) for p in inputs]
        outs, seeds = [g for g, _ in live], [v.astype(g.dtype) for g, v in live]
        hv = autodiff.grad(outs, inputs, grad_outputs=seeds, retain_graph=True, allow_unused=True)
        return [zeros_like(p) if h is None else h for h, p in zip(hv, inputs)]

    # ------------------------------------------------------------------ flat vectors

    def flatten(self, tensors) -> Tensor:
        """One flat vector from per-parameter tensors (the parameters' order)."""
        return concatenate([t.reshape(-1).astype(self.dtype) for t in tensors])

    def unflatten(self, flat: Tensor) -> list:
        """Per-parameter tensors (their shapes and dtypes) from a flat vector."""
        if not isinstance(flat, Tensor) or flat.shape != (self.numel,):
            got = flat.shape if isinstance(flat, Tensor) else type(flat).__name__
            raise ShapeError(
                f"HVPOperator: a flat vector must have shape ({self.numel},) (all parameters concatenated), got {got}"
            )
        out, start = [], 0
        for p, n in zip(self.params, self.sizes):
            out.append(flat[start : start + n].reshape(p.shape).astype(p.dtype))
            start += n
        return out

    def matvec(self, flat: Tensor) -> Tensor:
        """H v for a flat vector v."""
        return self.flatten(self._product(self.unflatten(flat), range(len(self.params))))

    def block_matvec(self, i: int):
        """v ↦ H_ii v on flat vectors of parameter i's size."""
        shape = self.params[i].shape
        return lambda v: self.block(i, v.reshape(shape)).reshape(-1)


def hvp_operator(loss_fn, params) -> HVPOperator:
    """Evaluate ``loss_fn(params)`` and its gradient once, with the graph kept for Hessian-vector products.

    ``loss_fn(params)`` must return a scalar Tensor; ``params`` is a list of Tensors that require grad
    (``list(model.parameters())``). Neither their values nor their ``.grad`` are touched."""
    return build_operator("hvp_operator", loss_fn, params)


def build_operator(where: str, loss_fn, params) -> HVPOperator:
    """``hvp_operator`` for the public function ``where`` (named in the error messages)."""
    params = check_params(where, params)
    with autodiff.enable_grad():
        loss = call_loss(where, loss_fn, params)
        if loss.requires_grad:
            grads = autodiff.grad(loss, params, create_graph=True, allow_unused=True)
        else:
            grads = [None] * len(params)
    grads = [zeros_like(p) if g is None else g for g, p in zip(grads, params)]
    return HVPOperator(loss, params, grads)


# --------------------------------------------------------------------------- argument checks


def check_params(where: str, params) -> list:
    """``params`` as a list of float Tensors that require grad, all on one device."""
    if isinstance(params, Tensor):
        raise ArgumentTypeError(
            f"{where}: params must be a list of Tensors, got one Tensor; pass [x] (and index it in loss_fn)"
        )
    if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
        raise ArgumentTypeError(
            f"{where}: params must be a list of Tensors, got {type(params).__name__}; pass list(model.parameters())"
        )
    params = list(params)
    if not params:
        raise ShapeError(f"{where}: params is empty; pass the tensors to differentiate, e.g. list(model.parameters())")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise ArgumentTypeError(
                f"{where}: params[{i}] is a {type(p).__name__}, not a Tensor; pass a list of Tensors"
            )
        if p.dtype.kind != "f":
            raise DTypeError(f"{where}: params[{i}] has dtype {p.dtype}; the Hessian needs float parameters")
        if not p.requires_grad:
            raise GraphError(f"{where}: params[{i}] (shape {p.shape}) does not require grad; call requires_grad_()")
        if p.device != params[0].device:
            raise DeviceError(
                f"{where}: params[0] is on {params[0].device} but params[{i}] is on {p.device}; move the model "
                f"to one device with .to(device)"
            )
    return params


def call_loss(where: str, loss_fn, params) -> Tensor:
    if not callable(loss_fn):
        raise ClosureError(f"{where}: loss_fn must be a callable loss_fn(params) -> scalar Tensor, got {loss_fn!r}")
    loss = loss_fn(params)
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        what = f"a Tensor of shape {loss.shape}" if isinstance(loss, Tensor) else f"a {type(loss).__name__}"
        raise ClosureError(
            f"{where}: loss_fn(params) returned {what}; it must return the loss as a scalar Tensor (reduce "
            f"with .sum() or .mean())"
        )
    return loss.reshape(())


class NonFinite(ArithmeticError):
    """Internal: a host scalar of an HVP (αⱼ, βⱼ, vᵀHv, gᵀHg) is NaN or inf; the public function turns
    it into ``not_finite(where)``."""


def not_finite(where: str) -> CurvatureError:
    return CurvatureError(
        f"{where}: the loss, its gradient or the Hessian-vector products are not finite (NaN or inf) at params; "
        "evaluate where the loss is finite and twice differentiable (check the data and parameters for NaN/inf)"
    )


def check_finite(where: str, *values: float) -> None:
    """Host scalars that must be finite (they are already on the host: no extra sync)."""
    if not all(math.isfinite(v) for v in values):
        raise not_finite(where)


def check_k(where: str, k, n: int, what: str = "the number of parameters") -> int:
    k = check_int(where, "k", k)
    if k > n:
        raise ShapeError(f"{where}: k={k} eigenvalues asked but {what} is {n}; pass k <= {n}")
    return k


def check_choice(where: str, name: str, value, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise HyperparameterError(f"{where}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def generator_for(seed, device: str, where: str = "analysis") -> backend.Generator:
    """A fresh generator on ``device`` for an int seed; the device's default generator for None."""
    backend.check_seed(seed, where)
    return backend.default_generator(device) if seed is None else backend.Generator(seed, device)


def to_host(*scalars: Tensor) -> list:
    """Device scalars as Python floats, in one device-to-host copy (each copy is a GPU sync)."""
    return [float(s) for s in stack([s.reshape(()).astype(np.float64) for s in scalars]).numpy()]


def norm(a: Tensor) -> float:
    return float((a * a).sum()) ** 0.5


def rademacher_like(t: Tensor, generator) -> Tensor:
    """±1 with equal probability, shaped like ``t`` on its device (E[v vᵀ] = I)."""
    return randint(0, 2, t.shape, device=t.device, generator=generator).astype(t.dtype) * 2 - 1
