"""JAX-style function transforms, each a short composition of the engine's two modes.

grad / value_and_grad / vjp : one reverse sweep (``autodiff.grad``) over fresh watched copies of the inputs.
jvp                          : one forward pass with tangents attached at a new forward-mode level.
hvp                          : forward-over-reverse ``jvp(grad(f))`` (default) or reverse-over-reverse
                               ``grad(<grad f, v>)``; both give H v without forming H.
jacobian / hessian           : rows by vjp ('rev') or columns by jvp ('fwd'); hessian = jacfwd(grad f).
linearize                    : evaluate once; J t from the recorded transpose of the VJP (double-VJP trick).

Inputs may be Tensors or pytrees (lists / tuples / dicts) of Tensors, so ``hvp`` works on a model's
whole parameter dict.
"""

from __future__ import annotations

import numbers

from . import autodiff
from .errors import ArgumentError, ArgumentTypeError, DTypeError, ShapeError
from .ops import elementwise as E
from .tensor import Tensor, as_tensor, zeros_like

# --------------------------------------------------------------------------- pytrees


def tree_flatten(tree):
    """Leaves (in order) and a structure recipe; containers are list, tuple and dict."""
    if isinstance(tree, (list, tuple)):
        leaves, defs = [], []
        for item in tree:
            lv, d = tree_flatten(item)
            leaves += lv
            defs.append((len(lv), d))
        return leaves, (type(tree), defs)
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, defs = tree_flatten([tree[k] for k in keys])
        return leaves, (dict, (keys, defs))
    return [tree], None


def _count(treedef) -> int:
    """How many leaves ``treedef`` holds."""
    if treedef is None:
        return 1
    kind, defs = treedef
    return _count(defs[1]) if kind is dict else sum(n for n, _ in defs)


def tree_unflatten(treedef, leaves):
    """The pytree ``treedef`` (from ``tree_flatten``) rebuilt with ``leaves`` in order."""
    leaves = list(leaves)
    if treedef is not None and not (isinstance(treedef, tuple) and len(treedef) == 2):
        raise ArgumentTypeError(f"tree_unflatten: treedef must come from tree_flatten, got {treedef!r}")
    if len(leaves) != _count(treedef):
        raise ArgumentError(
            f"tree_unflatten: the structure holds {_count(treedef)} leaves but {len(leaves)} were given"
        )
    return _unflatten(treedef, leaves)


def _unflatten(treedef, leaves):
    if treedef is None:
        return leaves[0]
    kind, defs = treedef
    if kind is dict:
        keys, inner = defs
        return dict(zip(keys, _unflatten(inner, leaves)))
    out, start = [], 0
    for n, d in defs:
        out.append(_unflatten(d, leaves[start : start + n]))
        start += n
    return kind(out) if kind is not list else out


def tree_map(fn, tree, *rest):
    """``fn`` applied leaf by leaf to ``tree`` (and the matching leaves of each tree in ``rest``)."""
    if not callable(fn):
        raise ArgumentTypeError(f"tree_map: fn must be a callable, got {type(fn).__name__}")
    leaves, tdef = tree_flatten(tree)
    others = []
    for r in rest:
        lv, rdef = tree_flatten(r)
        if rdef != tdef:
            raise ArgumentError("tree_map: every tree must have the structure of the first (same containers and keys)")
        others.append(lv)
    return tree_unflatten(tdef, [fn(x, *ys) for x, *ys in zip(leaves, *others)])


def _as_tensor(x, where="transform"):
    """A leaf as a Tensor (numbers become float tensors, arrays are wrapped without a copy)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Number) and not isinstance(x, bool):
        return as_tensor(float(x))
    try:
        return as_tensor(x)
    except (ArgumentTypeError, ArgumentError, ShapeError) as e:
        raise ArgumentTypeError(
            f"{where}: inputs must be Tensors, numbers or arrays (or pytrees of them): {e}"
        ) from None


def _need_callable(f, where):
    if not callable(f):
        raise ArgumentTypeError(f"{where}: f must be a callable, got {type(f).__name__}")


def _split_aux(out, has_aux, where):
    """``(output, aux)`` from f's result: with has_aux f must return a pair (JAX's rule)."""
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        got = f"a {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        raise ArgumentTypeError(
            f"{where}: with has_aux=True f must return a pair (output, aux), got {got}; return (out, aux) or "
            f"drop has_aux"
        )
    return out[0], out[1]


def _tensor_leaves(out, where):
    """f's output leaves, each a Tensor (ArgumentTypeError naming ``where`` otherwise)."""
    leaves, tdef = tree_flatten(out)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise ArgumentTypeError(
                f"{where}: f must return a Tensor or a pytree (list/tuple/dict) of Tensors, got a leaf of type "
                f"{type(leaf).__name__}"
            )
    return leaves, tdef


