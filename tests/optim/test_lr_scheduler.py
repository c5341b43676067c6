"""Stateful schedulers (tinygrad_opt.optim.lr_scheduler): hand-computed values, agreement with the pure
schedules over 150 steps, state_dict round trips, bad input, and (when torch is installed) PyTorch's
sequences for the same arguments."""

import math
import pickle
import warnings

import pytest

import tinygrad_opt as tg
from tinygrad_opt.errors import HyperparameterError
from tinygrad_opt.optim import SGD, Adagrad, Adam
from tinygrad_opt.optim import lr_scheduler as L
from tinygrad_opt.optim import schedules as S

approx = pytest.approx
N = 150


def sgd(lr=0.1, momentum=0.9, groups=1):
    return SGD([{"params": [tg.zeros(2, requires_grad=True)], "lr": lr * (i + 1)} for i in range(groups)], lr, momentum)


def adam(lr=0.1):
    return Adam([tg.zeros(2, requires_grad=True)], lr)


def run(scheduler, n=N, group=0, key="lr"):
    """The value of group[key] at steps 0..n-1 (construction is step 0); beta1 for key='betas'."""
    out = []
    for _ in range(n):
        value = scheduler.optimizer.param_groups[group][key]
        out.append(value[0] if key == "betas" else value)
        scheduler.step()
    return out


# --------------------------------------------------------------------------- exact values, by hand


def test_step_lr_values():
    assert run(L.StepLR(sgd(1.0), step_size=3, gamma=0.1), 10) == approx(
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]
    )


def test_multistep_lr_values_and_repeated_milestones():
    lrs = run(L.MultiStepLR(sgd(1.0), milestones=[2, 5, 5], gamma=0.5), 7)
    assert lrs == approx([1.0, 1.0, 0.5, 0.5, 0.5, 0.125, 0.125])


def test_constant_lr_values():
    assert run(L.ConstantLR(sgd(1.0), factor=0.5, total_iters=3), 5) == approx([0.5, 0.5, 0.5, 1.0, 1.0])


def test_linear_lr_is_seed_003_linear_decay():
    eps_0, tau, end_factor = 0.1, 10, 0.01
    lrs = run(L.LinearLR(sgd(eps_0), start_factor=1.0, end_factor=end_factor, total_iters=tau), 15)
    eps_tau = end_factor * eps_0
    assert lrs == approx([(1 - min(k, tau) / tau) * eps_0 + (min(k, tau) / tau) * eps_tau for k in range(15)])


def test_exponential_polynomial_lambda_multiplicative_values():
    assert run(L.ExponentialLR(sgd(1.0), gamma=0.5), 4) == approx([1.0, 0.5, 0.25, 0.125])
    assert run(L.PolynomialLR(sgd(1.0), total_iters=4, power=2.0), 6) == approx([1, 0.5625, 0.25, 0.0625, 0, 0])
    assert run(L.LambdaLR(sgd(2.0), lambda k: 1 / (k + 1)), 4) == approx([2.0, 1.0, 2 / 3, 0.5])
    assert run(L.MultiplicativeLR(sgd(1.0), lambda k: 0.9), 4) == approx([1.0, 0.9, 0.81, 0.729])


