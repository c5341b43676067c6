"""Bad-input cases: optim (optimizers, wrappers, clipping, penalties, pure schedules, lr schedulers). See
bad_input_table.py for what a case holds. Every failed ``step`` and ``load_state_dict`` here carries a
``state=`` snapshot: the optimizer (its state_dict and parameters), the scheduler, the averages are the
same after the failed call, bit for bit (issue 12: all-or-nothing step, load checks)."""

from __future__ import annotations

import copy
import math

import numpy as np
from bad_input_table import case

import tinygrad_opt as tg
from tinygrad_opt import optim
from tinygrad_opt.optim import lr_scheduler as L
from tinygrad_opt.optim import schedules as S

CASES = []

# Public entry points that take no argument a user can get wrong: object -> why.
EXEMPT = {}


def _params():
    """Two float64 parameters, (3,) and (2,)."""
    return [
        tg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True),
        tg.Tensor(np.array([0.3, -0.2]), requires_grad=True),
    ]


def _grads(params, k):
    for i, p in enumerate(params):
        p.grad = tg.Tensor(np.sin(np.arange(p.numel()) + k + i) + p.numpy())


def _stepped(make, steps=2):
    """{'opt', 'params'} after ``steps`` valid steps (so there is state to keep)."""
    params = _params()
    opt = make(params)
    for k in range(steps):
        _grads(params, k)
        opt.step()
    _grads(params, steps)
    return {"opt": opt, "params": params}


def _with_bad_grad(make, bad="shape", steps=2):
    """The second parameter's gradient made wrong behind the .grad setter (its .data replaced)."""

    def setup():
        env = _stepped(make, steps)
        g = env["params"][1].grad
        g.data = np.zeros(1) if bad == "shape" else g.data.astype(np.float32)
        return env

    return setup


# --------------------------------------------------------------------------- step: all or nothing

GRAD_DRIVEN = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "GD": lambda ps: optim.GD(ps, lr=0.1),
    "Adam": lambda ps: optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.1, amsgrad=True),
    "NAdam": lambda ps: optim.NAdam(ps),
    "RAdam": lambda ps: optim.RAdam(ps),
    "Adamax": lambda ps: optim.Adamax(ps),
    "Adagrad": lambda ps: optim.Adagrad(ps),
    "Adadelta": lambda ps: optim.Adadelta(ps),
    "RMSprop": lambda ps: optim.RMSprop(ps, momentum=0.5, centered=True),
    "Rprop": lambda ps: optim.Rprop(ps),
    "DeltaBarDelta": lambda ps: optim.DeltaBarDelta(ps),
    "ASGD": lambda ps: optim.ASGD(ps, t0=1),
    "SWATS": lambda ps: optim.SWATS(ps),
    "Lookahead": lambda ps: optim.Lookahead(optim.SGD(ps, lr=0.1), k=2),
}

for _name, _make in GRAD_DRIVEN.items():
    CASES.append(
        case(
            f"optim-{_name.lower()}-step-bad-grad-shape",
            lambda env: env["opt"].step(),
            tg.ShapeError,
            f"{_name}.step",
            "parameter 1",
            "(2,)",
            "(1,)",
            covers=[getattr(optim, _name)],
            setup=_with_bad_grad(_make),
            state=lambda env: env,
        )
    )
for _name in ("SGD", "Adam", "RMSprop", "Lookahead"):
    CASES.append(
        case(
            f"optim-{_name.lower()}-step-bad-grad-dtype",
            lambda env: env["opt"].step(),
            tg.DTypeError,
            f"{_name}.step",
            "float32",
            "float64",
            setup=_with_bad_grad(GRAD_DRIVEN[_name], "dtype"),
            state=lambda env: env,
        )
    )
CASES += [
    case(
        "optim-adam-step-bad-grad-fresh-creates-no-state",
        lambda env: env["opt"].step(),
        tg.ShapeError,
        "Adam.step",
        "(1,)",
        setup=_with_bad_grad(GRAD_DRIVEN["Adam"], steps=0),
        state=lambda env: env,
    ),
    case(
        "optim-sgd-one-element-grad-is-not-broadcast",
        lambda env: env["opt"].step(),
        tg.ShapeError,
        "SGD.step",
        "parameter 0",
        "(3,)",
        "(1,)",
        setup=lambda: _one_element_grad(),
        state=lambda env: env,
    ),
]


def _one_element_grad():
    p = tg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = tg.Tensor(np.ones(3))
    p.grad.data = np.ones(1)
    return {"opt": opt, "params": [p]}


def _closure(env, corrupt=True):
    w, b = env["params"]

    def closure():
        env["opt"].zero_grad()
        loss = (w * w).sum() + ((b - 1.0) * (b - 1.0)).sum()
        loss.backward()
        if corrupt:
            b.grad.data = np.zeros(1)
        return loss

    return closure


CLOSURE_DRIVEN = {
    "LBFGS": lambda ps: optim.LBFGS(ps, max_iter=2),
    "BFGS": lambda ps: optim.BFGS(ps),
    "ConjugateGradient": lambda ps: optim.ConjugateGradient(ps),
    "SteepestDescent": lambda ps: optim.SteepestDescent(ps),
    "Newton": lambda ps: optim.Newton(ps, damping=0.1),
    "NewtonCG": lambda ps: optim.NewtonCG(ps),
    "CoordinateDescent": lambda ps: optim.CoordinateDescent(ps, damping=0.1),
    "AdaHessian": lambda ps: optim.AdaHessian(ps, seed=0),
    "SophiaH": lambda ps: optim.SophiaH(ps, k=1, seed=0),
}


def _closure_state(env):
    """The optimizer's state and the parameters' values (the closure itself rewrites the gradients)."""
    return {"state": env["opt"].state_dict(), "values": [p.numpy() for p in env["params"]]}


