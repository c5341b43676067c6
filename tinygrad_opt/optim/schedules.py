"""Learning-rate schedules as pure functions of the step (optax style).

Each builder returns ``schedule(step) -> lr``: no state, no optimizer, so a schedule can be evaluated
anywhere (plots, tests, a functional training loop) and composed with :func:`join_schedules`. The
stateful PyTorch-style schedulers in :mod:`tinygrad_opt.optim.lr_scheduler` follow the same formulas
(seed 000 "Learning Rate Scheduling": warm-up, annealing/decay, fine-tuning with small steps).

Seed 003 §4.1.2, the linear decay that SGD needs because mini-batch noise does not vanish at a
minimum, is ``linear(eps_0, eps_tau, tau)``:

    eps_k = (1 - k/tau) eps_0 + (k/tau) eps_tau   for k <= tau,   eps_k = eps_tau   for k >= tau.

Seed 002: warm-up lets the learning rate first grow, then decay (``warmup_cosine_decay``).
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence

from ..errors import ArgumentError, ArgumentTypeError
from .optimizer import _fail, _is_real, nonnegative, positive

Schedule = Callable[[float], float]

__all__ = [
    "Schedule",
    "constant",
    "cosine_decay",
    "cosine_warm_restarts",
    "cyclic",
    "cyclic_at",
    "exponential",
    "exponential_warmup",
    "join_schedules",
    "linear",
    "linear_warmup",
    "one_cycle",
    "one_cycle_at",
    "one_cycle_momentum",
    "piecewise_constant",
    "polynomial",
    "step_decay",
    "warmup_cosine_decay",
]


# --- argument checks (shared with lr_scheduler.py), built on the optimizers' validation rules: each raises
# HyperparameterError (a ValueError) naming the owner, the argument and its value ---


def _check(ok: bool, owner: str, name: str, value, expected: str) -> None:
    if not ok:
        _fail(owner, name, value, expected)


def _check_int(owner: str, name: str, value, low: int = 1) -> None:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low
    _check(ok, owner, name, value, f"an int >= {low}")


def _check_in(owner: str, name: str, value, low: float, high: float, low_open=False, high_open=False) -> None:
    """value in [low, high], with either end open on request."""
    ok = (
        _is_real(value)
        and (low < value if low_open else low <= value)
        and (value < high if high_open else value <= high)
    )
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    _check(ok, owner, name, value, f"in {interval}")


def _check_choice(owner: str, name: str, value, choices: Sequence[str]) -> None:
    _check(value in choices, owner, name, value, f"one of {', '.join(map(repr, choices))}")


def _check_step(owner: str, step) -> None:
    """A schedule's step: a finite number >= 0 (an int, or a float for fractional epochs)."""
    if isinstance(step, bool) or not isinstance(step, numbers.Real):
        raise ArgumentTypeError(
            f"{owner}: the step must be a number >= 0 (an int, or a float for fractional epochs), got "
            f"{type(step).__name__} {step!r}"
        )
    if not (math.isfinite(step) and step >= 0):
        raise ArgumentError(f"{owner}: step={step!r} is out of range; a schedule is evaluated at finite steps >= 0")


def _stepped(owner: str, fn: Schedule) -> Schedule:
    """``fn`` behind the check of its step (an int >= 0 passes with one type test and one comparison)."""

    def schedule(step):
        if type(step) is not int or step < 0:
            _check_step(owner, step)
        return fn(step)

    schedule.__qualname__ = f"{owner}.<schedule>"
    return schedule


# --- decays ---


def constant(value: float) -> Schedule:
    """lr_k = value."""
    nonnegative("constant", "value", value)
    return _stepped("constant", lambda step: value)