def test_cosine_annealing_lr_midpoint_end_and_recursive_equals_closed_form():
    eta_max, eta_min, t_max = 0.1, 0.001, 50
    scheduler = L.CosineAnnealingLR(sgd(eta_max), T_max=t_max, eta_min=eta_min)
    lrs = []
    for _ in range(3 * t_max + 7):  # three half-periods: down, back up past the trough, down again
        lrs.append(scheduler.get_last_lr()[0])
        assert lrs[-1] == approx(scheduler._closed_form_lr()[0], rel=1e-12, abs=1e-15)
        scheduler.step()
    assert lrs[0] == approx(eta_max)
    assert lrs[t_max // 2] == approx((eta_max + eta_min) / 2)
    assert lrs[t_max] == approx(eta_min)
    assert lrs[2 * t_max] == approx(eta_max)


def test_sgdr_restarts():
    scheduler = L.CosineAnnealingWarmRestarts(sgd(1.0), T_0=5, T_mult=2, eta_min=0.1)
    lrs = run(scheduler, 40)
    for restart in (0, 5, 15, 35):  # periods of 5, 10, 20 steps
        assert lrs[restart] == approx(1.0)
    for last in (4, 14, 34):  # the step before a restart is near eta_min
        assert lrs[last] < 0.2
    assert lrs[10] == approx(0.55) and lrs[25] == approx(0.55)


def test_sgdr_fractional_epochs():
    scheduler = L.CosineAnnealingWarmRestarts(sgd(1.0), T_0=4, T_mult=2)
    scheduler.step(6.0)  # 2 steps into the 8-step period
    assert scheduler.get_last_lr()[0] == approx((1 + math.cos(math.pi * 2 / 8)) / 2)
    scheduler.step(1.5)
    assert scheduler.get_last_lr()[0] == approx((1 + math.cos(math.pi * 1.5 / 4)) / 2)
    assert scheduler.last_epoch == 1


def test_one_cycle_peak_at_the_end_of_the_warm_phase_and_momentum():
    scheduler = L.OneCycleLR(sgd(momentum=0.9), max_lr=1.0, total_steps=100, pct_start=0.3)
    opt = scheduler.optimizer
    lrs, momenta = [], []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        scheduler.step()
    assert lrs[0] == approx(1.0 / 25)
    assert lrs[29] == approx(1.0) and max(lrs) == lrs[29]
    assert lrs[99] == approx(1.0 / 25 / 1e4)
    assert momenta[0] == approx(0.95) and momenta[29] == approx(0.85) and momenta[99] == approx(0.95)


def test_one_cycle_cycles_beta1_of_adam_and_keeps_beta2():
    scheduler = L.OneCycleLR(adam(), max_lr=0.01, total_steps=20, base_momentum=0.8, max_momentum=0.9)
    betas = []
    for _ in range(20):
        betas.append(scheduler.optimizer.param_groups[0]["betas"])
        scheduler.step()
    assert betas[0] == approx((0.9, 0.999)) and betas[5] == approx((0.8, 0.999))
    assert all(b[1] == 0.999 for b in betas)


def test_one_cycle_refuses_to_step_past_total_steps():
    scheduler = L.OneCycleLR(sgd(), max_lr=1.0, epochs=2, steps_per_epoch=5)
    for _ in range(10):
        scheduler.step()
    with pytest.raises(ValueError, match="total_steps=10"):
        scheduler.step()


def test_cyclic_lr_triangular_and_momentum():
    scheduler = L.CyclicLR(sgd(), base_lr=0.1, max_lr=1.0, step_size_up=4, base_momentum=0.8, max_momentum=0.9)
    opt = scheduler.optimizer
    lrs, momenta = [], []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        scheduler.step()
    assert lrs == approx([0.1, 0.325, 0.55, 0.775, 1.0, 0.775, 0.55, 0.325, 0.1, 0.325])
    assert momenta == approx([0.9, 0.875, 0.85, 0.825, 0.8, 0.825, 0.85, 0.875, 0.9, 0.875])


def test_reduce_lr_on_plateau_patience_cooldown_and_floor():
    opt = sgd(1.0)
    scheduler = L.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    metrics = [10, 9, 9, 9, 9, 9, 9, 9, 8, 9, 9, 9, 9, 9, 9, 9]
    lrs = []
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    # bad epochs: steps 2,3 (patience), step 4 is the 3rd -> halve; cooldown eats step 5; then 6,7,8... the
    # improvement at step 8 resets the count; 9,10,11 -> halve to the floor 0.2 (0.25 * 0.5 = 0.125 < 0.2)
    expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2]
    assert lrs == approx(expected)
    assert scheduler.get_last_lr() == approx([0.2])


def test_reduce_lr_on_plateau_max_mode_and_thresholds():
    opt = sgd(1.0)
    scheduler = L.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.1, threshold_mode="abs")
    scheduler.step(1.0)
    scheduler.step(1.05)  # not better by 0.1 in absolute terms
    assert opt.param_groups[0]["lr"] == approx(0.1)
    scheduler = L.ReduceLROnPlateau(sgd(1.0), patience=0, threshold=0.1)
    scheduler.step(tg.tensor(1.0))
    scheduler.step(0.95)  # not below 1.0 * (1 - 0.1)
    assert scheduler.get_last_lr() == approx([0.1])


def test_reduce_lr_on_plateau_skips_changes_smaller_than_eps():
    scheduler = L.ReduceLROnPlateau(sgd(1e-9), patience=0, eps=1e-8)
    scheduler.step(1.0)
    scheduler.step(2.0)
    assert scheduler.get_last_lr() == [1e-9]