def _watch(x: Tensor) -> Tensor:
    """A new tensor equal to x that requires grad: linked to x's graph when x has one (so outer
    transforms see through it), a fresh leaf otherwise. Tangents are carried over."""
    if x.dtype.kind not in "fc":
        raise DTypeError(f"cannot differentiate with respect to a tensor of dtype {x.dtype}; use a float tensor")
    if x.requires_grad and autodiff.is_grad_enabled():
        return E.Identity.apply(x)
    w = Tensor._make(x.data, True, None, x._vbox)
    w._tangents = dict(x._tangents) if x._tangents else None
    return w


def _argnums(argnums, nargs, where):
    if isinstance(argnums, numbers.Integral) and not isinstance(argnums, bool):
        nums = (argnums,)
    elif isinstance(argnums, (tuple, list)) and all(
        isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in argnums
    ):
        nums = tuple(argnums)
    else:
        raise ArgumentTypeError(f"{where}: argnums must be an int or a tuple of ints, got {argnums!r}")
    for i in nums:
        if not -nargs <= i < nargs:
            raise ArgumentError(f"{where}: argnums {argnums} out of range for {nargs} positional arguments")
    return nums


def _prepare(args, nums, where="transform"):
    """Replace the differentiated arguments by watched copies; return (args, watched leaves per arg,
    treedefs, whether any original already required grad)."""
    args = list(args)
    watched, defs, outer = [], [], False
    for i in nums:
        leaves, tdef = tree_flatten(args[i])
        leaves = [_as_tensor(x, where) for x in leaves]
        outer = outer or any(x.requires_grad for x in leaves)
        w = [_watch(x) for x in leaves]
        args[i] = tree_unflatten(tdef, w)
        watched.append(w)
        defs.append(tdef)
    return args, watched, defs, outer and autodiff.is_grad_enabled()


def _keeps_history(outputs, watched, outer) -> bool:
    """Whether the derivatives must be recorded (create_graph): an argument already had history, or f
    closed over a tensor that requires grad (a parameter, or the variable of an enclosing grad) — then
    the result depends on it and an outer transform or ``backward`` must see that dependence."""
    if outer:
        return True
    if not autodiff.is_grad_enabled():
        return False
    return autodiff._reaches_leaf(outputs, {x for group in watched for x in group})


def _cotangents(value, leaves, create_graph, retain_graph=None, seed=None, prune=True):
    flat = [x for group in leaves for x in group]
    res = autodiff.grad(
        value, flat, seed, create_graph=create_graph, retain_graph=retain_graph, allow_unused=True, prune=prune
    )
    return [r if r is not None else zeros_like(x) for r, x in zip(res, flat)]


def _regroup(flat, watched, defs):
    out, start = [], 0
    for w, d in zip(watched, defs):
        out.append(tree_unflatten(d, flat[start : start + len(w)]))
        start += len(w)
    return out


# --------------------------------------------------------------------------- reverse mode


def value_and_grad(f, argnums=0, has_aux=False, _where="value_and_grad"):
    """``(f(*args), d f / d args[argnums])`` for scalar-valued f; with has_aux f returns (value, aux)."""
    _need_callable(f, _where)

    def wrapped(*args, **kwargs):
        nums = _argnums(argnums, len(args), _where)
        args, watched, defs, outer = _prepare(args, nums, _where)
        with autodiff.enable_grad():
            out = f(*args, **kwargs)
        value, aux = _split_aux(out, has_aux, _where)
        if not isinstance(value, Tensor):
            raise ArgumentTypeError(
                f"{_where}: f must return a scalar Tensor, got {type(value).__name__}; use vjp or jacobian for "
                f"other outputs"
            )
        if value.numel() != 1:
            raise ShapeError(
                f"{_where}: f must return a scalar Tensor, got shape {value.shape}; use vjp or jacobian for other "
                f"outputs"
            )
        if not value.requires_grad:
            grads = [zeros_like(x) for group in watched for x in group]
        else:
            keep = _keeps_history([value], watched, outer)
            # nothing to keep (and grad mode on): the watched leaves are the only ones requiring grad, so
            # every branch leads to them and there is nothing to prune
            grads = _cotangents(value, watched, create_graph=keep, prune=keep or not autodiff.is_grad_enabled())
        result = _regroup(grads, watched, defs)
        result = result[0] if isinstance(argnums, numbers.Integral) else tuple(result)
        return ((value, aux), result) if has_aux else (value, result)

    return wrapped


