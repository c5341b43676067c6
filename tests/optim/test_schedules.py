"""Pure schedules (tinygrad_opt.optim.schedules): exact values from the closed forms, computed by hand."""

import math

import pytest

from tinygrad_opt.errors import HyperparameterError
from tinygrad_opt.optim import schedules as S

approx = pytest.approx


def values(schedule, steps):
    return [schedule(k) for k in steps]


def test_constant_is_the_same_at_every_step():
    assert values(S.constant(0.3), range(5)) == [0.3] * 5


def test_linear_is_seed_003_decay_then_constant():
    eps_0, eps_tau, tau = 0.1, 0.001, 100
    schedule = S.linear(eps_0, eps_tau, tau)
    for k in (0, 1, 37, 50, 99, 100):
        assert schedule(k) == approx((1 - k / tau) * eps_0 + (k / tau) * eps_tau)
    assert values(schedule, (100, 101, 500)) == approx([eps_tau] * 3)


def test_linear_transition_begin_holds_the_initial_value():
    schedule = S.linear(1.0, 0.0, 10, transition_begin=5)
    assert values(schedule, (0, 5, 10, 15, 20)) == approx([1.0, 1.0, 0.5, 0.0, 0.0])


def test_polynomial_power_two():
    schedule = S.polynomial(1.0, 0.1, 2.0, 10)
    assert schedule(0) == approx(1.0)
    assert schedule(5) == approx(0.9 * 0.25 + 0.1)
    assert values(schedule, (10, 11)) == approx([0.1, 0.1])


def test_polynomial_power_one_is_linear():
    a, b = S.polynomial(0.5, 0.05, 1.0, 20), S.linear(0.5, 0.05, 20)
    assert values(a, range(30)) == approx(values(b, range(30)))


def test_exponential_continuous_staircase_and_floor():
    assert values(S.exponential(1.0, 0.5, 2), (0, 1, 2, 4)) == approx([1.0, 0.5**0.5, 0.5, 0.25])
    assert values(S.exponential(1.0, 0.5, 2, staircase=True), (0, 1, 2, 3, 4)) == approx([1, 1, 0.5, 0.5, 0.25])
    assert values(S.exponential(1.0, 0.5, 1, transition_begin=3), (0, 3, 4, 5)) == approx([1, 1, 0.5, 0.25])
    assert values(S.exponential(1.0, 0.5, end_value=0.2), (1, 2, 3, 10)) == approx([0.5, 0.25, 0.2, 0.2])
    assert values(S.exponential(0.1, 2.0, end_value=0.3), (1, 2, 9)) == approx([0.2, 0.3, 0.3])


def test_step_decay_is_step_lr():
    schedule = S.step_decay(1.0, step_size=3, gamma=0.1)
    expected = [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]
    assert values(schedule, range(10)) == approx(expected)


def test_piecewise_constant_scales_at_each_boundary():
    schedule = S.piecewise_constant(1.0, {5: 0.5, 2: 0.1})
    assert values(schedule, (0, 1, 2, 4, 5, 100)) == approx([1.0, 1.0, 0.1, 0.1, 0.05, 0.05])


def test_cosine_decay_midpoint_floor_and_exponent():
    schedule = S.cosine_decay(1.0, 100, alpha=0.1)
    assert schedule(0) == approx(1.0)
    assert schedule(50) == approx((1.0 + 0.1) / 2)
    assert values(schedule, (100, 150)) == approx([0.1, 0.1])
    assert S.cosine_decay(2.0, 10, exponent=2.0)(5) == approx(2.0 * 0.25)


def test_cosine_warm_restarts_restart_points_and_midpoints():
    schedule = S.cosine_warm_restarts(1.0, T_0=5, T_mult=2, eta_min=0.1)
    for restart in (0, 5, 15, 35):  # periods of 5, 10, 20 steps
        assert schedule(restart) == approx(1.0)
    assert schedule(10) == approx((1.0 + 0.1) / 2)  # middle of the 10-step period
    assert schedule(25) == approx((1.0 + 0.1) / 2)  # middle of the 20-step period
    assert schedule(4) == approx(0.1 + 0.9 * (1 + math.cos(math.pi * 4 / 5)) / 2)
    assert schedule(7.5) == approx(0.1 + 0.9 * (1 + math.cos(math.pi * 2.5 / 10)) / 2)  # fractional epochs


def test_cosine_warm_restarts_constant_period():
    schedule = S.cosine_warm_restarts(1.0, T_0=4)
    assert values(schedule, range(12)) == approx(values(schedule, range(4)) * 3)


def test_linear_warmup_then_peak():
    schedule = S.linear_warmup(1.0, 4, init_value=0.2)
    assert values(schedule, range(7)) == approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0])


def test_exponential_warmup_grows_by_the_same_factor_every_step():
    schedule = S.exponential_warmup(1.0, 4, init_value=1e-4)
    lrs = values(schedule, range(7))
    assert lrs[0] == approx(1e-4) and lrs[4:] == approx([1.0] * 3)
    assert [b / a for a, b in zip(lrs, lrs[1:4])] == approx([10.0] * 3)


def test_warmup_cosine_decay():
    schedule = S.warmup_cosine_decay(0.0, 1.0, warmup_steps=10, decay_steps=110, end_value=0.1)
    assert values(schedule, (0, 5, 10)) == approx([0.0, 0.5, 1.0])
    assert schedule(60) == approx((1.0 + 0.1) / 2)
    assert values(schedule, (110, 200)) == approx([0.1, 0.1])
    no_warmup = S.warmup_cosine_decay(0.0, 1.0, warmup_steps=0, decay_steps=100)
    assert values(no_warmup, (0, 50, 100)) == approx([1.0, 0.5, 0.0])


