"""Bad-input cases: strategies (MAML / Reptile, continuation, greedy pretraining). See bad_input_table.py."""

from __future__ import annotations

from bad_input_table import case

import tinygrad_opt as tg
import tinygrad_opt.strategies as st
from tinygrad_opt import nn
from tinygrad_opt.data import DataLoader, TensorDataset

mse = nn.functional.mse_loss


def _model():
    tg.manual_seed(0)
    return nn.Linear(2, 1)


def _task():
    return (tg.ones(3, 2), tg.ones(3, 1), tg.ones(3, 2), tg.ones(3, 1))


def _maml_env():
    model = _model()
    return {"model": model, "opt": tg.optim.SGD(model.parameters(), lr=0.1)}


def _state(env):
    return env


def _frozen():
    return _model().requires_grad_(False)


def _theta_env():
    theta = tg.tensor([3.0], requires_grad=True)
    return {"theta": theta, "opt": tg.optim.SGD([theta], lr=0.01)}


def _quad(x):
    return (x**2).sum()


def _loader():
    return DataLoader(TensorDataset(tg.ones(4, 2), tg.tensor([0, 1, 0, 1])), batch_size=2)


def _pretrain_env():
    return {"blocks": [nn.Sequential(nn.Linear(2, 3), nn.Tanh())]}


def _head(k):
    return nn.Linear(3, 2)


def _sgd(params):
    return tg.optim.SGD(params, lr=0.1)


