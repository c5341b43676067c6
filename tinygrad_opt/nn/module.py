"""Module, Parameter and the containers (Sequential, ModuleList): PyTorch's contract, small.

A ``Module`` keeps three ordered registries, filled by attribute assignment:
``_parameters`` (``Parameter`` values), ``_buffers`` (state that is saved but not trained, e.g.
BatchNorm's running statistics, added with ``register_buffer``) and ``_modules`` (sub-modules).
Everything recursive (``parameters()``, ``train()``, ``to()``, ``state_dict()``) walks ``_modules``.

Why ``Parameter`` is a subclass: ``Tensor`` uses ``__slots__``, and a subclass with ``__slots__ = ()``
adds no per-object cost. ``isinstance(p, Tensor)`` holds, every op on it returns a plain ``Tensor``
(``Tensor._make`` builds Tensors), and registration is explicit: assigning a ``Parameter`` registers
it, assigning a plain tensor does not (so a cached tensor such as weight_norm's recomputed weight is
never mistaken for a trainable leaf).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from .. import backend
from ..autodiff import no_grad
from ..errors import ArgumentError, ArgumentTypeError, AxisError, DTypeError, StateDictError
from ..tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A leaf tensor that a ``Module`` registers as trainable (``requires_grad=True`` by default).

    ``Parameter(data)`` accepts an array, a nested list or a Tensor. Given a Tensor (and no other
    dtype or device), it shares that tensor's array and version counter, as PyTorch's does, so an
    in-place change through either is seen by both and by autograd's saved-tensor check; an array or
    a list is copied."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True, dtype=None, device=None):
        shared = isinstance(data, Tensor)  # an array or list is copied, as tg.tensor does
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, device=device, copy=not shared)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _float_dtype(where: str, dtype):
    """``dtype`` as a floating NumPy dtype (None stays None): casting weights to ints would truncate them."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise ArgumentTypeError(f"{where}: {dtype!r} is not a dtype ({err})") from None
    if dt.kind != "f":
        raise DTypeError(
            f"{where}: only floating-point dtypes are accepted (as nn.Module.to in PyTorch), got {dt}; "
            f"casting the weights to {dt} would truncate them"
        )
    return dt


def _move_(t: Tensor, device: str, dtype) -> None:
    """Re-home a tensor's array in place (keeping the object, so optimizers holding it stay valid)."""
    data = t.data
    if dtype is not None and data.dtype.kind == "f":
        data = data.astype(dtype)
    if device is not None and device != t.device:
        data = backend.asarray(data, device=device)
    t.data = data
    t._device = backend.device_of(data)