def grad(f, argnums=0, has_aux=False):
    """Gradient of scalar-valued f with respect to ``args[argnums]`` (an int or a tuple of ints).

    The seed's worked example: f(x, y) = x² + 2xy + y³ has gradient (2x + 2y, 2x + 3y²) = (10, 18) at (3, 2).

    >>> import tinygrad_opt as tg
    >>> f = lambda x, y: x**2 + 2 * x * y + y**3
    >>> tuple(g.item() for g in tg.grad(f, argnums=(0, 1))(tg.tensor(3.0), tg.tensor(2.0)))
    (10.0, 18.0)
    """
    vg = value_and_grad(f, argnums, has_aux, _where="grad")

    def wrapped(*args, **kwargs):
        (value, aux), g = vg(*args, **kwargs) if has_aux else ((None, None), vg(*args, **kwargs)[1])
        return (g, aux) if has_aux else g

    return wrapped


def vjp(f, *primals, has_aux=False):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns J^T cotangent, one entry per primal.
    The graph is kept, so vjp_fn can be called many times."""
    return _vjp(f, primals, has_aux, "vjp")


def _vjp(f, primals, has_aux, where):
    """vjp, its errors naming ``where`` (the public transform called: vjp, jacobian, linearize)."""
    _need_callable(f, where)
    args, watched, defs, outer = _prepare(primals, range(len(primals)), where)
    with autodiff.enable_grad():
        out = f(*args)
    out, aux = _split_aux(out, has_aux, where)
    out_leaves, out_def = _tensor_leaves(out, where)

    def vjp_fn(cotangent):
        cts, cdef = tree_flatten(cotangent)
        if cdef != out_def or len(cts) != len(out_leaves):
            raise ShapeError("vjp_fn: the cotangent must have the same structure as f's output")
        cts = [_as_tensor(c, "vjp_fn") for c in cts]
        for c, o in zip(cts, out_leaves):
            if c.shape != o.shape:
                raise ShapeError(f"vjp_fn: cotangent shape {c.shape} does not match the output shape {o.shape}")
        live = [(o, c) for o, c in zip(out_leaves, cts) if o.requires_grad]
        create = autodiff.is_grad_enabled() and (
            any(c.requires_grad for c in cts) or _keeps_history([o for o, _ in live], watched, outer)
        )
        if not live:
            flat = [zeros_like(x) for group in watched for x in group]
        else:
            flat = _cotangents([o for o, _ in live], watched, create, True, [c for _, c in live])
        return tuple(_regroup(flat, watched, defs))

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


# --------------------------------------------------------------------------- forward mode


def _leaf_pairs(primals, tangents, where):
    """Per argument ``(treedef, [(primal leaf, tangent leaf), ...])`` as Tensors, after checking that the
    tangents have the primals' structure and shapes (a tangent must never broadcast)."""
    out = []
    for p, t in zip(primals, tangents):
        pl, pdef = tree_flatten(p)
        tl, tdef = tree_flatten(t)
        if pdef != tdef:
            raise ShapeError(f"{where}: primals and tangents must have the same structure")
        pairs = []
        for a, b in zip(pl, tl):
            a, b = _as_tensor(a, where), _as_tensor(b, where)
            if a.shape != b.shape:
                raise ShapeError(f"{where}: tangent shape {b.shape} does not match primal shape {a.shape}")
            pairs.append((a, b))
        out.append((pdef, pairs))
    return out


def _attach(x, t, level):
    if t.device != x.device:
        t = t.to(x.device)
    t = t.astype(x.dtype)
    if x.requires_grad and autodiff.is_grad_enabled():
        d = E.Identity.apply(x)
    else:
        d = Tensor._make(x.data, False, None, x._vbox)
        d._tangents = dict(x._tangents) if x._tangents else None
    d._tangents = {**(d._tangents or {}), level: t}
    return d


def _single(x):
    return isinstance(x, Tensor) or not isinstance(x, (list, tuple))


def _argument_tuples(primals, tangents, where):
    """(single, primals, tangents): a bare primal (and its tangent) wrapped as 1-tuples, JAX's tuples kept."""
    single = _single(primals)
    primals = (primals,) if single else tuple(primals)
    tangents = (tangents,) if single and _single(tangents) else tuple(tangents)
    if len(primals) != len(tangents):
        raise ShapeError(f"{where}: {len(primals)} primals but {len(tangents)} tangents")
    return single, primals, tangents


