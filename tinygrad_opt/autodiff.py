"""The autodiff engine: primitives (``Function``), grad mode, forward-mode tangents, the backward sweep.

Reverse mode: each primitive's output remembers the ``Function`` node that made it; ``backward``
walks the graph in reverse topological order and calls each node's ``vjp``. VJP rules are written in
Tensor ops, so with ``create_graph=True`` the backward pass is itself recorded and can be
differentiated again.

Forward mode: a Tensor may carry tangents, one per active forward-mode *level* (nested ``jvp`` calls
get increasing levels). Every op applied to inputs with tangents also evaluates its ``jvp`` rule, so a
single forward pass yields the output's tangent. While the rule for level L runs, only levels < L
propagate: that keeps nested jvp calls from mixing their perturbations (perturbation confusion).
Since JVP rules are Tensor ops too, running the *backward* pass on inputs with tangents gives the
tangent of the gradient — that is forward-over-reverse HVP with no extra code.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import traceback
import weakref

from . import backend
from .errors import AnomalyError, ArgumentTypeError, DeviceError, GraphError, InplaceError, ShapeError


def _flag(mode, where: str) -> bool:
    """A bool argument (True/False, or 0/1): ArgumentTypeError for anything else (a string is always true)."""
    if not isinstance(mode, (bool, int, backend.np.bool_)) or mode not in (0, 1):
        raise ArgumentTypeError(f"{where}: mode must be True or False, got {mode!r}")
    return bool(mode)


class _State:
    grad_enabled = True
    anomaly = False
    in_rule = False  # a VJP/JVP rule is running (anomaly mode checks its result, not its inner ops)
    active_levels: set = set()  # forward-mode levels currently open
    ceiling = 1 << 60  # only levels <= ceiling propagate (lowered while a jvp rule runs)
    next_level = 1
    mutations = 0  # in-place modifications so far (any tensor): nodes recorded since then need no version check
    keep_graph = False  # Tensor.backward() records its own pass (create_graph=True): see keep_backward_graph


_state = _State()
_sequence = itertools.count()  # creation order of recorded nodes: every node comes after its inputs' nodes
_Tensor = None  # the Tensor class, registered by tensor.py (which imports this module)
_make = None  # its internal constructor Tensor._make, registered with it


# --------------------------------------------------------------------------- grad mode


class set_grad_enabled:
    """Context manager / decorator that turns graph recording on or off."""

    def __init__(self, mode: bool):
        self.mode = _flag(mode, type(self).__name__)

    def __enter__(self):
        self.prev = _state.grad_enabled
        _state.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.grad_enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(self.mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Ops inside record no graph (parameter updates, evaluation)."""

    def __init__(self):
        super().__init__(False)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(set_grad_enabled):
    """Re-enable graph recording inside a no_grad block."""

    def __init__(self):
        super().__init__(True)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with enable_grad():
                return fn(*args, **kwargs)

        return wrapper


def is_grad_enabled() -> bool:
    return _state.grad_enabled


class detect_anomaly:
    """Raise AnomalyError at the first op whose forward, VJP or JVP yields NaN/Inf, naming the op and
    the line that created it. Slow (checks every array); use it to debug, not to train."""

    def __init__(self, enabled: bool = True):
        self.enabled = _flag(enabled, "detect_anomaly")

    def __enter__(self):
        self.prev = _state.anomaly
        _state.anomaly = self.enabled
        return self

    def __exit__(self, *exc):
        _state.anomaly = self.prev


def is_anomaly_enabled() -> bool:
    return _state.anomaly


class keep_backward_graph:
    """While active, ``Tensor.backward()`` behaves as ``backward(create_graph=True)``: the gradients it
    leaves in ``.grad`` carry history, so their VJPs are Hessian-vector products.

    Curvature optimizers (Newton, NewtonCG, AdaHessian, SophiaH) evaluate the user's plain closure — the
    one written for LBFGS — inside this mode, so nobody writes ``create_graph=True`` into a closure."""

    def __enter__(self):
        self.prev = _state.keep_graph
        _state.keep_graph = True
        return self

    def __exit__(self, *exc):
        _state.keep_graph = self.prev


