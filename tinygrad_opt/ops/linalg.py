"""Linear-algebra primitives: batched matmul and einsum.

matmul: C = A B  =>  dA = G B^T, dB = A^T G (summed over broadcast batch dims); dC = dA B + A dB.
einsum: the VJP for operand k is an einsum of G with the other operands onto k's subscripts.
"""

from __future__ import annotations

from .. import backend
from ..autodiff import Function
from ..errors import DTypeError, ShapeError
from .elementwise import _tangent_sum, _to


class Matmul(Function):
    """op(a) @ op(b) for ndim >= 2 (1-D operands are promoted by Tensor.matmul), where op swaps the
    last two axes when the flag ``ta`` / ``tb`` is set — so the transposes in the VJP cost no op.

    With A' = op(A), B' = op(B):  dA' = G B'^T,  dB' = A'^T G;  a flagged operand takes the transpose.
    """

    ta = tb = False

    def forward(self, a, b):
        if self.ta:
            a = a.swapaxes(-1, -2)
        if self.tb:
            b = b.swapaxes(-1, -2)
        if a.ndim > 2 or b.ndim > 2:  # stacked matmul falls off BLAS for strided (e.g. transposed) operands
            xp = backend.xp_of(a)
            a, b = xp.ascontiguousarray(a), xp.ascontiguousarray(b)
        return a @ b

    def vjp(self, g):
        a, b = self.parents
        ga = gb = None
        if self.needs[0]:  # dA = G op(B)^T, or its transpose op(B) G^T when A enters transposed
            ga = _to(_mm(b, g, self.tb, True) if self.ta else _mm(g, b, False, not self.tb), a)
        if self.needs[1]:  # dB = op(A)^T G, or its transpose G^T op(A) when B enters transposed
            gb = _to(_mm(g, a, True, self.ta) if self.tb else _mm(a, g, not self.ta, False), b)
        return ga, gb

    def jvp(self, ta, tb):
        a, b = self.parents
        return _tangent_sum(
            None if ta is None else _mm(ta, b, self.ta, self.tb), None if tb is None else _mm(a, tb, self.ta, self.tb)
        )


def _mm(a, b, ta, tb):
    return Matmul.apply(a, b, ta=ta, tb=tb) if ta or tb else Matmul.apply(a, b)


def check_matmul(a, b, op: str = "matmul") -> None:
    if a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and a.shape[1] == b.shape[0]:
        return  # the common case, checked cheaply
    if a.dtype != b.dtype:
        raise DTypeError(f"{op}: dtypes differ ({a.dtype} and {b.dtype}); cast one with .astype() first")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"{op}: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise ShapeError(
            f"{op}: shapes {a.shape} and {b.shape} are not aligned (inner dimensions {ka} != {kb}); "
            f"the last dimension of the first operand must equal the second-to-last of the second"
        )
    try:
        backend.np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"{op}: batch dimensions of {a.shape} and {b.shape} do not broadcast") from None


class Einsum(Function):
    """einsum over explicit subscripts (``'ij,jk->ik'``); no ellipsis, no letter repeated within an operand."""

    def forward(self, *arrays):
        return backend.xp_of(arrays[0]).einsum(self.spec, *arrays)

    def _operand_grad(self, g, k):
        ins, out = self.inputs, self.output_subs
        others = [i for i in range(len(ins)) if i != k]
        present = set(out).union(*(ins[i] for i in others))
        target = "".join(c for c in ins[k] if c in present)
        spec = ",".join([out] + [ins[i] for i in others]) + "->" + target
        r = einsum(spec, g, *[self.parents[i] for i in others])
        if target != ins[k]:  # letters only in operand k were summed away: broadcast them back
            shape = self.parents[k].shape
            r = r.reshape(tuple(shape[j] if c in present else 1 for j, c in enumerate(ins[k]))).expand(shape)
        return r

    def vjp(self, g):
        return tuple(self._operand_grad(g, k) if need else None for k, need in enumerate(self.needs))

    def jvp(self, *tangents):
        terms = []
        for k, t in enumerate(tangents):
            if t is not None:
                ops = list(self.parents)
                ops[k] = t
                terms.append(einsum(self.spec, *ops))
        return _tangent_sum(*terms)


def einsum(spec: str, *operands):
    """Differentiable einsum over explicit subscripts, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    spec = spec.replace(" ", "")
    if "..." in spec:
        raise ValueError(f"einsum: ellipsis is not supported in {spec!r}; write out every subscript")
    if "->" in spec:
        lhs, out = spec.split("->")
    else:
        lhs = spec
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum: {spec!r} names {len(inputs)} operands but {len(operands)} were given")
    sizes: dict = {}
    for subs, x in zip(inputs, operands):
        if len(subs) != x.ndim:
            raise ShapeError(f"einsum: subscripts {subs!r} need a {len(subs)}-D operand, got shape {x.shape}")
        if len(set(subs)) != len(subs):
            raise ValueError(f"einsum: repeated subscript in {subs!r} (diagonals) is not supported")
        for c, n in zip(subs, x.shape):
            if sizes.setdefault(c, n) != n:
                raise ShapeError(f"einsum: subscript {c!r} has sizes {sizes[c]} and {n} in {spec!r}")
    return Einsum.apply(*operands, spec=f"{lhs}->{out}", inputs=inputs, output_subs=out)