def jvp(f, primals, tangents, has_aux=False):
    """``(f(*primals), J tangents)`` in one forward pass (true forward mode, no backward pass)."""
    return _jvp(f, primals, tangents, has_aux, "jvp")


def _jvp(f, primals, tangents, has_aux, where):
    """jvp, its errors naming ``where`` (the public transform called: jvp, jacobian, hvp)."""
    _need_callable(f, where)
    _, primals, tangents = _argument_tuples(primals, tangents, where)
    with autodiff._forward_level() as level:
        args = [
            tree_unflatten(pdef, [_attach(a, b, level) for a, b in pairs])
            for pdef, pairs in _leaf_pairs(primals, tangents, where)
        ]
        out = f(*args)
        out, aux = _split_aux(out, has_aux, where)
        _tensor_leaves(out, where)

        def take(o):
            t = o.tangent(level) if isinstance(o, Tensor) else None
            if isinstance(o, Tensor) and o._tangents:
                o._tangents = {k: v for k, v in o._tangents.items() if k != level} or None
            return t if t is not None else zeros_like(o)

        tangent_out = tree_map(take, out)
    return (out, tangent_out, aux) if has_aux else (out, tangent_out)


def linearize(f, *primals):
    """``(f(*primals), f_jvp)`` where ``f_jvp(*tangents)`` = J tangents at the fixed primals, without
    re-running f: J t is the gradient in u of <J^T u, t>, taken through the recorded VJP graph."""
    _need_callable(f, "linearize")
    out, vjp_fn = _vjp(f, primals, False, "linearize")
    if not isinstance(out, Tensor):
        raise ArgumentTypeError(f"linearize: f must return a single Tensor, got {type(out).__name__}")
    u = zeros_like(out).requires_grad_()
    with autodiff.enable_grad():
        cts = vjp_fn(u)

    def f_jvp(*tangents):
        if len(tangents) != len(primals):
            raise ShapeError(f"linearize: f_jvp takes {len(primals)} tangents, got {len(tangents)}")
        with autodiff.enable_grad():
            s = None
            for c, t in zip(tree_flatten(cts)[0], tree_flatten(tangents)[0]):
                term = (c * _as_tensor(t)).sum()
                s = term if s is None else s + term
            if s is None or not s.requires_grad:
                return zeros_like(out)
            r = autodiff.grad(s, u, retain_graph=True, allow_unused=True)
        return r if r is not None else zeros_like(out)

    return out.detach(), f_jvp


# --------------------------------------------------------------------------- second order


def hvp(f, primals, tangents, mode="fwd-rev"):
    """Hessian-vector product H v of scalar f at ``primals`` (H over all primals jointly).

    ``mode='fwd-rev'``: jvp of the gradient (one forward pass with tangents + one backward pass).
    ``mode='rev-rev'``: gradient of <grad f, v>, i.e. the recorded gradient's VJP with v (two backward
    passes). Both agree.

    For f(v) = Σ v³ the Hessian is diag(6v), so H·t = 6 v ⊙ t:

    >>> import tinygrad_opt as tg
    >>> v, t = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0])
    >>> tg.hvp(lambda v: (v**3).sum(), v, t).tolist(), tg.hvp(lambda v: (v**3).sum(), v, t, mode="rev-rev").tolist()
    ([6.0, 12.0], [6.0, 12.0])
    """
    _need_callable(f, "hvp")
    if mode not in ("fwd-rev", "rev-rev"):
        raise ArgumentError(f"hvp: mode must be 'fwd-rev' or 'rev-rev', got {mode!r}")
    single, primals, tangents = _argument_tuples(primals, tangents, "hvp")
    _leaf_pairs(primals, tangents, "hvp")  # structures and shapes checked here, named hvp
    nums = tuple(range(len(primals)))
    if mode == "fwd-rev":
        _, hv = _jvp(value_and_grad(f, argnums=nums, _where="hvp"), primals, tangents, False, "hvp")
        hv = hv[1]
    elif mode == "rev-rev":
        args, watched, defs, outer = _prepare(primals, nums)
        with autodiff.enable_grad():
            value = f(*args)
            if not value.requires_grad:
                flat = [zeros_like(x) for group in watched for x in group]
            else:
                g = _cotangents(value, watched, create_graph=True)
                vs = [v for _, pairs in _leaf_pairs(primals, tangents, "hvp") for _, v in pairs]
                # H v = J_g^T v (H is symmetric): one backward pass through the recorded gradient seeded
                # with v itself, rather than the gradient of <g, v> (no dot products, no scaling by 1)
                live = [(gi, vi.to(gi.device).astype(gi.dtype)) for gi, vi in zip(g, vs) if gi.requires_grad]
                if live:
                    outs, seeds = [gi for gi, _ in live], [vi for _, vi in live]
                    keep = _keeps_history(outs + seeds, watched, outer)  # a v that requires grad keeps history
                    flat = _cotangents(outs, watched, keep, seed=seeds)
                else:
                    flat = [zeros_like(x) for x in g]
        hv = tuple(_regroup(flat, watched, defs))
    else:
        raise ArgumentError(f"hvp: mode must be 'fwd-rev' or 'rev-rev', got {mode!r}")
    return hv[0] if single else hv


