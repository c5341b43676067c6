"""Linear-algebra primitives: batched matmul and einsum.

matmul: C = A B  =>  dA = G B^T, dB = A^T G (summed over broadcast batch dims); dC = dA B + A dB.
einsum: the VJP for operand k is an einsum of G with the other operands onto k's subscripts.
"""

from __future__ import annotations

from .. import backend
from ..autodiff import Function
from ..errors import ArgumentError, DTypeError, ShapeError
from .elementwise import _broadcast_tangent, _tangent_sum, _to
from .reduce import Sum

_LONG = 8  # an inner axis this many times the longer side of the result counts as long (gemm_nt)
_BLOCK_BYTES = 256 << 10  # a long product is summed in slices of K whose operands fit in this (L2)
_BLOCK_MIN_K = 1 << 14  # ... once K is at least this long


def gemm_nt(a, b):
    """a @ b.T for 2-D arrays a (M, K), b (N, K). For NumPy arrays whose shared axis K is long (a weight
    gradient, K = batch x positions), OpenBLAS runs (b a^T)^T up to twice as fast as a b^T, and once the
    operands outgrow the cache, the sum over K in slices that fit it (batched, then added) 2-3x faster
    again (the small CNN's first weight gradient, (8, 43264) by (43264, 9): 437 -> 115 us); those
    results are made C-contiguous. The slices change the order of the sum, not its terms."""
    m, k = a.shape
    n = b.shape[0]
    if not (k >= _LONG * max(m, n) and isinstance(a, backend.np.ndarray)):
        return a @ b.T
    blocks = -(-(m + n) * k * a.itemsize // _BLOCK_BYTES)
    if k >= _BLOCK_MIN_K and blocks > 1:
        for count in range(blocks, 2 * blocks):
            if k % count == 0:  # equal slices: one batched product
                part = k // count
                stacked = backend.np.matmul(
                    b.reshape(n, count, part).transpose(1, 0, 2), a.reshape(m, count, part).transpose(1, 2, 0)
                )
                return backend.np.ascontiguousarray(stacked.sum(axis=0).T)
    return backend.np.ascontiguousarray((b @ a.T).T)


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
        elif self.tb and not self.ta:
            return gemm_nt(a, b.T)  # G B^T: faster forms when the inner axis is long (a weight gradient)
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


class Affine(Function):
    """x op(W) + b for a 2-D input x, a 2-D weight W and a bias b of one row: a dense layer as one op
    (one GEMM, the bias added to its result in place), op(W) = W^T when ``tw`` (PyTorch's (out, in)
    weight layout, as ``linear`` uses it).

    dx = G op(W)^T,  d op(W) = x^T G (so dW = G^T x when ``tw``),  db = sum over rows of G;
    jvp = tx op(W) + x op(tW) + tb."""

    tw = False

    def forward(self, x, w, b):
        out = x @ (w.T if self.tw else w)
        out += b
        return out

    def vjp(self, g):
        x, w, _ = self.parents
        gx = _mm(g, w, False, not self.tw) if self.needs[0] else None
        gw = None
        if self.needs[1]:
            gw = _mm(g, x, True, False) if self.tw else _mm(x, g, True, False)
        return gx, gw, Sum.apply(g, axis=(0,), keepdims=False) if self.needs[2] else None

    def jvp(self, tx, tw, tb):
        x, w, b = self.parents
        t = _tangent_sum(
            None if tx is None else _mm(tx, w, False, self.tw), None if tw is None else _mm(x, tw, False, self.tw)
        )
        if tb is not None:
            t = tb if t is None else t + tb
        return _broadcast_tangent(t, (x.shape[0], b.shape[0]))


def affine(x, w, b, transposed=False):
    """x op(W) + b as one op when it can be (2-D x and W of one dtype, a bias of one row of that dtype),
    else composed of matmul and add (which check and report the shapes). ``transposed``: W is stored
    (out, in) and op(W) = W^T."""
    xd, wd, bd = x.data, w.data, b.data
    if xd.ndim == 2 and wd.ndim == 2 and bd.ndim == 1 and xd.dtype == wd.dtype == bd.dtype:
        n_in, n_out = (wd.shape[1], wd.shape[0]) if transposed else wd.shape
        if xd.shape[1] == n_in and bd.shape[0] == n_out:
            return Affine.apply(x, w, b, tw=True) if transposed else Affine.apply(x, w, b)
    return x @ (w.T if transposed else w) + b


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
        raise ArgumentError(f"einsum: ellipsis is not supported in {spec!r}; write out every subscript")
    if "->" in spec:
        lhs, out = spec.split("->")
    else:
        lhs = spec
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ArgumentError(f"einsum: {spec!r} names {len(inputs)} operands but {len(operands)} were given")
    sizes: dict = {}
    for subs, x in zip(inputs, operands):
        if len(subs) != x.ndim:
            raise ShapeError(f"einsum: subscripts {subs!r} need a {len(subs)}-D operand, got shape {x.shape}")
        if len(set(subs)) != len(subs):
            raise ArgumentError(f"einsum: repeated subscript in {subs!r} (diagonals) is not supported")
        for c, n in zip(subs, x.shape):
            if sizes.setdefault(c, n) != n:
                raise ShapeError(f"einsum: subscript {c!r} has sizes {sizes[c]} and {n} in {spec!r}")
    return Einsum.apply(*operands, spec=f"{lhs}->{out}", inputs=inputs, output_subs=out)