CASES = [
    # --- MAML / Reptile
    case(
        "maml-step-model-none",
        lambda env: st.maml_step(None, [_task()], mse, env["opt"], 0.1),
        tg.ArgumentTypeError,
        "maml_step",
        "nn.Module",
        "NoneType",
        covers=[st.maml_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-step-inner-lr-negative",
        lambda env: st.maml_step(env["model"], [_task()], mse, env["opt"], -0.1),
        tg.HyperparameterError,
        "maml_step",
        "inner_lr=-0.1",
        covers=[st.maml_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-step-inner-steps-zero",
        lambda env: st.maml_step(env["model"], [_task()], mse, env["opt"], 0.1, 0),
        tg.HyperparameterError,
        "maml_step",
        "inner_steps=0",
        covers=[st.maml_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-step-no-tasks",
        lambda env: st.maml_step(env["model"], [], mse, env["opt"], 0.1),
        tg.ArgumentError,
        "maml_step",
        "tasks is empty",
        covers=[st.maml_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-step-task-of-two",
        lambda env: st.maml_step(env["model"], [_task()[:2]], mse, env["opt"], 0.1),
        tg.ArgumentTypeError,
        "maml_step",
        "tasks[0]",
        "x_query",
        "length 2",
        covers=[st.maml_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-step-optimizer-missing",
        lambda env: st.maml_step(env["model"], [_task()], mse, None, 0.1),
        tg.ArgumentTypeError,
        "maml_step",
        "meta_optimizer",
        "NoneType",
        covers=[st.maml_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-step-loss-not-scalar",
        lambda env: st.maml_step(env["model"], [_task()], lambda out, y: out - y, env["opt"], 0.1),
        tg.ArgumentTypeError,
        "maml_step",
        "(3, 1)",
        "scalar Tensor",
        covers=[st.maml_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-loss-loss-fn-not-callable",
        lambda env: st.maml_loss(env["model"], [_task()], "mse", 0.1),
        tg.ArgumentTypeError,
        "maml_loss",
        "loss_fn",
        "str",
        covers=[st.maml_loss],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-loss-first-order-not-bool",
        lambda env: st.maml_loss(env["model"], [_task()], mse, 0.1, first_order="yes"),
        tg.ArgumentTypeError,
        "maml_loss",
        "first_order",
        "'yes'",
        covers=[st.maml_loss],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "maml-loss-tasks-a-tensor",
        lambda env: st.maml_loss(env["model"], tg.ones(3), mse, 0.1),
        tg.ArgumentTypeError,
        "maml_loss",
        "list of task tuples",
        covers=[st.maml_loss],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "adapt-nothing-trainable",
        lambda: st.adapt(_frozen(), tg.ones(3, 2), tg.ones(3, 1), mse, 0.1),
        tg.ArgumentError,
        "adapt",
        "no parameter that requires grad",
        covers=[st.adapt],
    ),
    case(
        "adapt-x-not-a-tensor",
        lambda env: st.adapt(env["model"], [[1.0, 2.0]], tg.ones(1, 1), mse, 0.1),
        tg.ArgumentTypeError,
        "adapt",
        "x and y must be Tensors",
        "list",
        covers=[st.adapt],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "adapt-params-wrong-shape",
        lambda env: st.adapt(
            env["model"], tg.ones(3, 2), tg.ones(3, 1), mse, 0.1, params={"weight": tg.ones(2, 1), "bias": tg.ones(1)}
        ),
        tg.ShapeError,
        "adapt",
        "params['weight']",
        "(2, 1)",
        "(1, 2)",
        covers=[st.adapt],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "adapt-params-missing-key",
        lambda env: st.adapt(env["model"], tg.ones(3, 2), tg.ones(3, 1), mse, 0.1, params={"weight": tg.ones(1, 2)}),
        tg.ArgumentError,
        "adapt",
        "'bias'",
        covers=[st.adapt],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "reptile-step-outer-lr-zero",
        lambda env: st.reptile_step(env["model"], [_task()[:2]], mse, 0.1, outer_lr=0.0),
        tg.HyperparameterError,
        "reptile_step",
        "outer_lr=0.0",
        covers=[st.reptile_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "reptile-step-task-of-three",
        lambda env: st.reptile_step(env["model"], [_task()[:3]], mse, 0.1),
        tg.ArgumentTypeError,
        "reptile_step",
        "2-tuple or 4-tuple",
        covers=[st.reptile_step],
        setup=_maml_env,
        state=_state,
    ),
    case(
        "reptile-step-inner-lr-string",
        lambda env: st.reptile_step(env["model"], [_task()], mse, "0.1"),
        tg.HyperparameterError,
        "reptile_step",
        "inner_lr='0.1'",
        covers=[st.reptile_step],
        setup=_maml_env,
        state=_state,
    ),
    # --- continuation
    case(
        "gaussian-smoothing-sigma-zero",
        lambda: st.GaussianSmoothing(_quad, 0.0),
        tg.HyperparameterError,
        "GaussianSmoothing",
        "sigma=0.0",
        covers=[st.GaussianSmoothing],
    ),
    case(
        "gaussian-smoothing-odd-antithetic",
        lambda: st.GaussianSmoothing(_quad, 0.5, num_samples=5),
        tg.ArgumentError,
        "GaussianSmoothing",
        "num_samples=5",
        "antithetic=False",
        covers=[st.GaussianSmoothing],
    ),
    case(
        "gaussian-smoothing-f-not-callable",
        lambda: st.GaussianSmoothing(3.0, 0.5),
        tg.ArgumentTypeError,
        "GaussianSmoothing",
        "f must be a callable",
        "float",
        covers=[st.GaussianSmoothing],
    ),
    case(
        "gaussian-smoothing-negative-seed",
        lambda: st.GaussianSmoothing(_quad, 0.5, seed=-1),
        tg.ArgumentError,
        "GaussianSmoothing",
        "seed",
        "-1",
        covers=[st.GaussianSmoothing],
    ),
    case(
        "gaussian-smoothing-batched-wrong-shape",
        lambda: st.GaussianSmoothing(_quad, 0.5, num_samples=4, batched=True)(tg.tensor([1.0, 2.0])),
        tg.ShapeError,
        "GaussianSmoothing",
        "shape (4,)",
        "batched=False",
        covers=[st.GaussianSmoothing],
    ),
    case(
        "gaussian-smoothing-int-theta",
        lambda: st.GaussianSmoothing(_quad, 0.5)(tg.tensor([1, 2])),
        tg.DTypeError,
        "GaussianSmoothing",
        "int64",
        "float",
        covers=[st.GaussianSmoothing],
    ),
    case(
        "continuation-increasing-sigmas",
        lambda env: st.continuation(_quad, env["theta"], [0.1, 1.0], env["opt"]),
        tg.ArgumentError,
        "continuation",
        "must not increase",
        "[0.1, 1.0]",
        covers=[st.continuation],
        setup=_theta_env,
        state=_state,
    ),
    case(
        "continuation-negative-sigma",
        lambda env: st.continuation(_quad, env["theta"], [1.0, -0.5], env["opt"]),
        tg.HyperparameterError,
        "continuation",
        "sigma=-0.5",
        covers=[st.continuation],
        setup=_theta_env,
        state=_state,
    ),
    case(
        "continuation-empty-sigmas",
        lambda env: st.continuation(_quad, env["theta"], [], env["opt"]),
        tg.ArgumentError,
        "continuation",
        "sigmas is empty",
        covers=[st.continuation],
        setup=_theta_env,
        state=_state,
    ),
    case(
        "continuation-optimizer-does-not-own-theta",
        lambda env: st.continuation(
            _quad, env["theta"], [1.0, 0.0], tg.optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)
        ),
        tg.ArgumentError,
        "continuation",
        "does not own theta",
        covers=[st.continuation],
        setup=_theta_env,
        state=_state,
    ),
    case(
        "continuation-theta-no-grad",
        lambda env: st.continuation(_quad, tg.tensor([1.0]), [1.0, 0.0], env["opt"]),
        tg.ArgumentError,
        "continuation",
        "does not require grad",
        covers=[st.continuation],
        setup=_theta_env,
        state=_state,
    ),
    case(
        "continuation-steps-zero",
        lambda env: st.continuation(_quad, env["theta"], [1.0, 0.0], env["opt"], steps=0),
        tg.HyperparameterError,
        "continuation",
        "steps=0",
        covers=[st.continuation],
        setup=_theta_env,
        state=_state,
    ),
    # --- greedy layer-wise pretraining
    case(
        "greedy-pretrain-no-blocks",
        lambda: st.greedy_layerwise_pretrain([], _head, _loader(), _sgd),
        tg.ArgumentError,
        "greedy_layerwise_pretrain",
        "blocks is empty",
        covers=[st.greedy_layerwise_pretrain],
    ),
    case(
        "greedy-pretrain-block-not-a-module",
        lambda: st.greedy_layerwise_pretrain([nn.Linear(2, 3), "relu"], _head, _loader(), _sgd),
        tg.ArgumentTypeError,
        "greedy_layerwise_pretrain",
        "blocks[1]",
        "str",
        covers=[st.greedy_layerwise_pretrain],
    ),
    case(
        "greedy-pretrain-epochs-per-stage-mismatch",
        lambda env: st.greedy_layerwise_pretrain(env["blocks"], _head, _loader(), _sgd, epochs=[1, 2]),
        tg.ArgumentError,
        "greedy_layerwise_pretrain",
        "2 entries for 1 blocks",
        covers=[st.greedy_layerwise_pretrain],
        setup=_pretrain_env,
        state=_state,
    ),
    case(
        "greedy-pretrain-negative-fine-tune",
        lambda env: st.greedy_layerwise_pretrain(env["blocks"], _head, _loader(), _sgd, fine_tune_epochs=-1),
        tg.ArgumentError,
        "greedy_layerwise_pretrain",
        "fine_tune_epochs",
        "-1",
        covers=[st.greedy_layerwise_pretrain],
        setup=_pretrain_env,
        state=_state,
    ),
    case(
        "greedy-pretrain-head-not-a-module",
        lambda env: st.greedy_layerwise_pretrain(env["blocks"], lambda k: None, _loader(), _sgd),
        tg.ArgumentTypeError,
        "greedy_layerwise_pretrain",
        "make_head(0)",
        "NoneType",
        covers=[st.greedy_layerwise_pretrain],
        setup=_pretrain_env,
        state=_state,
    ),
    case(
        "greedy-pretrain-make-optimizer-returns-list",
        lambda env: st.greedy_layerwise_pretrain(env["blocks"], _head, _loader(), lambda ps: list(ps)),
        tg.ArgumentTypeError,
        "greedy_layerwise_pretrain",
        "make_optimizer(params)",
        "list",
        covers=[st.greedy_layerwise_pretrain],
        setup=_pretrain_env,
        state=_state,
    ),
    case(
        "greedy-pretrain-freeze-not-bool",
        lambda env: st.greedy_layerwise_pretrain(env["blocks"], _head, _loader(), _sgd, freeze="yes"),
        tg.ArgumentTypeError,
        "greedy_layerwise_pretrain",
        "freeze",
        covers=[st.greedy_layerwise_pretrain],
        setup=_pretrain_env,
        state=_state,
    ),
]

# Public entry points that take no argument a user can get wrong: object -> why.
EXEMPT = {}
