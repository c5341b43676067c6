"""Bad-input cases: nn (modules, layers, functional forms, losses, normalization, init, regularization).
See bad_input_table.py for what a case holds. Where PyTorch answers with a value (the mean of no
elements is NaN, Linear(0, 3) is a valid layer), the case checks that value instead of an error."""

from __future__ import annotations

import math

import numpy as np
from bad_input_table import case

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.nn import functional as F
from tinygrad_opt.nn import init
from tinygrad_opt.nn import regularization as R


def x(*shape):
    return tg.randn(*shape)


def ints(*shape):
    return tg.tensor(np.ones(shape, np.int64))


def labels(*values):
    return tg.tensor(np.array(values, np.int64))


def no_labels():
    return tg.tensor(np.zeros(0, np.int64))


def is_nan(out):
    assert out.shape == () and math.isnan(out.item()), out


def linear_env():
    return {"m": nn.Linear(3, 2)}


def mlp_env():
    return {"m": nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2))}


def module(env):
    return env["m"]


def bn_env(cls=nn.BatchNorm1d, **kwargs):
    def make():
        m = cls(3, **kwargs)
        m(x(4, 3) if cls is nn.BatchNorm1d else x(2, 3, 2, 2))  # running stats and the counter away from their start
        return {"m": m}

    return make


def stats_env():
    return {"mean": tg.zeros(3), "var": tg.ones(3), "bad": tg.zeros(4)}


def tensor_env(*shape, dtype=None):
    def make():
        return {"t": tg.tensor(np.arange(math.prod(shape)).reshape(shape), dtype=dtype)}

    return make


def t(env):
    return env["t"]


def vector_loss(inputs, targets):
    return inputs.sum(axis=1)


def scalar_loss(inputs, targets):
    return F.cross_entropy(inputs, targets)


def identity_check(out):
    assert out is IDENTITY_INPUT


IDENTITY_INPUT = tg.ones(2)


def linear_zero_in_check(out):
    assert out.shape == (2, 3) and np.array_equal(out.numpy(), np.zeros((2, 3), np.float32))


def bn_eval_check(out):
    assert np.allclose(out.numpy(), np.full((1, 3), 2.0) / np.sqrt(1 + 1e-5))


def instance_eval_check(out):
    assert np.allclose(out.numpy(), np.full((2, 3, 1), 2.0) / np.sqrt(1 + 1e-5))


def tracked_instance_norm():
    return nn.InstanceNorm1d(3, track_running_stats=True).eval()


def same_padding_check(out):
    assert out.shape == (1, 2, 5, 5)


def empty_weight_check(out):
    assert out.shape == (3, 0)


def checked_targets(call):
    """Class targets are range-checked on the CPU always, on a GPU in detect_anomaly() mode (the check
    reads them on the host)."""
    with tg.detect_anomaly():
        return call()


def zero_check(out):
    assert out.shape == () and out.item() == 0.0