def _closure_setup(make):
    def setup():
        params = _params()
        env = {"opt": make(params), "params": params}
        env["opt"].step(_closure(env, corrupt=False))  # one valid step: there is state to keep
        return env

    return setup


for _name, _make in CLOSURE_DRIVEN.items():
    CASES.append(
        case(
            f"optim-{_name.lower()}-step-bad-grad-in-closure",
            lambda env: env["opt"].step(_closure(env)),
            tg.ShapeError,
            f"{_name}.step",
            "parameter 1",
            "(1,)",
            covers=[getattr(optim, _name)],
            setup=_closure_setup(_make),
            state=_closure_state,
        )
    )


def _kfac_env():
    tg.manual_seed(0)
    model = tg.nn.Linear(3, 2)
    x = tg.Tensor(np.linspace(-1, 1, 12).reshape(4, 3).astype(np.float32))
    opt = optim.KFAC(model, lr=0.1)

    def closure(corrupt):
        def run():
            opt.zero_grad()
            loss = (model(x) * model(x)).mean()
            loss.backward()
            if corrupt:
                model.bias.grad.data = np.zeros((1, 2), dtype=np.float32)
            return loss

        return run

    opt.step(closure(False))
    return {"opt": opt, "model": model, "closure": closure}


CASES += [
    case(
        "optim-kfac-step-bad-grad-in-closure",
        lambda env: env["opt"].step(env["closure"](True)),
        tg.ShapeError,
        "KFAC.step",
        "parameter 1",
        "(1, 2)",
        covers=[optim.KFAC],
        setup=_kfac_env,
        state=lambda env: _closure_state({"opt": env["opt"], "params": list(env["model"].parameters())}),
    ),
    case(
        "optim-kfac-needs-a-module",
        lambda: optim.KFAC([tg.Tensor(np.ones(2), requires_grad=True)]),
        tg.ArgumentTypeError,
        "KFAC",
        "nn.Module",
        "list",
    ),
]

# --------------------------------------------------------------------------- hyper-parameters

_ONE = [tg.Tensor(np.ones(2), requires_grad=True)]
BAD_HYPER = [
    ("SGD", {"lr": -0.1}, "lr=-0.1"),
    ("SGD", {"lr": math.nan}, "lr=nan"),
    ("SGD", {"lr": math.inf}, "lr=inf"),
    ("SGD", {"lr": "0.1"}, "lr='0.1'"),
    ("SGD", {"momentum": -0.9}, "momentum=-0.9"),
    ("SGD", {"nesterov": True}, "nesterov=True needs momentum > 0"),
    ("GD", {"lr": -1.0}, "lr=-1.0"),
    ("Adam", {"betas": (0.9, 1.0)}, "betas=(0.9, 1.0)"),
    ("Adam", {"betas": (math.nan, 0.999)}, "betas=(nan, 0.999)"),
    ("Adam", {"betas": 0.9}, "betas=0.9"),
    ("Adam", {"eps": -1e-8}, "eps=-1e-08"),
    ("Adam", {"lr": math.nan}, "lr=nan"),
    ("AdamW", {"weight_decay": -0.01}, "weight_decay=-0.01"),
    ("NAdam", {"momentum_decay": -1.0}, "momentum_decay=-1.0"),
    ("RAdam", {"betas": (-0.1, 0.9)}, "betas=(-0.1, 0.9)"),
    ("Adamax", {"eps": 0.0}, "eps=0.0"),
    ("Adagrad", {"lr_decay": -0.1}, "lr_decay=-0.1"),
    ("Adadelta", {"rho": 1.0}, "rho=1.0"),
    ("RMSprop", {"alpha": -0.5}, "alpha=-0.5"),
    ("Rprop", {"etas": (1.2, 0.5)}, "etas=(1.2, 0.5)"),
    ("DeltaBarDelta", {"phi": 1.5}, "phi=1.5"),
    ("ASGD", {"t0": -1}, "t0=-1"),
    ("SWATS", {"switch_eps": 0.0}, "switch_eps=0.0"),
    ("LBFGS", {"history_size": 0}, "history_size=0"),
    ("BFGS", {"line_search_fn": "wolfe"}, "line_search_fn='wolfe'"),
    ("ConjugateGradient", {"lr": -1.0}, "lr=-1.0"),
    ("SteepestDescent", {"line_search_fn": "none"}, "line_search_fn='none'"),
    ("Newton", {"damping": -1.0}, "damping=-1.0"),
    ("NewtonCG", {"cg_max_iter": 0}, "cg_max_iter=0"),
    ("CoordinateDescent", {"damping": math.nan}, "damping=nan"),
    ("AdaHessian", {"hessian_power": 1.5}, "hessian_power=1.5"),
    ("SophiaH", {"rho": -0.04}, "rho=-0.04"),
]
for _j, (_name, _kw, _fragment) in enumerate(BAD_HYPER):
    CASES.append(
        case(
            f"optim-{_name.lower()}-bad-{'-'.join(_kw)}-{_j}",
            lambda _name=_name, _kw=_kw: getattr(optim, _name)(_ONE, **_kw),
            tg.HyperparameterError,
            _name,
            _fragment,
        )
    )
CASES += [
    case(
        "optim-kfac-bad-damping",
        lambda: optim.KFAC(tg.nn.Linear(2, 2), damping=0.0),
        tg.HyperparameterError,
        "KFAC",
        "damping=0.0",
    ),
    case(
        "optim-adahessian-bad-seed",
        lambda: optim.AdaHessian(_ONE, seed=-1),
        tg.HyperparameterError,
        "AdaHessian",
        "seed=-1",
    ),
    case(
        "optim-adahessian-bad-n-samples",
        lambda: optim.AdaHessian(_ONE, n_samples=0),
        tg.HyperparameterError,
        "n_samples=0",
    ),
]

