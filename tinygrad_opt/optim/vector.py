"""What the line-search and curvature optimizers share: the closure, the parameter vector, and HVPs.

- ``call_closure`` runs the user's closure (zero_grad, loss, ``loss.backward()``, return loss) with grad
  enabled and checks that it returned a scalar Tensor.
- ``ParamVector`` is the concatenated parameter vector θ of ``torch.optim.LBFGS``, but not a copy: the
  parameters are views of one flat buffer (``flat.FlatGroup``, the multi-tensor update's packing), so
  θ ← θ + t·d is one in-place op and gathering the gradient is one concatenation.
- ``Curvature`` evaluates the same plain closure inside ``autodiff.keep_backward_graph()``: the gradient
  it leaves carries history, and the VJP of that gradient with v is H v (one backward pass per HVP, no
  fresh forward). Users never write ``create_graph=True`` into a closure.
"""

from __future__ import annotations

import math

from .. import backend
from ..autodiff import enable_grad, keep_backward_graph, no_grad
from ..autodiff import grad as autograd
from ..errors import ArgumentError, ClosureError, DeviceError, DTypeError
from ..tensor import Tensor
from . import flat
from . import line_search as ls
from .line_search import dot
from .optimizer import Optimizer, check_grads


def call_closure(name: str, closure, keep_graph: bool = False) -> Tensor:
    """The closure's loss (a one-element Tensor), evaluated with grad enabled."""
    if closure is None or not callable(closure):
        raise ClosureError(
            f"{name}.step: needs a closure that re-evaluates the model — def closure(): opt.zero_grad(); "
            f"loss = loss_fn(model(x), y); loss.backward(); return loss — got {closure!r}"
        )
    with enable_grad():
        if keep_graph:
            with keep_backward_graph():
                loss = closure()
        else:
            loss = closure()
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        what = f"a Tensor of shape {loss.shape}" if isinstance(loss, Tensor) else type(loss).__name__
        raise ClosureError(f"{name}.step: the closure must return the loss as a one-element Tensor, got {what}")
    return loss


def all_finite(loss, tensors) -> bool:
    """Whether the loss and every tensor are finite, in one host read: loss + 0·Σ sums is NaN otherwise."""
    with no_grad():
        probe = loss.detach().reshape(())
        if tensors:
            probe = probe + 0 * sum(t.sum() for t in tensors)
        return math.isfinite(float(probe))


class ParamVector:
    """A group's parameters as one flat vector θ (the parameters are views of it)."""

    def __init__(self, name: str, params):
        self.name = name
        self.params = list(params)
        first = self.params[0]
        for p in self.params:
            if p.device != first.device:
                raise DeviceError(
                    f"{name}: all parameters must be on one device (the method works on their concatenated "
                    f"vector), got {first.device} and {p.device}; move the model with .to(device) first"
                )
            if p.dtype != first.dtype or first.dtype.kind != "f":
                raise DTypeError(
                    f"{name}: all parameters must share one float dtype, got {first.dtype} and {p.dtype}; "
                    f"convert the model with .double() or .float()"
                )
        self.device, self.dtype = first.device, first.dtype
        self.packed = flat.FlatGroup(self.params)
        self.numel = sum(self.packed.sizes)

    @property
    def theta(self) -> Tensor:
        """The flat buffer the parameters are views of (packed again if a parameter's array was replaced)."""
        packed = self.packed
        if any(p.data is not view for p, view in zip(self.params, packed.views)):
            packed._pack_params()
        return packed.param

    def grad(self) -> Tensor:
        """The gradient as a new flat vector (zeros for parameters without one); each gradient is checked
        against its parameter first (shape, dtype, device)."""
        check_grads(f"{self.name}.step", self.params)
        return self.join([p.grad for p in self.params])

    def split(self, vec: Tensor) -> list:
        """Per-parameter views of a flat vector."""
        return [Tensor._make(a, False, None) for a in self.packed._slices(vec.data)]

    def join(self, tensors) -> Tensor:
        """Per-parameter tensors (None = zeros) concatenated into one flat vector."""
        xp = backend.xp_of(self.theta.data)
        parts = [
            t.data.reshape(-1) if t is not None else xp.zeros(p.numel(), dtype=self.dtype)
            for t, p in zip(tensors, self.params)
        ]
        return Tensor._make(xp.concatenate(parts), False, None)

    def clone(self) -> Tensor:
        return self.theta.clone().detach()

    def add_(self, vec: Tensor, alpha: float = 1.0) -> None:
        """θ ← θ + alpha·vec."""
        with no_grad():
            self.theta.add_(vec, alpha=alpha)
        self._touched()

    def set_(self, vec: Tensor) -> None:
        """θ ← vec."""
        with no_grad():
            self.theta.copy_(vec)
        self._touched()

    def _touched(self):
        for p in self.params:
            p._modified()  # each parameter's version counter moves, as with its own in-place update