def test_sequential_lr_hands_off_at_the_milestones():
    opt = sgd(1.0)
    warmup = L.LinearLR(opt, start_factor=0.25, total_iters=3)
    decay = L.ExponentialLR(opt, gamma=0.5)
    lrs = run(L.SequentialLR(opt, [warmup, decay], milestones=[4]), 7)
    assert lrs == approx([0.25, 0.5, 0.75, 1.0, 1.0, 0.5, 0.25])


def test_chained_scheduler_multiplies_the_factors():
    opt = sgd(1.0)
    chained = L.ChainedScheduler([L.ConstantLR(opt, factor=0.1, total_iters=2), L.ExponentialLR(opt, gamma=0.9)])
    assert run(chained, 5) == approx([0.1 * 0.9**k if k < 2 else 0.9**k for k in range(5)])


def test_warmup_lr_linear_and_exponential():
    assert run(L.WarmupLR(sgd(1.0), 4, start_factor=0.0), 6) == approx([0, 0.25, 0.5, 0.75, 1, 1])
    assert run(L.WarmupLR(sgd(1.0), 3, start_factor=1e-3, mode="exponential"), 5) == approx([1e-3, 1e-2, 0.1, 1, 1])


def test_each_param_group_follows_its_own_base_lr():
    opt = sgd(1.0, groups=2)
    run(L.StepLR(opt, step_size=2, gamma=0.5), 5)
    assert [g["lr"] for g in opt.param_groups] == approx([0.25, 0.5])
    scheduler = L.OneCycleLR(sgd(groups=2), max_lr=[1.0, 2.0], total_steps=10)
    assert scheduler.get_last_lr() == approx([1.0 / 25, 2.0 / 25])


def test_the_optimizer_uses_the_scheduled_lr():
    p = tg.zeros(1, requires_grad=True)
    opt = SGD([p], lr=1.0)
    scheduler = L.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):  # grad of sum(p) is 1: each step moves p by -lr
        opt.zero_grad()
        p.sum().backward()
        opt.step()
        scheduler.step()
    assert float(p.numpy()[0]) == approx(-(1.0 + 0.5 + 0.25))


def test_adam_trains_under_one_cycle_with_cycled_beta1():
    p = tg.tensor([3.0, -2.0], requires_grad=True)
    opt = Adam([p], lr=0.1)
    scheduler = L.OneCycleLR(opt, max_lr=0.3, total_steps=60)
    for _ in range(60):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        scheduler.step()
    assert float((p * p).sum().item()) < 0.05 * 13.0


# --------------------------------------------------------------------------- both forms agree