def test_one_cycle_two_phases():
    total, peak = 100, 1.0
    schedule = S.one_cycle(total, peak, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    assert schedule(0) == approx(peak / 25)
    assert schedule(29) == approx(peak)  # end of the warm phase: pct_start * total - 1
    assert max(values(schedule, range(total + 1))) == approx(peak)
    assert schedule(99) == approx(peak / 25 / 1e4)
    middle_up = (0 + 29) / 2
    assert schedule(middle_up) == approx((peak / 25 + peak) / 2)  # cos anneal: halfway in value at half time
    linear = S.one_cycle(total, peak, anneal_strategy="linear")
    assert linear(10) == approx(peak / 25 + (peak - peak / 25) * 10 / 29)


def test_one_cycle_three_phases_comes_back_to_the_initial_lr():
    schedule = S.one_cycle(100, 1.0, pct_start=0.25, three_phase=True)
    assert values(schedule, (0, 24, 48, 99)) == approx([0.04, 1.0, 0.04, 0.04 / 1e4])


def test_one_cycle_momentum_mirrors_the_lr():
    momentum = S.one_cycle_momentum(100, base_momentum=0.85, max_momentum=0.95)
    assert values(momentum, (0, 29, 99)) == approx([0.95, 0.85, 0.95])


def test_cyclic_triangular_values():
    schedule = S.cyclic(0.1, 1.0, step_size_up=4)
    expected = [0.1, 0.325, 0.55, 0.775, 1.0, 0.775, 0.55, 0.325, 0.1, 0.325]
    assert values(schedule, range(10)) == approx(expected)


def test_cyclic_asymmetric_up_and_down():
    schedule = S.cyclic(0.0, 1.0, step_size_up=2, step_size_down=4)
    assert values(schedule, range(8)) == approx([0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.5])


def test_cyclic_triangular2_halves_the_amplitude_each_cycle():
    schedule = S.cyclic(0.0, 1.0, step_size_up=2, mode="triangular2")
    assert values(schedule, (2, 6, 10)) == approx([1.0, 0.5, 0.25])


def test_cyclic_exp_range_and_custom_scale():
    schedule = S.cyclic(0.0, 1.0, step_size_up=2, mode="exp_range", gamma=0.9)
    assert values(schedule, (1, 2, 6)) == approx([0.5 * 0.9, 0.9**2, 0.9**6])
    custom = S.cyclic(0.0, 1.0, step_size_up=2, scale_fn=lambda x: 1 / x)
    assert values(custom, (2, 6, 10)) == approx([1.0, 0.5, 1 / 3])


def test_join_schedules_later_schedules_see_step_minus_boundary():
    schedule = S.join_schedules([S.linear(0.0, 1.0, 5), S.cosine_decay(1.0, 10), S.constant(0.01)], [5, 15])
    assert values(schedule, (0, 4, 5, 10, 15, 99)) == approx([0.0, 0.8, 1.0, 0.5, 0.01, 0.01])


@pytest.mark.parametrize(
    "build, name, value",
    [
        (lambda: S.constant(-0.1), "value", -0.1),
        (lambda: S.constant(math.nan), "value", math.nan),
        (lambda: S.linear(0.1, 0.0, 0), "transition_steps", 0),
        (lambda: S.polynomial(0.1, 0.0, -1.0, 10), "power", -1.0),
        (lambda: S.exponential(0.1, -0.5), "decay_rate", -0.5),
        (lambda: S.step_decay(0.1, 2.5, 0.1), "step_size", 2.5),
        (lambda: S.step_decay(0.1, 2, -0.1), "gamma", -0.1),
        (lambda: S.piecewise_constant(0.1, {-3: 0.5}), "boundary", -3),
        (lambda: S.cosine_decay(0.1, 10, alpha=1.5), "alpha", 1.5),
        (lambda: S.cosine_warm_restarts(0.1, T_0=0), "T_0", 0),
        (lambda: S.cosine_warm_restarts(0.1, T_0=5, T_mult=0), "T_mult", 0),
        (lambda: S.exponential_warmup(1.0, 10, init_value=0.0), "init_value", 0.0),
        (lambda: S.warmup_cosine_decay(0.0, 1.0, 10, 5), "decay_steps", 5),
        (lambda: S.one_cycle(100, 1.0, pct_start=1.5), "pct_start", 1.5),
        (lambda: S.one_cycle(100, 1.0, anneal_strategy="cosine"), "anneal_strategy", "cosine"),
        (lambda: S.one_cycle(0, 1.0), "total_steps", 0),
        (lambda: S.cyclic(0.1, 1.0, mode="sawtooth"), "mode", "sawtooth"),
        (lambda: S.cyclic(0.1, 1.0, step_size_up=0), "step_size_up", 0),
        (lambda: S.join_schedules([S.constant(1.0), S.constant(0.1)], []), "boundaries", []),
        (lambda: S.join_schedules([S.constant(1.0)] * 3, [5, 2]), "boundaries", [5, 2]),
    ],
)
def test_invalid_arguments_name_the_argument_and_value(build, name, value):
    with pytest.raises(HyperparameterError) as info:
        build()
    assert isinstance(info.value, ValueError)
    assert f"{name}={value!r}" in str(info.value)
