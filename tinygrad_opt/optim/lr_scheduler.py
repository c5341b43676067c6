"""Stateful learning-rate schedulers bound to an optimizer (PyTorch's ``torch.optim.lr_scheduler`` contract).

A scheduler writes ``group['lr']`` (and, for OneCycleLR/CyclicLR, ``group['momentum']`` or ``group['betas'][0]``)
of every param group each time ``scheduler.step()`` is called, normally once per epoch or batch, after
``optimizer.step()``. Construction performs the first step (``last_epoch`` 0), so the optimizer starts at the
schedule's first value. ``base_lrs`` are ``group['initial_lr']``, set from ``group['lr']`` by the first scheduler
built on the optimizer.

Most schedulers use PyTorch's *chainable* form: ``get_lr`` multiplies the current ``group['lr']`` by a ratio, so
ChainedScheduler composes them by product and the sequences equal PyTorch's. Their closed forms (the pure
schedules of :mod:`tinygrad_opt.optim.schedules`) give the same values; SequentialLR uses them at a hand-off.
LambdaLR, WarmupLR, CosineAnnealingWarmRestarts, OneCycleLR and CyclicLR are closed forms of the step.

Warm-up (seed 002): ``LinearLR(opt, start_factor, total_iters=W)`` is the linear warm-up; ``WarmupLR`` also
offers the exponential one; ``SequentialLR`` hands over to a decay after W steps.
"""

from __future__ import annotations

import bisect
import copy
import math
import numbers

from ..errors import ArgumentError, ArgumentTypeError, HyperparameterError, StateDictError
from .optimizer import nonnegative, positive
from .schedules import (
    _check,
    _check_choice,
    _check_in,
    _check_int,
    cyclic_at,
    cyclic_scale,
    exponential,
    exponential_warmup,
    linear_warmup,
    one_cycle_at,
    polynomial,
    sgdr_position,
    step_decay,
)

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "WarmupLR",
]


def _param_groups(owner: str, optimizer) -> list[dict]:
    """The optimizer's param groups; an ArgumentTypeError naming the scheduler when it is bound to no optimizer."""
    groups = getattr(optimizer, "param_groups", None)
    if not (isinstance(groups, list) and groups and all(isinstance(g, dict) and "lr" in g for g in groups)):
        raise ArgumentTypeError(
            f"{owner} must be bound to an optimizer (an object whose param_groups is a list of dicts with an "
            f"'lr', e.g. SGD(params, lr=0.1)), got {type(optimizer).__name__}"
        )
    return groups


