"""Derivative checkers against central finite differences, with tolerances chosen by dtype.

gradcheck      : reverse-mode Jacobian (row by row via VJPs) == finite differences
gradgradcheck  : the VJP itself (built with create_graph) passes gradcheck — second derivatives
jvpcheck       : forward-mode J v == finite-difference directional derivative, plus the adjoint
                 identity <u, J v> = <J^T u, v>
hvpcheck       : forward-over-reverse H v == reverse-over-reverse H v == finite differences of the gradient

Use float64 inputs for checks (float32 gets looser tolerances). Each checker returns True or raises
``GradcheckError`` with the worst entry. Hypothesis strategies live in ``tinygrad_opt.testing.strategies``.
"""

from __future__ import annotations

import numpy as np

from .. import autodiff, func
from ..tensor import Tensor, concatenate

__all__ = ["GradcheckError", "tolerances", "gradcheck", "gradgradcheck", "jvpcheck", "hvpcheck", "numerical_jacobian"]


class GradcheckError(AssertionError):
    """An analytical derivative disagrees with finite differences (or with another mode)."""


_TOL = {
    np.dtype(np.float64): dict(eps=1e-6, atol=1e-5, rtol=1e-4),
    np.dtype(np.float32): dict(eps=1e-3, atol=2e-2, rtol=2e-2),
    np.dtype(np.float16): dict(eps=1e-2, atol=1e-1, rtol=1e-1),
}


def tolerances(dtype) -> dict:
    """Finite-difference step and (atol, rtol) suited to ``dtype``."""
    return dict(_TOL.get(np.dtype(dtype), _TOL[np.dtype(np.float64)]))


def _tol(inputs, eps, atol, rtol):
    t = tolerances(inputs[0].dtype)
    return (
        eps if eps is not None else t["eps"],
        atol if atol is not None else t["atol"],
        rtol if rtol is not None else t["rtol"],
    )


def _const(array, like: Tensor) -> Tensor:
    return Tensor(np.asarray(array, dtype=like.dtype), device=like.device, copy=False)


def _evaluate(f, inputs):
    with autodiff.no_grad():
        out = f(*[Tensor(x.data, device=x.device, copy=False) for x in inputs])
    return np.asarray(out.numpy(), dtype=np.float64)


def numerical_jacobian(f, inputs, i, eps):
    """Central differences d f / d inputs[i], shape (out.size, inputs[i].size)."""
    x = inputs[i]
    base = np.array(x.numpy(), dtype=x.dtype)
    cols = []
    for k in range(base.size):
        plus, minus = base.copy(), base.copy()
        plus.flat[k] += eps
        minus.flat[k] -= eps
        args_p = list(inputs)
        args_m = list(inputs)
        args_p[i] = _const(plus, x)
        args_m[i] = _const(minus, x)
        cols.append((_evaluate(f, args_p) - _evaluate(f, args_m)).ravel() / (2 * eps))
    out_size = _evaluate(f, inputs).size
    return np.stack(cols, axis=1) if cols else np.zeros((out_size, 0))


def _compare(name, analytical, numerical, atol, rtol):
    a = np.asarray(analytical, dtype=np.float64)
    n = np.asarray(numerical, dtype=np.float64)
    if a.shape != n.shape:
        raise GradcheckError(f"{name}: analytical shape {a.shape} != numerical shape {n.shape}")
    bad = ~np.isclose(a, n, atol=atol, rtol=rtol, equal_nan=False)
    if bad.any():
        k = np.unravel_index(np.argmax(np.where(bad, np.abs(a - n), -1)), a.shape)
        raise GradcheckError(
            f"{name} mismatch at {tuple(int(v) for v in k)}: analytical {a[k]!r} vs numerical {n[k]!r} "
            f"(max abs error {np.abs(a - n)[bad].max():.3e}, atol={atol}, rtol={rtol})\n"
            f"analytical:\n{a}\nnumerical:\n{n}"
        )
    return True


def _requiring(inputs):
    return [Tensor(x.data, device=x.device).requires_grad_() if x.dtype.kind == "f" else x for x in inputs]


def _diff_indices(inputs):
    return [i for i, x in enumerate(inputs) if x.dtype.kind == "f"]


def gradcheck(f, inputs, eps=None, atol=None, rtol=None):
    """Check the reverse-mode Jacobian of ``f(*inputs)`` w.r.t. every float input against finite differences."""
    inputs = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
    eps, atol, rtol = _tol(inputs, eps, atol, rtol)
    for i in _diff_indices(inputs):
        jac = func.jacobian(f, argnums=i, mode="rev")(*inputs).numpy()
        out_size = _evaluate(f, inputs).size
        _compare(f"gradcheck (input {i})", jac.reshape(out_size, -1), numerical_jacobian(f, inputs, i, eps), atol, rtol)
    return True