# --------------------------------------------------------------------------- forward-mode levels


class _forward_level:
    """Open a fresh forward-mode level for one jvp call; yields its integer id."""

    def __enter__(self) -> int:
        self.level = _state.next_level
        _state.next_level += 1
        _state.active_levels = _state.active_levels | {self.level}
        return self.level

    def __exit__(self, *exc):
        _state.active_levels = _state.active_levels - {self.level}


class _ceiling:
    def __init__(self, level: int):
        self.level = level

    def __enter__(self):
        self.prev = _state.ceiling
        _state.ceiling = self.level

    def __exit__(self, *exc):
        _state.ceiling = self.prev


def _live_levels(tensors) -> list[int]:
    levels = set()
    for t in tensors:
        if t._tangents:
            levels.update(t._tangents)
    return sorted(lv for lv in levels if lv in _state.active_levels and lv <= _state.ceiling)


# --------------------------------------------------------------------------- primitives


def _is_float(array) -> bool:
    return array.dtype.kind in "fc"


def _check_finite(fn: Function, what: str, array) -> None:
    if _is_float(array) and not bool(backend.xp_of(array).isfinite(array).all()):
        where = "".join(getattr(fn, "stack", ["(creation site not recorded)\n"]))
        raise AnomalyError(
            f"{type(fn).__name__} produced NaN/Inf in its {what} (output shape {tuple(array.shape)}); "
            f"the op was created at:\n{where}"
        )


class Function:
    """A primitive op: ``forward`` on backend arrays, ``vjp`` and ``jvp`` written in Tensor ops.

    ``vjp(g)`` returns one cotangent (Tensor or None) per parent; ``self.needs[i]`` says whether
    parent i wants one, so rules can skip work nobody needs (tinygrad's needs_input_grad).
    ``jvp(*tangents)`` gets one tangent per parent (None means zero) and returns the output tangent.
    Set ``uses_output = True`` when a rule needs the op's own output (``self.output()``).
    """

    # the engine's own fields live in slots (fast, small); op attributes (axis, index, ...) in the
    # lazily created __dict__
    __slots__ = ("parents", "needs", "versions", "seq", "epoch", "out_ref", "out_version", "stack", "__dict__")
    uses_output = False
    view = False  # output shares memory with parents[0] (and so its version counter)
    moves_device = False  # output lives on another device than the parents (transfers)
    saved: tuple = ()  # names of arrays the forward kept for the VJP, dropped with the graph after backward

    def forward(self, *arrays):
        raise NotImplementedError

    def vjp(self, g):
        raise NotImplementedError

    def jvp(self, *tangents):
        raise NotImplementedError

    def output(self):
        return self.out_ref()

    @classmethod
    def apply(cls, *parents, **attrs):
        fn = cls.__new__(cls)
        first = parents[0]
        device = first._device
        if attrs:
            if device != "cpu" or backend._cupy is not None:
                _place_constants(attrs, device)
            fn.__dict__.update(attrs)
        fn.parents = parents
        n = len(parents)
        if n == 2:
            second = parents[1]
            if second._device != device:
                _device_error(cls, device, second._device)
            wants_grad = first._requires_grad or second._requires_grad
            arrays = (first.data, second.data)
        elif n == 1:
            wants_grad = first._requires_grad
            arrays = (first.data,)
        else:
            wants_grad = False
            arrays = []
            for p in parents:
                if p._device != device:
                    _device_error(cls, device, p._device)
                wants_grad = wants_grad or p._requires_grad
                arrays.append(p.data)
        try:
            data = fn.forward(*arrays)
        except ValueError as e:  # NumPy/CuPy's broadcasting failure, reworded with the op and both shapes
            if n < 2 or isinstance(e, ShapeError):
                raise
            shapes = " and ".join(str(p.shape) for p in parents)
            raise ShapeError(
                f"{cls.__name__}: operands of shapes {shapes} do not broadcast together ({e}); each dimension "
                f"must be equal or 1 (reshape or unsqueeze one operand)"
            ) from None
        state = _state
        vbox = first._vbox if cls.view else None
        if cls.moves_device:
            device = None
        if wants_grad and state.grad_enabled:
            out = _make(data, True, fn, vbox, device)
            if n == 1:
                fn.needs, fn.versions = (True,), (first._vbox[0],)
            elif n == 2:
                fn.needs = (first._requires_grad, second._requires_grad)
                fn.versions = (first._vbox[0], second._vbox[0])
            else:
                fn.needs = tuple([p._requires_grad for p in parents])
                fn.versions = tuple([p._vbox[0] for p in parents])
            fn.seq = next(_sequence)
            fn.epoch = state.mutations
            if cls.uses_output:  # only the rules read it
                fn.out_ref = weakref.ref(out)
                fn.out_version = out._vbox[0]
        else:
            out = _make(data, False, None, vbox, device)
            if not state.active_levels and not state.anomaly:
                return out
            if cls.uses_output and state.active_levels:
                fn.out_ref = weakref.ref(out)
                fn.out_version = out._vbox[0]
        if state.anomaly:
            fn.stack = traceback.format_stack(limit=12)[:-2]
            if not state.in_rule:
                _check_finite(fn, "forward", data)
        if state.active_levels:
            _propagate_tangents(fn, out)
        return out