class Module:
    """Base class of every layer: holds parameters, buffers and sub-modules; ``__call__`` runs ``forward``."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "_forward_hooks", [])

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        for hook in self._forward_pre_hooks:
            hook(self, args)
        output = self.forward(*args, **kwargs)
        for hook in self._forward_hooks:
            hook(self, args, output)
        return output

    def register_forward_pre_hook(self, hook):
        """``hook(module, args)`` runs before every ``forward`` (weight_norm uses it)."""
        self._forward_pre_hooks.append(hook)
        return hook

    def register_forward_hook(self, hook):
        """``hook(module, args, output)`` runs after every ``forward`` (KFAC records layer inputs and outputs
        with it); remove it with ``module._forward_hooks.remove(hook)``."""
        self._forward_hooks.append(hook)
        return hook

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() in {type(self).__name__}.__init__ before assigning {name!r}")
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry and not _fits(registry, self, value):
                raise ArgumentTypeError(
                    f"cannot assign {type(value).__name__} to {name!r}: it is registered as a "
                    f"{_kind(registry, self)}; delete it first (del module.{name})"
                )
        if isinstance(value, Parameter):
            self._unregister(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._unregister(name)
            self._modules[name] = value
        elif name in self._parameters:
            self._parameters[name] = value  # None
        elif name in self._buffers:
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _unregister(self, name):
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            registry = d.get(key)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if any(name in r for r in (self._parameters, self._buffers, self._modules)):
            self._unregister(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        _check_name("register_parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise ArgumentTypeError(
                f"register_parameter: {name!r} must be a Parameter or None, got {type(param).__name__}"
            )
        self._unregister(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """State that is not trained but saved and moved with the module (running statistics)."""
        _check_name("register_buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise ArgumentTypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._unregister(name)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        _check_name("add_module", name)
        if module is not None and not isinstance(module, Module):
            raise ArgumentTypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        self._unregister(name)
        self._modules[name] = module

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "", memo=None):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, t in getattr(mod, registry).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Number of scalar parameters (shared parameters counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def apply(self, fn):
        if not callable(fn):
            raise ArgumentTypeError(f"Module.apply: fn must be callable (it gets each module), got {type(fn).__name__}")
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True):
        """Set ``training`` on this module and every sub-module (Dropout and BatchNorm read it)."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ArgumentTypeError(f"Module.train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                with no_grad():
                    p.grad.detach_().zero_()

    # ------------------------------------------------------------------ device and dtype
    def to(self, device=None, dtype=None):
        """Move (and/or cast floating) parameters, their gradients and buffers in place; returns self.
        ``dtype`` must be a floating dtype; both arguments are checked before anything moves."""
        if isinstance(device, (type, np.dtype)) and dtype is None:
            device, dtype = None, device
        dev = backend.parse_device(device) if device is not None else None
        if dev is not None:
            backend.xp_for(dev)  # fail early with the install hint
        dtype = _float_dtype("Module.to", dtype)
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    _move_(p, dev, dtype)
                    if p.grad is not None:
                        _move_(p.grad, dev, dtype)
            for b in m._buffers.values():
                if b is not None:
                    _move_(b, dev, dtype)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index: int = 0):
        return self.to(f"cuda:{index}")

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    # ------------------------------------------------------------------ state dict
    def state_dict(self, prefix: str = "") -> OrderedDict:
        """Name -> tensor for every parameter and persistent buffer. The tensors are detached views
        sharing the module's arrays (PyTorch's behaviour); copy them to keep a snapshot."""
        out = OrderedDict()
        for mod_prefix, mod in self.named_modules(prefix):
            for registry in (mod._parameters, mod._buffers):
                for name, t in registry.items():
                    if t is None or (registry is mod._buffers and name in mod._non_persistent):
                        continue
                    out[f"{mod_prefix}.{name}" if mod_prefix else name] = t.detach()
        return out

    def _state_targets(self) -> OrderedDict:
        targets = OrderedDict()
        for mod_prefix, mod in self.named_modules():
            for registry in (mod._parameters, mod._buffers):
                for name, t in registry.items():
                    if t is None or (registry is mod._buffers and name in mod._non_persistent):
                        continue
                    targets[f"{mod_prefix}.{name}" if mod_prefix else name] = t
        return targets

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values into the parameters and buffers. Every key and shape is checked before anything
        is written, so on a ``StateDictError`` the module is left exactly as it was.

        ``strict`` makes missing or unexpected keys an error; a shape mismatch is always an error.
        Returns ``(missing_keys, unexpected_keys)``."""
        if not isinstance(state_dict, Mapping):
            raise ArgumentTypeError(
                f"load_state_dict: expected a dict of name -> tensor, got {type(state_dict).__name__}"
            )
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        mismatched = []
        unreadable = []
        values = {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = _state_value(state_dict[key], target)
            if isinstance(value, str):
                unreadable.append(f"{key!r} {value}")
                continue
            if value.shape != target.shape:
                mismatched.append((key, value.shape, target.shape))
            values[key] = value
        problems = [f"value for {u}" for u in unreadable]
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        for key, got, want in mismatched:
            problems.append(f"size mismatch for {key!r}: checkpoint has shape {got}, the model has shape {want}")
        if problems:
            raise StateDictError(
                f"load_state_dict for {type(self).__name__} failed, nothing was loaded: "
                + "; ".join(problems)
                + (
                    " (pass strict=False to skip missing/unexpected keys)" if strict and (missing or unexpected) else ""
                ),
                missing,
                unexpected,
                mismatched,
            )
        with no_grad():
            for key, value in values.items():
                targets[key].copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [f"({name}): " + _indent(repr(child)) for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _state_value(value, target):
    """A state-dict value as a Tensor on ``target``'s device, or a string saying why it cannot be one
    (an object/string array would load as NaN or garbage)."""
    if not isinstance(value, Tensor):
        try:
            value = backend.asarray(value, device=target.device)
        except (TypeError, ValueError) as err:
            return f"cannot be read as an array ({err})"
    if value.dtype.kind not in "biuf":
        return f"has dtype {value.dtype}; it must hold bool, int or float numbers"
    return value if isinstance(value, Tensor) else Tensor._make(value, False, None, None, target.device)


def _fits(registry, module, value) -> bool:
    if registry is module._parameters:
        return value is None or isinstance(value, Parameter)
    if registry is module._buffers:
        return value is None or isinstance(value, Tensor)
    return value is None or isinstance(value, Module)


def _kind(registry, module) -> str:
    if registry is module._parameters:
        return "parameter (assign a Parameter or None)"
    if registry is module._buffers:
        return "buffer (assign a Tensor or None)"
    return "sub-module (assign a Module or None)"


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def functional_call(module: Module, tensors: dict, args=(), kwargs=None):
    """Run ``module(*args)`` with some parameters/buffers replaced by the given tensors (by
    state-dict name), then restore them. The tensors may be any Tensors, e.g. ones carrying a graph or
    forward-mode tangents, so ``grad``/``jvp``/``hvp`` can differentiate a module w.r.t. its weights."""
    if not isinstance(module, Module):
        raise ArgumentTypeError(f"functional_call: module must be a Module, got {type(module).__name__}")
    if not isinstance(tensors, Mapping):
        raise ArgumentTypeError(
            f"functional_call: tensors must be a dict of name -> Tensor, got {type(tensors).__name__}"
        )
    args = args if isinstance(args, tuple) else (args,)
    saved = []
    owners = dict(module.named_modules())
    try:
        for name, value in tensors.items():
            owner_name, _, attr = name.rpartition(".")
            owner = owners.get(owner_name)
            registry = None
            if owner is not None:
                registry = next((r for r in (owner._parameters, owner._buffers) if attr in r), None)
            if registry is None:
                raise ArgumentError(
                    f"functional_call: {type(module).__name__} has no parameter or buffer named {name!r}; "
                    f"the names are those of module.state_dict()"
                )
            saved.append((registry, attr, registry[attr]))
            registry[attr] = value
        return module(*args, **(kwargs or {}))
    finally:
        for registry, attr, old in reversed(saved):
            registry[attr] = old


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))`` or from an OrderedDict."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, _check_module(m, "Sequential"))
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), _check_module(m, "Sequential"))

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(idx, len(items), "Sequential")][1]

    def append(self, module: Module):
        self.add_module(str(len(self)), _check_module(module, "Sequential"))
        return self


class ModuleList(Module):
    """A list of sub-modules that are registered (so their parameters are found, moved and saved)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or ():
            self.append(m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(values[idx])
        return values[_index(idx, len(values), "ModuleList")]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self), "ModuleList")), _check_module(module, "ModuleList"))

    def append(self, module: Module):
        self.add_module(str(len(self)), _check_module(module, "ModuleList"))
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self


def _check_name(where, name):
    """A registry name: a non-empty str without '.', which state-dict keys use as the separator."""
    if not isinstance(name, str):
        raise ArgumentTypeError(f"{where}: name must be a str, got {type(name).__name__}")
    if not name or "." in name:
        raise ArgumentError(
            f"{where}: name {name!r} must be non-empty and contain no '.' (state-dict keys join with it)"
        )


def _check_module(m, where):
    if not isinstance(m, Module):
        raise ArgumentTypeError(f"{where}: expected a Module, got {type(m).__name__}")
    return m


def _index(idx, n, where):
    if not isinstance(idx, (int, np.integer)) or isinstance(idx, bool):
        raise ArgumentTypeError(f"{where}: index must be an int or a slice, got {idx!r}")
    if not -n <= idx < n:
        raise AxisError(f"{where}: index {idx} is out of range for length {n} (valid {-n}..{n - 1})")
    return idx % n