class Curvature:
    """Loss, gradient and Hessian-vector products at the current θ, from one evaluation of the closure.

    The closure runs in ``keep_backward_graph`` mode; the gradients with history are kept here, and
    each parameter's ``.grad`` is left detached (as after a plain backward)."""

    def __init__(self, name: str, closure, vector: ParamVector):
        self.vector = vector
        self.loss = call_closure(name, closure, keep_graph=True)
        params = vector.params
        self._live = [(p, p.grad) for p in params if p.grad is not None and p.grad.requires_grad]
        self._index = {id(p): i for i, p in enumerate(params)}
        self.grad = vector.grad().detach()
        for p in params:
            if p.grad is not None:
                p.grad = p.grad.detach()

    def hvp_parts(self, vs) -> list:
        """H v for per-parameter tensors ``vs``; a parameter the gradient does not depend on gets zeros."""
        if not self._live:
            return [None] * len(vs)
        params, grads = zip(*self._live)
        seeds = [vs[self._index[id(p)]] for p in params]
        with no_grad():
            hv = autograd(list(grads), list(params), grad_outputs=seeds, retain_graph=True, allow_unused=True)
        by_param = {id(p): h for p, h in zip(params, hv)}
        return [by_param.get(id(p)) for p in self.vector.params]

    def hvp(self, v: Tensor) -> Tensor:
        """H v for a flat vector v."""
        return self.vector.join(self.hvp_parts(self.vector.split(v))).detach()

    def dense(self, indices=None) -> Tensor:
        """The Hessian (or its block over the flat ``indices``) as a matrix, one HVP per column — for the
        small problems Newton and coordinate descent are meant for."""
        n = self.vector.numel
        xp = backend.xp_of(self.grad.data)
        idx = list(range(n)) if indices is None else list(indices)
        cols = []
        for i in idx:
            e = xp.zeros(n, dtype=self.grad.dtype)
            e[i] = 1
            cols.append(self.hvp(Tensor._make(e, False, None)).data[idx])
        h = xp.stack(cols, axis=1)
        return Tensor._make((h + h.T) / 2, False, None)  # symmetric up to rounding: symmetrize

    def release(self) -> None:
        """Drop the recorded graph."""
        self._live = []