def _place_constants(attrs: dict, device: str) -> None:
    """Move the arrays among an op's constant parameters (weights, masks, index arrays, also inside
    index tuples) to the device of its inputs: the one place where constants follow their op."""
    for key, value in attrs.items():
        placed = _placed(value, device)
        if placed is not value:
            attrs[key] = placed


def _placed(value, device: str):
    if type(value) is tuple:
        items = tuple([_placed(v, device) for v in value])
        return value if all(a is b for a, b in zip(items, value)) else items
    if backend.is_array(value) and not isinstance(value, backend.np.generic):
        return backend.to_device(value, device)
    return value


def _device_error(cls, device, other):
    raise DeviceError(
        f"{cls.__name__}: tensors are on different devices ({device} and {other}); "
        f"move them to one device with .to(device) first"
    )


def _run_rule(rule, *args):
    """Call a VJP/JVP rule. In anomaly mode the Tensor ops inside it are not checked one by one; its
    result is, so a NaN/Inf is reported against the op that owns the rule (Sqrt's VJP at 0), not
    against an inner Div with no creation site."""
    if not _state.anomaly:
        return rule(*args)
    prev, _state.in_rule = _state.in_rule, True
    try:
        return rule(*args)
    finally:
        _state.in_rule = prev


def _propagate_tangents(fn: Function, out) -> None:
    for level in _live_levels(fn.parents):
        tangents = tuple(p._tangents.get(level) if p._tangents else None for p in fn.parents)
        with _ceiling(level - 1):
            t = _run_rule(fn.jvp, *tangents)
        if t is None:
            continue
        if t.shape != out.shape:
            raise ShapeError(f"{type(fn).__name__}.jvp returned shape {t.shape}, expected {out.shape}")
        if _state.anomaly:
            _check_finite(fn, "JVP", t.data)
        if out._tangents is None:
            out._tangents = {}
        out._tangents[level] = t


# --------------------------------------------------------------------------- the backward sweep


def _toposort(roots) -> list:
    """Tensors reachable from roots through requires_grad edges, each after all of its inputs.
    Iterative (no recursion limit on deep graphs such as unrolled inner loops). Tensors hash by
    identity, so they key the sets and dicts of the sweep directly."""
    order, visited = [], set()
    stack = [(r, False) for r in roots]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if t in visited:
            continue
        visited.add(t)
        ctx = t._ctx
        if ctx is None:
            order.append(t)
            continue
        if ctx.parents is None:
            raise GraphError(
                f"trying to backward through the graph a second time (the {type(ctx).__name__} node's saved "
                f"tensors were freed after the first backward); pass retain_graph=True to the first "
                f"backward if you need to backward twice"
            )
        stack.append((t, True))
        for p in ctx.parents:
            if p._requires_grad and p not in visited:
                stack.append((p, False))
    return order