# --------------------------------------------------------------------------- params and groups


def _used_generator():
    gen = (p for p in _params())
    optim.SGD(gen, lr=0.1)
    return gen


def _adam_env():
    params = _params()
    return {"opt": optim.Adam([params[0]], lr=0.1), "params": params}


CASES += [
    case(
        "optim-no-params",
        lambda: optim.SGD([], lr=0.1),
        tg.ArgumentError,
        "SGD",
        "empty parameter list",
        covers=[optim.Optimizer],
    ),
    case(
        "optim-generator-used-twice",
        lambda gen: optim.Adam(gen),
        tg.ArgumentError,
        "Adam",
        "generator",
        setup=_used_generator,
    ),
    case(
        "optim-params-a-bare-tensor",
        lambda: optim.SGD(_params()[0]),
        tg.ArgumentTypeError,
        "SGD",
        "got a Tensor",
        "[w]",
    ),
    case("optim-params-none", lambda: optim.Adam(None), tg.ArgumentTypeError, "Adam", "NoneType"),
    case(
        "optim-params-a-module",
        lambda: optim.Adam(tg.nn.Linear(2, 2)),
        tg.ArgumentTypeError,
        "Adam",
        "model.parameters()",
    ),
    case("optim-param-not-a-tensor", lambda: optim.SGD([1.0, 2.0]), tg.ArgumentTypeError, "SGD", "params[0]", "float"),
    case(
        "optim-param-int-dtype",
        lambda: optim.SGD([tg.Tensor(np.arange(3))]),
        tg.DTypeError,
        "SGD",
        "float Tensors",
        "int64",
    ),
    case("optim-param-non-leaf", lambda: optim.SGD([_params()[0] * 2]), tg.ArgumentError, "SGD", "non-leaf"),
    case(
        "optim-param-twice-in-a-group",
        lambda: optim.SGD([_ONE[0], _ONE[0]]),
        tg.ArgumentError,
        "SGD",
        "same parameter twice",
    ),
    case(
        "optim-param-in-two-groups",
        lambda: optim.SGD([{"params": _ONE}, {"params": _ONE, "lr": 0.5}]),
        tg.ArgumentError,
        "SGD",
        "more than one parameter group",
    ),
    case(
        "optim-add-param-group-not-a-dict",
        lambda env: env["opt"].add_param_group([env["params"][1]]),
        tg.ArgumentTypeError,
        "Adam",
        "must be a dict",
        setup=_adam_env,
        state=lambda env: env,
    ),
    case(
        "optim-add-param-group-bad-lr",
        lambda env: env["opt"].add_param_group({"params": [env["params"][1]], "lr": -1.0}),
        tg.HyperparameterError,
        "Adam",
        "lr=-1.0",
        setup=_adam_env,
        state=lambda env: env,
    ),
    case(
        "optim-add-param-group-empty",
        lambda env: env["opt"].add_param_group({"params": []}),
        tg.ArgumentError,
        "Adam",
        "non-empty",
        setup=_adam_env,
        state=lambda env: env,
    ),
    case(
        "optim-add-param-group-existing-param",
        lambda env: env["opt"].add_param_group({"params": [env["params"][0]]}),
        tg.ArgumentError,
        "Adam",
        "more than one parameter group",
        setup=_adam_env,
        state=lambda env: env,
    ),
    case(
        "optim-lbfgs-add-param-group",
        lambda env: env["opt"].add_param_group({"params": [tg.Tensor(np.ones(2), requires_grad=True)]}),
        tg.ArgumentError,
        "LBFGS.add_param_group",
        "single parameter group",
        setup=lambda: {"opt": optim.LBFGS(_params())},
        state=lambda env: env,
    ),
    case(
        "optim-adahessian-add-param-group",
        lambda env: env["opt"].add_param_group({"params": [tg.Tensor(np.ones(2), requires_grad=True)]}),
        tg.ArgumentError,
        "AdaHessian.add_param_group",
        "constructor",
        setup=lambda: {"opt": optim.AdaHessian(_params(), seed=0)},
        state=lambda env: env,
    ),
    case(
        "optim-step-closure-not-callable",
        lambda env: env["opt"].step(1.0),
        tg.ClosureError,
        "Adam.step",
        "closure",
        "float",
        setup=_adam_env,
        state=lambda env: env,
    ),
    case("optim-base-bare-tensor", lambda: optim.Optimizer(_ONE[0], {}), tg.ArgumentTypeError, "Optimizer", "a Tensor"),
]

# --------------------------------------------------------------------------- load_state_dict


def _sgd_momentum_dict():
    return _stepped(GRAD_DRIVEN["SGD"])["opt"].state_dict()


def _adam_load(corrupt):
    """{'opt': a stepped Adam, 'sd': its state_dict corrupted by ``corrupt``} (a valid lr change rides along)."""

    def setup():
        env = _stepped(GRAD_DRIVEN["Adam"])
        sd = copy.deepcopy(env["opt"].state_dict())
        sd["param_groups"][0]["lr"] = 0.7  # a valid change that must not be applied either
        corrupt(sd)
        env["sd"] = sd
        return env

    return setup


def _drop(key):
    return lambda sd: sd["state"][1].pop(key)


def _put(key, value):
    return lambda sd: sd["state"][1].__setitem__(key, value)