AGREEMENT = {
    "StepLR": (lambda o: L.StepLR(o, 7, 0.5), lambda b: S.step_decay(b, 7, 0.5)),
    "MultiStepLR": (
        lambda o: L.MultiStepLR(o, [10, 40, 90], 0.3),
        lambda b: S.piecewise_constant(b, dict.fromkeys([10, 40, 90], 0.3)),
    ),
    "ConstantLR": (
        lambda o: L.ConstantLR(o, 0.25, 20),
        lambda b: S.join_schedules([S.constant(b * 0.25), S.constant(b)], [20]),
    ),
    "LinearLR": (lambda o: L.LinearLR(o, 1.0, 0.05, 100), lambda b: S.linear(b, 0.05 * b, 100)),
    "ExponentialLR": (lambda o: L.ExponentialLR(o, 0.97), lambda b: S.exponential(b, 0.97)),
    "PolynomialLR": (lambda o: L.PolynomialLR(o, 120, 1.5), lambda b: S.polynomial(b, 0.0, 1.5, 120)),
    "CosineAnnealingLR": (
        lambda o: L.CosineAnnealingLR(o, N, eta_min=0.002),
        lambda b: S.cosine_decay(b, N, alpha=0.002 / b),
    ),
    "CosineAnnealingWarmRestarts": (
        lambda o: L.CosineAnnealingWarmRestarts(o, 5, 2, 0.001),
        lambda b: S.cosine_warm_restarts(b, 5, 2, 0.001),
    ),
    "WarmupLR-linear": (lambda o: L.WarmupLR(o, 30, 0.1), lambda b: S.linear_warmup(b, 30, 0.1 * b)),
    "WarmupLR-exponential": (
        lambda o: L.WarmupLR(o, 30, 0.01, mode="exponential"),
        lambda b: S.exponential_warmup(b, 30, 0.01 * b),
    ),
    "OneCycleLR": (lambda o: L.OneCycleLR(o, 1.0, total_steps=N), lambda b: S.one_cycle(N, 1.0)),
    "OneCycleLR-three-phase": (
        lambda o: L.OneCycleLR(o, 1.0, total_steps=N, three_phase=True, anneal_strategy="linear"),
        lambda b: S.one_cycle(N, 1.0, three_phase=True, anneal_strategy="linear"),
    ),
    "CyclicLR": (lambda o: L.CyclicLR(o, 0.01, 0.1, 8, 12), lambda b: S.cyclic(0.01, 0.1, 8, 12)),
    "CyclicLR-triangular2": (
        lambda o: L.CyclicLR(o, 0.01, 0.1, 10, mode="triangular2"),
        lambda b: S.cyclic(0.01, 0.1, 10, mode="triangular2"),
    ),
    "CyclicLR-exp_range": (
        lambda o: L.CyclicLR(o, 0.01, 0.1, 10, mode="exp_range", gamma=0.99),
        lambda b: S.cyclic(0.01, 0.1, 10, mode="exp_range", gamma=0.99),
    ),
    "SequentialLR-warmup-cosine": (
        lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, 10), L.CosineAnnealingLR(o, N - 10, 0.001)], [10]),
        lambda b: S.warmup_cosine_decay(0.1 * b, b, 10, N, end_value=0.001),
    ),
    "SequentialLR-three": (
        lambda o: L.SequentialLR(
            o, [L.ConstantLR(o, 0.5, 20), L.StepLR(o, 5, 0.8), L.ExponentialLR(o, 0.95)], [20, 70]
        ),
        lambda b: S.join_schedules([S.constant(0.5 * b), S.step_decay(b, 5, 0.8), S.exponential(b, 0.95)], [20, 70]),
    ),
}


@pytest.mark.parametrize("name", sorted(AGREEMENT))
def test_stateful_scheduler_equals_its_pure_schedule(name):
    make_scheduler, make_schedule = AGREEMENT[name]
    scheduler = make_scheduler(sgd(0.1))
    schedule = make_schedule(0.1)
    assert run(scheduler) == approx([schedule(k) for k in range(N)], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("make_opt", [sgd, adam], ids=["momentum", "beta1"])
@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
def test_cycled_momentum_equals_its_pure_schedule(name, make_opt):
    opt = make_opt()
    key = "betas" if "betas" in opt.param_groups[0] else "momentum"
    if name == "OneCycleLR":
        scheduler = L.OneCycleLR(opt, 1.0, total_steps=N, base_momentum=0.8, max_momentum=0.9)
        schedule = S.one_cycle_momentum(N, base_momentum=0.8, max_momentum=0.9)
    else:
        scheduler = L.CyclicLR(opt, 0.01, 0.1, 8, mode="triangular2", base_momentum=0.8, max_momentum=0.9)
        schedule = S.cyclic(0.9, 0.8, 8, mode="triangular2")  # momentum falls while the lr rises
    assert run(scheduler, key=key) == approx([schedule(k) for k in range(N)], rel=1e-12)


# --------------------------------------------------------------------------- state_dict

RESUMABLE = {
    **{name: make for name, (make, _) in AGREEMENT.items()},
    "LambdaLR": lambda o: L.LambdaLR(o, lambda k: 0.99**k),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda k: 0.98),
    "ChainedScheduler": lambda o: L.ChainedScheduler([L.ExponentialLR(o, 0.98), L.StepLR(o, 10, 0.5)]),
    "CyclicLR-adam": lambda o: L.CyclicLR(o, 0.01, 0.1, 8, 12),
}


@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_state_dict_round_trip_resumes_the_same_sequence(name):
    make = RESUMABLE[name]
    make_opt = adam if name.endswith("adam") else sgd
    key = "betas" if name.endswith("adam") else "momentum"
    reference = make(make_opt())
    expected = run(reference, 100)
    expected_momentum = run(make(make_opt()), 100, key=key)

    first = make(make_opt())
    run(first, 37)
    state = pickle.loads(pickle.dumps(first.state_dict()))  # plain data: no functions, no optimizer
    resumed_opt = make_opt()
    resumed = make(resumed_opt)
    resumed.load_state_dict(state)
    assert run(resumed, 63) == approx(expected[37:], rel=1e-12)

    second = make(make_opt())
    run(second, 37)
    resumed = make(make_opt())
    resumed.load_state_dict(second.state_dict())
    assert run(resumed, 63, key=key) == approx(expected_momentum[37:], rel=1e-12)