class VectorOptimizer(Optimizer):
    """Base of the methods that work on the concatenated parameter vector (LBFGS, BFGS, CG, steepest
    descent, Newton, NewtonCG, coordinate descent): one parameter group, parameters on one device,
    state kept under the first parameter (as ``torch.optim.LBFGS`` does) with flat vectors in it.

    ``step`` is all-or-nothing: when the closure or a line search raises, θ and the state go back to
    what they were at the step's start."""

    requires_closure = True  # step(closure) re-evaluates the loss (train.fit passes one)

    def __init__(self, params, defaults: dict):
        super().__init__(params, defaults)
        self.vector = ParamVector(type(self).__name__, self.param_groups[0]["params"])

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ArgumentError(
                f"{type(self).__name__}.add_param_group: works on one concatenated parameter vector, so it takes a "
                f"single parameter group (no per-group options); pass all parameters in one list"
            )
        super().add_param_group(param_group)

    def _state_shape(self, p, key):
        return None

    def _state_spec(self, p, group):
        return None  # the keys depend on the method and its progress; only the values' types are checked

    @property
    def _vstate(self) -> dict:
        return self.state.setdefault(self.param_groups[0]["params"][0], {})

    def step(self, closure=None):
        """One step of ``_step(closure, group, state)``, undone if it raises."""
        start = self.vector.clone()
        key = self.param_groups[0]["params"][0]
        saved = self.state.get(key)
        backup = None if saved is None else {k: (list(v) if isinstance(v, list) else v) for k, v in saved.items()}
        try:
            with no_grad():
                return self._step(closure, self.param_groups[0], self._vstate)
        except BaseException:
            self.vector.set_(start)
            if backup is None:
                self.state.pop(key, None)
            else:
                self.state[key] = backup
            raise

    def _step(self, closure, group, state):
        raise NotImplementedError

    def _evaluate_flat(self, closure) -> tuple[Tensor, float, Tensor]:
        """(loss Tensor, loss float, flat gradient) at the current θ."""
        loss = call_closure(type(self).__name__, closure)
        return loss, float(loss), self.vector.grad()

    def _start(self, closure, group):
        """(loss Tensor, loss float, flat gradient, Curvature or None) at the step's start; with the exact
        line search the closure runs with its graph kept, since the search needs dᵀH d there."""
        if group.get("line_search_fn") != "exact":
            return (*self._evaluate_flat(closure), None)
        c = self._curvature(closure)
        return c.loss, float(c.loss), c.grad, c

    @staticmethod
    def _first_step(g, lr) -> float:
        """The first trial step length min(1, 1/‖g‖₁)·lr (PyTorch's LBFGS): a unit step on a huge gradient
        would leave the region where the model of f holds."""
        return min(1.0, 1.0 / float(g.abs().sum())) * lr

    def _curvature(self, closure) -> Curvature:
        return Curvature(type(self).__name__, closure, self.vector)

    def _line_search(self, closure, group, d, t, loss, g, gtd, curvature=None, c2=0.9, max_ls=25) -> ls.Result:
        """Search along d from θ by ``group['line_search_fn']`` (at most ``max_ls`` evaluations) and move θ
        to θ + t d; returns the search's result (``None`` as the search: the step t is taken as is and the
        loss/gradient are evaluated there)."""
        search, name = group["line_search_fn"], f"{type(self).__name__}.step"
        x = self.vector.clone()
        phi = self._directional(closure, x, d)
        if search is None:
            f, g_new = phi(t)
            res = ls.Result(t, f, g_new, 1)
        elif search == "armijo":
            res = ls.armijo(phi, d, t, loss, gtd, max_ls=max_ls, name=name)
        elif search == "strong_wolfe":
            res = ls.strong_wolfe(phi, d, t, loss, g, gtd, c2=c2, max_ls=max_ls, name=name)
        else:  # exact: Newton on φ'(t) with φ'' from HVPs
            dhd0 = dot(d, curvature.hvp(d))
            curvature.release()

            def phi_curvature(t):
                self.vector.add_(d, alpha=t)
                c = self._curvature(closure)
                out = float(c.loss), c.grad, dot(d, c.hvp(d))
                self.vector.set_(x)
                return out

            def fallback():
                return ls.strong_wolfe(phi, d, t, loss, g, gtd, c2=c2, name=name)

            res = ls.exact(phi_curvature, d, loss, g, gtd, dhd0, name=name, fallback=fallback)
        self.vector.add_(d, alpha=res.t)
        return res

    def _directional(self, closure, x: Tensor, d: Tensor):
        """φ(t) for the line searches: θ ← x + t d, evaluate, θ ← x; returns (loss, flat gradient)."""

        def phi(t):
            self.vector.add_(d, alpha=t)
            _, f, g = self._evaluate_flat(closure)
            self.vector.set_(x)
            return f, g

        return phi