def gradgradcheck(f, inputs, eps=None, atol=None, rtol=None, seed=0):
    """Second derivatives: the map inputs -> J^T u (u a fixed random cotangent) must pass gradcheck."""
    inputs = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
    rng = np.random.default_rng(seed)
    out_shape = _evaluate(f, inputs).shape
    u = _const(rng.standard_normal(out_shape), inputs[0])
    idx = _diff_indices(inputs)

    def vjp_of(*xs):
        _, vjp_fn = func.vjp(_restrict(f, xs, idx), *[xs[j] for j in idx])
        return concatenate([g.reshape(-1) for g in vjp_fn(u)])

    return gradcheck(vjp_of, inputs, eps, atol, rtol)


def _restrict(f, inputs, idx):
    """f as a function of the inputs at positions ``idx`` only (the others held fixed)."""

    def f_sub(*ys):
        args = list(inputs)
        for j, y in zip(idx, ys):
            args[j] = y
        return f(*args)

    return f_sub


def _random_like(x, rng):
    return _const(rng.standard_normal(x.shape), x)


def jvpcheck(f, inputs, tangents=None, eps=None, atol=None, rtol=None, seed=0):
    """Forward-mode J v against finite differences f(x + eps v) - f(x - eps v) / 2 eps, and the adjoint
    identity <u, J v> = <J^T u, v> against the reverse mode."""
    inputs = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
    eps, atol, rtol = _tol(inputs, eps, atol, rtol)
    rng = np.random.default_rng(seed)
    idx = _diff_indices(inputs)
    if tangents is None:
        tangents = [_random_like(inputs[i], rng) for i in idx]

    f_sub = _restrict(f, inputs, idx)
    primals = [inputs[i] for i in idx]
    out, jv = func.jvp(f_sub, tuple(primals), tuple(tangents))
    plus = [_const(p.numpy() + eps * t.numpy(), p) for p, t in zip(primals, tangents)]
    minus = [_const(p.numpy() - eps * t.numpy(), p) for p, t in zip(primals, tangents)]
    numerical = (_evaluate(f_sub, plus) - _evaluate(f_sub, minus)) / (2 * eps)
    _compare("jvpcheck", jv.numpy(), numerical, atol, rtol)
    u = _random_like(out, rng)
    _, vjp_fn = func.vjp(f_sub, *primals)
    jtu = vjp_fn(u)
    lhs = float((u.numpy().astype(np.float64) * jv.numpy()).sum())
    rhs = float(sum((g.numpy().astype(np.float64) * t.numpy()).sum() for g, t in zip(jtu, tangents)))
    scale = max(1.0, abs(lhs), abs(rhs))
    _compare("adjoint identity <u, Jv> = <J^T u, v>", lhs / scale, rhs / scale, atol, rtol)
    return True


def hvpcheck(f, inputs, tangents=None, eps=None, atol=None, rtol=None, seed=0):
    """H v by forward-over-reverse and by reverse-over-reverse against finite differences of the
    gradient. A non-scalar f is first contracted with a fixed random weight (so every output counts)."""
    inputs = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
    eps, atol, rtol = _tol(inputs, eps, atol, rtol)
    rng = np.random.default_rng(seed)
    idx = _diff_indices(inputs)
    out_shape = _evaluate(f, inputs).shape
    w = _const(rng.standard_normal(out_shape), inputs[0])
    if tangents is None:
        tangents = [_random_like(inputs[i], rng) for i in idx]

    f_sub = _restrict(f, inputs, idx)

    def scalar(*ys):
        return (f_sub(*ys) * w).sum()

    primals = tuple(inputs[i] for i in idx)
    fr = func.hvp(scalar, primals, tuple(tangents), mode="fwd-rev")
    rr = func.hvp(scalar, primals, tuple(tangents), mode="rev-rev")
    g = func.grad(scalar, argnums=tuple(range(len(primals))))

    def grads_at(sign):
        pts = [_const(p.numpy() + sign * eps * t.numpy(), p) for p, t in zip(primals, tangents)]
        return [x.numpy().astype(np.float64) for x in g(*pts)]

    numerical = [(a - b) / (2 * eps) for a, b in zip(grads_at(1), grads_at(-1))]
    for k, (a, b, n) in enumerate(zip(fr, rr, numerical)):
        _compare(f"hvpcheck fwd-rev vs rev-rev (input {k})", a.numpy(), b.numpy(), atol, rtol)
        _compare(f"hvpcheck vs finite differences (input {k})", a.numpy(), n, atol, rtol)
    return True
