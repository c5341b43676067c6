"""The one optimizer table (optax alias_test style): every optimizer class in tinygrad_opt.optim has an
entry, and every suite (formula vs NumPy reference, quadratic + Rosenbrock, resume, maximize, torch)
iterates over it. ``test_coverage`` fails when a class exists without an entry.

An entry: ``make(param_groups)`` builds the optimizer, ``groups`` the two groups' hyper-parameters
(different in each, with weight decay where the optimizer has it), ``ref`` the NumPy reference from
optim_reference.py (per parameter, or per group when ``group_ref``), ``tune`` the settings for the
quadratic runs (``rosen`` overrides them on Rosenbrock), ``torch`` the torch.optim name with the same
algorithm (or None) and ``torch_kwargs`` extra constructor arguments for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import optim_reference as R

from tinygrad_opt import optim

LOOKAHEAD_K, LOOKAHEAD_ALPHA = 3, 0.5


def ref_lookahead(theta, g, s, hp):
    """k SGD steps forward, one step back towards the slow weights (Zhang et al. 2019)."""
    s.setdefault("slow", theta.copy())
    inner = s.setdefault("inner", {})
    inner["t"] = s["t"]
    theta = R.ref_sgd(theta, g, inner, hp)
    if s["t"] % LOOKAHEAD_K == 0:
        s["slow"] = s["slow"] + LOOKAHEAD_ALPHA * (theta - s["slow"])
        theta = s["slow"].copy()
    return theta


@dataclass
class Case:
    make: object
    groups: tuple
    ref: object
    tune: dict = field(default_factory=dict)
    torch: str | None = None
    group_ref: bool = False
    rosen: dict = field(default_factory=dict)
    torch_kwargs: dict = field(default_factory=dict)


def _cls(name):
    return lambda groups, **kw: getattr(optim, name)(groups, **kw)


CASES = {
    "GD": Case(
        _cls("GD"),
        ({"lr": 0.05, "weight_decay": 0.01}, {"lr": 0.02}),
        R.ref_sgd,
        {"lr": 0.1},
        "SGD",
        rosen={"lr": 1e-3},
    ),
    "SGD": Case(
        _cls("SGD"),
        ({"lr": 0.03, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, {"lr": 0.02, "momentum": 0.5}),
        R.ref_sgd,
        {"lr": 0.05, "momentum": 0.9},
        "SGD",
        rosen={"lr": 1e-3},
    ),
    "SGD-nesterov": Case(
        _cls("SGD"),
        ({"lr": 0.03, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, {"lr": 0.01, "momentum": 0.3}),
        R.ref_sgd,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        "SGD",
        rosen={"lr": 1e-3},
    ),
    "Adagrad": Case(
        _cls("Adagrad"),
        (
            {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
            {"lr": 0.05, "initial_accumulator_value": 0.1},
        ),
        R.ref_adagrad,
        {"lr": 0.5},
        "Adagrad",
        rosen={"lr": 0.1},
        torch_kwargs={"initial_accumulator_value": 0.1},  # torch reads it from the constructor only
    ),
    "RMSprop": Case(
        _cls("RMSprop"),
        ({"lr": 0.01, "alpha": 0.9, "weight_decay": 0.01}, {"lr": 0.005, "momentum": 0.5}),
        R.ref_rmsprop,
        {"lr": 0.01},
        "RMSprop",
        rosen={"lr": 0.01},
    ),
    "RMSprop-centered": Case(
        _cls("RMSprop"),
        ({"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.01}, {"lr": 0.003, "centered": True}),
        R.ref_rmsprop,
        {"lr": 0.01, "centered": True, "momentum": 0.5},
        "RMSprop",
        rosen={"lr": 0.01},
    ),
    "Adadelta": Case(
        _cls("Adadelta"),
        ({"rho": 0.9, "weight_decay": 0.01}, {"lr": 0.5, "rho": 0.8, "eps": 1e-4}),
        R.ref_adadelta,
        {"lr": 1.0, "eps": 1e-2},
        "Adadelta",
        rosen={"lr": 0.1},
    ),
    "Adam": Case(
        _cls("Adam"),
        ({"lr": 0.01, "weight_decay": 0.01}, {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6}),
        R.ref_adam,
        {"lr": 0.05},
        "Adam",
        rosen={"lr": 0.1},
    ),
    "Adam-amsgrad": Case(
        _cls("Adam"),
        ({"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}, {"lr": 0.02, "amsgrad": True, "betas": (0.5, 0.9)}),
        R.ref_adam,
        {"lr": 0.05, "amsgrad": True},
        "Adam",
        rosen={"lr": 0.1},
    ),
    "AdamW": Case(
        _cls("AdamW"),
        ({"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.02, "weight_decay": 0.0, "amsgrad": True}),
        R.ref_adamw,
        {"lr": 0.05, "weight_decay": 1e-3},
        "AdamW",
        rosen={"lr": 0.1},
    ),
    "NAdam": Case(
        _cls("NAdam"),
        ({"lr": 0.01, "weight_decay": 0.01}, {"lr": 0.02, "momentum_decay": 1e-2, "decoupled_weight_decay": True}),
        R.ref_nadam,
        {"lr": 0.05},
        "NAdam",
        rosen={"lr": 0.03},
    ),
    "RAdam": Case(
        _cls("RAdam"),
        ({"lr": 0.01, "weight_decay": 0.01}, {"lr": 0.02, "betas": (0.9, 0.9), "decoupled_weight_decay": True}),
        R.ref_radam,
        {"lr": 0.05},
        "RAdam",
        rosen={"lr": 0.01},
    ),
    "Adamax": Case(
        _cls("Adamax"),
        ({"lr": 0.01, "weight_decay": 0.01}, {"lr": 0.03, "betas": (0.8, 0.99)}),
        R.ref_adamax,
        {"lr": 0.05},
        "Adamax",
        rosen={"lr": 0.1},
    ),
    "Rprop": Case(
        _cls("Rprop"),
        ({"lr": 0.01}, {"lr": 0.02, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.5)}),
        R.ref_rprop,
        {"lr": 0.01},
        "Rprop",
        rosen={"lr": 0.01},
    ),
    "DeltaBarDelta": Case(
        _cls("DeltaBarDelta"),
        ({"lr": 0.01, "kappa": 1e-3}, {"lr": 0.02, "kappa": 5e-3, "phi": 0.3, "theta": 0.5}),
        R.ref_delta_bar_delta,
        {"lr": 1e-3, "kappa": 1e-4},
        rosen={"lr": 0.01, "kappa": 1e-4},
    ),
    "ASGD": Case(
        _cls("ASGD"),
        ({"lr": 0.02, "t0": 10, "lambd": 1e-2, "weight_decay": 0.01}, {"lr": 0.01, "alpha": 0.5}),
        R.ref_asgd,
        {"lr": 0.05, "t0": 50},
        "ASGD",
        rosen={"lr": 1e-3},
    ),
    "SWATS": Case(
        _cls("SWATS"),
        ({"lr": 0.01, "switch_eps": 1e-2, "weight_decay": 0.01}, {"lr": 0.02}),
        R.ref_swats_group,
        {"lr": 0.05, "switch_eps": 1e-3},
        group_ref=True,
        rosen={"lr": 0.1, "switch_eps": 1e-9},
    ),
    "Lookahead": Case(
        lambda groups, **kw: optim.Lookahead(optim.SGD(groups, **kw), k=LOOKAHEAD_K, alpha=LOOKAHEAD_ALPHA),
        ({"lr": 0.03, "momentum": 0.9, "weight_decay": 0.01}, {"lr": 0.02}),
        ref_lookahead,
        {"lr": 0.05, "momentum": 0.9},
        rosen={"lr": 1e-3},
    ),
}


SEPARATELY_TESTED = {
    # closure-driven methods (line searches, curvature): their own suites state their properties
    "LBFGS": "test_optim_second_order.py",
    "BFGS": "test_optim_second_order.py",
    "ConjugateGradient": "test_optim_second_order.py",
    "SteepestDescent": "test_optim_second_order.py",
    "Newton": "test_optim_second_order.py",
    "NewtonCG": "test_optim_second_order.py",
    "CoordinateDescent": "test_optim_second_order.py",
    "AdaHessian": "test_optim_curvature.py",
    "SophiaH": "test_optim_curvature.py",
    "KFAC": "test_optim_curvature.py",
}
"""Optimizers outside the table (they need a closure, or a model), and the test file that covers each."""


def optimizer_classes() -> set:
    """Every concrete Optimizer subclass exported by tinygrad_opt.optim."""
    return {
        obj
        for obj in vars(optim).values()
        if isinstance(obj, type) and issubclass(obj, optim.Optimizer) and obj is not optim.Optimizer
    }