def jacobian(f, argnums=0, mode="rev"):
    """Jacobian of f (Tensor -> Tensor) with shape out.shape + arg.shape; a tuple for several argnums.
    ``mode='rev'`` builds it row by row with VJPs, ``'fwd'`` column by column with JVPs.

    The seed's R² → R³ example f(x, y) = (x²y, 5x + sin y, y²) at (1, 0) has J = [[0, 1], [5, 1], [0, 0]]:

    >>> import tinygrad_opt as tg
    >>> f = lambda p: tg.stack([p[0] ** 2 * p[1], 5 * p[0] + p[1].sin(), p[1] ** 2])
    >>> p = tg.tensor([1.0, 0.0])
    >>> tg.jacobian(f)(p).tolist() == tg.jacobian(f, mode="fwd")(p).tolist() == [[0.0, 1.0], [5.0, 1.0], [0.0, 0.0]]
    True
    """
    _need_callable(f, "jacobian")
    if mode not in ("rev", "fwd"):
        raise ArgumentError(f"jacobian: mode must be 'rev' or 'fwd', got {mode!r}")

    def wrapped(*args):
        nums = _argnums(argnums, len(args), "jacobian")
        args = [_as_tensor(a, "jacobian") if i in nums else a for i, a in enumerate(args)]
        jacs = [_jac_rev(f, args, i) if mode == "rev" else _jac_fwd(f, args, i) for i in nums]
        return jacs[0] if isinstance(argnums, numbers.Integral) else tuple(jacs)

    return wrapped


def _basis(x, k):
    e = x.xp.zeros(x.numel(), dtype=x.dtype)
    e[k] = 1
    return Tensor._make(e.reshape(x.shape), False, None)


def _jac_rev(f, args, i):
    def fi(xi):
        return f(*args[:i], xi, *args[i + 1 :])

    out, vjp_fn = _vjp(fi, (args[i],), False, "jacobian")
    if not isinstance(out, Tensor):
        raise ArgumentTypeError(f"jacobian: f must return a Tensor, got {type(out).__name__}")
    rows = [vjp_fn(_basis(out, k))[0] for k in range(out.numel())]
    from .tensor import stack

    if not rows:
        return zeros_like(args[i]).reshape(out.shape + args[i].shape)
    return stack(rows).reshape(out.shape + args[i].shape)


def _jac_fwd(f, args, i):
    def fi(xi):
        return f(*args[:i], xi, *args[i + 1 :])

    x = args[i]
    cols = [_jvp(fi, (x,), (_basis(x, k),), False, "jacobian")[1] for k in range(x.numel())]
    if cols and not isinstance(cols[0], Tensor):
        raise ArgumentTypeError(f"jacobian: f must return a Tensor, got {type(cols[0]).__name__}")
    from .tensor import stack

    out_shape = cols[0].shape if cols else fi(x).shape
    if not cols:
        return zeros_like(x).reshape(out_shape + x.shape)
    return stack(cols, axis=-1).reshape(out_shape + x.shape)


def hessian(f, argnums=0):
    """Hessian of scalar f with respect to one argument (shape arg.shape + arg.shape): the
    forward-mode Jacobian of the reverse-mode gradient."""
    _need_callable(f, "hessian")
    if not isinstance(argnums, numbers.Integral) or isinstance(argnums, bool):
        raise ArgumentTypeError(
            f"hessian: argnums must be a single int, got {argnums!r}; stack several arguments into one tensor"
        )
    return jacobian(grad(f, argnums=argnums), argnums=argnums, mode="fwd")