def _per_group(owner: str, name: str, value, optimizer) -> list:
    """One value per param group: a list/tuple of the right length, or one value repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        _check(len(value) == n, owner, name, value, f"a single value or a list with one entry per param group ({n})")
        return list(value)
    return [value] * n


def _momentum_key(owner: str, optimizer) -> str:
    """'betas' (Adam family: cycle beta1) or 'momentum' (SGD, RMSprop)."""
    group = optimizer.param_groups[0]
    for key in ("betas", "momentum"):
        if key in group:
            return key
    raise HyperparameterError(
        f"{owner}: cycle_momentum=True needs an optimizer with 'momentum' (SGD, RMSprop) or 'betas' (Adam family) "
        f"in its param groups; {type(optimizer).__name__} has neither, pass cycle_momentum=False"
    )


def _set_momentum(group: dict, key: str, value: float) -> None:
    if key == "betas":
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _same_kind(current, saved) -> bool:
    """Whether a saved scheduler attribute has the kind of the current one (None on either side matches;
    lists element by element)."""
    if current is None or saved is None:
        return True
    if isinstance(current, bool):
        return isinstance(saved, bool)
    if isinstance(current, numbers.Real):
        return isinstance(saved, numbers.Real) and not isinstance(saved, bool)
    if isinstance(current, str):
        return isinstance(saved, str)
    if isinstance(current, (list, tuple)):
        if not isinstance(saved, (list, tuple)):
            return False
        return not current or all(_same_kind(current[0], v) for v in saved)
    if isinstance(current, dict):
        return isinstance(saved, dict)
    return True


def _describe(value) -> str:
    if isinstance(value, (list, tuple)):
        return f"a list of {type(value[0]).__name__}" if value else "a list"
    return f"a {type(value).__name__}"


class LRScheduler:
    """Base class. ``last_epoch`` counts ``step()`` calls (0 after construction); subclasses give ``get_lr()``
    (the values for the new ``last_epoch``) and, when ``get_lr`` is chainable, ``_closed_form_lr()``."""

    _unsaved: tuple[str, ...] = ()  # attributes holding functions: state_dict leaves them out (PyTorch does too)
    _is_initial = False  # True only during the step made at construction

    def __init__(self, optimizer, last_epoch: int = -1):
        owner = type(self).__name__
        groups = _param_groups(owner, optimizer)
        _check_int(owner, "last_epoch", last_epoch, low=-1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise StateDictError(
                        f"{owner}: resuming with last_epoch={last_epoch} needs param_groups[{i}]['initial_lr']; "
                        "load the optimizer's state_dict first, or build the scheduler with last_epoch=-1",
                        missing_keys=[f"param_groups[{i}]['initial_lr']"],
                    )
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The step made at construction (PyTorch's initial mode: chainable forms keep the current lr)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            del self._is_initial

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rates written by the latest step, one per param group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one step and write the new learning rates into the optimizer (nothing changes when the
        schedule raises, e.g. a user's lr_lambda returning no number)."""
        saved = self.last_epoch, self._step_count
        self._step_count += 1
        try:
            self._update_lr()
        except BaseException:
            self.last_epoch, self._step_count = saved
            raise

    def _update_lr(self, epoch: int | None = None) -> None:
        """Next step, or jump to ``epoch`` using the closed form where the scheduler has one."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        self._write(values)

    def _write(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def _from_schedule(self, make) -> list[float]:
        """Evaluate, at ``last_epoch``, the pure schedule ``make(base_lr)`` of each group."""
        return [make(base_lr)(self.last_epoch) for base_lr in self.base_lrs]

    # ------------------------------------------------------------------ state_dict
    def state_dict(self) -> dict:
        """Plain data: every attribute except the optimizer and functions (lambdas are not saved)."""
        return {k: copy.deepcopy(v) for k, v in vars(self).items() if k != "optimizer" and k not in self._unsaved}

    def _check_state(self, state_dict) -> None:
        """Raise StateDictError unless ``state_dict`` is this scheduler's: the same keys, each value of the
        kind this scheduler keeps there (number, string, list...), one learning rate per param group."""
        owner = type(self).__name__
        if not isinstance(state_dict, dict):
            raise StateDictError(
                f"{owner}.load_state_dict: expected the dict from {owner}.state_dict(), got {type(state_dict).__name__}"
            )
        current = self.state_dict()
        missing, extra = sorted(set(current) - set(state_dict)), sorted(set(state_dict) - set(current))
        if missing or extra:
            raise StateDictError(
                f"{owner}.load_state_dict: missing keys {missing}, unexpected keys {extra}; "
                f"pass the dict returned by {owner}.state_dict()",
                missing_keys=missing,
                unexpected_keys=extra,
            )
        for key, value in current.items():
            if key != "_schedulers" and not _same_kind(value, state_dict[key]):
                raise StateDictError(
                    f"{owner}.load_state_dict: {key}={state_dict[key]!r} ({type(state_dict[key]).__name__}) where "
                    f"{owner} keeps {_describe(value)}; pass the dict returned by {owner}.state_dict()",
                    mismatched=[key],
                )
        n = len(self.optimizer.param_groups)
        for key in ("_last_lr", "base_lrs"):
            if key in state_dict and len(state_dict[key]) != n:
                raise StateDictError(
                    f"{owner}.load_state_dict: the state has {len(state_dict[key])} learning rates in {key!r}, "
                    f"the optimizer {n} param groups",
                    mismatched=[key],
                )

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the state and write its last learning rates into the optimizer, so the sequence resumes
        even when the optimizer's own state was not reloaded. On a bad dict, raise and change nothing."""
        self._check_state(state_dict)
        self.__dict__.update(copy.deepcopy(state_dict))
        self._write(self._last_lr)


