"""AdaHessian (Yao, Gholami, Shen, Mustafa, Keutzer & Mahoney, AAAI 2021; seed 000 "二阶优化器" item 2 and
its syllabus §10.2 "AdaHessian: An adaptive second-order optimizer"), and the Hutchinson machinery that
SophiaH shares.

Adam with the gradient's second moment replaced by the Hessian diagonal's (k = ``hessian_power``)::

    D     = z ⊙ Hz,  z Rademacher (±1 each with probability ½)   Hutchinson: E[z ⊙ Hz] = diag(H)
    D     ← mean over the kernel's spatial dims of |D|            4-D conv kernels only (spatial averaging)
    m     ← β₁ m + (1 − β₁) g
    v     ← β₂ v + (1 − β₂) D ⊙ D
    θ     ← (1 − lr·λ) θ                                          decoupled weight decay, as the reference
    θ     ← θ − lr · (m / (1 − β₁ᵗ)) / ((v / (1 − β₂ᵗ))^{k/2} + eps)

For a diagonal H the estimate is exact whatever z is (z_i² = 1), and the step is Newton's scaled by lr
when k = 1. Hz is one backward pass through the closure's recorded gradient (``vector.Curvature``):
the user writes the plain closure of LBFGS, never ``create_graph=True``. With ``update_each`` > 1 the
last D is reused in between, and those steps evaluate the closure without keeping its graph.
``n_samples`` probes are averaged. The reference implementation's facts followed here: lr 0.15,
eps 1e-4, |z ⊙ Hz| averaged over dims (2, 3) of 4-D weights, weight decay lr·λ·θ outside the
preconditioner, hessian_power in [0, 1].

Probes come from the optimizer's own generator on the parameters' device; its position is part of the
state (``probe_rng``), so a state_dict resume continues bit-identically. On the CPU the position is the
generator's state; a CUDA generator's state cannot be saved, so there it is (seed, number of draws) and
``load_state_dict`` replays the draws, which costs one probe per past Hessian evaluation.
"""

from __future__ import annotations

import numbers

from .. import backend
from ..autodiff import no_grad
from ..errors import ArgumentError, CurvatureError, HyperparameterError
from ..tensor import randint, zeros_like
from . import flat
from .optimizer import Optimizer, betas, check_grads, closed_unit_interval, count, nonnegative, positive
from .vector import Curvature, ParamVector, all_finite, call_closure


def hutchinson_diagonal(curvature: Curvature, zs) -> list:
    """z ⊙ Hz per parameter for per-parameter probes ``zs``: unbiased for diag(H) when E[z zᵀ] = I, exact
    for a diagonal H and Rademacher z. None for a parameter without a gradient, zeros where the gradient
    does not depend on the parameter."""
    hz = curvature.hvp_parts(zs)
    return [
        None if p.grad is None else (zeros_like(p) if h is None else z * h)
        for p, z, h in zip(curvature.vector.params, zs, hz)
    ]


def spatial_average(d):
    """A conv kernel's (out, in, kh, kw) diagonal estimate averaged as |d| over the kernel's spatial dims
    and broadcast back: one value per (out, in) pair, as in the paper's spatial averaging."""
    return d.abs().mean(axis=(2, 3), keepdims=True).expand(d.shape)


_MOVED = object()  # the generator has drawn since its position was last recorded


class RademacherProbes:
    """Flat Rademacher vectors drawn on the parameters' device from one seeded generator, whose position
    (``record``) is plain data the optimizer keeps in its state."""

    def __init__(self, seed: int):
        self.seed = seed
        self.generator = None
        self.position = None  # the position the generator is at, as recorded in the state (None: fresh)

    def sync(self, saved, vector: ParamVector) -> None:
        """Put the generator where the state says (it differs after load_state_dict or a failed step)."""
        if self.generator is not None and saved is self.position:
            return
        self.generator = backend.Generator(self.seed if saved is None else saved["seed"], vector.device)
        self.draws = 0
        if saved is not None and "bit_generator" in saved and vector.device == "cpu":
            self.generator.set_state({"device": "cpu", "bit_generator": saved["bit_generator"]})
            self.draws = saved["draws"]
        elif saved is not None:
            for _ in range(saved["draws"]):  # a CUDA generator's state can't be saved: replay its draws
                self.sample(vector)
        self.position = saved

    def sample(self, vector: ParamVector):
        """One flat ±1 vector of the parameters' dtype."""
        self.draws += 1
        self.position = _MOVED
        return (randint(0, 2, vector.numel, generator=self.generator) * 2 - 1).astype(vector.dtype)

    def record(self) -> dict:
        position = {"seed": self.generator.seed, "draws": self.draws}
        if self.generator.device == "cpu":
            position["bit_generator"] = self.generator.get_state()["bit_generator"]
        self.position = position
        return position


def _seed(opt, name, v):
    if v is not None and not (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0):
        raise HyperparameterError(f"{opt}: invalid {name}={v!r}; {name} must be None or an int >= 0")