CASES = [
    # ------------------------------------------------------------------ Module, Parameter, containers
    case(
        "nn-module-to-int-dtype",
        lambda env: env["m"].to(dtype="int32"),
        tg.DTypeError,
        "Module.to",
        "int32",
        "floating",
        covers=[nn.Module],
        setup=mlp_env,
        state=module,
    ),
    case(
        "nn-module-to-int-type",
        lambda env: env["m"].to(np.int64),
        tg.DTypeError,
        "Module.to",
        "int64",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-to-not-a-dtype",
        lambda env: env["m"].to(dtype="floatish"),
        tg.ArgumentTypeError,
        "Module.to",
        "floatish",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-to-unknown-device",
        lambda env: env["m"].to("tpu"),
        tg.DeviceError,
        "tpu",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-load-object-dtype",
        lambda env: env["m"].load_state_dict(
            {"weight": np.array([[1, 2, 3], [4, 5, 6]], dtype=object), "bias": [0, 0]}
        ),
        tg.StateDictError,
        "load_state_dict",
        "'weight'",
        "object",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-load-string-value",
        lambda env: env["m"].load_state_dict({"weight": "abc", "bias": [1.0, 2.0]}),
        tg.StateDictError,
        "'weight'",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-load-size-mismatch",
        lambda env: env["m"].load_state_dict({"weight": tg.zeros(3, 2), "bias": tg.zeros(2)}),
        tg.StateDictError,
        "size mismatch",
        "(3, 2)",
        "(2, 3)",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-load-missing-key",
        lambda env: env["m"].load_state_dict({"weight": tg.zeros(2, 3)}),
        tg.StateDictError,
        "missing keys",
        "bias",
        "strict=False",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-load-unexpected-key",
        lambda env: env["m"].load_state_dict({"weight": tg.zeros(2, 3), "bias": tg.zeros(2), "gain": tg.ones(1)}),
        tg.StateDictError,
        "unexpected keys",
        "gain",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-load-not-a-dict",
        lambda env: env["m"].load_state_dict([tg.zeros(2, 3), tg.zeros(2)]),
        tg.ArgumentTypeError,
        "load_state_dict",
        "list",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-train-not-bool",
        lambda env: env["m"].train("no"),
        tg.ArgumentTypeError,
        "Module.train",
        "'no'",
        setup=mlp_env,
        state=module,
    ),
    case(
        "nn-module-apply-not-callable",
        lambda env: env["m"].apply(3),
        tg.ArgumentTypeError,
        "Module.apply",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-register-parameter-plain-tensor",
        lambda env: env["m"].register_parameter("gain", tg.ones(2)),
        tg.ArgumentTypeError,
        "register_parameter",
        "Parameter",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-register-buffer-list",
        lambda env: env["m"].register_buffer("count", [1, 2]),
        tg.ArgumentTypeError,
        "register_buffer",
        "list",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-register-buffer-dotted-name",
        lambda env: env["m"].register_buffer("stats.mean", tg.zeros(2)),
        tg.ArgumentError,
        "register_buffer",
        "'stats.mean'",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-add-module-not-a-module",
        lambda env: env["m"].add_module("act", "relu"),
        tg.ArgumentTypeError,
        "add_module",
        "str",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-module-assign-tensor-over-parameter",
        lambda env: setattr(env["m"], "weight", tg.ones(2, 3)),
        tg.ArgumentTypeError,
        "'weight'",
        "Parameter",
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-parameter-of-int-tensor",
        lambda: nn.Parameter(ints(3)),
        tg.DTypeError,
        "Parameter",
        "int64",
        covers=[nn.Parameter],
    ),
    case("nn-parameter-of-object", lambda: nn.Parameter(object()), tg.ArgumentTypeError, "Parameter", "object"),
    case(
        "nn-sequential-non-module",
        lambda: nn.Sequential(nn.ReLU(), 3),
        tg.ArgumentTypeError,
        "Sequential",
        "int",
        covers=[nn.Sequential],
    ),
    case("nn-sequential-index-out-of-range", lambda: nn.Sequential(nn.ReLU())[3], tg.AxisError, "Sequential", "3"),
    case("nn-sequential-index-string", lambda: nn.Sequential(nn.ReLU())["0"], tg.ArgumentTypeError, "Sequential"),
    case(
        "nn-modulelist-append-non-module",
        lambda env: env["m"].append("relu"),
        tg.ArgumentTypeError,
        "ModuleList",
        "str",
        covers=[nn.ModuleList],
        setup=lambda: {"m": nn.ModuleList([nn.Linear(2, 2)])},
        state=module,
    ),
    case("nn-modulelist-index-out-of-range", lambda: nn.ModuleList([nn.ReLU()])[-2], tg.AxisError, "ModuleList", "-2"),
    case(
        "nn-modulelist-setitem-out-of-range",
        lambda env: env["m"].__setitem__(4, nn.Linear(2, 2)),
        tg.AxisError,
        "ModuleList",
        "4",
        setup=lambda: {"m": nn.ModuleList([nn.Linear(2, 2)])},
        state=module,
    ),
    case(
        "nn-functional-call-unknown-name",
        lambda env: nn.functional_call(env["m"], {"nope": tg.ones(2, 3)}, (x(1, 3),)),
        tg.ArgumentError,
        "functional_call",
        "'nope'",
        covers=[nn.functional_call],
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-functional-call-not-a-module",
        lambda: nn.functional_call(lambda v: v, {}, (x(1, 3),)),
        tg.ArgumentTypeError,
        "functional_call",
        "function",
    ),
    case(
        "nn-functional-call-wrong-weight-restores",
        lambda env: nn.functional_call(env["m"], {"weight": tg.ones(2, 4)}, (x(1, 3),)),
        tg.ShapeError,
        "Linear",
        "(1, 3)",
        setup=linear_env,
        state=module,
    ),
    # ------------------------------------------------------------------ Linear, Identity, Flatten
    case(
        "nn-linear-float-features",
        lambda: nn.Linear(3.5, 2),
        tg.ArgumentTypeError,
        "Linear",
        "in_features",
        "3.5",
        covers=[nn.Linear],
    ),
    case("nn-linear-negative-features", lambda: nn.Linear(3, -2), tg.ArgumentError, "Linear", "out_features=-2"),
    case("nn-linear-bool-features", lambda: nn.Linear(True, 2), tg.ArgumentTypeError, "Linear", "True"),
    case("nn-linear-zero-in-features", lambda: nn.Linear(0, 3)(x(2, 0)), None, check=linear_zero_in_check),
    case(
        "nn-linear-wrong-in-features",
        lambda: nn.Linear(3, 2)(x(2, 4)),
        tg.ShapeError,
        "Linear",
        "in_features=3",
        "(2, 4)",
    ),
    case("nn-linear-int-input", lambda: nn.Linear(3, 2)(ints(2, 3)), tg.DTypeError, "Linear", "int64"),
    case(
        "nn-linear-float64-input",
        lambda: nn.Linear(3, 2)(x(2, 3).double()),
        tg.DTypeError,
        "Linear",
        "float64",
        "float32",
    ),
    case("nn-linear-scalar-input", lambda: nn.Linear(3, 2)(tg.tensor(1.0)), tg.ShapeError, "Linear", "()"),
    case("nn-linear-list-input", lambda: nn.Linear(3, 2)([1.0, 2.0, 3.0]), tg.ArgumentTypeError, "Linear", "list"),
    case(
        "nn-F-linear-bias-mismatch",
        lambda: F.linear(x(2, 3), x(4, 3), x(3)),
        tg.ShapeError,
        "F.linear",
        "bias of shape (3,)",
        "(4, 3)",
        covers=[F.linear],
    ),
    case(
        "nn-F-linear-wrong-features", lambda: F.linear(x(2, 5), x(4, 3)), tg.ShapeError, "F.linear", "(2, 5)", "(4, 3)"
    ),
    case("nn-F-linear-3d-weight", lambda: F.linear(x(2, 3), x(1, 4, 3)), tg.ShapeError, "F.linear", "(1, 4, 3)"),
    case("nn-F-linear-int-input", lambda: F.linear(ints(2, 3), x(4, 3)), tg.DTypeError, "F.linear", "int64"),
    case("nn-F-linear-weight-list", lambda: F.linear(x(2, 3), [[1.0] * 3]), tg.ArgumentTypeError, "F.linear", "weight"),
    case(
        "nn-identity-ignores-arguments",
        lambda: nn.Identity(3, bias=True)(IDENTITY_INPUT),
        None,
        covers=[nn.Identity],
        check=identity_check,
    ),
    case(
        "nn-flatten-start-after-end",
        lambda: nn.Flatten(2, 1),
        tg.ArgumentError,
        "Flatten",
        "start_dim=2",
        "end_dim=1",
        covers=[nn.Flatten],
    ),
    case(
        "nn-flatten-start-after-end-at-forward",
        lambda: nn.Flatten(-1, 0)(x(2, 3, 4)),
        tg.ArgumentError,
        "Flatten",
        "(2, 3, 4)",
    ),
    case("nn-flatten-dim-out-of-range", lambda: nn.Flatten(5)(x(2, 3)), tg.AxisError, "Flatten", "start_dim=5", "2-D"),
    case("nn-flatten-float-dim", lambda: nn.Flatten(1.0), tg.ArgumentTypeError, "Flatten", "start_dim"),
    # ------------------------------------------------------------------ convolution
    case(
        "nn-conv2d-dilation-zero",
        lambda: nn.Conv2d(3, 4, 3, dilation=0),
        tg.ArgumentError,
        "Conv2d",
        "dilation=0",
        covers=[nn.Conv2d],
    ),
    case("nn-conv2d-stride-zero", lambda: nn.Conv2d(3, 4, 3, stride=0), tg.ArgumentError, "Conv2d", "stride=0"),
    case("nn-conv2d-kernel-zero", lambda: nn.Conv2d(3, 4, 0), tg.ArgumentError, "Conv2d", "kernel_size=0"),
    case(
        "nn-conv2d-stride-tuple-with-zero",
        lambda: nn.Conv2d(3, 4, 3, stride=(1, 0)),
        tg.ArgumentError,
        "Conv2d",
        "(1, 0)",
    ),
    case(
        "nn-conv2d-kernel-tuple-too-long",
        lambda: nn.Conv2d(3, 4, (3, 3, 3)),
        tg.ArgumentError,
        "Conv2d",
        "kernel_size",
        "2 ints",
    ),
    case(
        "nn-conv2d-negative-padding", lambda: nn.Conv2d(3, 4, 3, padding=-1), tg.ArgumentError, "Conv2d", "padding=-1"
    ),
    case("nn-conv2d-unknown-padding", lambda: nn.Conv2d(3, 4, 3, padding="full"), tg.ArgumentError, "Conv2d", "'full'"),
    case(
        "nn-conv2d-same-padding-stride-2",
        lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"),
        tg.ArgumentError,
        "Conv2d",
        "same",
        "stride",
    ),
    case(
        "nn-conv2d-groups-not-dividing", lambda: nn.Conv2d(3, 4, 3, groups=2), tg.ArgumentError, "Conv2d", "groups (2)"
    ),
    case("nn-conv2d-groups-zero", lambda: nn.Conv2d(3, 3, 3, groups=0), tg.ArgumentError, "Conv2d", "groups=0"),
    case("nn-conv2d-float-channels", lambda: nn.Conv2d(3.0, 4, 3), tg.ArgumentTypeError, "Conv2d", "in_channels"),
    case("nn-conv2d-zero-out-channels", lambda: nn.Conv2d(3, 0, 3), tg.ArgumentError, "Conv2d", "out_channels=0"),
    case("nn-conv2d-3d-input", lambda: nn.Conv2d(3, 4, 3)(x(3, 8, 8)), tg.ShapeError, "Conv2d", "4-D", "(3, 8, 8)"),
    case(
        "nn-conv2d-wrong-channels",
        lambda: nn.Conv2d(3, 4, 3)(x(2, 4, 8, 8)),
        tg.ShapeError,
        "Conv2d",
        "3 input channels",
        "(2, 4, 8, 8)",
    ),
    case(
        "nn-conv2d-kernel-larger-than-input",
        lambda: nn.Conv2d(1, 1, 5)(x(1, 1, 3, 3)),
        tg.ShapeError,
        "Conv2d",
        "(5, 5)",
        "(3, 3)",
    ),
    case("nn-conv2d-int-input", lambda: nn.Conv2d(1, 1, 2)(ints(1, 1, 3, 3)), tg.DTypeError, "Conv2d", "int64"),
    case(
        "nn-conv1d-kernel-zero",
        lambda: nn.Conv1d(2, 2, 0),
        tg.ArgumentError,
        "Conv1d",
        "kernel_size=0",
        covers=[nn.Conv1d],
    ),
    case(
        "nn-conv1d-4d-input", lambda: nn.Conv1d(2, 2, 3)(x(1, 2, 5, 5)), tg.ShapeError, "Conv1d", "3-D", "(1, 2, 5, 5)"
    ),
    case(
        "nn-F-conv2d-int-input",
        lambda: F.conv2d(ints(1, 1, 3, 3), ints(1, 1, 2, 2)),
        tg.DTypeError,
        "F.conv2d",
        "int64",
        covers=[F.conv2d],
    ),
    case(
        "nn-F-conv2d-stride-zero",
        lambda: F.conv2d(x(1, 1, 4, 4), x(1, 1, 2, 2), stride=0),
        tg.ArgumentError,
        "F.conv2d",
        "stride=0",
    ),
    case(
        "nn-F-conv2d-bad-bias",
        lambda: F.conv2d(x(1, 1, 4, 4), x(2, 1, 2, 2), x(3)),
        tg.ShapeError,
        "F.conv2d",
        "(2,)",
        "(3,)",
    ),
    case(
        "nn-F-conv2d-dtype-mix",
        lambda: F.conv2d(x(1, 1, 4, 4).double(), x(2, 1, 2, 2)),
        tg.DTypeError,
        "F.conv2d",
        "float64",
    ),
    case(
        "nn-F-conv2d-same-padding",
        lambda: F.conv2d(x(1, 3, 5, 5), x(2, 3, 3, 3), padding="same"),
        None,
        check=same_padding_check,
    ),
    case(
        "nn-F-conv1d-groups-mismatch",
        lambda: F.conv1d(x(1, 4, 6), x(2, 3, 2), groups=2),
        tg.ShapeError,
        "F.conv1d",
        "groups=2",
        covers=[F.conv1d],
    ),
    case("nn-F-conv1d-weight-rank", lambda: F.conv1d(x(1, 2, 6), x(2, 2)), tg.ShapeError, "F.conv1d", "3-D", "(2, 2)"),
    case(
        "nn-F-conv1d-dilation-zero",
        lambda: F.conv1d(x(1, 2, 6), x(2, 2, 2), dilation=0),
        tg.ArgumentError,
        "F.conv1d",
        "dilation=0",
    ),
    # ------------------------------------------------------------------ pooling
    case(
        "nn-maxpool2d-kernel-zero",
        lambda: nn.MaxPool2d(0),
        tg.ArgumentError,
        "MaxPool2d",
        "kernel_size=0",
        covers=[nn.MaxPool2d],
    ),
    case(
        "nn-maxpool2d-dilation-zero", lambda: nn.MaxPool2d(2, dilation=0), tg.ArgumentError, "MaxPool2d", "dilation=0"
    ),
    case("nn-maxpool2d-3d-input", lambda: nn.MaxPool2d(2)(x(3, 4, 4)), tg.ShapeError, "MaxPool2d", "4-D", "(3, 4, 4)"),
    case(
        "nn-maxpool2d-kernel-larger-than-input",
        lambda: nn.MaxPool2d(4)(x(1, 1, 3, 3)),
        tg.ShapeError,
        "MaxPool2d",
        "(4, 4)",
    ),
    case(
        "nn-maxpool1d-stride-zero",
        lambda: nn.MaxPool1d(2, stride=0),
        tg.ArgumentError,
        "MaxPool1d",
        "stride=0",
        covers=[nn.MaxPool1d],
    ),
    case("nn-maxpool1d-int-input", lambda: nn.MaxPool1d(2)(ints(1, 1, 4)), tg.DTypeError, "MaxPool1d", "int64"),
    case(
        "nn-avgpool1d-kernel-zero",
        lambda: nn.AvgPool1d(0),
        tg.ArgumentError,
        "AvgPool1d",
        "kernel_size=0",
        covers=[nn.AvgPool1d],
    ),
    case("nn-avgpool1d-float-kernel", lambda: nn.AvgPool1d(2.5), tg.ArgumentTypeError, "AvgPool1d", "2.5"),
    case(
        "nn-avgpool2d-padding-over-half",
        lambda: nn.AvgPool2d(2, padding=2),
        tg.ArgumentError,
        "AvgPool2d",
        "half",
        covers=[nn.AvgPool2d],
    ),
    case("nn-avgpool2d-wrong-rank", lambda: nn.AvgPool2d(2)(x(4, 4)), tg.ShapeError, "AvgPool2d", "(4, 4)"),
    case(
        "nn-F-max-pool2d-stride-zero",
        lambda: F.max_pool2d(x(1, 1, 4, 4), 2, stride=0),
        tg.ArgumentError,
        "F.max_pool2d",
        "stride=0",
        covers=[F.max_pool2d],
    ),
    case(
        "nn-F-max-pool1d-negative-padding",
        lambda: F.max_pool1d(x(1, 1, 4), 2, padding=-1),
        tg.ArgumentError,
        "F.max_pool1d",
        "padding=-1",
        covers=[F.max_pool1d],
    ),
    case(
        "nn-F-avg-pool2d-float-kernel",
        lambda: F.avg_pool2d(x(1, 1, 4, 4), 1.5),
        tg.ArgumentTypeError,
        "F.avg_pool2d",
        "kernel_size",
        covers=[F.avg_pool2d],
    ),
    case(
        "nn-F-avg-pool1d-kernel-zero",
        lambda: F.avg_pool1d(x(1, 1, 4), 0),
        tg.ArgumentError,
        "F.avg_pool1d",
        "kernel_size=0",
        covers=[F.avg_pool1d],
    ),
    # ------------------------------------------------------------------ batch norm
    case(
        "nn-batchnorm1d-one-value-per-channel",
        lambda env: env["m"](x(1, 3)),
        tg.ShapeError,
        "BatchNorm1d",
        "more than 1 value per channel when training",
        "(1, 3)",
        covers=[nn.BatchNorm1d],
        setup=bn_env(),
        state=module,
    ),
    case(
        "nn-batchnorm1d-cumulative-one-value",
        lambda env: env["m"](x(1, 3, 1)),
        tg.ShapeError,
        "BatchNorm1d",
        "(1, 3, 1)",
        setup=bn_env(momentum=None),
        state=module,
    ),
    case(
        "nn-batchnorm2d-one-value-per-channel",
        lambda env: env["m"](x(1, 3, 1, 1)),
        tg.ShapeError,
        "BatchNorm2d",
        "more than 1 value per channel",
        covers=[nn.BatchNorm2d],
        setup=bn_env(nn.BatchNorm2d),
        state=module,
    ),
    case(
        "nn-batchnorm2d-2d-input",
        lambda env: env["m"](x(2, 3)),
        tg.ShapeError,
        "BatchNorm2d",
        "4-D",
        "(2, 3)",
        setup=bn_env(nn.BatchNorm2d),
        state=module,
    ),
    case(
        "nn-batchnorm1d-wrong-channels",
        lambda env: env["m"](x(4, 5)),
        tg.ShapeError,
        "BatchNorm1d",
        "3 channels",
        "(4, 5)",
        setup=bn_env(),
        state=module,
    ),
    case(
        "nn-batchnorm1d-int-input",
        lambda env: env["m"](ints(4, 3)),
        tg.DTypeError,
        "BatchNorm1d",
        "int64",
        setup=bn_env(),
        state=module,
    ),
    case(
        "nn-batchnorm1d-negative-eps",
        lambda: nn.BatchNorm1d(3, eps=-1),
        tg.HyperparameterError,
        "BatchNorm1d",
        "eps=-1",
    ),
    case(
        "nn-batchnorm1d-momentum-above-one",
        lambda: nn.BatchNorm1d(3, momentum=2.0),
        tg.HyperparameterError,
        "BatchNorm1d",
        "momentum=2.0",
    ),
    case(
        "nn-batchnorm1d-float-features",
        lambda: nn.BatchNorm1d(3.0),
        tg.ArgumentTypeError,
        "BatchNorm1d",
        "num_features",
    ),
    case(
        "nn-batchnorm1d-eval-one-sample",
        lambda: nn.BatchNorm1d(3).eval()(tg.full((1, 3), 2.0)),
        None,
        check=bn_eval_check,
    ),
    case(
        "nn-F-batch-norm-wrong-running-mean",
        lambda env: F.batch_norm(x(2, 3), env["bad"], env["var"], training=True),
        tg.ShapeError,
        "F.batch_norm",
        "running_mean of shape (4,)",
        "(2, 3)",
        covers=[F.batch_norm],
        setup=stats_env,
        state=lambda env: env,
    ),
    case(
        "nn-F-batch-norm-wrong-running-var-changes-nothing",
        lambda env: F.batch_norm(x(2, 3), env["mean"], env["bad"], training=True),
        tg.ShapeError,
        "F.batch_norm",
        "running_var of shape (4,)",
        setup=stats_env,
        state=lambda env: env,
    ),
    case(
        "nn-F-batch-norm-momentum-none",
        lambda env: F.batch_norm(x(2, 3), env["mean"], env["var"], training=True, momentum=None),
        tg.ArgumentTypeError,
        "F.batch_norm",
        "momentum",
        setup=stats_env,
        state=lambda env: env,
    ),
    case(
        "nn-F-batch-norm-eval-without-stats",
        lambda: F.batch_norm(x(2, 3), None, None),
        tg.ArgumentError,
        "F.batch_norm",
        "running_mean",
    ),
    case(
        "nn-F-batch-norm-one-value",
        lambda env: F.batch_norm(x(1, 3), env["mean"], env["var"], training=True),
        tg.ShapeError,
        "F.batch_norm",
        "more than 1 value per channel",
        setup=stats_env,
        state=lambda env: env,
    ),
    case(
        "nn-F-batch-norm-wrong-weight",
        lambda: F.batch_norm(x(2, 3), None, None, tg.ones(2), training=True),
        tg.ShapeError,
        "F.batch_norm",
        "weight of shape (2,)",
    ),
    case(
        "nn-F-batch-norm-1d-input",
        lambda: F.batch_norm(x(3), None, None, training=True),
        tg.ShapeError,
        "F.batch_norm",
        "(3,)",
    ),
    # ------------------------------------------------------------------ instance, layer, group norm
    case(
        "nn-instancenorm1d-one-spatial-element",
        lambda: nn.InstanceNorm1d(3)(x(2, 3, 1)),
        tg.ShapeError,
        "InstanceNorm1d",
        "more than 1 spatial element",
        "(2, 3, 1)",
        covers=[nn.InstanceNorm1d],
    ),
    case(
        "nn-instancenorm2d-one-spatial-element-tracked",
        lambda env: env["m"](x(2, 3, 1, 1)),
        tg.ShapeError,
        "InstanceNorm2d",
        "more than 1 spatial element",
        covers=[nn.InstanceNorm2d],
        setup=lambda: {"m": nn.InstanceNorm2d(3, track_running_stats=True)},
        state=module,
    ),
    case(
        "nn-instancenorm1d-eval-tracked-one-element",
        lambda: tracked_instance_norm()(tg.full((2, 3, 1), 2.0)),
        None,
        check=instance_eval_check,
    ),
    case(
        "nn-instancenorm1d-2d-input",
        lambda: nn.InstanceNorm1d(3)(x(2, 3)),
        tg.ShapeError,
        "InstanceNorm1d",
        "3-D",
        "(2, 3)",
    ),
    case(
        "nn-F-instance-norm-one-spatial-element",
        lambda: F.instance_norm(x(2, 3, 1)),
        tg.ShapeError,
        "F.instance_norm",
        "spatial",
        covers=[F.instance_norm],
    ),
    case(
        "nn-F-instance-norm-wrong-running-var",
        lambda env: F.instance_norm(x(2, 3, 4), env["mean"], env["bad"]),
        tg.ShapeError,
        "F.instance_norm",
        "running_var",
        setup=stats_env,
        state=lambda env: env,
    ),
    case(
        "nn-layernorm-input-shape",
        lambda: nn.LayerNorm(4)(x(2, 3)),
        tg.ShapeError,
        "LayerNorm",
        "(2, 3)",
        "(4,)",
        covers=[nn.LayerNorm],
    ),
    case("nn-layernorm-zero-size", lambda: nn.LayerNorm((3, 0)), tg.ArgumentError, "LayerNorm", "normalized_shape"),
    case(
        "nn-layernorm-negative-eps", lambda: nn.LayerNorm(3, eps=-0.1), tg.HyperparameterError, "LayerNorm", "eps=-0.1"
    ),
    case("nn-layernorm-int-input", lambda: nn.LayerNorm(3)(ints(2, 3)), tg.DTypeError, "LayerNorm", "int64"),
    case(
        "nn-F-layer-norm-weight-shape",
        lambda: F.layer_norm(x(2, 3), 3, tg.ones(4)),
        tg.ShapeError,
        "F.layer_norm",
        "(4,)",
        covers=[F.layer_norm],
    ),
    case("nn-F-layer-norm-shape-type", lambda: F.layer_norm(x(2, 3), "3"), tg.ArgumentTypeError, "F.layer_norm", "'3'"),
    case(
        "nn-groupnorm-not-divisible",
        lambda: nn.GroupNorm(2, 3),
        tg.ArgumentError,
        "GroupNorm",
        "num_groups (2)",
        covers=[nn.GroupNorm],
    ),
    case("nn-groupnorm-zero-groups", lambda: nn.GroupNorm(0, 3), tg.ArgumentError, "GroupNorm", "num_groups=0"),
    case(
        "nn-groupnorm-wrong-channels", lambda: nn.GroupNorm(2, 4)(x(2, 6, 3)), tg.ShapeError, "GroupNorm", "(2, 6, 3)"
    ),
    case(
        "nn-F-group-norm-not-divisible",
        lambda: F.group_norm(x(2, 3, 4), 2),
        tg.ShapeError,
        "F.group_norm",
        "num_groups=2",
        covers=[F.group_norm],
    ),
    case("nn-F-group-norm-int-input", lambda: F.group_norm(ints(2, 4, 3), 2), tg.DTypeError, "F.group_norm", "int64"),
    # ------------------------------------------------------------------ weight norm
    case(
        "nn-weight-norm-dim-out-of-range",
        lambda env: nn.weight_norm(env["m"], dim=5),
        tg.AxisError,
        "weight_norm",
        "dim=5",
        covers=[nn.weight_norm],
        setup=linear_env,
        state=module,
    ),
    case(
        "nn-weight-norm-unknown-parameter",
        lambda env: nn.weight_norm(env["m"], name="kernel"),
        tg.ArgumentError,
        "weight_norm",
        "'kernel'",
        setup=linear_env,
        state=module,
    ),
    case("nn-weight-norm-not-a-module", lambda: nn.weight_norm(x(2, 3)), tg.ArgumentTypeError, "weight_norm", "Tensor"),
    case(
        "nn-remove-weight-norm-not-applied",
        lambda env: nn.remove_weight_norm(env["m"]),
        tg.ArgumentError,
        "remove_weight_norm",
        "'weight'",
        covers=[nn.remove_weight_norm],
        setup=linear_env,
        state=module,
    ),
    # ------------------------------------------------------------------ losses: empty input is NaN (PyTorch)
    case(
        "nn-mse-loss-empty-is-nan",
        lambda: F.mse_loss(tg.zeros(0), tg.zeros(0)),
        None,
        covers=[F.mse_loss],
        check=is_nan,
    ),
    case(
        "nn-l1-loss-empty-is-nan",
        lambda: F.l1_loss(tg.zeros(0, 2), tg.zeros(0, 2)),
        None,
        covers=[F.l1_loss],
        check=is_nan,
    ),
    case(
        "nn-huber-loss-empty-is-nan",
        lambda: F.huber_loss(tg.zeros(0), tg.zeros(0)),
        None,
        covers=[F.huber_loss],
        check=is_nan,
    ),
    case(
        "nn-bce-loss-empty-is-nan",
        lambda: F.binary_cross_entropy_with_logits(tg.zeros(0), tg.zeros(0)),
        None,
        covers=[F.binary_cross_entropy_with_logits],
        check=is_nan,
    ),
    case(
        "nn-cross-entropy-empty-is-nan",
        lambda: F.cross_entropy(tg.zeros(0, 3), no_labels()),
        None,
        covers=[F.cross_entropy],
        check=is_nan,
    ),
    case(
        "nn-cross-entropy-empty-sum-is-zero",
        lambda: F.cross_entropy(tg.zeros(0, 3), no_labels(), reduction="sum"),
        None,
        check=zero_check,
    ),
    case(
        "nn-nll-loss-empty-is-nan",
        lambda: F.nll_loss(tg.zeros(0, 3), no_labels()),
        None,
        covers=[F.nll_loss],
        check=is_nan,
    ),
    case(
        "nn-mse-loss-module-empty-is-nan",
        lambda: nn.MSELoss()(tg.zeros(0), tg.zeros(0)),
        None,
        covers=[nn.MSELoss],
        check=is_nan,
    ),
    # ------------------------------------------------------------------ losses: bad arguments
    case("nn-mse-loss-shape-mismatch", lambda: F.mse_loss(x(3), x(4)), tg.ShapeError, "F.mse_loss", "(3,)", "(4,)"),
    case(
        "nn-mse-loss-unknown-reduction",
        lambda: F.mse_loss(x(3), x(3), reduction="avg"),
        tg.ArgumentError,
        "F.mse_loss",
        "'avg'",
    ),
    case("nn-mse-loss-module-unknown-reduction", lambda: nn.MSELoss("avg"), tg.ArgumentError, "MSELoss", "'avg'"),
    case("nn-mse-loss-module-shape-mismatch", lambda: nn.MSELoss()(x(2, 3), x(3)), tg.ShapeError, "MSELoss", "(2, 3)"),
    case(
        "nn-l1-loss-module-int-input",
        lambda: nn.L1Loss()(ints(3), x(3)),
        tg.DTypeError,
        "L1Loss",
        "int64",
        covers=[nn.L1Loss],
    ),
    case(
        "nn-huber-loss-zero-delta",
        lambda: F.huber_loss(x(3), x(3), delta=0),
        tg.HyperparameterError,
        "F.huber_loss",
        "delta=0",
    ),
    case(
        "nn-huber-loss-module-negative-delta",
        lambda: nn.HuberLoss(delta=-1.0),
        tg.HyperparameterError,
        "HuberLoss",
        "delta=-1.0",
        covers=[nn.HuberLoss],
    ),
    case(
        "nn-cross-entropy-weight-wrong-classes",
        lambda: F.cross_entropy(x(2, 3), labels(0, 1), weight=tg.ones(4)),
        tg.ShapeError,
        "F.cross_entropy",
        "weight of shape (4,)",
        "(3,)",
    ),
    case(
        "nn-cross-entropy-module-weight-wrong-classes",
        lambda: nn.CrossEntropyLoss(weight=tg.ones(2))(x(2, 3), labels(0, 1)),
        tg.ShapeError,
        "CrossEntropyLoss",
        "(2,)",
        covers=[nn.CrossEntropyLoss],
    ),
    case(
        "nn-cross-entropy-module-weight-list",
        lambda: nn.CrossEntropyLoss(weight=[1.0, 2.0]),
        tg.ArgumentTypeError,
        "CrossEntropyLoss",
        "weight",
    ),
    case(
        "nn-cross-entropy-label-smoothing-above-one",
        lambda: F.cross_entropy(x(2, 3), labels(0, 1), label_smoothing=2.0),
        tg.HyperparameterError,
        "F.cross_entropy",
        "label_smoothing=2.0",
    ),
    case(
        "nn-cross-entropy-module-negative-smoothing",
        lambda: nn.CrossEntropyLoss(label_smoothing=-0.1),
        tg.HyperparameterError,
        "CrossEntropyLoss",
        "label_smoothing",
    ),
    case(
        "nn-cross-entropy-target-out-of-range",
        lambda: checked_targets(lambda: F.cross_entropy(x(2, 3), labels(0, 3))),
        tg.ArgumentError,
        "F.cross_entropy",
        "[0, 3)",
    ),
    case(
        "nn-cross-entropy-target-shape",
        lambda: F.cross_entropy(x(2, 3), labels(0, 1, 2)),
        tg.ShapeError,
        "F.cross_entropy",
        "(2,)",
        "(3,)",
    ),
    case(
        "nn-cross-entropy-probability-target-shape",
        lambda: F.cross_entropy(x(2, 3), x(2, 4)),
        tg.ShapeError,
        "F.cross_entropy",
        "(2, 4)",
    ),
    case(
        "nn-cross-entropy-int-logits",
        lambda: F.cross_entropy(ints(2, 3), labels(0, 1)),
        tg.DTypeError,
        "F.cross_entropy",
        "int64",
    ),
    case(
        "nn-cross-entropy-0d-logits",
        lambda: F.cross_entropy(tg.tensor(1.0), labels(0)),
        tg.ShapeError,
        "F.cross_entropy",
        "0-d",
    ),
    case(
        "nn-cross-entropy-float-ignore-index",
        lambda: F.cross_entropy(x(2, 3), labels(0, 1), ignore_index=1.5),
        tg.ArgumentTypeError,
        "F.cross_entropy",
        "ignore_index",
    ),
    case(
        "nn-nll-loss-weight-wrong-classes",
        lambda: F.nll_loss(x(2, 3), labels(0, 1), weight=tg.ones(5)),
        tg.ShapeError,
        "F.nll_loss",
        "(5,)",
    ),
    case(
        "nn-nll-loss-module-target-shape",
        lambda: nn.NLLLoss()(x(2, 3), labels(0)),
        tg.ShapeError,
        "NLLLoss",
        "(1,)",
        covers=[nn.NLLLoss],
    ),
    case(
        "nn-bce-pos-weight-wrong-classes",
        lambda: F.binary_cross_entropy_with_logits(x(2, 3), tg.zeros(2, 3), pos_weight=tg.ones(4)),
        tg.ShapeError,
        "pos_weight of shape (4,)",
        "(2, 3)",
    ),
    case(
        "nn-bce-module-shape-mismatch",
        lambda: nn.BCEWithLogitsLoss()(x(2, 3), tg.zeros(3)),
        tg.ShapeError,
        "BCEWithLogitsLoss",
        "(3,)",
        covers=[nn.BCEWithLogitsLoss],
    ),
    case(
        "nn-bce-module-unknown-reduction",
        lambda: nn.BCEWithLogitsLoss(reduction=None),
        tg.ArgumentError,
        "BCEWithLogitsLoss",
        "None",
    ),
    # ------------------------------------------------------------------ dropout and activations
    case(
        "nn-dropout-int-input", lambda: nn.Dropout(0.5)(ints(4)), tg.DTypeError, "Dropout", "int64", covers=[nn.Dropout]
    ),
    case("nn-dropout-p-above-one", lambda: nn.Dropout(1.5), tg.HyperparameterError, "Dropout", "p=1.5"),
    case("nn-dropout-p-string", lambda: nn.Dropout("0.5"), tg.ArgumentTypeError, "Dropout", "'0.5'"),
    case("nn-F-dropout-int-input", lambda: F.dropout(ints(4)), tg.DTypeError, "F.dropout", "int64", covers=[F.dropout]),
    case("nn-F-dropout-negative-p", lambda: F.dropout(x(4), p=-0.1), tg.HyperparameterError, "F.dropout", "p=-0.1"),
    case("nn-relu-list-input", lambda: nn.ReLU()([1.0, -1.0]), tg.ArgumentTypeError, "ReLU", "list", covers=[nn.ReLU]),
    case("nn-F-relu-list-input", lambda: F.relu([1.0, -1.0]), tg.ArgumentTypeError, "F.relu", "list", covers=[F.relu]),
    case(
        "nn-leaky-relu-string-slope",
        lambda: nn.LeakyReLU("0.1"),
        tg.ArgumentTypeError,
        "LeakyReLU",
        "negative_slope",
        covers=[nn.LeakyReLU],
    ),
    case(
        "nn-F-leaky-relu-string-slope",
        lambda: F.leaky_relu(x(3), "0.1"),
        tg.ArgumentTypeError,
        "F.leaky_relu",
        "negative_slope",
        covers=[F.leaky_relu],
    ),
    case("nn-elu-string-alpha", lambda: nn.ELU(alpha=None), tg.ArgumentTypeError, "ELU", "alpha", covers=[nn.ELU]),
    case("nn-F-elu-list-input", lambda: F.elu([1.0]), tg.ArgumentTypeError, "F.elu", "list", covers=[F.elu]),
    case(
        "nn-gelu-unknown-approximation", lambda: nn.GELU("fast"), tg.ArgumentError, "GELU", "'fast'", covers=[nn.GELU]
    ),
    case(
        "nn-F-gelu-unknown-approximation",
        lambda: F.gelu(x(3), approximate="erf"),
        tg.ArgumentError,
        "F.gelu",
        "'erf'",
        covers=[F.gelu],
    ),
    case(
        "nn-sigmoid-list-input",
        lambda: nn.Sigmoid()([0.0]),
        tg.ArgumentTypeError,
        "Sigmoid",
        "list",
        covers=[nn.Sigmoid],
    ),
    case(
        "nn-F-sigmoid-array-input",
        lambda: F.sigmoid(np.zeros(2)),
        tg.ArgumentTypeError,
        "F.sigmoid",
        "ndarray",
        covers=[F.sigmoid],
    ),
    case("nn-tanh-list-input", lambda: nn.Tanh()([0.0]), tg.ArgumentTypeError, "Tanh", "list", covers=[nn.Tanh]),
    case("nn-F-tanh-none-input", lambda: F.tanh(None), tg.ArgumentTypeError, "F.tanh", "NoneType", covers=[F.tanh]),
    case("nn-silu-list-input", lambda: nn.SiLU()([0.0]), tg.ArgumentTypeError, "SiLU", "list", covers=[nn.SiLU]),
    case("nn-F-silu-list-input", lambda: F.silu([0.0]), tg.ArgumentTypeError, "F.silu", "list", covers=[F.silu]),
    case(
        "nn-softplus-zero-beta",
        lambda: nn.Softplus(beta=0),
        tg.HyperparameterError,
        "Softplus",
        "beta=0",
        covers=[nn.Softplus],
    ),
    case(
        "nn-F-softplus-string-threshold",
        lambda: F.softplus(x(3), threshold="20"),
        tg.ArgumentTypeError,
        "F.softplus",
        "threshold",
        covers=[F.softplus],
    ),
    case(
        "nn-softmax-dim-out-of-range",
        lambda: nn.Softmax(dim=5)(x(2, 3)),
        tg.AxisError,
        "Softmax",
        "dim=5",
        "2-D",
        covers=[nn.Softmax],
    ),
    case("nn-softmax-float-dim", lambda: nn.Softmax(dim=1.0), tg.ArgumentTypeError, "Softmax", "dim"),
    case(
        "nn-log-softmax-dim-out-of-range",
        lambda: nn.LogSoftmax(dim=-3)(x(2, 3)),
        tg.AxisError,
        "LogSoftmax",
        "dim=-3",
        covers=[nn.LogSoftmax],
    ),
    case(
        "nn-F-softmax-dim-out-of-range",
        lambda: F.softmax(x(2, 3), dim=2),
        tg.AxisError,
        "F.softmax",
        "dim=2",
        covers=[F.softmax],
    ),
    case(
        "nn-F-log-softmax-dim-out-of-range",
        lambda: F.log_softmax(x(4), dim=1),
        tg.AxisError,
        "F.log_softmax",
        "dim=1",
        covers=[F.log_softmax],
    ),
    # ------------------------------------------------------------------ init
    case(
        "nn-init-uniform-int-tensor",
        lambda env: init.uniform_(env["t"]),
        tg.DTypeError,
        "uniform_",
        "int64",
        covers=[init.uniform_],
        setup=tensor_env(2, 3),
        state=t,
    ),
    case(
        "nn-init-uniform-reversed-bounds",
        lambda env: init.uniform_(env["t"], 1.0, 0.0),
        tg.ArgumentError,
        "uniform_",
        "a=1.0",
        setup=tensor_env(2, 3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-normal-int-tensor",
        lambda env: init.normal_(env["t"]),
        tg.DTypeError,
        "normal_",
        "int64",
        covers=[init.normal_],
        setup=tensor_env(4),
        state=t,
    ),
    case(
        "nn-init-normal-negative-std",
        lambda env: init.normal_(env["t"], std=-1.0),
        tg.ArgumentError,
        "normal_",
        "std=-1.0",
        setup=tensor_env(4, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-normal-wrong-generator",
        lambda env: init.normal_(env["t"], generator=np.random.default_rng(0)),
        tg.ArgumentTypeError,
        "normal_",
        "generator",
        setup=tensor_env(4, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-xavier-uniform-1d",
        lambda env: init.xavier_uniform_(env["t"]),
        tg.ShapeError,
        "xavier_uniform_",
        "(5,)",
        covers=[init.xavier_uniform_],
        setup=tensor_env(5, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-xavier-normal-int-tensor",
        lambda env: init.xavier_normal_(env["t"]),
        tg.DTypeError,
        "xavier_normal_",
        "int64",
        covers=[init.xavier_normal_],
        setup=tensor_env(2, 3),
        state=t,
    ),
    case(
        "nn-init-kaiming-uniform-unknown-mode",
        lambda env: init.kaiming_uniform_(env["t"], mode="fan_avg"),
        tg.ArgumentError,
        "kaiming_uniform_",
        "'fan_avg'",
        covers=[init.kaiming_uniform_],
        setup=tensor_env(2, 3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-kaiming-uniform-empty-is-no-op",
        lambda: init.kaiming_uniform_(tg.zeros(3, 0)),
        None,
        check=empty_weight_check,
    ),
    case(
        "nn-init-kaiming-normal-int-tensor",
        lambda env: init.kaiming_normal_(env["t"]),
        tg.DTypeError,
        "kaiming_normal_",
        "int64",
        covers=[init.kaiming_normal_],
        setup=tensor_env(2, 3),
        state=t,
    ),
    case(
        "nn-init-kaiming-normal-unknown-nonlinearity",
        lambda env: init.kaiming_normal_(env["t"], nonlinearity="swish"),
        tg.ArgumentError,
        "calculate_gain",
        "'swish'",
        setup=tensor_env(2, 3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-lecun-uniform-1d",
        lambda: init.lecun_uniform_(tg.zeros(3)),
        tg.ShapeError,
        "lecun_uniform_",
        "(3,)",
        covers=[init.lecun_uniform_],
    ),
    case(
        "nn-init-lecun-normal-int-tensor",
        lambda env: init.lecun_normal_(env["t"]),
        tg.DTypeError,
        "lecun_normal_",
        covers=[init.lecun_normal_],
        setup=tensor_env(2, 2),
        state=t,
    ),
    case(
        "nn-init-trunc-normal-reversed-bounds",
        lambda env: init.trunc_normal_(env["t"], a=2.0, b=-2.0),
        tg.ArgumentError,
        "trunc_normal_",
        "a < b",
        covers=[init.trunc_normal_],
        setup=tensor_env(4, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-trunc-normal-zero-std",
        lambda env: init.trunc_normal_(env["t"], std=0.0),
        tg.ArgumentError,
        "trunc_normal_",
        "std=0.0",
        setup=tensor_env(4, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-trunc-normal-far-bounds",
        lambda env: init.trunc_normal_(env["t"], a=50.0, b=60.0),
        tg.ArgumentError,
        "trunc_normal_",
        "move the bounds",
        setup=tensor_env(4, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-orthogonal-1d",
        lambda env: init.orthogonal_(env["t"]),
        tg.ShapeError,
        "orthogonal_",
        "(4,)",
        covers=[init.orthogonal_],
        setup=tensor_env(4, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-orthogonal-int-tensor",
        lambda env: init.orthogonal_(env["t"]),
        tg.DTypeError,
        "orthogonal_",
        "int64",
        setup=tensor_env(2, 2),
        state=t,
    ),
    case(
        "nn-init-sparse-both-forms",
        lambda env: init.sparse_(env["t"], 0.5, k=1),
        tg.ArgumentError,
        "sparse_",
        "exactly one",
        covers=[init.sparse_],
        setup=tensor_env(2, 3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-sparse-k-above-fan-in",
        lambda env: init.sparse_(env["t"], k=4),
        tg.ArgumentError,
        "sparse_",
        "[0, 3]",
        setup=tensor_env(2, 3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-sparse-sparsity-above-one",
        lambda env: init.sparse_(env["t"], 1.5),
        tg.ArgumentError,
        "sparse_",
        "sparsity=1.5",
        setup=tensor_env(2, 3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-eye-3d",
        lambda env: init.eye_(env["t"]),
        tg.ShapeError,
        "eye_",
        "(2, 2, 2)",
        covers=[init.eye_],
        setup=tensor_env(2, 2, 2, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-constant-fraction-into-int",
        lambda env: init.constant_(env["t"], 0.5),
        tg.DTypeError,
        "constant_",
        "0.5",
        "int64",
        covers=[init.constant_],
        setup=tensor_env(3),
        state=t,
    ),
    case(
        "nn-init-constant-string-value",
        lambda env: init.constant_(env["t"], "1"),
        tg.ArgumentTypeError,
        "constant_",
        "'1'",
        setup=tensor_env(3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-zeros-list",
        lambda: init.zeros_([1.0, 2.0]),
        tg.ArgumentTypeError,
        "zeros_",
        "list",
        covers=[init.zeros_],
    ),
    case(
        "nn-init-ones-array",
        lambda: init.ones_(np.zeros(2)),
        tg.ArgumentTypeError,
        "ones_",
        "ndarray",
        covers=[init.ones_],
    ),
    case(
        "nn-init-relu-bias-zero",
        lambda env: init.relu_bias_(env["t"], 0.0),
        tg.ArgumentError,
        "relu_bias_",
        "value=0.0",
        covers=[init.relu_bias_],
        setup=tensor_env(3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-bias-uniform-negative-fan-in",
        lambda env: init.bias_uniform_(env["t"], -1),
        tg.ArgumentError,
        "bias_uniform_",
        "fan_in=-1",
        covers=[init.bias_uniform_],
        setup=tensor_env(3, dtype=np.float32),
        state=t,
    ),
    case(
        "nn-init-calculate-gain-unknown",
        lambda: init.calculate_gain("swish"),
        tg.ArgumentError,
        "calculate_gain",
        "'swish'",
        covers=[init.calculate_gain],
    ),
    case(
        "nn-init-calculate-gain-string-slope",
        lambda: init.calculate_gain("leaky_relu", "0.2"),
        tg.ArgumentTypeError,
        "calculate_gain",
        "'0.2'",
    ),
    case(
        "nn-init-calculate-gain-not-a-name",
        lambda: init.calculate_gain(None),
        tg.ArgumentTypeError,
        "calculate_gain",
        "None",
    ),
    # ------------------------------------------------------------------ regularization
    case(
        "nn-entropy-regularization-negative-weight",
        lambda: R.entropy_regularization(x(2, 3), -1.0),
        tg.HyperparameterError,
        "entropy_regularization",
        "weight",
        covers=[R.entropy_regularization],
    ),
    case(
        "nn-entropy-regularization-list-logits",
        lambda: R.entropy_regularization([[0.0, 1.0]], 0.1),
        tg.ArgumentTypeError,
        "entropy_regularization",
        "list",
    ),
    case(
        "nn-entropy-list-logits",
        lambda: R.entropy([[0.0, 1.0]]),
        tg.ArgumentTypeError,
        "entropy",
        "list",
        covers=[R.entropy],
    ),
    case("nn-entropy-axis-out-of-range", lambda: R.entropy(x(2, 3), axis=4), tg.AxisError, "4"),
    case(
        "nn-mixup-zero-alpha",
        lambda: R.mixup(x(4, 2), labels(0, 1, 0, 1), alpha=0.0, num_classes=2),
        tg.HyperparameterError,
        "mixup",
        "alpha",
        covers=[R.mixup],
    ),
    case(
        "nn-mixup-row-mismatch",
        lambda: R.mixup(x(4, 2), labels(0, 1, 0), num_classes=2),
        tg.ShapeError,
        "mixup",
        "(4, 2)",
        "(3,)",
    ),
    case(
        "nn-mixup-int-labels-without-classes",
        lambda: R.mixup(x(2, 2), labels(0, 1)),
        tg.ShapeError,
        "mixup",
        "num_classes",
    ),
    case(
        "nn-mixup-wrong-generator",
        lambda: R.mixup(x(2, 2), x(2, 2), generator=3),
        tg.ArgumentTypeError,
        "mixup",
        "generator",
    ),
    case(
        "nn-cutout-3d-batch", lambda: R.cutout(x(2, 4, 4), 2), tg.ShapeError, "cutout", "(2, 4, 4)", covers=[R.cutout]
    ),
    case("nn-cutout-zero-size", lambda: R.cutout(x(1, 1, 4, 4), 0), tg.HyperparameterError, "cutout", "size"),
    case(
        "nn-fgsm-negative-eps",
        lambda: R.fgsm(scalar_loss, x(2, 3), labels(0, 1), eps=-0.1),
        tg.HyperparameterError,
        "fgsm",
        "eps",
        covers=[R.fgsm],
    ),
    case(
        "nn-fgsm-loss-not-callable",
        lambda: R.fgsm(None, x(2, 3), labels(0, 1), eps=0.1),
        tg.ArgumentTypeError,
        "fgsm",
        "loss_fn",
    ),
    case(
        "nn-fgsm-vector-loss",
        lambda: R.fgsm(vector_loss, x(2, 3), labels(0, 1), eps=0.1),
        tg.ShapeError,
        "fgsm",
        "scalar",
        "(2,)",
    ),
    case(
        "nn-fgsm-int-inputs",
        lambda: R.fgsm(scalar_loss, ints(2, 3), labels(0, 1), eps=0.1),
        tg.DTypeError,
        "fgsm",
        "int64",
    ),
    case(
        "nn-pgd-zero-steps",
        lambda: R.pgd(scalar_loss, x(2, 3), labels(0, 1), eps=0.1, alpha=0.01, steps=0),
        tg.HyperparameterError,
        "pgd",
        "steps",
        covers=[R.pgd],
    ),
    case(
        "nn-pgd-zero-alpha",
        lambda: R.pgd(scalar_loss, x(2, 3), labels(0, 1), eps=0.1, alpha=0.0),
        tg.HyperparameterError,
        "pgd",
        "alpha",
    ),
    case(
        "nn-pgd-loss-returns-number",
        lambda: R.pgd(lambda a, b: 1.0, x(2, 3), labels(0, 1), eps=0.1, alpha=0.01),
        tg.ArgumentTypeError,
        "pgd",
        "float",
    ),
]

# Public entry points that take no argument a user can get wrong: object -> why.
EXEMPT = {}