class _FactorFunctionLR(LRScheduler):
    """Base of the schedulers driven by user functions ``lr_lambda(step) -> factor`` (one, or one per
    param group); the functions are not saved in state_dict, as in PyTorch."""

    _unsaved = ("lr_lambdas",)

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        name = type(self).__name__
        _param_groups(name, optimizer)
        self.lr_lambdas = _per_group(name, "lr_lambda", lr_lambda, optimizer)
        for fn in self.lr_lambdas:
            _check(callable(fn), name, "lr_lambda", fn, "a callable step -> factor")
        super().__init__(optimizer, last_epoch)


def _factor(scheduler, fn) -> float:
    """lr_lambda(last_epoch), which must be a real number."""
    value = fn(scheduler.last_epoch)
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool)):
        raise ArgumentTypeError(
            f"{type(scheduler).__name__}: lr_lambda({scheduler.last_epoch}) returned {value!r} "
            f"({type(value).__name__}); it must return a number, the factor multiplying the lr"
        )
    return value


class LambdaLR(_FactorFunctionLR):
    """lr_k = base_lr * lr_lambda(k); one function, or one per param group."""

    def get_lr(self):
        return [base_lr * _factor(self, fn) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_FactorFunctionLR):
    """lr_k = lr_{k-1} * lr_lambda(k) for k >= 1."""

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [g["lr"] * _factor(self, fn) for fn, g in zip(self.lr_lambdas, self.optimizer.param_groups)]