LOAD_CASES = [
    ("sgd-state", lambda sd: sd.update(_sgd_momentum_dict()), "lacks the hyper-parameters", "betas"),
    ("missing-exp-avg-sq", _drop("exp_avg_sq"), "missing keys ['exp_avg_sq']", "parameter 1"),
    ("unexpected-momentum-buffer", _put("momentum_buffer", np.zeros(2)), "unexpected keys ['momentum_buffer']", "Adam"),
    ("exp-avg-a-string", _put("exp_avg", "zeros"), "'exp_avg'", "str"),
    ("exp-avg-a-list", _put("exp_avg", [0.0, 0.0]), "'exp_avg'", "float array"),
    ("exp-avg-int-array", _put("exp_avg", np.zeros(2, dtype=np.int64)), "'exp_avg'", "int64"),
    ("exp-avg-wrong-shape", _put("exp_avg", np.zeros(5)), "'exp_avg'", "shape (5,)"),
    ("step-a-string", _put("step", "2"), "'step'", "int >= 0"),
    ("step-negative", _put("step", -1), "'step'", "int >= 0"),
    ("bad-lr", lambda sd: sd["param_groups"][0].update(lr=-1.0), "lr=-1.0", "group 0"),
    ("betas-a-string", lambda sd: sd["param_groups"][0].update(betas="0.9"), "betas='0.9'", "group 0"),
    ("unknown-index", lambda sd: sd["state"].update({7: {"step": 1}}), "index 7", "no group"),
    ("no-state-key", lambda sd: sd.pop("state"), "'state' and 'param_groups'", "Adam.load_state_dict"),
    ("state-a-list", lambda sd: sd.update(state=[1, 2]), "'state' must be a dict", "list"),
    ("group-params-missing", lambda sd: sd["param_groups"][0].pop("params"), "'params' list", "group 0"),
    ("group-count", lambda sd: sd["param_groups"].append({"params": []}), "2 param groups", "1"),
]
for _id, _corrupt, *_match in LOAD_CASES:
    CASES.append(
        case(
            f"optim-adam-load-{_id}",
            lambda env: env["opt"].load_state_dict(env["sd"]),
            tg.StateDictError,
            "Adam.load_state_dict",
            *_match,
            setup=_adam_load(_corrupt),
            state=lambda env: {"opt": env["opt"], "params": env["params"]},
        )
    )


def _amsgrad_without_max():
    env = _stepped(lambda ps: optim.Adam(ps, lr=0.1))
    sd = copy.deepcopy(env["opt"].state_dict())
    sd["param_groups"][0]["amsgrad"] = True  # amsgrad keeps max_exp_avg_sq, which this state lacks
    env["sd"] = sd
    return env


def _loader(make, corrupt):
    def setup():
        env = _stepped(make)
        sd = copy.deepcopy(env["opt"].state_dict())
        corrupt(sd)
        env["sd"] = sd
        return env

    return setup


def _lookahead_state(sd):
    return sd["lookahead"]["state"][1]


