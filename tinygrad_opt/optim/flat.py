"""One update over a whole parameter group: parameters and optimizer state as views of flat buffers.

An elementwise update rule (SGD, Adam, RMSprop, ...) costs a handful of array calls per parameter; on
a GPU each call is a kernel launch and ~20 µs of host time, so a six-tensor MLP's Adam step spent its
time launching, not computing. Here a group's parameters become views of one contiguous buffer (each
``p.data`` is a reshaped slice of it), the gradients are gathered into a second one, and every state
tensor lives in a flat buffer whose slices are the per-parameter entries of ``optimizer.state``. The
optimizer's own ``_update(p, g, state, group)`` — the one place its formula is written — then runs once,
on flat Tensors, instead of once per parameter (PyTorch's multi-tensor ``foreach`` path, JAX's
``ravel_pytree``). Elementwise rules give bit-identical results either way. An optimizer with a fused
kernel (``_fused_update``) then does the whole update in one launch on a GPU (``kernels.py``;
PyTorch's ``fused=True``).

``optimizer.state`` keeps PyTorch's per-parameter layout (the slices), so ``state_dict`` and
``load_state_dict`` are unchanged; state loaded or created per parameter is packed again on the next
flat step, and a parameter whose ``.data`` was replaced (``Module.to``) is packed again likewise.
"""

from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor

CPU_FLAT_BYTES = 128 << 10
"""On the CPU a group is updated flat only while it is small: at most this many bytes (glibc's default
mmap threshold), or four times as many after ``backend.retain_freed_memory()``. There the gain is
Python's per-call overhead, and a larger flat group loses it twice over: gathering the gradients is a
copy, and each temporary of the update is then a fresh mapping whose pages fault in (measured on the
MNIST-1D MLP's 79,000 parameters with Adam: opt.step 830 µs flat against 520 µs per parameter, and
363-428 µs against 462 µs with retained memory; on the 784-512-512-10 MLP the per-parameter update
wins either way). On a GPU the gain is launches, and a group is always updated flat."""


def eligible(params) -> bool:
    """Whether a group can be updated flat now: several parameters, one device and float dtype, and
    every gradient present (and, on the CPU, the group small). The step has already checked each
    gradient against its parameter (``optimizer.check_grads``: shape, dtype, device)."""
    if len(params) < 2:
        return False
    first = params[0]
    device, dtype = first.device, first.dtype
    total = 0
    for p in params:
        if p.grad is None or p.device != device or p.dtype != dtype:
            return False
        total += p.numel()
    if device != "cpu":
        return True
    return total * dtype.itemsize <= CPU_FLAT_BYTES * (4 if backend.memory_retained else 1)


class FlatGroup:
    """The parameters of one group as views of one buffer, and their optimizer state likewise."""

    def __init__(self, params):
        self.params = list(params)
        self.shapes = [p.shape for p in self.params]
        self.sizes = [math.prod(s) for s in self.shapes]
        self.offsets = [sum(self.sizes[:i]) for i in range(len(self.sizes))]
        self.views: list = []
        self.state_flat: dict = {}  # key -> flat state Tensor
        self.state_views: dict = {}  # key -> its per-parameter slices (the Tensors in optimizer.state)
        self._pack_params()

    def _slices(self, flat):
        return [flat[o : o + n].reshape(s) for o, n, s in zip(self.offsets, self.sizes, self.shapes)]

    def _gather(self, arrays):
        first = arrays[0]
        return backend.xp_of(first).concatenate([a.reshape(-1) for a in arrays])

    def _pack_params(self):
        """Copy the parameters into one buffer and make each ``p.data`` a view of it."""
        buffer = self._gather([p.data for p in self.params])
        self.views = self._slices(buffer)
        for p, view in zip(self.params, self.views):
            p.data = view
        self.param = Tensor._make(buffer, False, None)

    def _packed_state(self, optimizer, group):
        """The group's state as flat buffers (scalars shared), or None when the parameters' states differ
        in keys, step or scalar values (then the update goes parameter by parameter)."""
        states = [optimizer.state.get(p) for p in self.params]
        if all(s is None for s in states):
            flat = {"step": 0, **optimizer._init_state(self.param, group)}
            for p in self.params:
                optimizer.state[p] = {}
            self._write_back(flat, optimizer)
            return flat
        if any(s is None for s in states) or any(s.keys() != states[0].keys() for s in states):
            return None
        flat = {}
        for key, first in states[0].items():
            values = [s[key] for s in states]
            if isinstance(first, Tensor):
                if any(v.shape != shape for v, shape in zip(values, self.shapes)):
                    return None
                views = self.state_views.get(key)
                if views is None or any(v is not w for v, w in zip(values, views)):
                    self._adopt(key, Tensor._make(self._gather([v.data for v in values]), False, None))
                flat[key] = self.state_flat[key]
            elif all(v == first for v in values):
                flat[key] = first
            else:
                return None
        return flat

    def _adopt(self, key, flat_tensor):
        self.state_flat[key] = flat_tensor
        self.state_views[key] = [Tensor._make(a, False, None) for a in self._slices(flat_tensor.data)]

    def _write_back(self, flat, optimizer):
        """Per-parameter state as slices of the flat buffers (new ones made by the update included)."""
        total = sum(self.sizes)
        for key, value in flat.items():
            if isinstance(value, Tensor) and value.shape == (total,):
                if self.state_flat.get(key) is not value:
                    self._adopt(key, value)
                for p, view in zip(self.params, self.state_views[key]):
                    optimizer.state[p][key] = view
            else:
                for p in self.params:
                    optimizer.state[p][key] = value

    def step(self, optimizer, group) -> bool:
        """One update of the whole group through ``optimizer._update``; False (nothing done) when the
        states cannot be packed."""
        if any(p.data is not view for p, view in zip(self.params, self.views)):
            self._pack_params()  # a parameter's array was replaced since the last step
        state = self._packed_state(optimizer, group)
        if state is None:
            return False
        grad = Tensor._make(self._gather([p.grad.data for p in self.params]), False, None)
        state["step"] += 1
        if not (optimizer._fuses(self.param) and optimizer._fused_update(self.param, grad, state, group)):
            self.param.grad = grad
            optimizer._update(self.param, optimizer._grad(self.param, group), state, group)
            self.param.grad = None
        self._write_back(state, optimizer)
        for p in self.params:
            p._modified()  # each parameter's version counter moves, as with per-parameter in-place updates
        return True