class StepLR(LRScheduler):
    """lr_k = base_lr * gamma^floor(k / step_size) (pure form: ``step_decay``)."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        _check_int("StepLR", "step_size", step_size)
        positive("StepLR", "gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return self._from_schedule(lambda base_lr: step_decay(base_lr, self.step_size, self.gamma))


class MultiStepLR(LRScheduler):
    """lr_k = base_lr * gamma^(number of milestones <= k) (pure form: ``piecewise_constant``)."""

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        if not isinstance(milestones, (list, tuple, range)):
            raise ArgumentTypeError(
                f"MultiStepLR: milestones must be a list of step indices, e.g. [30, 80], got "
                f"{type(milestones).__name__}"
            )
        for m in milestones:
            _check_int("MultiStepLR", "milestone", m, low=0)
        positive("MultiStepLR", "gamma", gamma)
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        hits = self.milestones.count(self.last_epoch)
        if not hits:
            return self._current_lrs()
        return [lr * self.gamma**hits for lr in self._current_lrs()]

    def _closed_form_lr(self):
        n = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma**n for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    """lr_k = base_lr * factor for k < total_iters, then base_lr."""

    def __init__(self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1):
        _check_in("ConstantLR", "factor", factor, 0, 1, low_open=True)
        _check_int("ConstantLR", "total_iters", total_iters)
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _closed_form_lr(self):
        scale = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base_lr * scale for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """lr_k = base_lr * (s + (e - s) min(k, T)/T): seed 003 §4.1.2's linear decay (eps_tau = e * eps_0), or a
    linear warm-up when start_factor s < end_factor e (pure form: ``linear``)."""

    def __init__(
        self,
        optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        _check_in("LinearLR", "start_factor", start_factor, 0, 1, low_open=True)
        _check_in("LinearLR", "end_factor", end_factor, 0, 1)
        _check_int("LinearLR", "total_iters", total_iters)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        k, s, e, t = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if k == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or k > t:
            return self._current_lrs()
        return [lr * (1.0 + (e - s) / (t * s + (k - 1) * (e - s))) for lr in self._current_lrs()]

    def _closed_form_lr(self):
        s, e, t = self.start_factor, self.end_factor, self.total_iters
        return [base_lr * (s + (e - s) * min(t, self.last_epoch) / t) for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr_k = base_lr * gamma^k (pure form: ``exponential``)."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        positive("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return self._from_schedule(lambda base_lr: exponential(base_lr, self.gamma))


class PolynomialLR(LRScheduler):
    """lr_k = base_lr * (1 - min(k, T)/T)^power (pure form: ``polynomial`` with end_value 0)."""

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1):
        _check_int("PolynomialLR", "total_iters", total_iters)
        nonnegative("PolynomialLR", "power", power)
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        k, t = self.last_epoch, self.total_iters
        if self._is_initial or k > t:
            return self._current_lrs()
        decay = ((1.0 - k / t) / (1.0 - (k - 1) / t)) ** self.power
        return [lr * decay for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return self._from_schedule(lambda base_lr: polynomial(base_lr, 0.0, self.power, self.total_iters))


class CosineAnnealingLR(LRScheduler):
    """lr_k = eta_min + (base_lr - eta_min)(1 + cos(pi k / T_max))/2, stepped recursively as PyTorch does:

        lr_k = eta_min + (lr_{k-1} - eta_min)(1 + cos(pi k/T_max)) / (1 + cos(pi (k-1)/T_max)).

    Past T_max the cosine goes on (the lr climbs back, period 2 T_max). Pure form on [0, T_max]:
    ``cosine_decay(base_lr, T_max, alpha=eta_min/base_lr)``.
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        _check_int("CosineAnnealingLR", "T_max", T_max)
        nonnegative("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        k, t, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and k > 0:
            return self._closed_form_lr()
        if (k - 1 - t) % (2 * t) == 0:  # leaving the trough: the ratio form would divide by zero
            return [
                lr + (base - eta_min) * (1 - math.cos(math.pi / t)) / 2
                for lr, base in zip(self._current_lrs(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * k / t)) / (1 + math.cos(math.pi * (k - 1) / t))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _closed_form_lr(self):
        c = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * c / 2 for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: lr = eta_min + (base_lr - eta_min)(1 + cos(pi T_cur/T_i))/2, T_cur reset to 0 at each restart and
    T_i = T_0 T_mult^i (pure form: ``cosine_warm_restarts``). ``step(epoch)`` accepts fractional epochs."""

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1):
        _check_int("CosineAnnealingWarmRestarts", "T_0", T_0)
        _check_int("CosineAnnealingWarmRestarts", "T_mult", T_mult)
        nonnegative("CosineAnnealingWarmRestarts", "eta_min", eta_min)
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        c = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [self.eta_min + (base_lr - self.eta_min) * c / 2 for base_lr in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Next step, or jump to ``epoch`` (e.g. ``epoch + batch / num_batches`` inside an epoch)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur - self.T_i, self.T_i * self.T_mult
        else:
            nonnegative("CosineAnnealingWarmRestarts.step", "epoch", epoch)
            self.T_cur, self.T_i = sgdr_position(epoch, self.T_0, self.T_mult)
        self._step_count += 1
        self.last_epoch = math.floor(epoch)
        self._write(self.get_lr())


class WarmupLR(LRScheduler):
    """Warm-up (seed 002) from start_factor * base_lr to base_lr over warmup_steps, then base_lr:
    ``mode='linear'`` (pure form ``linear_warmup``) or ``'exponential'``, the same growth factor every step
    (pure form ``exponential_warmup``). Follow it with a decay through SequentialLR."""

    def __init__(
        self, optimizer, warmup_steps: int, start_factor: float = 0.1, mode: str = "linear", last_epoch: int = -1
    ):
        _check_int("WarmupLR", "warmup_steps", warmup_steps)
        _check_choice("WarmupLR", "mode", mode, ("linear", "exponential"))
        _check_in("WarmupLR", "start_factor", start_factor, 0, 1, low_open=mode == "exponential")
        self.warmup_steps, self.start_factor, self.mode = warmup_steps, start_factor, mode
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        warmup = linear_warmup if self.mode == "linear" else exponential_warmup
        return self._from_schedule(lambda base_lr: warmup(base_lr, self.warmup_steps, base_lr * self.start_factor))


class _MomentumCycler(LRScheduler):
    """OneCycleLR and CyclicLR: get_lr also writes the momentum, so a load re-derives it for the restored step."""

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        if self.cycle_momentum:
            self.get_lr()


class OneCycleLR(_MomentumCycler):
    """1cycle (Smith & Topin): the lr rises from max_lr/div_factor to max_lr over pct_start of total_steps,
    then anneals (cos or linear) to max_lr/(div_factor*final_div_factor); three_phase comes back to the
    initial lr first. With cycle_momentum the momentum (or beta1) moves the opposite way, max -> base -> max.
    Pure forms: ``one_cycle`` and ``one_cycle_momentum``. Stepping past total_steps is an error."""

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        owner = "OneCycleLR"
        groups = _param_groups(owner, optimizer)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise HyperparameterError(f"{owner}: give total_steps, or both epochs and steps_per_epoch")
            _check_int(owner, "epochs", epochs)
            _check_int(owner, "steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        _check_int(owner, "total_steps", total_steps)
        _check_in(owner, "pct_start", pct_start, 0, 1)
        _check_choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        positive(owner, "div_factor", div_factor)
        positive(owner, "final_div_factor", final_div_factor)
        max_lrs = _per_group(owner, "max_lr", max_lr, optimizer)
        for value in max_lrs:
            positive(owner, "max_lr", value)
        self.total_steps, self.pct_start, self.anneal_strategy = total_steps, pct_start, anneal_strategy
        self.three_phase, self.cycle_momentum = three_phase, cycle_momentum
        if last_epoch == -1:
            for group, peak in zip(groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            self.momentum_key = _momentum_key(owner, optimizer)
            highs = _per_group(owner, "max_momentum", max_momentum, optimizer)
            lows = _per_group(owner, "base_momentum", base_momentum, optimizer)
            for name, value in [*(("max_momentum", v) for v in highs), *(("base_momentum", v) for v in lows)]:
                _check_in(owner, name, value, 0, 1)
            if last_epoch == -1:
                for group, high, low in zip(groups, highs, lows):
                    _set_momentum(group, self.momentum_key, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _at(self, start: float, peak: float, end: float) -> float:
        shape = (self.total_steps, self.pct_start, self.anneal_strategy, self.three_phase)
        return one_cycle_at(self.last_epoch, start, peak, end, *shape)

    def step(self) -> None:
        if self.last_epoch + 1 > self.total_steps:  # checked before anything moves
            raise ArgumentError(
                f"OneCycleLR.step: stepped {self.last_epoch + 1} times but total_steps={self.total_steps}; "
                "build the scheduler with the real number of optimizer steps"
            )
        super().step()

    def get_lr(self):
        if self.last_epoch > self.total_steps:
            raise ArgumentError(
                f"OneCycleLR: stepped {self.last_epoch} times but total_steps={self.total_steps}; "
                "build the scheduler with the real number of optimizer steps"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._at(group["initial_lr"], group["max_lr"], group["min_lr"]))
            if self.cycle_momentum:
                high, low = group["max_momentum"], group["base_momentum"]
                _set_momentum(group, self.momentum_key, self._at(high, low, high))
        return lrs


class CyclicLR(_MomentumCycler):
    """Cyclical learning rates (Smith): a triangle between base_lr and max_lr, step_size_up steps up and
    step_size_down down, its height scaled per mode: triangular (1), triangular2 (halved each cycle),
    exp_range (gamma^step), or a custom scale_fn. With cycle_momentum the momentum (or beta1) cycles the
    opposite way between max_momentum and base_momentum. Pure form: ``cyclic``."""

    _unsaved = ("scale_fn",)

    def __init__(
        self,
        optimizer,
        base_lr,
        max_lr,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn=None,
        scale_mode: str | None = None,
        cycle_momentum: bool = True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch: int = -1,
    ):
        owner = "CyclicLR"
        groups = _param_groups(owner, optimizer)
        base_lrs = _per_group(owner, "base_lr", base_lr, optimizer)
        self.max_lrs = _per_group(owner, "max_lr", max_lr, optimizer)
        for name, values in (("base_lr", base_lrs), ("max_lr", self.max_lrs)):
            for value in values:
                nonnegative(owner, name, value)
        positive(owner, "step_size_up", step_size_up)
        step_size_down = step_size_up if step_size_down is None else step_size_down
        positive(owner, "step_size_down", step_size_down)
        self.step_size_up, self.step_size_down = float(step_size_up), float(step_size_down)
        self.scale_fn = scale_fn
        self.mode, self.gamma = mode, gamma
        self.scale_mode = cyclic_scale(owner, mode, gamma, scale_fn, scale_mode)[1]
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.momentum_key = _momentum_key(owner, optimizer)
            self.base_momentums = _per_group(owner, "base_momentum", base_momentum, optimizer)
            self.max_momentums = _per_group(owner, "max_momentum", max_momentum, optimizer)
            for name, values in (("base_momentum", self.base_momentums), ("max_momentum", self.max_momentums)):
                for value in values:
                    _check_in(owner, name, value, 0, 1)
            if last_epoch == -1:
                for group, high in zip(groups, self.max_momentums):
                    _set_momentum(group, self.momentum_key, high)
        if last_epoch == -1:
            for group, lr in zip(groups, base_lrs):
                group["lr"] = lr
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs
        if last_epoch == -1:  # the initial step used group['initial_lr'], which an earlier scheduler may own
            self._write(self.get_lr())

    def _at(self, base: float, peak: float) -> float:
        fn = cyclic_scale("CyclicLR", self.mode, self.gamma, self.scale_fn, self.scale_mode)[0]
        return cyclic_at(self.last_epoch, base, peak, self.step_size_up, self.step_size_down, fn, self.scale_mode)

    def get_lr(self):
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                _set_momentum(group, self.momentum_key, self._at(high, low))
        return [self._at(base, peak) for base, peak in zip(self.base_lrs, self.max_lrs)]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` (not below min_lr; changes smaller than eps are skipped) when the metric
    passed to ``step(metric)`` has not improved for more than ``patience`` steps, then wait ``cooldown`` steps.
    Improvement in mode 'min': metric < best (1 - threshold) ('rel') or metric < best - threshold ('abs');
    mode 'max' mirrors it."""

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0.0,
        eps: float = 1e-8,
    ):
        owner = "ReduceLROnPlateau"
        groups = _param_groups(owner, optimizer)
        _check_choice(owner, "mode", mode, ("min", "max"))
        _check_choice(owner, "threshold_mode", threshold_mode, ("rel", "abs"))
        _check_in(owner, "factor", factor, 0, 1, low_open=True, high_open=True)
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            _check_int(owner, name, value, low=0)
        nonnegative(owner, "threshold", threshold)
        nonnegative(owner, "eps", eps)
        self.min_lrs = _per_group(owner, "min_lr", min_lr, optimizer)
        for value in self.min_lrs:
            nonnegative(owner, "min_lr", value)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.cooldown = mode, factor, patience, cooldown
        self.threshold, self.threshold_mode, self.eps = threshold, threshold_mode, eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [group["lr"] for group in groups]

    def _is_better(self, value: float) -> bool:
        if self.mode == "min":
            bar = self.best * (1 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold
            return value < bar
        bar = self.best * (1 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold
        return value > bar

    def step(self, metrics) -> None:
        """Record one value of the monitored metric (a number or a one-element Tensor)."""
        if hasattr(metrics, "numel") and hasattr(metrics, "item") and metrics.numel() != 1:
            raise ArgumentTypeError(
                f"ReduceLROnPlateau.step: the metric must be a number or a one-element Tensor, got a Tensor of shape "
                f"{tuple(metrics.shape)}; pass loss.item() or the mean"
            )
        value = metrics.item() if hasattr(metrics, "item") else metrics
        if not (isinstance(value, numbers.Real) and not isinstance(value, bool)):
            raise ArgumentTypeError(
                f"ReduceLROnPlateau.step: the metric must be a number (e.g. the validation loss), got "
                f"{type(metrics).__name__} {metrics!r}"
            )
        value = float(value)
        self.last_epoch += 1
        if self._is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current_lrs()


def _undo_initial_step(scheduler) -> None:
    """Take back the step a scheduler made at construction (recursively for composites)."""
    children = getattr(scheduler, "_schedulers", None)
    if children is not None:
        for child in children:
            _undo_initial_step(child)
    else:
        scheduler.last_epoch -= 1


class _Composite(LRScheduler):
    """Shared checks and state_dict of SequentialLR and ChainedScheduler (children's states nested)."""

    def _check_children(self, schedulers, optimizer) -> list:
        owner = type(self).__name__
        if not isinstance(schedulers, (list, tuple)):
            raise ArgumentTypeError(
                f"{owner}: schedulers must be a list of LRSchedulers, got {type(schedulers).__name__}"
            )
        _check(len(schedulers) >= 1, owner, "schedulers", schedulers, "a non-empty list of schedulers")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler):
                raise ArgumentTypeError(f"{owner}: schedulers[{i}] must be an LRScheduler, got {type(s).__name__}")
            if isinstance(s, ReduceLROnPlateau):
                raise HyperparameterError(f"{owner}: schedulers[{i}] is a ReduceLROnPlateau, whose step needs a metric")
            if s.optimizer is not optimizer:
                raise HyperparameterError(f"{owner}: schedulers[{i}] ({type(s).__name__}) drives another optimizer")
        return list(schedulers)

    def state_dict(self) -> dict:
        state = {k: copy.deepcopy(v) for k, v in vars(self).items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        self._check_state(state_dict)
        children = state_dict["_schedulers"]
        if not isinstance(children, list) or len(children) != len(self._schedulers):
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: {len(children) if isinstance(children, list) else children!r} "
                f"scheduler states for "
                f"{len(self._schedulers)} schedulers"
            )
        for s, child in zip(self._schedulers, children):
            s._check_state(child)
        for s, child in zip(self._schedulers, children):
            s.load_state_dict(child)
        self.__dict__.update({k: copy.deepcopy(v) for k, v in state_dict.items() if k != "_schedulers"})
        self._write(self._last_lr)


class SequentialLR(_Composite):
    """Run schedulers[i] from milestones[i-1] on; at a milestone the next one restarts from its step 0
    (closed form), like ``join_schedules`` for the pure forms."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        groups = _param_groups("SequentialLR", optimizer)
        if not isinstance(milestones, (list, tuple)):
            raise ArgumentTypeError(
                f"SequentialLR: milestones must be a list of steps, got {type(milestones).__name__}"
            )
        self._schedulers = self._check_children(schedulers, optimizer)
        _check(
            len(milestones) == len(schedulers) - 1,
            "SequentialLR",
            "milestones",
            milestones,
            f"one fewer than the {len(schedulers)} schedulers",
        )
        for m in milestones:
            _check_int("SequentialLR", "milestone", m)
        _check(list(milestones) == sorted(milestones), "SequentialLR", "milestones", milestones, "non-decreasing")
        self._milestones = list(milestones)
        self.optimizer = optimizer
        self.last_epoch = last_epoch + 1
        for group in groups:
            group["lr"] = group["initial_lr"]
        for s in self._schedulers:
            _undo_initial_step(s)
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite):
    """Step every scheduler each step; for chainable schedulers the lr is base_lr times the product of
    their factors."""

    def __init__(self, schedulers, optimizer=None):
        if not isinstance(schedulers, (list, tuple)):
            raise ArgumentTypeError(
                f"ChainedScheduler: schedulers must be a list of LRSchedulers, got {type(schedulers).__name__}"
            )
        if optimizer is None and schedulers and isinstance(schedulers[0], LRScheduler):
            optimizer = schedulers[0].optimizer
        _param_groups("ChainedScheduler", optimizer)
        self._schedulers = self._check_children(schedulers, optimizer)
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()