def polynomial(
    init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """lr_k = (init - end) (1 - t/T)^power + end with t = clip(k - transition_begin, 0, T), T = transition_steps."""
    nonnegative("polynomial", "init_value", init_value)
    nonnegative("polynomial", "end_value", end_value)
    nonnegative("polynomial", "power", power)
    _check_int("polynomial", "transition_steps", transition_steps)

    def schedule(step):
        t = min(max(step - transition_begin, 0), transition_steps)
        return (init_value - end_value) * (1.0 - t / transition_steps) ** power + end_value

    return _stepped("polynomial", schedule)


def linear(init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0) -> Schedule:
    """Seed 003 §4.1.2: eps_k = (1 - k/tau) eps_0 + (k/tau) eps_tau up to tau = transition_steps, then eps_tau."""
    nonnegative("linear", "init_value", init_value)
    nonnegative("linear", "end_value", end_value)
    _check_int("linear", "transition_steps", transition_steps)

    def schedule(step):
        t = min(max(step - transition_begin, 0), transition_steps)
        return init_value + (end_value - init_value) * t / transition_steps

    return _stepped("linear", schedule)


def exponential(
    init_value: float,
    decay_rate: float,
    transition_steps: int = 1,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """lr_k = init * decay_rate^(t/T), t = k - transition_begin (floor(t/T) if staircase); bounded by end_value.

    With T = 1 this is PyTorch's ExponentialLR, lr_k = gamma^k lr_0.
    """
    nonnegative("exponential", "init_value", init_value)
    positive("exponential", "decay_rate", decay_rate)
    _check_int("exponential", "transition_steps", transition_steps)
    if end_value is not None:
        nonnegative("exponential", "end_value", end_value)
    bound = None if end_value is None else (max if decay_rate < 1 else min)

    def schedule(step):
        t = step - transition_begin
        if t <= 0:
            return init_value
        p = t // transition_steps if staircase else t / transition_steps
        value = init_value * decay_rate**p
        return value if bound is None else bound(value, end_value)

    return _stepped("exponential", schedule)


def step_decay(init_value: float, step_size: int, gamma: float) -> Schedule:
    """lr_k = init * gamma^floor(k / step_size) (PyTorch StepLR)."""
    nonnegative("step_decay", "init_value", init_value)
    _check_int("step_decay", "step_size", step_size)
    positive("step_decay", "gamma", gamma)
    return _stepped("step_decay", lambda step: init_value * gamma ** (step // step_size))


def piecewise_constant(init_value: float, boundaries_and_scales: Mapping[int, float]) -> Schedule:
    """lr_k = init * product of the scales whose boundary b satisfies k >= b (PyTorch MultiStepLR with scale gamma)."""
    nonnegative("piecewise_constant", "init_value", init_value)
    if not isinstance(boundaries_and_scales, Mapping):
        raise ArgumentTypeError(
            f"piecewise_constant: boundaries_and_scales must be a dict {{step: scale}}, e.g. {{100: 0.1}}, got "
            f"{type(boundaries_and_scales).__name__}"
        )
    for boundary, scale in boundaries_and_scales.items():
        _check_int("piecewise_constant", "boundary", boundary, low=0)
        nonnegative("piecewise_constant", f"scale at boundary {boundary}", scale)
    boundaries = sorted(boundaries_and_scales)
    values = [init_value]
    for boundary in boundaries:
        values.append(values[-1] * boundaries_and_scales[boundary])
    return _stepped("piecewise_constant", lambda step: values[bisect.bisect_right(boundaries, step)])


def cosine_decay(init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0) -> Schedule:
    """lr_k = init ((1 - alpha) c^exponent + alpha), c = (1 + cos(pi min(k, T)/T)) / 2; alpha * init is the floor."""
    nonnegative("cosine_decay", "init_value", init_value)
    _check_int("cosine_decay", "decay_steps", decay_steps)
    _check_in("cosine_decay", "alpha", alpha, 0, 1)
    positive("cosine_decay", "exponent", exponent)

    def schedule(step):
        c = 0.5 * (1.0 + math.cos(math.pi * min(step, decay_steps) / decay_steps))
        return init_value * ((1.0 - alpha) * c**exponent + alpha)

    return _stepped("cosine_decay", schedule)


def cosine_warm_restarts(init_value: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> Schedule:
    """SGDR (Loshchilov & Hutter): eta_min + (init - eta_min)(1 + cos(pi T_cur/T_i))/2.

    T_cur counts steps since the last restart; the i-th period lasts T_i = T_0 T_mult^i steps. Fractional
    steps (epoch + batch/num_batches) are allowed.
    """
    nonnegative("cosine_warm_restarts", "init_value", init_value)
    _check_int("cosine_warm_restarts", "T_0", T_0)
    _check_int("cosine_warm_restarts", "T_mult", T_mult)
    nonnegative("cosine_warm_restarts", "eta_min", eta_min)

    def schedule(step):
        t_cur, t_i = sgdr_position(step, T_0, T_mult)
        return eta_min + (init_value - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2

    return _stepped("cosine_warm_restarts", schedule)


def sgdr_position(step: float, T_0: int, T_mult: int) -> tuple[float, int]:
    """(T_cur, T_i): steps into the current SGDR period and that period's length."""
    if T_mult == 1:
        return step % T_0, T_0
    t_cur, t_i = step, T_0
    while t_cur >= t_i:
        t_cur, t_i = t_cur - t_i, t_i * T_mult
    return t_cur, t_i


# --- warm-up (seed 002) ---


def linear_warmup(peak_value: float, warmup_steps: int, init_value: float = 0.0) -> Schedule:
    """Grow linearly from init_value to peak_value over warmup_steps, then hold the peak."""
    _check_int("linear_warmup", "warmup_steps", warmup_steps)
    return _stepped("linear_warmup", linear(init_value, peak_value, warmup_steps))


def exponential_warmup(peak_value: float, warmup_steps: int, init_value: float) -> Schedule:
    """Grow geometrically: lr_k = init (peak/init)^(min(k, W)/W), the same factor every step; then hold the peak."""
    positive("exponential_warmup", "init_value", init_value)
    positive("exponential_warmup", "peak_value", peak_value)
    _check_int("exponential_warmup", "warmup_steps", warmup_steps)
    ratio = peak_value / init_value
    return _stepped(
        "exponential_warmup", lambda step: init_value * ratio ** (min(max(step, 0), warmup_steps) / warmup_steps)
    )


def warmup_cosine_decay(
    init_value: float, peak_value: float, warmup_steps: int, decay_steps: int, end_value: float = 0.0
) -> Schedule:
    """Linear warm-up init -> peak over warmup_steps, then cosine decay to end_value at decay_steps (total)."""
    nonnegative("warmup_cosine_decay", "peak_value", peak_value)
    _check_int("warmup_cosine_decay", "warmup_steps", warmup_steps, low=0)
    _check_int("warmup_cosine_decay", "decay_steps", decay_steps, low=warmup_steps + 1)
    _check_in("warmup_cosine_decay", "end_value", end_value, 0, peak_value)
    alpha = end_value / peak_value if peak_value > 0 else 0.0
    decay = cosine_decay(peak_value, decay_steps - warmup_steps, alpha)
    if warmup_steps == 0:
        return _stepped("warmup_cosine_decay", decay)
    joined = join_schedules([linear(init_value, peak_value, warmup_steps), decay], [warmup_steps])
    return _stepped("warmup_cosine_decay", joined)


# --- cycles ---

_ANNEALS = {
    "cos": lambda start, end, pct: end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1),
    "linear": lambda start, end, pct: (end - start) * pct + start,
}


def _check_one_cycle(owner, total_steps, pct_start, anneal_strategy):
    _check_int(owner, "total_steps", total_steps)
    _check_in(owner, "pct_start", pct_start, 0, 1)
    _check_choice(owner, "anneal_strategy", anneal_strategy, tuple(_ANNEALS))


def one_cycle_at(
    step: float,
    start: float,
    peak: float,
    end: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    three_phase: bool = False,
) -> float:
    """The 1cycle shape at ``step`` (PyTorch OneCycleLR's formula).

    Two phases: start -> peak until step pct_start*total - 1, then peak -> end until total - 1. Three phases:
    start -> peak, peak -> start until 2 pct_start*total - 2, start -> end. Each phase anneals with
    cos: end + (start - end)(1 + cos(pi pct))/2, or linearly.
    """
    if type(step) is not int or step < 0:
        _check_step("one_cycle_at", step)
    if anneal_strategy not in _ANNEALS or type(total_steps) is not int or total_steps < 1:
        _check_one_cycle("one_cycle_at", total_steps, pct_start, anneal_strategy)
    p = float(pct_start * total_steps)
    if three_phase:
        phases = [(p - 1, start, peak), (2 * p - 2, peak, start), (total_steps - 1, start, end)]
    else:
        phases = [(p - 1, start, peak), (total_steps - 1, peak, end)]
    anneal = _ANNEALS[anneal_strategy]
    begin = 0.0
    for i, (phase_end, a, b) in enumerate(phases):
        if step <= phase_end or i == len(phases) - 1:
            return anneal(a, b, (step - begin) / (phase_end - begin))
        begin = phase_end
    raise AssertionError("unreachable: the last phase always returns")


def one_cycle(
    total_steps: int,
    max_lr: float,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """1cycle (Smith): max_lr/div_factor -> max_lr -> max_lr/(div_factor*final_div_factor); see one_cycle_at."""
    _check_one_cycle("one_cycle", total_steps, pct_start, anneal_strategy)
    positive("one_cycle", "max_lr", max_lr)
    positive("one_cycle", "div_factor", div_factor)
    positive("one_cycle", "final_div_factor", final_div_factor)
    initial = max_lr / div_factor
    final = initial / final_div_factor
    return _stepped(
        "one_cycle",
        lambda step: one_cycle_at(step, initial, max_lr, final, total_steps, pct_start, anneal_strategy, three_phase),
    )


def one_cycle_momentum(
    total_steps: int,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """The momentum mirror of one_cycle: max_momentum -> base_momentum while the lr rises, back while it falls."""
    _check_one_cycle("one_cycle_momentum", total_steps, pct_start, anneal_strategy)
    _check_in("one_cycle_momentum", "base_momentum", base_momentum, 0, 1)
    _check_in("one_cycle_momentum", "max_momentum", max_momentum, 0, 1)
    return _stepped(
        "one_cycle_momentum",
        lambda step: one_cycle_at(
            step, max_momentum, base_momentum, max_momentum, total_steps, pct_start, anneal_strategy, three_phase
        ),
    )


_CYCLIC_SCALES = {
    "triangular": (lambda gamma: lambda x: 1.0, "cycle"),
    "triangular2": (lambda gamma: lambda x: 1 / (2.0 ** (x - 1)), "cycle"),
    "exp_range": (lambda gamma: lambda x: gamma**x, "iterations"),
}


def cyclic_at(
    step: float,
    base: float,
    peak: float,
    step_size_up: float,
    step_size_down: float,
    scale_fn: Callable[[float], float],
    scale_mode: str,
) -> float:
    """CLR (Smith) at ``step``: base + (peak - base) * triangle(step) * scale_fn(cycle or step).

    The triangle rises 0 -> 1 over step_size_up steps and falls back over step_size_down. With base and
    peak swapped this is the momentum cycle (momentum falls while the lr rises).
    """
    if type(step) is not int or step < 0:
        _check_step("cyclic_at", step)
    if not (step_size_up > 0 and step_size_down > 0):  # also False for NaN
        positive("cyclic_at", "step_size_up", step_size_up)
        positive("cyclic_at", "step_size_down", step_size_down)
    if not callable(scale_fn) or scale_mode not in ("cycle", "iterations"):
        _check(callable(scale_fn), "cyclic_at", "scale_fn", scale_fn, "a callable x -> factor")
        _check_choice("cyclic_at", "scale_mode", scale_mode, ("cycle", "iterations"))
    total = step_size_up + step_size_down
    ratio = step_size_up / total
    cycle = math.floor(1 + step / total)
    x = 1.0 + step / total - cycle
    height = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    return base + (peak - base) * height * scale_fn(cycle if scale_mode == "cycle" else step)


def cyclic_scale(owner: str, mode: str, gamma: float, scale_fn, scale_mode: str | None):
    """(scale_fn, scale_mode) for a CLR mode, or the user's own scale_fn (scale_mode defaults to 'cycle')."""
    if scale_fn is not None:
        _check(callable(scale_fn), owner, "scale_fn", scale_fn, "a callable x -> factor")
        scale_mode = "cycle" if scale_mode is None else scale_mode
        _check_choice(owner, "scale_mode", scale_mode, ("cycle", "iterations"))
        return scale_fn, scale_mode
    _check_choice(owner, "mode", mode, tuple(_CYCLIC_SCALES))
    positive(owner, "gamma", gamma)
    make, default_mode = _CYCLIC_SCALES[mode]
    return make(gamma), default_mode


def cyclic(
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable[[float], float] | None = None,
    scale_mode: str | None = None,
) -> Schedule:
    """Cyclical learning rate (PyTorch CyclicLR): triangular, triangular2 (amplitude halves every cycle) or
    exp_range (amplitude times gamma^step); a custom scale_fn replaces the mode."""
    nonnegative("cyclic", "base_lr", base_lr)
    nonnegative("cyclic", "max_lr", max_lr)
    positive("cyclic", "step_size_up", step_size_up)
    down = step_size_up if step_size_down is None else step_size_down
    positive("cyclic", "step_size_down", down)
    fn, fn_mode = cyclic_scale("cyclic", mode, gamma, scale_fn, scale_mode)
    return _stepped(
        "cyclic", lambda step: cyclic_at(step, base_lr, max_lr, float(step_size_up), float(down), fn, fn_mode)
    )


# --- composition ---


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run schedules[i] from boundaries[i-1] on; each later schedule sees ``step - boundary`` (optax semantics)."""
    if not isinstance(schedules, Sequence) or not isinstance(boundaries, Sequence):
        raise ArgumentTypeError(
            f"join_schedules: schedules and boundaries must be lists, got {type(schedules).__name__} and "
            f"{type(boundaries).__name__}"
        )
    _check(len(schedules) >= 1, "join_schedules", "schedules", schedules, "a non-empty sequence")
    _check(
        len(boundaries) == len(schedules) - 1,
        "join_schedules",
        "boundaries",
        boundaries,
        f"one fewer than the {len(schedules)} schedules",
    )
    _check(list(boundaries) == sorted(boundaries), "join_schedules", "boundaries", boundaries, "non-decreasing")
    for fn in schedules:
        _check(callable(fn), "join_schedules", "schedule", fn, "a callable step -> lr")
    offsets = [0, *boundaries]

    def schedule(step):
        i = bisect.bisect_right(boundaries, step)
        return schedules[i](step - offsets[i])

    return _stepped("join_schedules", schedule)