class HutchinsonOptimizer(Optimizer):
    """Base of AdaHessian and SophiaH: one ``step(closure)`` evaluates the closure (keeping its graph when
    a group's Hessian estimate is due: every ``group[interval]`` steps), writes the estimate into each
    parameter's ``hessian_diag`` state and runs the subclass's elementwise ``_update``.

    The parameters of all groups are one ``ParamVector`` (one device and float dtype). Loss, gradients and
    estimate are checked before anything changes: a closure returning no Tensor raises ClosureError, a
    non-finite value CurvatureError, and the parameters and state stay as they were. Weight decay is the
    base's decoupled one (``decoupled_weight_decay`` is set in every group)."""

    interval = ""  # the group option: how many steps between Hessian estimates
    requires_closure = True

    def __init__(self, params, defaults: dict, n_samples: int = 1, seed=None):
        super().__init__(params, {**defaults, "decoupled_weight_decay": True})
        name = type(self).__name__
        count(name, "n_samples", n_samples)
        _seed(name, "seed", seed)
        if seed is None:  # drawn from the global generator, so tinygrad_opt.manual_seed fixes it
            seed = int(backend.default_generator("cpu").rng.integers(2**63))
        self.n_samples = n_samples
        self.vector = ParamVector(name, [p for g in self.param_groups for p in g["params"]])
        self.probes = RademacherProbes(seed)

    def add_param_group(self, param_group: dict) -> None:
        if hasattr(self, "vector"):
            raise ArgumentError(
                f"{type(self).__name__}.add_param_group: the HVPs run over the parameter vector fixed at "
                f"construction; pass every param group to the constructor"
            )
        super().add_param_group(param_group)

    def _init_state(self, p, group):
        return {"hessian_diag": zeros_like(p)}

    def _state_spec(self, p, group):
        required, optional = super()._state_spec(p, group)
        return required, {**optional, "probe_rng": "any"}  # the generator's position, once a step has run

    def _due(self, group) -> bool:
        t = max((self.state[p]["step"] for p in group["params"] if p in self.state), default=0)
        return t % group[self.interval] == 0

    def _estimate(self, p, d):
        """The estimate a parameter keeps (subclasses average conv kernels)."""
        return d

    def step(self, closure=None):
        name = type(self).__name__
        due = [self._due(g) for g in self.param_groups]
        saved = next((s["probe_rng"] for s in self.state.values() if "probe_rng" in s), None)
        estimates = None
        if any(due):
            curvature = Curvature(name, closure, self.vector)
            loss, estimates = curvature.loss, self._hutchinson(curvature, saved)
            curvature.release()
        else:
            loss = call_closure(name, closure)
            check_grads(f"{name}.step", self.vector.params)
        self._check_finite(name, loss, estimates)
        with no_grad():
            by_param = dict(zip(map(id, self.vector.params), estimates or []))
            for group, is_due in zip(self.param_groups, due):
                for p in group["params"]:
                    if p.grad is not None:
                        state = self._state(p, group)
                        if is_due:
                            state["hessian_diag"].copy_(self._estimate(p, by_param[id(p)]))
            super().step()
        position = self.probes.record() if estimates is not None else saved
        for state in self.state.values():
            state["probe_rng"] = position
        return loss

    def _hutchinson(self, curvature: Curvature, saved) -> list:
        """The mean of ``n_samples`` estimates z ⊙ Hz, per parameter."""
        self.probes.sync(saved, self.vector)
        total = None
        for _ in range(self.n_samples):
            zs = self.vector.split(self.probes.sample(self.vector))
            d = hutchinson_diagonal(curvature, zs)
            total = d if total is None else [None if a is None else a + b for a, b in zip(total, d)]
        return [None if t is None else t / self.n_samples for t in total]

    def _check_finite(self, name, loss, estimates) -> None:
        grads = [p.grad for p in self.vector.params if p.grad is not None]
        if not all_finite(loss, grads + [d for d in estimates or [] if d is not None]):
            raise CurvatureError(
                f"{name}.step: the loss ({float(loss)}), the gradient or the Hessian estimate is not finite; the "
                f"parameters and the optimizer state are unchanged — lower lr or check the model and the data"
            )

    def _flat_step(self, group) -> bool:
        """A single group is updated flat on the parameter vector's own buffer (the one the HVPs read):
        packing the parameters into a second buffer would copy them back and forth every step."""
        if len(self.param_groups) != 1 or not flat.eligible(group["params"]):
            return False
        return self.vector.packed.step(self, group)


class AdaHessian(HutchinsonOptimizer):
    rules = {
        "lr": nonnegative,
        "betas": betas,
        "eps": positive,
        "weight_decay": nonnegative,
        "hessian_power": closed_unit_interval,
        "update_each": count,
    }
    interval = "update_each"

    def __init__(
        self,
        params,
        lr=0.15,
        betas=(0.9, 0.999),
        eps=1e-4,
        weight_decay=0.0,
        hessian_power=1.0,
        update_each=1,
        n_samples=1,
        seed=None,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            hessian_power=hessian_power,
            update_each=update_each,
        )
        super().__init__(params, defaults, n_samples, seed)

    def _init_state(self, p, group):
        return {"exp_avg": zeros_like(p), "exp_hessian_diag_sq": zeros_like(p), **super()._init_state(p, group)}

    def _estimate(self, p, d):
        return spatial_average(d) if p.ndim == 4 else d

    def _update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        t, d = state["step"], state["hessian_diag"]
        exp_avg = state["exp_avg"].lerp_(g, 1 - beta1)
        exp_d2 = state["exp_hessian_diag_sq"].mul_(beta2).addcmul_(d, d, value=1 - beta2)
        denom = (exp_d2 / (1 - beta2**t)) ** (group["hessian_power"] / 2) + group["eps"]
        p.addcdiv_(exp_avg, denom, value=-group["lr"] / (1 - beta1**t))