def _reaches_leaf(roots, excluded: set) -> bool:
    """Whether a leaf that requires grad, other than those in ``excluded``, is reachable from roots
    through requires_grad edges (a depth-first search that stops at the first one)."""
    stack, visited = list(roots), set()
    while stack:
        t = stack.pop()
        if t in visited or not t._requires_grad:
            continue
        visited.add(t)
        ctx = t._ctx
        if ctx is None:
            if t not in excluded:
                return True
        elif ctx.parents is not None:
            stack.extend(ctx.parents)
    return False


def _check_versions(ctx: Function) -> None:
    for i, (p, v) in enumerate(zip(ctx.parents, ctx.versions)):
        if p._vbox[0] != v:
            raise InplaceError(
                f"{type(ctx).__name__}: input {i} of shape {p.shape}, saved for backward, was modified in "
                f"place (version {v} -> {p._vbox[0]}); clone it before the in-place op or make the update "
                f"out of place"
            )
    if ctx.uses_output:
        out = ctx.out_ref()
        if out is not None and out._vbox[0] != ctx.out_version:
            raise InplaceError(
                f"{type(ctx).__name__}: its output of shape {out.shape}, saved for backward, was modified in "
                f"place; clone it before modifying it"
            )


def _owned(g, seen: set):
    """A cotangent array safe to store as .grad: writable, not a view, not shared with another leaf."""
    data = g.data
    if id(data) in seen or data.base is not None or not getattr(data.flags, "writeable", True):
        g = _make(data.copy(), False, None)
    seen.add(id(g.data))
    return g


def run_backward(roots, cotangents, *, inputs=None, create_graph=False, retain_graph=None, prune=True):
    """Reverse sweep from ``roots`` seeded with ``cotangents``.

    With ``inputs=None`` gradients accumulate into ``.grad`` of leaves (and of retain_grad tensors);
    otherwise the cotangents of ``inputs`` are returned as a list (None where unreachable) and no
    ``.grad`` is touched (``autograd.grad``).

    Nodes are visited newest first (a max-heap on their creation number, as PyTorch orders by
    sequence number): a node is created after its inputs, so when it is popped every consumer has
    already sent its cotangent, and no separate topological sort is needed. Leaves come last.
    """
    if retain_graph is None:
        retain_graph = create_graph
    relevant = targets = None
    if inputs is not None:
        targets = set(inputs)
        if prune:
            relevant = set()
            for t in _toposort(roots):  # inputs before consumers: relevant if it is a target or reaches one
                if t in targets:
                    relevant.add(t)
                elif t._ctx is not None:
                    for p in t._ctx.parents:
                        if p in relevant:
                            relevant.add(t)
                            break
    cots: dict = {}
    heap: list = []
    leaves: list = []
    for r, g in zip(roots, cotangents):
        if relevant is not None and r not in relevant:
            continue
        if r in cots:
            cots[r] = cots[r] + g
            continue
        cots[r] = g
        if r._ctx is None:
            leaves.append(r)
        else:
            heap.append((-r._ctx.seq, id(r), r))
    heapq.heapify(heap)
    found: dict = {}
    seen = {id(g.data) for g in cotangents}  # the caller holds the seeds: never store them as .grad
    anomaly = _state.anomaly
    push = heapq.heappush
    with set_grad_enabled(create_graph):
        while heap:
            t = heapq.heappop(heap)[2]
            g = cots.pop(t)
            ctx = t._ctx
            if ctx.parents is None:
                raise GraphError(
                    f"trying to backward through the graph a second time (the {type(ctx).__name__} node's saved "
                    f"tensors were freed after the first backward); pass retain_graph=True to the first "
                    f"backward if you need to backward twice"
                )
            if targets is not None:
                if t in targets:
                    found[t] = g
                    if relevant is not None and not any(p in relevant for p in ctx.parents):
                        continue  # nothing wanted lies beyond this input: its history is not ours to run or free
            elif t._retains_grad:
                _accumulate(t, g if create_graph else _owned(g, seen))
            if ctx.epoch != _state.mutations:  # something was modified in place since this node was recorded
                _check_versions(ctx)
            grads = _run_rule(ctx.vjp, g) if anomaly else ctx.vjp(g)
            for p, pg, need in zip(ctx.parents, grads, ctx.needs):
                if pg is None or not need or (relevant is not None and p not in relevant):
                    continue
                if pg.data.shape != p.data.shape:
                    raise ShapeError(
                        f"{type(ctx).__name__}.vjp returned shape {pg.shape} for an input of shape {p.shape}"
                    )
                if anomaly:
                    _check_finite(ctx, "VJP", pg.data)
                prev = cots.get(p)
                if prev is not None:
                    cots[p] = prev + pg
                    continue
                cots[p] = pg
                if p._ctx is None:
                    leaves.append(p)
                else:
                    push(heap, (-p._ctx.seq, id(p), p))
            if not retain_graph:  # drop the saved tensors: the graph is freed as the sweep goes
                ctx.parents = None
                ctx.out_ref = None
                for name in ctx.saved:
                    ctx.__dict__.pop(name, None)
        for t in leaves:
            g = cots.pop(t)
            if targets is not None:
                found[t] = g
            else:
                _accumulate(t, g if create_graph else _owned(g, seen))
    if inputs is not None:
        return [found.get(t) for t in inputs]
    return None


