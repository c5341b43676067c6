"""Bad hyper-parameters fail in the constructor (or add_param_group) with a HyperparameterError
(a ValueError) whose message names the optimizer, the argument, the value and the valid range."""

from __future__ import annotations

import math

import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim
from tinygrad_opt.errors import HyperparameterError

BAD = [
    (optim.SGD, {"lr": -0.1}, ["SGD", "lr=-0.1", ">= 0"]),
    (optim.SGD, {"lr": math.nan}, ["SGD", "lr=nan", "finite"]),
    (optim.SGD, {"lr": math.inf}, ["SGD", "lr=inf", "finite"]),
    (optim.SGD, {"momentum": -0.5}, ["SGD", "momentum=-0.5", ">= 0"]),
    (optim.SGD, {"weight_decay": -1e-4}, ["SGD", "weight_decay=-0.0001", ">= 0"]),
    (optim.SGD, {"nesterov": True}, ["SGD", "nesterov=True", "momentum > 0", "momentum=0.0"]),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, ["nesterov", "dampening = 0"]),
    (optim.GD, {"lr": -1.0}, ["GD", "lr=-1.0"]),
    (optim.Adam, {"betas": (0.9, 1.0)}, ["Adam", "betas=(0.9, 1.0)", "[0, 1)"]),
    (optim.Adam, {"betas": (-0.1, 0.999)}, ["Adam", "betas", "[0, 1)"]),
    (optim.Adam, {"eps": 0.0}, ["Adam", "eps=0.0", "> 0"]),
    (optim.Adam, {"amsgrad": "yes"}, ["Adam", "amsgrad='yes'", "True or False"]),
    (optim.AdamW, {"weight_decay": -0.01}, ["AdamW", "weight_decay=-0.01"]),
    (optim.NAdam, {"momentum_decay": -1.0}, ["NAdam", "momentum_decay=-1.0"]),
    (optim.RAdam, {"betas": (0.9, 1.5)}, ["RAdam", "betas"]),
    (optim.Adamax, {"eps": -1e-8}, ["Adamax", "eps=-1e-08"]),
    (optim.Adagrad, {"lr_decay": -0.1}, ["Adagrad", "lr_decay=-0.1"]),
    (optim.Adagrad, {"initial_accumulator_value": -1.0}, ["Adagrad", "initial_accumulator_value"]),
    (optim.RMSprop, {"alpha": 1.0}, ["RMSprop", "alpha=1.0", "[0, 1)"]),
    (optim.RMSprop, {"momentum": -0.9}, ["RMSprop", "momentum=-0.9"]),
    (optim.Adadelta, {"rho": 1.2}, ["Adadelta", "rho=1.2", "[0, 1)"]),
    (optim.Rprop, {"etas": (1.2, 0.5)}, ["Rprop", "etas", "0 < eta_minus < 1 < eta_plus"]),
    (optim.Rprop, {"step_sizes": (1.0, 0.1)}, ["Rprop", "step_sizes", "min_step <= max_step"]),
    (optim.DeltaBarDelta, {"phi": 1.0}, ["DeltaBarDelta", "phi=1.0", "[0, 1)"]),
    (optim.DeltaBarDelta, {"kappa": -1.0}, ["DeltaBarDelta", "kappa=-1.0"]),
    (optim.ASGD, {"lambd": -1.0}, ["ASGD", "lambd=-1.0"]),
    (optim.SWATS, {"switch_eps": 0.0}, ["SWATS", "switch_eps=0.0", "> 0"]),
]


@pytest.mark.parametrize("cls, kwargs, fragments", BAD, ids=lambda v: getattr(v, "__name__", None))
def test_bad_hyperparameter_is_rejected_with_a_clear_message(cls, kwargs, fragments):
    with pytest.raises(HyperparameterError) as info:
        cls([tg.Tensor([1.0], requires_grad=True)], **kwargs)
    assert isinstance(info.value, ValueError)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_a_bad_value_in_an_added_group_is_rejected_too():
    opt = optim.Adam([tg.Tensor([1.0], requires_grad=True)])
    with pytest.raises(HyperparameterError, match="lr=-1"):
        opt.add_param_group({"params": [tg.Tensor([2.0], requires_grad=True)], "lr": -1})
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: optim.Lookahead(optim.SGD(p), k=0), "k=0"),
        (lambda p: optim.Lookahead(optim.SGD(p), alpha=1.5), "alpha=1.5"),
        (lambda p: optim.AveragedModel(p, mode="median"), "mode='median'"),
        (lambda p: optim.EMA(p, decay=1.0), "decay=1.0"),
    ],
)
def test_wrappers_validate_their_arguments(make, fragment):
    with pytest.raises(HyperparameterError, match=fragment):
        make([tg.Tensor([1.0], requires_grad=True)])


def test_params_must_be_leaf_tensors_in_a_non_empty_list():
    x = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([])
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(x)
    with pytest.raises(TypeError, match="Tensors"):
        optim.SGD([1.0])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([x * 2])
    with pytest.raises(ValueError, match="twice"):
        optim.SGD([x, x])