def test_state_dict_round_trip_with_the_optimizer_state_too():
    opt = sgd()
    scheduler = L.CosineAnnealingLR(opt, 40)
    expected = run(L.CosineAnnealingLR(sgd(), 40), 60)
    run(scheduler, 25)
    opt2 = sgd()
    scheduler2 = L.CosineAnnealingLR(opt2, 40)  # built first: construction writes the lr, the load overwrites it
    opt2.load_state_dict(opt.state_dict())
    scheduler2.load_state_dict(scheduler.state_dict())
    assert run(scheduler2, 35) == approx(expected[25:], rel=1e-12)


def test_reduce_lr_on_plateau_state_round_trip():
    metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3]
    reference = L.ReduceLROnPlateau(sgd(1.0), patience=1, cooldown=1)
    expected = []
    for m in metrics:
        reference.step(m)
        expected.append(reference.get_last_lr()[0])
    first = L.ReduceLROnPlateau(sgd(1.0), patience=1, cooldown=1)
    for m in metrics[:4]:
        first.step(m)
    resumed = L.ReduceLROnPlateau(sgd(1.0), patience=1, cooldown=1)
    resumed.load_state_dict(first.state_dict())
    got = []
    for m in metrics[4:]:
        resumed.step(m)
        got.append(resumed.get_last_lr()[0])
    assert got == approx(expected[4:])


def test_lambdas_are_not_saved():
    state = L.LambdaLR(sgd(), lambda k: 1.0).state_dict()
    assert "lr_lambdas" not in state and not any(callable(v) for v in state.values())


def test_bad_state_dict_raises_and_changes_nothing():
    opt = sgd()
    scheduler = L.StepLR(opt, 3)
    run(scheduler, 5)
    before = scheduler.state_dict()
    lr_before = opt.param_groups[0]["lr"]
    broken = {k: v for k, v in before.items() if k != "gamma"}
    with pytest.raises(ValueError, match="missing keys \\['gamma'\\]"):
        scheduler.load_state_dict({**broken, "T_max": 3})
    with pytest.raises(ValueError, match="learning rates"):
        scheduler.load_state_dict({**before, "_last_lr": [0.1, 0.2]})
    with pytest.raises(tg.StateDictError, match="got list"):  # issue 12: every bad load is a StateDictError
        scheduler.load_state_dict([1, 2])
    assert scheduler.state_dict() == before and opt.param_groups[0]["lr"] == lr_before


def test_bad_child_state_leaves_a_composite_unchanged():
    opt = sgd()
    chained = L.ChainedScheduler([L.ExponentialLR(opt, 0.9), L.StepLR(opt, 2)])
    run(chained, 3)
    before = chained.state_dict()
    bad = chained.state_dict()
    del bad["_schedulers"][1]["step_size"]
    with pytest.raises(ValueError, match="step_size"):
        chained.load_state_dict(bad)
    assert chained.state_dict() == before


# --------------------------------------------------------------------------- bad input

NOT_BOUND = {
    "LambdaLR": lambda o: L.LambdaLR(o, lambda k: 1.0),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda k: 1.0),
    "StepLR": lambda o: L.StepLR(o, 3),
    "MultiStepLR": lambda o: L.MultiStepLR(o, [3]),
    "ConstantLR": lambda o: L.ConstantLR(o),
    "LinearLR": lambda o: L.LinearLR(o),
    "ExponentialLR": lambda o: L.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda o: L.PolynomialLR(o),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 10),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 10),
    "WarmupLR": lambda o: L.WarmupLR(o, 10),
    "OneCycleLR": lambda o: L.OneCycleLR(o, 1.0, total_steps=10),
    "CyclicLR": lambda o: L.CyclicLR(o, 0.1, 1.0),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o),
    "SequentialLR": lambda o: L.SequentialLR(o, [], []),
    "ChainedScheduler": lambda o: L.ChainedScheduler([], o),
}


@pytest.mark.parametrize("name", sorted(NOT_BOUND))
@pytest.mark.parametrize("thing", [None, object(), [tg.zeros(2, requires_grad=True)]], ids=["None", "object", "params"])
def test_a_scheduler_bound_to_no_optimizer_is_a_type_error_naming_it(name, thing):
    with pytest.raises(TypeError, match=f"^{name} must be bound to an optimizer"):
        NOT_BOUND[name](thing)