def _accumulate(t, g) -> None:
    if g.data.dtype != t.data.dtype:
        g = g.astype(t.dtype)
    t._grad = g if t._grad is None else t._grad + g


def grad(outputs, inputs, grad_outputs=None, *, create_graph=False, retain_graph=None, allow_unused=False, prune=True):
    """PyTorch-style ``autograd.grad``: cotangents of ``inputs`` for ``outputs`` seeded with ``grad_outputs``.

    Leaves ``.grad`` untouched. With ``create_graph=True`` the results carry history (double backward).
    ``prune=False`` skips the pass that finds the branches leading to ``inputs``; pass it only when every
    branch does (the inputs are the only leaves that require grad), else work is wasted beyond them.
    """
    Tensor = _Tensor
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    seeds = [_seed_cotangent(o, g, "grad") for o, g in zip(outputs, grad_outputs)]
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise GraphError(f"grad: input {i} (shape {x.shape}) does not require grad; call x.requires_grad_() first")
    res = run_backward(outputs, seeds, inputs=inputs, create_graph=create_graph, retain_graph=retain_graph, prune=prune)
    for i, r in enumerate(res):
        if r is None and not allow_unused:
            raise GraphError(
                f"grad: input {i} (shape {inputs[i].shape}) is not reachable from the outputs; pass allow_unused=True "
                f"to get None for it"
            )
    return res[0] if single else res


def _seed_cotangent(out, g, where: str):
    Tensor = _Tensor
    if not out.requires_grad:
        raise GraphError(
            f"{where}: the output (shape {out.shape}) does not require grad and has no graph; make an input "
            f"require grad (requires_grad=True) and compute outside no_grad()"
        )
    if g is None:
        if out.numel() != 1:
            raise GraphError(
                f"{where}: output has shape {out.shape}; gradients can be created implicitly only for scalar "
                f"outputs — pass a gradient of shape {out.shape} (e.g. ones_like(out))"
            )
        return Tensor._make(backend.xp_of(out.data).ones(out.shape, dtype=out.dtype), False, None)
    g = g if isinstance(g, Tensor) else Tensor(g, dtype=out.dtype, device=out.device)
    if g.shape != out.shape:
        raise ShapeError(f"{where}: gradient has shape {g.shape} but the output has shape {out.shape}; they must match")
    return g