CASES += [
    case(
        "optim-adam-load-amsgrad-without-max-exp-avg-sq",
        lambda env: env["opt"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "missing keys ['max_exp_avg_sq']",
        setup=_amsgrad_without_max,
        state=lambda env: {"opt": env["opt"], "params": env["params"]},
    ),
    case(
        "optim-sgd-load-adam-state",
        lambda env: env["opt"].load_state_dict(_stepped(GRAD_DRIVEN["Adam"])["opt"].state_dict()),
        tg.StateDictError,
        "SGD.load_state_dict",
        "momentum",
        setup=lambda: _stepped(GRAD_DRIVEN["SGD"]),
        state=lambda env: env,
    ),
    case(
        "optim-asgd-load-eta-a-string",
        lambda env: env["opt"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "ASGD.load_state_dict",
        "'eta'",
        "a number",
        setup=_loader(GRAD_DRIVEN["ASGD"], lambda sd: sd["state"][0].update(eta="0.01")),
        state=lambda env: env,
    ),
    case(
        "optim-swats-load-bad-phase",
        lambda env: env["opt"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "SWATS.load_state_dict",
        "phase='momentum'",
        setup=_loader(GRAD_DRIVEN["SWATS"], lambda sd: sd["param_groups"][0].update(phase="momentum")),
        state=lambda env: env,
    ),
    case(
        "optim-lookahead-load-missing-optimizer",
        lambda env: env["opt"].load_state_dict(env["sd"]["lookahead"]),
        tg.StateDictError,
        "Lookahead.load_state_dict",
        "'optimizer'",
        setup=_loader(GRAD_DRIVEN["Lookahead"], lambda sd: None),
        state=lambda env: env,
    ),
    case(
        "optim-lookahead-load-slow-param-wrong-shape",
        lambda env: env["opt"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "Lookahead.load_state_dict",
        "'slow_param'",
        "shape (4,)",
        setup=_loader(GRAD_DRIVEN["Lookahead"], lambda sd: _lookahead_state(sd).update(slow_param=np.zeros(4))),
        state=lambda env: env,
    ),
    case(
        "optim-lookahead-load-steps-a-string",
        lambda env: env["opt"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "Lookahead.load_state_dict",
        "'steps'",
        setup=_loader(GRAD_DRIVEN["Lookahead"], lambda sd: sd["lookahead"].update(steps="2")),
        state=lambda env: env,
    ),
    case(
        "optim-lookahead-load-inner-missing-buffer-type",
        lambda env: env["opt"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "SGD.load_state_dict",
        "'momentum_buffer'",
        setup=_loader(
            lambda ps: optim.Lookahead(optim.SGD(ps, lr=0.1, momentum=0.9)),
            lambda sd: sd["optimizer"]["state"][0].update(momentum_buffer="zeros"),
        ),
        state=lambda env: env,
    ),
    case(
        "optim-lbfgs-load-a-string-state",
        lambda env: env["opt"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "LBFGS.load_state_dict",
        "'n_iter'",
        setup=lambda: _lbfgs_load(),
        state=lambda env: {"opt": env["opt"], "params": env["params"]},
    ),
]


def _lbfgs_load():
    params = _params()
    env = {"opt": optim.LBFGS(params, max_iter=2), "params": params}
    env["opt"].step(_closure(env, corrupt=False))
    sd = copy.deepcopy(env["opt"].state_dict())
    sd["state"][0]["n_iter"] = "2"
    env["sd"] = sd
    return env


# --------------------------------------------------------------------------- wrappers: Lookahead, averaging


def _avg_env(cls=optim.EMA):
    params = _params()
    avg = cls(params)
    avg.update_parameters()
    return {"avg": avg, "params": params}


def _avg_load(corrupt):
    def setup():
        env = _avg_env()
        sd = copy.deepcopy(env["avg"].state_dict())
        corrupt(sd)
        env["sd"] = sd
        return env

    return setup


CASES += [
    case(
        "optim-lookahead-none",
        lambda: optim.Lookahead(None),
        tg.ArgumentTypeError,
        "Lookahead",
        "wraps an optimizer",
        "NoneType",
    ),
    case("optim-lookahead-a-list", lambda: optim.Lookahead(_params()), tg.ArgumentTypeError, "Lookahead", "list"),
    case(
        "optim-lookahead-k-zero",
        lambda: optim.Lookahead(optim.SGD(_ONE), k=0),
        tg.HyperparameterError,
        "Lookahead",
        "k=0",
    ),
    case(
        "optim-lookahead-alpha",
        lambda: optim.Lookahead(optim.SGD(_ONE), alpha=1.5),
        tg.HyperparameterError,
        "alpha=1.5",
    ),
    case(
        "optim-ema-floats",
        lambda: optim.EMA([1.0, 2.0]),
        tg.ArgumentTypeError,
        "EMA",
        "iterable of Tensors",
        "float",
        covers=[optim.EMA],
    ),
    case("optim-ema-none", lambda: optim.EMA(None), tg.ArgumentTypeError, "EMA", "NoneType"),
    case("optim-ema-empty", lambda: optim.EMA([]), tg.ArgumentError, "EMA", "no parameters"),
    case("optim-ema-decay-one", lambda: optim.EMA(_ONE, decay=1.0), tg.HyperparameterError, "EMA", "decay=1.0"),
    case(
        "optim-averaged-model-mode",
        lambda: optim.AveragedModel(_ONE, mode="median"),
        tg.HyperparameterError,
        "AveragedModel",
        "mode='median'",
        covers=[optim.AveragedModel],
    ),
    case(
        "optim-averaged-copy-to-wrong-shapes",
        lambda env: env["avg"].copy_to([tg.Tensor(np.zeros(3))]),
        tg.ShapeError,
        "EMA.copy_to",
        "[(3,)]",
        setup=_avg_env,
        state=lambda env: env,
    ),
    case(
        "optim-averaged-copy-to-not-tensors",
        lambda env: env["avg"].copy_to([1.0, 2.0]),
        tg.ArgumentTypeError,
        "EMA.copy_to",
        setup=_avg_env,
        state=lambda env: env,
    ),
    case(
        "optim-ema-load-wrong-shape",
        lambda env: env["avg"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "EMA.load_state_dict",
        "(4,)",
        setup=_avg_load(lambda sd: sd["averaged"].__setitem__(1, np.zeros(4))),
        state=lambda env: env,
    ),
    case(
        "optim-ema-load-n-averaged-a-string",
        lambda env: env["avg"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "EMA.load_state_dict",
        "n_averaged",
        setup=_avg_load(lambda sd: sd.update(n_averaged="1")),
        state=lambda env: env,
    ),
    case(
        "optim-ema-load-strings",
        lambda env: env["avg"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "EMA.load_state_dict",
        "float arrays",
        setup=_avg_load(lambda sd: sd.update(averaged=["a", "b"])),
        state=lambda env: env,
    ),
    case(
        "optim-ema-load-not-a-dict",
        lambda env: env["avg"].load_state_dict([1, 2]),
        tg.StateDictError,
        "EMA.load_state_dict",
        "list",
        setup=_avg_env,
        state=lambda env: env,
    ),
]

# --------------------------------------------------------------------------- clipping and penalties


def _with_grads():
    params = _params()
    _grads(params, 0)
    return {"params": params}


CASES += [
    case(
        "optim-clip-norm-negative",
        lambda env: optim.clip_grad_norm_(env["params"], -1.0),
        tg.HyperparameterError,
        "clip_grad_norm_",
        "max_norm=-1.0",
        covers=[optim.clip_grad_norm_],
        setup=_with_grads,
        state=lambda env: env,
    ),
    case(
        "optim-clip-norm-nan",
        lambda env: optim.clip_grad_norm_(env["params"], math.nan),
        tg.HyperparameterError,
        "max_norm=nan",
        setup=_with_grads,
        state=lambda env: env,
    ),
    case(
        "optim-clip-norm-type-zero",
        lambda env: optim.clip_grad_norm_(env["params"], 1.0, 0),
        tg.HyperparameterError,
        "norm_type=0",
        setup=_with_grads,
        state=lambda env: env,
    ),
    case(
        "optim-clip-norm-type-string",
        lambda env: optim.clip_grad_norm_(env["params"], 1.0, "two"),
        tg.HyperparameterError,
        "norm_type='two'",
        setup=_with_grads,
        state=lambda env: env,
    ),
    case(
        "optim-clip-norm-type-none",
        lambda env: optim.clip_grad_norm_(env["params"], 1.0, None),
        tg.HyperparameterError,
        "norm_type=None",
        setup=_with_grads,
        state=lambda env: env,
    ),
    case(
        "optim-clip-norm-params-none",
        lambda: optim.clip_grad_norm_(None, 1.0),
        tg.ArgumentTypeError,
        "clip_grad_norm_",
        "NoneType",
    ),
    case(
        "optim-clip-norm-params-floats",
        lambda: optim.clip_grad_norm_([1.0], 1.0),
        tg.ArgumentTypeError,
        "clip_grad_norm_",
        "float",
    ),
    case(
        "optim-clip-value-negative",
        lambda env: optim.clip_grad_value_(env["params"], -0.5),
        tg.HyperparameterError,
        "clip_grad_value_",
        "clip_value=-0.5",
        covers=[optim.clip_grad_value_],
        setup=_with_grads,
        state=lambda env: env,
    ),
    case(
        "optim-clip-value-string",
        lambda env: optim.clip_grad_value_(env["params"], "1"),
        tg.HyperparameterError,
        "clip_value='1'",
        setup=_with_grads,
        state=lambda env: env,
    ),
    case(
        "optim-clip-value-params-none",
        lambda: optim.clip_grad_value_(None, 1.0),
        tg.ArgumentTypeError,
        "clip_grad_value_",
        "NoneType",
    ),
    case(
        "optim-l1-negative",
        lambda: optim.l1_penalty(_params(), -0.1),
        tg.HyperparameterError,
        "l1_penalty",
        "weight=-0.1",
        covers=[optim.l1_penalty],
    ),
    case("optim-l1-params-none", lambda: optim.l1_penalty(None, 0.1), tg.ArgumentTypeError, "l1_penalty", "NoneType"),
    case("optim-l1-empty", lambda: optim.l1_penalty([], 0.1), tg.ArgumentError, "l1_penalty", "no parameters"),
    case(
        "optim-l2-nan",
        lambda: optim.l2_penalty(_params(), math.nan),
        tg.HyperparameterError,
        "l2_penalty",
        "weight=nan",
        covers=[optim.l2_penalty],
    ),
    case(
        "optim-l2-params-floats", lambda: optim.l2_penalty([1.0, 2.0], 0.1), tg.ArgumentTypeError, "l2_penalty", "float"
    ),
    case(
        "optim-l2-weight-a-string", lambda: optim.l2_penalty(_params(), "0.1"), tg.HyperparameterError, "weight='0.1'"
    ),
]

# --------------------------------------------------------------------------- pure schedules

SCHEDULES = {
    "constant": lambda: S.constant(0.1),
    "polynomial": lambda: S.polynomial(0.1, 0.0, 2.0, 10),
    "linear": lambda: S.linear(0.1, 0.01, 10),
    "exponential": lambda: S.exponential(0.1, 0.9),
    "step_decay": lambda: S.step_decay(0.1, 3, 0.5),
    "piecewise_constant": lambda: S.piecewise_constant(0.1, {3: 0.5}),
    "cosine_decay": lambda: S.cosine_decay(0.1, 10),
    "cosine_warm_restarts": lambda: S.cosine_warm_restarts(0.1, 5, 2),
    "linear_warmup": lambda: S.linear_warmup(0.1, 5),
    "exponential_warmup": lambda: S.exponential_warmup(0.1, 5, 0.01),
    "warmup_cosine_decay": lambda: S.warmup_cosine_decay(0.0, 0.1, 2, 10),
    "one_cycle": lambda: S.one_cycle(10, 0.1),
    "one_cycle_momentum": lambda: S.one_cycle_momentum(10),
    "cyclic": lambda: S.cyclic(0.01, 0.1, 4),
    "join_schedules": lambda: S.join_schedules([S.constant(0.1), S.constant(0.01)], [5]),
}
_BAD_STEPS = [-1, math.nan, math.inf]
for _i, (_name, _make) in enumerate(SCHEDULES.items()):
    _step = _BAD_STEPS[_i % 3]
    CASES.append(
        case(
            f"optim-schedule-{_name}-step-{_step}",
            lambda _make=_make, _step=_step: _make()(_step),
            tg.ArgumentError,
            f"{_name}:",
            f"step={_step}",
            covers=[getattr(S, _name)],
        )
    )
CASES += [
    case(
        "optim-schedule-cosine-decay-step-minus-inf",
        lambda: S.cosine_decay(0.1, 10)(-math.inf),
        tg.ArgumentError,
        "cosine_decay",
        "step=-inf",
    ),
    case(
        "optim-schedule-linear-step-a-string",
        lambda: S.linear(0.1, 0.0, 10)("3"),
        tg.ArgumentTypeError,
        "linear",
        "str",
    ),
    case(
        "optim-schedule-constant-step-none", lambda: S.constant(0.1)(None), tg.ArgumentTypeError, "constant", "NoneType"
    ),
    case(
        "optim-schedule-exponential-step-a-tensor",
        lambda: S.exponential(0.1, 0.9)(tg.Tensor(np.ones(2))),
        tg.ArgumentTypeError,
        "exponential",
        "Tensor",
    ),
    case(
        "optim-schedule-one-cycle-at-nan",
        lambda: S.one_cycle_at(math.nan, 0.01, 0.1, 0.001, 10),
        tg.ArgumentError,
        "one_cycle_at",
        "step=nan",
        covers=[S.one_cycle_at],
    ),
    case(
        "optim-schedule-one-cycle-at-bad-strategy",
        lambda: S.one_cycle_at(2, 0.01, 0.1, 0.001, 10, anneal_strategy="sine"),
        tg.HyperparameterError,
        "one_cycle_at",
        "anneal_strategy='sine'",
    ),
    case(
        "optim-schedule-one-cycle-at-zero-steps",
        lambda: S.one_cycle_at(0, 0.01, 0.1, 0.001, 0),
        tg.HyperparameterError,
        "one_cycle_at",
        "total_steps=0",
    ),
    case(
        "optim-schedule-cyclic-at-negative",
        lambda: S.cyclic_at(-2, 0.01, 0.1, 4.0, 4.0, lambda x: 1.0, "cycle"),
        tg.ArgumentError,
        "cyclic_at",
        "step=-2",
        covers=[S.cyclic_at],
    ),
    case(
        "optim-schedule-cyclic-at-zero-size",
        lambda: S.cyclic_at(1, 0.01, 0.1, 0.0, 4.0, lambda x: 1.0, "cycle"),
        tg.HyperparameterError,
        "cyclic_at",
        "step_size_up=0.0",
    ),
    case(
        "optim-schedule-cyclic-at-bad-mode",
        lambda: S.cyclic_at(1, 0.01, 0.1, 4.0, 4.0, lambda x: 1.0, "epochs"),
        tg.HyperparameterError,
        "cyclic_at",
        "scale_mode='epochs'",
    ),
    case(
        "optim-schedule-polynomial-bad-steps",
        lambda: S.polynomial(0.1, 0.0, 1.0, 0),
        tg.HyperparameterError,
        "polynomial",
        "transition_steps=0",
    ),
    case(
        "optim-schedule-exponential-bad-rate",
        lambda: S.exponential(0.1, -0.5),
        tg.HyperparameterError,
        "exponential",
        "decay_rate=-0.5",
    ),
    case(
        "optim-schedule-piecewise-not-a-dict",
        lambda: S.piecewise_constant(0.1, [3, 0.5]),
        tg.ArgumentTypeError,
        "piecewise_constant",
        "list",
    ),
    case(
        "optim-schedule-cosine-decay-alpha",
        lambda: S.cosine_decay(0.1, 10, alpha=2.0),
        tg.HyperparameterError,
        "cosine_decay",
        "alpha=2.0",
    ),
    case(
        "optim-schedule-warmup-cosine-order",
        lambda: S.warmup_cosine_decay(0.0, 0.1, 10, 5),
        tg.HyperparameterError,
        "warmup_cosine_decay",
        "decay_steps=5",
    ),
    case(
        "optim-schedule-one-cycle-pct",
        lambda: S.one_cycle(10, 0.1, pct_start=1.5),
        tg.HyperparameterError,
        "one_cycle",
        "pct_start=1.5",
    ),
    case(
        "optim-schedule-cyclic-mode",
        lambda: S.cyclic(0.01, 0.1, mode="square"),
        tg.HyperparameterError,
        "cyclic",
        "mode='square'",
    ),
    case(
        "optim-schedule-join-unsorted",
        lambda: S.join_schedules([S.constant(0.1)] * 3, [5, 2]),
        tg.HyperparameterError,
        "join_schedules",
        "non-decreasing",
    ),
    case(
        "optim-schedule-join-not-lists",
        lambda: S.join_schedules(S.constant(0.1), 5),
        tg.ArgumentTypeError,
        "join_schedules",
        "function",
    ),
]

# --------------------------------------------------------------------------- lr schedulers


def _sgd():
    return optim.SGD(_params(), lr=0.1, momentum=0.9)


SCHEDULERS = {
    "LRScheduler": lambda o: L.LRScheduler(o),
    "LambdaLR": lambda o: L.LambdaLR(o, lambda k: 0.9**k),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda k: 0.9),
    "StepLR": lambda o: L.StepLR(o, 3),
    "MultiStepLR": lambda o: L.MultiStepLR(o, [2, 4]),
    "ConstantLR": lambda o: L.ConstantLR(o),
    "LinearLR": lambda o: L.LinearLR(o),
    "ExponentialLR": lambda o: L.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda o: L.PolynomialLR(o),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 10),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 5),
    "WarmupLR": lambda o: L.WarmupLR(o, 5),
    "OneCycleLR": lambda o: L.OneCycleLR(o, 0.1, total_steps=10),
    "CyclicLR": lambda o: L.CyclicLR(o, 0.01, 0.1, 4),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o),
    "SequentialLR": lambda o: L.SequentialLR(o, [L.ConstantLR(_sgd())], []),
}
for _name, _make in SCHEDULERS.items():
    CASES.append(
        case(
            f"optim-scheduler-{_name.lower()}-bound-to-nothing",
            lambda _make=_make: _make(None),
            tg.ArgumentTypeError,
            _name,
            "must be bound to an optimizer",
            "NoneType",
            covers=[getattr(L, _name)],
        )
    )


def _sched_env(make, steps=3):
    def setup():
        opt = _sgd()
        sched = make(opt)
        for _ in range(steps):
            sched.step()
        return {"opt": opt, "sched": sched}

    return setup


def _sched_load(make, corrupt):
    def setup():
        env = _sched_env(make)()
        sd = copy.deepcopy(env["sched"].state_dict())
        corrupt(sd)
        env["sd"] = sd
        return env

    return setup


def _chained(o):
    return L.ChainedScheduler([L.ExponentialLR(o, 0.9), L.StepLR(o, 2)])


CASES += [
    case(
        "optim-scheduler-chained-none",
        lambda: L.ChainedScheduler(None),
        tg.ArgumentTypeError,
        "ChainedScheduler",
        "list",
        covers=[L.ChainedScheduler],
    ),
    case(
        "optim-scheduler-chained-not-schedulers",
        lambda: L.ChainedScheduler([_sgd()]),
        tg.ArgumentTypeError,
        "ChainedScheduler",
        "must be bound",
    ),
    case(
        "optim-scheduler-steplr-step-size", lambda: L.StepLR(_sgd(), 0), tg.HyperparameterError, "StepLR", "step_size=0"
    ),
    case(
        "optim-scheduler-steplr-gamma",
        lambda: L.StepLR(_sgd(), 2, gamma=-0.1),
        tg.HyperparameterError,
        "StepLR",
        "gamma=-0.1",
    ),
    case(
        "optim-scheduler-multisteplr-int",
        lambda: L.MultiStepLR(_sgd(), 5),
        tg.ArgumentTypeError,
        "MultiStepLR",
        "milestones",
        "int",
    ),
    case(
        "optim-scheduler-exponential-nan",
        lambda: L.ExponentialLR(_sgd(), math.nan),
        tg.HyperparameterError,
        "ExponentialLR",
        "gamma=nan",
    ),
    case(
        "optim-scheduler-last-epoch-float",
        lambda: L.StepLR(_sgd(), 2, last_epoch=1.5),
        tg.HyperparameterError,
        "StepLR",
        "last_epoch=1.5",
    ),
    case(
        "optim-scheduler-resume-without-initial-lr",
        lambda: L.StepLR(_sgd(), 2, last_epoch=4),
        tg.StateDictError,
        "StepLR",
        "initial_lr",
        "load the optimizer's state_dict first",
    ),
    case(
        "optim-scheduler-sequential-milestones-int",
        lambda: L.SequentialLR(_sgd(), [], 3),
        tg.ArgumentTypeError,
        "SequentialLR",
        "milestones",
    ),
    case(
        "optim-scheduler-onecycle-past-the-end",
        lambda env: env["sched"].step(),
        tg.ArgumentError,
        "OneCycleLR.step",
        "total_steps=3",
        setup=_sched_env(lambda o: L.OneCycleLR(o, 0.1, total_steps=3), steps=3),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-lambda-returns-a-string",
        lambda env: env["sched"].step(),
        tg.ArgumentTypeError,
        "LambdaLR",
        "lr_lambda(4)",
        "'0.5'",
        setup=_sched_env(lambda o: L.LambdaLR(o, lambda k: 0.5 if k < 4 else "0.5")),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-plateau-metric-a-string",
        lambda env: env["sched"].step("low"),
        tg.ArgumentTypeError,
        "ReduceLROnPlateau.step",
        "str",
        setup=lambda: {"opt": (o := _sgd()), "sched": L.ReduceLROnPlateau(o)},
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-plateau-metric-a-vector",
        lambda env: env["sched"].step(tg.Tensor(np.ones(3))),
        tg.ArgumentTypeError,
        "ReduceLROnPlateau.step",
        "(3,)",
        setup=lambda: {"opt": (o := _sgd()), "sched": L.ReduceLROnPlateau(o)},
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-warm-restarts-negative-epoch",
        lambda env: env["sched"].step(-1.0),
        tg.HyperparameterError,
        "CosineAnnealingWarmRestarts.step",
        "epoch=-1.0",
        setup=_sched_env(SCHEDULERS["CosineAnnealingWarmRestarts"]),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-cyclic-no-momentum",
        lambda: L.CyclicLR(optim.Adagrad(_params()), 0.01, 0.1),
        tg.HyperparameterError,
        "CyclicLR",
        "cycle_momentum=False",
    ),
    case(
        "optim-scheduler-onecycle-no-total",
        lambda: L.OneCycleLR(_sgd(), 0.1),
        tg.HyperparameterError,
        "OneCycleLR",
        "total_steps",
    ),
    case(
        "optim-scheduler-steplr-load-missing-key",
        lambda env: env["sched"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "StepLR.load_state_dict",
        "missing keys ['gamma']",
        setup=_sched_load(SCHEDULERS["StepLR"], lambda sd: sd.pop("gamma")),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-steplr-load-another-schedulers-state",
        lambda env: env["sched"].load_state_dict(L.CosineAnnealingLR(_sgd(), 10).state_dict()),
        tg.StateDictError,
        "StepLR.load_state_dict",
        "unexpected keys",
        "T_max",
        setup=_sched_env(SCHEDULERS["StepLR"]),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-steplr-load-last-epoch-a-string",
        lambda env: env["sched"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "StepLR.load_state_dict",
        "last_epoch='3'",
        setup=_sched_load(SCHEDULERS["StepLR"], lambda sd: sd.update(last_epoch="3")),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-steplr-load-lrs-strings",
        lambda env: env["sched"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "StepLR.load_state_dict",
        "_last_lr",
        setup=_sched_load(SCHEDULERS["StepLR"], lambda sd: sd.update(_last_lr=["0.1"])),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-steplr-load-lr-count",
        lambda env: env["sched"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "StepLR.load_state_dict",
        "2 learning rates",
        setup=_sched_load(SCHEDULERS["StepLR"], lambda sd: sd.update(_last_lr=[0.1, 0.2])),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-steplr-load-a-list",
        lambda env: env["sched"].load_state_dict([1, 2]),
        tg.StateDictError,
        "StepLR.load_state_dict",
        "list",
        setup=_sched_env(SCHEDULERS["StepLR"]),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-cyclic-load-mode-a-number",
        lambda env: env["sched"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "CyclicLR.load_state_dict",
        "mode=3",
        setup=_sched_load(SCHEDULERS["CyclicLR"], lambda sd: sd.update(mode=3)),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-chained-load-bad-child",
        lambda env: env["sched"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "StepLR.load_state_dict",
        "step_size",
        setup=_sched_load(_chained, lambda sd: sd["_schedulers"][1].pop("step_size")),
        state=lambda env: env,
    ),
    case(
        "optim-scheduler-chained-load-child-count",
        lambda env: env["sched"].load_state_dict(env["sd"]),
        tg.StateDictError,
        "ChainedScheduler.load_state_dict",
        "1 scheduler states",
        setup=_sched_load(_chained, lambda sd: sd["_schedulers"].pop()),
        state=lambda env: env,
    ),
]