def test_every_scheduler_is_covered_by_the_bad_input_table():
    assert set(NOT_BOUND) == set(L.__all__) - {"LRScheduler"}


@pytest.mark.parametrize(
    "build, name, value",
    [
        (lambda o: L.StepLR(o, 3, gamma=-0.1), "gamma", -0.1),
        (lambda o: L.StepLR(o, 0), "step_size", 0),
        (lambda o: L.MultiStepLR(o, [2, -1]), "milestone", -1),
        (lambda o: L.ExponentialLR(o, gamma=math.nan), "gamma", math.nan),
        (lambda o: L.ConstantLR(o, factor=0.0), "factor", 0.0),
        (lambda o: L.LinearLR(o, start_factor=0.0), "start_factor", 0.0),
        (lambda o: L.LinearLR(o, end_factor=1.5), "end_factor", 1.5),
        (lambda o: L.PolynomialLR(o, total_iters=0), "total_iters", 0),
        (lambda o: L.CosineAnnealingLR(o, 10, eta_min=-1.0), "eta_min", -1.0),
        (lambda o: L.CosineAnnealingWarmRestarts(o, 10, T_mult=0), "T_mult", 0),
        (lambda o: L.CosineAnnealingWarmRestarts(o, 2.5), "T_0", 2.5),
        (lambda o: L.WarmupLR(o, 10, start_factor=0.0, mode="exponential"), "start_factor", 0.0),
        (lambda o: L.WarmupLR(o, 10, mode="cosine"), "mode", "cosine"),
        (lambda o: L.OneCycleLR(o, 1.0, total_steps=0), "total_steps", 0),
        (lambda o: L.OneCycleLR(o, 1.0, total_steps=10, pct_start=2.0), "pct_start", 2.0),
        (lambda o: L.OneCycleLR(o, [1.0, 2.0], total_steps=10), "max_lr", [1.0, 2.0]),
        (lambda o: L.OneCycleLR(o, 1.0, total_steps=10, max_momentum=1.5), "max_momentum", 1.5),
        (lambda o: L.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), "mode", "sawtooth"),
        (lambda o: L.CyclicLR(o, -0.1, 1.0), "base_lr", -0.1),
        (lambda o: L.ReduceLROnPlateau(o, factor=1.0), "factor", 1.0),
        (lambda o: L.ReduceLROnPlateau(o, factor=-0.5), "factor", -0.5),
        (lambda o: L.ReduceLROnPlateau(o, mode="lowest"), "mode", "lowest"),
        (lambda o: L.ReduceLROnPlateau(o, threshold_mode="pct"), "threshold_mode", "pct"),
        (lambda o: L.ReduceLROnPlateau(o, patience=-1), "patience", -1),
        (lambda o: L.ReduceLROnPlateau(o, min_lr=-1e-3), "min_lr", -1e-3),
        (lambda o: L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(o, 3)], []), "milestones", []),
        (lambda o: L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(o, 3)], [0]), "milestone", 0),
    ],
)
def test_invalid_arguments_are_value_errors_naming_argument_and_value(build, name, value):
    with pytest.raises(HyperparameterError) as info:
        build(sgd())
    assert isinstance(info.value, ValueError)
    assert f"{name}={value!r}" in str(info.value)


def test_cycle_momentum_needs_momentum_or_betas():
    opt = Adagrad([tg.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        L.OneCycleLR(opt, 1.0, total_steps=10)
    L.CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)


def test_composites_check_their_schedulers():
    opt, other = sgd(), sgd()
    with pytest.raises(ValueError, match="another optimizer"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(other, 2)], [3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        L.ChainedScheduler([L.StepLR(opt, 2), L.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match="schedulers\\[0\\] must be an LRScheduler"):
        L.SequentialLR(opt, [lambda k: 0.1], [])


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(tg.StateDictError, match="initial_lr"):  # issue 12: was a plain KeyError
        L.StepLR(sgd(), 3, last_epoch=5)


# --------------------------------------------------------------------------- PyTorch's sequences

TORCH_CASES = {
    "LambdaLR": lambda M, o: M.LambdaLR(o, lambda k: 0.95**k),
    "MultiplicativeLR": lambda M, o: M.MultiplicativeLR(o, lambda k: 0.97),
    "StepLR": lambda M, o: M.StepLR(o, 7, 0.5),
    "MultiStepLR": lambda M, o: M.MultiStepLR(o, [10, 30, 30, 70], 0.3),
    "ConstantLR": lambda M, o: M.ConstantLR(o, 0.25, 20),
    "LinearLR": lambda M, o: M.LinearLR(o, 0.1, 0.9, 40),
    "ExponentialLR": lambda M, o: M.ExponentialLR(o, 0.97),
    "PolynomialLR": lambda M, o: M.PolynomialLR(o, 60, 2.0),
    "CosineAnnealingLR": lambda M, o: M.CosineAnnealingLR(o, 30, 0.01),
    "CosineAnnealingWarmRestarts": lambda M, o: M.CosineAnnealingWarmRestarts(o, 5, 2, 0.001),
    "CosineAnnealingWarmRestarts-T_mult1": lambda M, o: M.CosineAnnealingWarmRestarts(o, 7),
    "OneCycleLR": lambda M, o: M.OneCycleLR(o, 1.0, total_steps=100),
    "OneCycleLR-three-phase-linear": lambda M, o: M.OneCycleLR(
        o, [1.0], total_steps=100, three_phase=True, anneal_strategy="linear", pct_start=0.25
    ),
    "CyclicLR": lambda M, o: M.CyclicLR(o, 0.01, 0.1, 8, 12),
    "CyclicLR-triangular2": lambda M, o: M.CyclicLR(o, 0.01, 0.1, 5, mode="triangular2"),
    "CyclicLR-exp_range": lambda M, o: M.CyclicLR(o, 0.01, 0.1, 5, mode="exp_range", gamma=0.98),
    "SequentialLR": lambda M, o: M.SequentialLR(
        o, [M.LinearLR(o, 0.1, 1.0, 10), M.CosineAnnealingLR(o, 50), M.ExponentialLR(o, 0.9)], [10, 60]
    ),
    "SequentialLR-constant-step": lambda M, o: M.SequentialLR(o, [M.ConstantLR(o, 0.1, 20), M.StepLR(o, 5, 0.8)], [20]),
    "ChainedScheduler": lambda M, o: M.ChainedScheduler(
        [M.ConstantLR(o, 0.1, 20), M.ExponentialLR(o, 0.97), M.StepLR(o, 9, 0.7)]
    ),
}


def _torch_and_ours(make_scheduler, which):
    torch = pytest.importorskip("torch")
    ours = {"sgd": sgd(), "adam": adam()}[which]
    theirs = {
        "sgd": lambda: torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9),
        "adam": lambda: torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.1),
    }[which]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when scheduler.step() runs without optimizer.step()
        return make_scheduler(torch.optim.lr_scheduler, theirs), make_scheduler(L, ours)


def _trace(scheduler, n=100, metric=None):
    """lr of group 0 at steps 0..n-1, followed by its momentum (or beta1) at those steps."""
    lrs, momenta = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(n):
            group = scheduler.optimizer.param_groups[0]
            lrs.append(group["lr"])
            momenta.append(group["betas"][0] if "betas" in group else group["momentum"])
            if metric is None:
                scheduler.step()
            else:
                scheduler.step(metric(k))
    return lrs + momenta


@pytest.mark.parametrize("which", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_sequences_equal_pytorch(name, which):
    theirs, ours = _torch_and_ours(TORCH_CASES[name], which)
    assert _trace(ours) == approx(_trace(theirs), rel=1e-12, abs=0)


@pytest.mark.parametrize(
    "kwargs",
    [{}, dict(mode="max", factor=0.5, patience=2, cooldown=3, threshold_mode="abs", threshold=0.01, min_lr=0.01)],
)
def test_reduce_lr_on_plateau_equals_pytorch(kwargs):
    theirs, ours = _torch_and_ours(lambda M, o: M.ReduceLROnPlateau(o, **kwargs), "sgd")
    metric = lambda k: math.sin(k / 3) + 0.001 * k  # noqa: E731
    assert _trace(ours, metric=metric) == approx(_trace(theirs, metric=metric), rel=1e-12)


def test_warmup_lr_equals_pytorch_linear_lr():
    theirs, ours = _torch_and_ours(lambda M, o: M.LinearLR(o, 0.1, 1.0, 30), "sgd")
    ours = L.WarmupLR(sgd(), 30, start_factor=0.1)
    assert _trace(ours) == approx(_trace(theirs), rel=1e-12)
