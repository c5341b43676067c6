"""Bad-input cases: core (Tensor construction, factories, Tensor methods and properties, conv/pool,
function transforms, pytrees, devices and seeds). See bad_input_table.py for what a case holds.
Where PyTorch answers with a value (the mean of no elements is NaN, sigmoid of an int tensor is a
float tensor, softmax of a 0-d tensor is 1), the case checks that value instead of an error."""

from __future__ import annotations

import math

import numpy as np
from bad_input_table import case

import tinygrad_opt as tg

T = tg.Tensor


def f64(*shape):
    """A float64 tensor of 0.1, 0.2, ... (deterministic values, exact expectations)."""
    n = math.prod(shape)
    return tg.tensor(np.arange(1, n + 1, dtype=np.float64).reshape(shape) / 10)


def ints(*values):
    return tg.tensor(np.array(values, dtype=np.int64))


def img(*shape):
    return tg.ones(*shape, dtype="float64")


def is_nan(out):
    assert out.shape == () and math.isnan(out.item()), out


def _grad_of(f, data):
    """The gradient of the scalar f(x) at ``data`` (backward through f, NumPy warnings still errors)."""
    x = tg.tensor(data, requires_grad=True)
    f(x).backward()
    return x.grad


def values(expected, dtype=None):
    """check: the result holds exactly ``expected`` (NaN matching NaN) and, given, that dtype."""

    def check(out):
        got = out.numpy()
        want = np.asarray(expected, dtype=got.dtype)
        assert got.shape == want.shape, (got.shape, want.shape)
        assert np.array_equal(got, want, equal_nan=True), (got, want)
        if dtype is not None:
            assert out.dtype == np.dtype(dtype), out.dtype

    return check


def float_values(fn):
    """check for an int input [0, 1, 2] promoted to the default float: fn applied in float32."""
    return values(fn(np.array([0.0, 1.0, 2.0], dtype=np.float32)), np.float32)


def sigmoid_012(out):
    """sigmoid of int [0, 1, 2] is float32 1/(1+e^-x) (PyTorch: torch.sigmoid(int tensor) is float)."""
    assert out.dtype == np.float32, out.dtype
    np.testing.assert_allclose(out.numpy(), 1 / (1 + np.exp(-np.array([0.0, 1.0, 2.0]))), rtol=1e-6)
    assert out.numpy()[0] == 0.5


def clear_grad(env):
    env["w"].grad = None
    return env["w"]


def grad_is_none(w):
    assert w.grad is None


def leaf_only(out):
    """A bare leaf flattens to [leaf] and a structure that rebuilds it."""
    leaves, treedef = out
    assert leaves == [3] and tg.tree_unflatten(treedef, leaves) == 3


def param_env():
    return {"w": tg.tensor([1.0, 2.0, 3.0], requires_grad=True)}


def param_with_grad_env():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (w * w).sum().backward()
    return {"w": w}


def int_env():
    return {"t": ints(1, 2, 3)}


def float_env():
    return {"t": tg.tensor([1.0, 2.0, 3.0])}


def the(name):
    return lambda env: env[name]


def set_attr(name, attr, value):
    return lambda env: setattr(env[name], attr, value() if callable(value) else value)


# --------------------------------------------------------------------------- the copy bug and sharing


def copy_then_mutate():
    """The issue's sequence: a tensor made from b must not alias b's memory with a fresh version."""
    a = tg.tensor([0.5, 1.0, 2.0], dtype="float64", requires_grad=True)
    b = a.exp()
    c = tg.tensor(b)
    c.mul_(2)
    b.sum().backward()
    return a


def check_copy_bug(a):
    assert np.array_equal(a.grad.numpy(), np.exp(a.numpy())), a.grad


def tensor_ctor_then_mutate():
    a = tg.tensor([0.5, 1.0, 2.0], dtype="float64", requires_grad=True)
    b = a.exp()
    T(b).mul_(2)
    b.sum().backward()
    return a


def ndarray_copy():
    src = np.array([1.0, 2.0], dtype=np.float32)
    t = tg.tensor(src)
    t.add_(1.0)
    return src


def as_tensor_shares_version():
    """as_tensor(t) shares t's memory and version counter: changing it behind autograd's back is caught."""
    a = tg.tensor([0.5, 1.0], dtype="float64", requires_grad=True)
    b = a.exp()
    with tg.no_grad():
        tg.as_tensor(b).mul_(2)
    b.sum().backward()


def shared_tensor_shares_version():
    """Tensor(t, copy=False) (what nn.Parameter(t) uses) shares t's version counter as well."""
    a = tg.tensor([0.5, 1.0], dtype="float64", requires_grad=True)
    b = a.exp()
    with tg.no_grad():
        T(b, copy=False).mul_(2)
    b.sum().backward()


# --------------------------------------------------------------------------- transforms' helpers


def square_sum(x):
    return (x * x).sum()


def max_grad_with_nan():
    """max over [nan, 1]: PyTorch's value NaN, and a backward pass without a 0/0 warning."""
    x = tg.tensor([np.nan, 1.0], dtype="float64", requires_grad=True)
    m = x.max()
    m.backward()
    return m, x


def nan_max_and_grad(out):
    m, x = out
    assert math.isnan(m.item()) and x.grad.shape == (2,) and x.grad.dtype == np.float64


def vjp_no_tuple():
    return tg.vjp(lambda x: x * 2, tg.tensor([1.0, 2.0]), has_aux=True)


CASES = [
    # ---- construction: copies, sharing, bad data
    case("core-tensor-copies-a-tensor", copy_then_mutate, None, covers=[tg.tensor], check=check_copy_bug),
    case("core-Tensor-copies-a-tensor", tensor_ctor_then_mutate, None, covers=[tg.Tensor], check=check_copy_bug),
    case("core-tensor-copies-an-ndarray", ndarray_copy, None, check=lambda src: values([1.0, 2.0])(tg.tensor(src))),
    case(
        "core-as-tensor-shares-the-version-counter",
        as_tensor_shares_version,
        tg.InplaceError,
        "modified in place",
        covers=[tg.as_tensor],
    ),
    case(
        "core-Tensor-no-copy-shares-the-version-counter",
        shared_tensor_shares_version,
        tg.InplaceError,
        "modified in place",
    ),
    case("core-tensor-string", lambda: tg.tensor("abc"), tg.ArgumentTypeError, "tensor", "'abc'"),
    case("core-tensor-none", lambda: tg.tensor(None), tg.ArgumentTypeError, "tensor", "None"),
    case("core-tensor-objects", lambda: tg.tensor([object()]), tg.ArgumentTypeError, "tensor", "object"),
    case("core-tensor-int-beyond-int64", lambda: tg.tensor([2**70]), tg.ArgumentError, "tensor", "int64"),
    case("core-tensor-ragged", lambda: tg.tensor([[1, 2], [3]]), tg.ShapeError, "tensor", "unequal lengths"),
    case("core-tensor-bad-dtype", lambda: tg.tensor([1.0], dtype="float33"), tg.DTypeError, "tensor", "float33"),
    case("core-tensor-str-dtype", lambda: tg.tensor([1.0], dtype=str), tg.DTypeError, "tensor", "no numbers"),
    case(
        "core-tensor-requires-grad-int", lambda: tg.tensor([1, 2], requires_grad=True), tg.DTypeError, "tensor", "int64"
    ),
    case("core-tensor-bad-device", lambda: tg.tensor([1.0], device="tpu"), tg.DeviceError, "'tpu'"),
    case("core-Tensor-string", lambda: T("abc"), tg.ArgumentTypeError, "Tensor", "'abc'"),
    case("core-as-tensor-string", lambda: tg.as_tensor("abc"), tg.ArgumentTypeError, "as_tensor", "'abc'"),
    case(
        "core-from-numpy-list",
        lambda: tg.from_numpy([1.0]),
        tg.ArgumentTypeError,
        "from_numpy",
        "list",
        covers=[tg.from_numpy],
    ),
    case(
        "core-from-numpy-object-array",
        lambda: tg.from_numpy(np.array(["a"], dtype=object)),
        tg.DTypeError,
        "from_numpy",
        "object",
    ),
    # ---- factories
    case("core-zeros-negative", lambda: tg.zeros(-1), tg.ArgumentError, "zeros", "-1", covers=[tg.zeros]),
    case("core-zeros-float-size", lambda: tg.zeros(2.5), tg.ArgumentTypeError, "zeros", "2.5"),
    case("core-ones-negative", lambda: tg.ones(2, -3), tg.ArgumentError, "ones", "-3", covers=[tg.ones]),
    case("core-ones-bad-dtype", lambda: tg.ones(2, dtype="floaty"), tg.DTypeError, "ones", "floaty"),
    case(
        "core-ones-int-requires-grad",
        lambda: tg.ones(2, dtype="int64", requires_grad=True),
        tg.DTypeError,
        "ones",
        "int64",
    ),
    case("core-full-negative", lambda: tg.full((2, -1), 1.0), tg.ArgumentError, "full", "-1", covers=[tg.full]),
    case("core-full-string-value", lambda: tg.full((2,), "x"), tg.ArgumentTypeError, "full", "fill_value"),
    case("core-arange-zero-step", lambda: tg.arange(0, 10, 0), tg.ArgumentError, "arange", "step", covers=[tg.arange]),
    case("core-arange-wrong-direction", lambda: tg.arange(0, 10, -1), tg.ArgumentError, "arange", "-1"),
    case("core-arange-string", lambda: tg.arange("10"), tg.ArgumentTypeError, "arange", "'10'"),
    case("core-arange-inf", lambda: tg.arange(0, math.inf), tg.ArgumentError, "arange", "finite"),
    case(
        "core-linspace-negative-num",
        lambda: tg.linspace(0, 1, -2),
        tg.ArgumentError,
        "linspace",
        "-2",
        covers=[tg.linspace],
    ),
    case("core-linspace-float-num", lambda: tg.linspace(0, 1, 2.5), tg.ArgumentTypeError, "linspace", "2.5"),
    case("core-eye-negative", lambda: tg.eye(-2), tg.ArgumentError, "eye", "-2", covers=[tg.eye]),
    case("core-eye-float", lambda: tg.eye(2, 1.5), tg.ArgumentTypeError, "eye", "1.5"),
    case("core-randn-float-size", lambda: tg.randn(2.5), tg.ArgumentTypeError, "randn", "2.5", covers=[tg.randn]),
    case("core-randn-negative", lambda: tg.randn(-1), tg.ArgumentError, "randn", "-1"),
    case("core-randn-int-dtype", lambda: tg.randn(2, dtype="int64"), tg.DTypeError, "randn", "int64"),
    case("core-rand-negative", lambda: tg.rand(3, -1), tg.ArgumentError, "rand", "-1", covers=[tg.rand]),
    case("core-rand-bad-generator", lambda: tg.rand(2, generator=0), tg.ArgumentTypeError, "rand", "generator"),
    case(
        "core-randint-empty-range",
        lambda: tg.randint(5, 5, (2,)),
        tg.ArgumentError,
        "randint",
        "5",
        covers=[tg.randint],
    ),
    case("core-randint-float-bound", lambda: tg.randint(0, 2.5, (2,)), tg.ArgumentTypeError, "randint", "2.5"),
    case("core-randint-negative-size", lambda: tg.randint(0, 5, (-2,)), tg.ArgumentError, "randint", "-2"),
    case(
        "core-zeros-like-list",
        lambda: tg.zeros_like([1.0]),
        tg.ArgumentTypeError,
        "zeros_like",
        "list",
        covers=[tg.zeros_like],
    ),
    case(
        "core-ones-like-int-requires-grad",
        lambda: tg.ones_like(ints(1, 2), requires_grad=True),
        tg.DTypeError,
        "ones",
        "int64",
        covers=[tg.ones_like],
    ),
    case("core-rand-like-int", lambda: tg.rand_like(ints(1, 2)), tg.DTypeError, "rand", "int64", covers=[tg.rand_like]),
    case(
        "core-randn-like-array",
        lambda: tg.randn_like(np.ones(2)),
        tg.ArgumentTypeError,
        "randn_like",
        "ndarray",
        covers=[tg.randn_like],
    ),
    case(
        "core-full-like-string",
        lambda: tg.full_like(f64(2), "x"),
        tg.ArgumentTypeError,
        "full",
        "fill_value",
        covers=[tg.full_like],
    ),
    # ---- defaults, seeds, devices
    case(
        "core-set-default-dtype-int",
        lambda: tg.set_default_dtype("int64"),
        tg.DTypeError,
        "set_default_dtype",
        "int64",
        covers=[tg.set_default_dtype],
    ),
    case(
        "core-set-default-dtype-unknown",
        lambda: tg.set_default_dtype("float33"),
        tg.DTypeError,
        "set_default_dtype",
        "float33",
    ),
    case(
        "core-set-default-device-tpu",
        lambda: tg.set_default_device("tpu"),
        tg.DeviceError,
        "set_default_device",
        "'tpu'",
        covers=[tg.set_default_device],
    ),
    case(
        "core-manual-seed-negative",
        lambda: tg.manual_seed(-1),
        tg.ArgumentError,
        "manual_seed",
        "-1",
        covers=[tg.manual_seed],
    ),
    case("core-manual-seed-string", lambda: tg.manual_seed("7"), tg.ArgumentTypeError, "manual_seed", "'7'"),
    case(
        "core-generator-float-seed",
        lambda: tg.Generator(1.5),
        tg.ArgumentTypeError,
        "Generator",
        "1.5",
        covers=[tg.Generator],
    ),
    case("core-generator-bad-device", lambda: tg.Generator(0, device="tpu"), tg.DeviceError, "Generator", "'tpu'"),
    case(
        "core-generator-set-state-junk",
        lambda: tg.Generator(0).set_state([1, 2]),
        tg.ArgumentTypeError,
        "Generator.set_state",
        "list",
    ),
    case(
        "core-set-grad-enabled-string",
        lambda: tg.set_grad_enabled("no"),
        tg.ArgumentTypeError,
        "set_grad_enabled",
        "'no'",
        covers=[tg.set_grad_enabled],
    ),
    case(
        "core-detect-anomaly-none",
        lambda: tg.detect_anomaly(None),
        tg.ArgumentTypeError,
        "detect_anomaly",
        "None",
        covers=[tg.detect_anomaly],
    ),
    # ---- .grad and requires_grad assignment (state unchanged)
    case(
        "core-grad-assign-wrong-shape",
        set_attr("w", "grad", lambda: tg.ones(5)),
        tg.ShapeError,
        "Tensor.grad",
        "(5,)",
        "(3,)",
        covers=[T.grad],
        setup=param_with_grad_env,
        state=the("w"),
    ),
    case(
        "core-grad-assign-wrong-dtype",
        set_attr("w", "grad", lambda: tg.ones(3, dtype="float64")),
        tg.DTypeError,
        "Tensor.grad",
        "float64",
        setup=param_with_grad_env,
        state=the("w"),
    ),
    case(
        "core-grad-assign-array",
        set_attr("w", "grad", lambda: np.ones(3, np.float32)),
        tg.ArgumentTypeError,
        "Tensor.grad",
        "ndarray",
        setup=param_env,
        state=the("w"),
    ),
    case("core-grad-assign-none-is-allowed", clear_grad, None, setup=param_with_grad_env, check=grad_is_none),
    case(
        "core-requires-grad-attribute-on-int",
        set_attr("t", "requires_grad", True),
        tg.DTypeError,
        "requires_grad",
        "int64",
        covers=[T.requires_grad],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-requires-grad-attribute-string",
        set_attr("t", "requires_grad", "yes"),
        tg.ArgumentTypeError,
        "requires_grad",
        "'yes'",
        setup=float_env,
        state=the("t"),
    ),
    case(
        "core-requires-grad-false-on-non-leaf",
        lambda: tg.tensor([1.0], requires_grad=True).exp().requires_grad_(False),
        tg.GraphError,
        "requires_grad_",
        "detach",
        covers=[T.requires_grad_],
    ),
    case(
        "core-retain-grad-without-grad",
        lambda: f64(2).retain_grad(),
        tg.GraphError,
        "retain_grad",
        "does not require grad",
        covers=[T.retain_grad],
    ),
    # ---- in-place ops whose result does not fit (data and version unchanged)
    case(
        "core-int-add-float-inplace",
        lambda env: env["t"].add_(0.5),
        tg.DTypeError,
        "add_",
        "int64",
        covers=[T.add_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-int-sub-float-inplace",
        lambda env: env["t"].sub_(0.5),
        tg.DTypeError,
        "add_",
        "int64",
        covers=[T.sub_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-int-mul-float-inplace",
        lambda env: env["t"].mul_(1.5),
        tg.DTypeError,
        "mul_",
        "int64",
        covers=[T.mul_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-int-div-inplace",
        lambda env: env["t"].div_(2),
        tg.DTypeError,
        "div_",
        "int64",
        covers=[T.div_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-int-addcmul-float-inplace",
        lambda env: env["t"].addcmul_(ints(1, 1, 1), ints(1, 1, 1), value=0.5),
        tg.DTypeError,
        "addcmul_",
        "int64",
        covers=[T.addcmul_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-int-addcdiv-inplace",
        lambda env: env["t"].addcdiv_(ints(1, 1, 1), ints(2, 2, 2)),
        tg.DTypeError,
        "addcdiv_",
        "int64",
        covers=[T.addcdiv_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-int-lerp-inplace",
        lambda env: env["t"].lerp_(ints(2, 2, 2), 0.5),
        tg.DTypeError,
        "lerp_",
        "int64",
        covers=[T.lerp_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-int-clamp-float-inplace",
        lambda env: env["t"].clamp_(0.5, None),
        tg.DTypeError,
        "clamp_",
        "int64",
        covers=[T.clamp_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-add-inplace-broadcast-up",
        lambda env: env["t"].add_(tg.ones(2, 3)),
        tg.ShapeError,
        "add_",
        "(3,)",
        setup=float_env,
        state=the("t"),
    ),
    case(
        "core-copy-inplace-wrong-shape",
        lambda env: env["t"].copy_(tg.ones(4)),
        tg.ShapeError,
        "copy_",
        "(4,)",
        covers=[T.copy_],
        setup=float_env,
        state=the("t"),
    ),
    case(
        "core-fill-inplace-string",
        lambda env: env["t"].fill_("x"),
        tg.ArgumentTypeError,
        "fill_",
        "'x'",
        covers=[T.fill_],
        setup=float_env,
        state=the("t"),
    ),
    case(
        "core-uniform-inplace-int",
        lambda env: env["t"].uniform_(),
        tg.DTypeError,
        "uniform_",
        "int64",
        covers=[T.uniform_],
        setup=int_env,
        state=the("t"),
    ),
    case(
        "core-uniform-inplace-low-above-high",
        lambda env: env["t"].uniform_(2.0, 1.0),
        tg.ArgumentError,
        "uniform_",
        "2.0",
        setup=float_env,
        state=the("t"),
    ),
    case(
        "core-normal-inplace-negative-std",
        lambda env: env["t"].normal_(0.0, -1.0),
        tg.ArgumentError,
        "normal_",
        "-1.0",
        covers=[T.normal_],
        setup=float_env,
        state=the("t"),
    ),
    case(
        "core-setitem-out-of-range",
        lambda env: env["t"].__setitem__(5, 1.0),
        tg.AxisError,
        "__setitem__",
        "5",
        setup=float_env,
        state=the("t"),
    ),
    # ---- float-only ops on integers: PyTorch's answer
    case("core-sigmoid-int-promotes", lambda: ints(0, 1, 2).sigmoid(), None, covers=[T.sigmoid], check=sigmoid_012),
    case("core-exp-int-promotes", lambda: ints(0, 1, 2).exp(), None, covers=[T.exp], check=float_values(np.exp)),
    case(
        "core-log-int-promotes",
        lambda: ints(1, 2, 3).log(),
        None,
        covers=[T.log],
        check=values(np.log(np.array([1.0, 2.0, 3.0], np.float32)), np.float32),
    ),
    case(
        "core-log1p-int-promotes", lambda: ints(0, 1, 2).log1p(), None, covers=[T.log1p], check=float_values(np.log1p)
    ),
    case(
        "core-expm1-int-promotes", lambda: ints(0, 1, 2).expm1(), None, covers=[T.expm1], check=float_values(np.expm1)
    ),
    case("core-sqrt-int-promotes", lambda: ints(0, 1, 2).sqrt(), None, covers=[T.sqrt], check=float_values(np.sqrt)),
    case(
        "core-rsqrt-int-promotes",
        lambda: ints(1, 4).rsqrt(),
        None,
        covers=[T.rsqrt],
        check=values([1.0, 0.5], np.float32),
    ),
    case("core-sin-int-promotes", lambda: ints(0, 1, 2).sin(), None, covers=[T.sin], check=float_values(np.sin)),
    case("core-cos-int-promotes", lambda: ints(0, 1, 2).cos(), None, covers=[T.cos], check=float_values(np.cos)),
    case("core-tanh-int-promotes", lambda: ints(0, 1, 2).tanh(), None, covers=[T.tanh], check=float_values(np.tanh)),
    case("core-erf-int-promotes", lambda: ints(0).erf(), None, covers=[T.erf], check=values([0.0], np.float32)),
    case(
        "core-logsumexp-int-promotes",
        lambda: ints(0, 0).logsumexp(),
        None,
        covers=[T.logsumexp],
        check=values(np.float32(np.log(2.0)), np.float32),
    ),
    case("core-silu-int", lambda: ints(1, 2).silu(), tg.DTypeError, "silu", "int64", covers=[T.silu]),
    case("core-gelu-int", lambda: ints(1, 2).gelu(), tg.DTypeError, "gelu", "int64", covers=[T.gelu]),
    case("core-softplus-int", lambda: ints(1, 2).softplus(), tg.DTypeError, "softplus", "int64", covers=[T.softplus]),
    case("core-elu-int", lambda: ints(1, 2).elu(), tg.DTypeError, "elu", "int64", covers=[T.elu]),
    case(
        "core-leaky-relu-int",
        lambda: ints(1, 2).leaky_relu(),
        tg.DTypeError,
        "leaky_relu",
        "int64",
        covers=[T.leaky_relu],
    ),
    case("core-softmax-int", lambda: ints(1, 2).softmax(), tg.DTypeError, "softmax", "int64", covers=[T.softmax]),
    case(
        "core-log-softmax-int",
        lambda: ints(1, 2).log_softmax(),
        tg.DTypeError,
        "log_softmax",
        "int64",
        covers=[T.log_softmax],
    ),
    case("core-mean-int", lambda: ints(1, 2).mean(), tg.DTypeError, "mean", "int64", covers=[T.mean]),
    case("core-var-int", lambda: ints(1, 2).var(), tg.DTypeError, "var", "int64", covers=[T.var]),
    case("core-std-int", lambda: ints(1, 2).std(), tg.DTypeError, "std", "int64", covers=[T.std]),
    case("core-norm-int", lambda: ints(3, 4).norm(), tg.DTypeError, "norm", "int64", covers=[T.norm]),
    case("core-dropout-int", lambda: ints(1, 2).dropout(0.5), tg.DTypeError, "dropout", "int64", covers=[T.dropout]),
    # ---- empty reductions, 0-d softmax, NaN/inf inputs without warnings
    case("core-mean-empty-is-nan", lambda: tg.zeros(0).mean(), None, check=is_nan),
    case("core-mean-empty-axis-is-nan", lambda: tg.zeros(2, 0).mean(axis=1), None, check=values([np.nan, np.nan])),
    case("core-var-one-element-is-nan", lambda: f64(1).var(), None, check=is_nan),
    case("core-sum-empty-is-zero", lambda: tg.zeros(0).sum(), None, covers=[T.sum], check=values(0.0)),
    case("core-max-empty", lambda: tg.zeros(0).max(), tg.ArgumentError, "max", "empty", covers=[T.max]),
    case(
        "core-min-empty-names-min",
        lambda: tg.zeros(2, 0).min(axis=1),
        tg.ArgumentError,
        "min",
        "(2, 0)",
        covers=[T.min],
    ),
    case("core-min-over-non-empty-dim-of-empty", lambda: tg.zeros(0, 3).min(axis=1), None, check=values([])),
    case("core-argmax-empty", lambda: tg.zeros(0).argmax(), tg.ArgumentError, "argmax", "empty", covers=[T.argmax]),
    case(
        "core-argmin-empty-dim",
        lambda: tg.zeros(3, 0).argmin(axis=1),
        tg.ArgumentError,
        "argmin",
        "(3, 0)",
        covers=[T.argmin],
    ),
    case("core-logsumexp-empty", lambda: tg.zeros(0).logsumexp(), tg.ArgumentError, "logsumexp", "empty"),
    case("core-softmax-0d", lambda: tg.tensor(3.0).softmax(0), None, check=values(1.0)),
    case("core-softmax-0d-dim-minus-one", lambda: tg.tensor(3.0).softmax(-1), None, check=values(1.0)),
    case("core-log-softmax-0d", lambda: tg.tensor(3.0).log_softmax(-1), None, check=values(0.0)),
    case("core-log-of-zero-and-negative", lambda: tg.tensor([0.0, -1.0]).log(), None, check=values([-np.inf, np.nan])),
    case("core-sqrt-of-negative", lambda: tg.tensor([-1.0, 4.0]).sqrt(), None, check=values([np.nan, 2.0])),
    case("core-exp-overflow", lambda: tg.tensor([1000.0]).exp(), None, check=values([np.inf])),
    case("core-divide-by-zero", lambda: tg.tensor([1.0, 0.0]) / 0.0, None, check=values([np.inf, np.nan])),
    case("core-softmax-with-inf", lambda: tg.tensor([np.inf, 1.0]).softmax(), None, check=values([np.nan, np.nan])),
    case(
        "core-nan-cast-to-int",
        lambda: tg.tensor([np.nan]).astype("int64"),
        None,
        check=lambda out: values(out.numpy(), np.int64)(out),
    ),
    case("core-pow-of-zero-negative-exponent", lambda: tg.tensor([0.0]) ** -1.0, None, check=values([np.inf])),
    case("core-sin-of-inf", lambda: tg.tensor([np.inf]).sin(), None, check=values([np.nan])),
    case("core-inf-minus-inf", lambda: tg.tensor([np.inf]) - tg.tensor([np.inf]), None, check=values([np.nan])),
    case("core-inf-plus-minus-inf", lambda: tg.tensor([np.inf]) + tg.tensor([-np.inf]), None, check=values([np.nan])),
    case("core-zero-times-inf", lambda: tg.tensor([0.0]) * tg.tensor([np.inf]), None, check=values([np.nan])),
    case(
        "core-var-backward-with-inf",
        lambda: _grad_of(lambda x: x.var(), [np.inf, 1.0, 2.0]),
        None,
        check=values([np.nan, np.nan, np.nan]),
    ),
    # ---- axes out of range
    case(
        "core-unsqueeze-out-of-range",
        lambda: tg.ones(2, 3).unsqueeze(5),
        tg.AxisError,
        "unsqueeze",
        "5",
        "-3..2",
        covers=[T.unsqueeze],
    ),
    case("core-unsqueeze-float", lambda: tg.ones(2).unsqueeze(0.5), tg.ArgumentTypeError, "unsqueeze", "0.5"),
    case("core-sum-axis-out-of-range", lambda: tg.ones(2, 3).sum(axis=2), tg.AxisError, "sum", "2"),
    case("core-sum-axis-float", lambda: tg.ones(2, 3).sum(axis=1.0), tg.ArgumentTypeError, "sum", "1.0"),
    case("core-prod-axis-out-of-range", lambda: f64(2).prod(axis=3), tg.AxisError, "prod", "3", covers=[T.prod]),
    case("core-any-axis-out-of-range", lambda: tg.ones(2).any(axis=1), tg.AxisError, "any", "1", covers=[T.any]),
    case("core-all-axis-out-of-range", lambda: tg.ones(2).all(axis=-2), tg.AxisError, "all", "-2", covers=[T.all]),
    case(
        "core-transpose-out-of-range",
        lambda: tg.ones(2, 3).transpose(0, 2),
        tg.AxisError,
        "transpose",
        "2",
        covers=[T.transpose],
    ),
    case(
        "core-flatten-out-of-range",
        lambda: tg.ones(2, 3).flatten(0, 4),
        tg.AxisError,
        "flatten",
        "4",
        covers=[T.flatten],
    ),
    case("core-flatten-reversed", lambda: tg.ones(2, 3, 4).flatten(2, 1), tg.ArgumentError, "flatten", "start_dim"),
    case(
        "core-squeeze-out-of-range", lambda: tg.ones(2, 1).squeeze(3), tg.AxisError, "squeeze", "3", covers=[T.squeeze]
    ),
    case("core-flip-out-of-range", lambda: tg.ones(2).flip(1), tg.AxisError, "flip", "1", covers=[T.flip]),
    case("core-size-out-of-range", lambda: tg.ones(2, 3).size(2), tg.AxisError, "size", "2", covers=[T.size]),
    case("core-getitem-out-of-range", lambda: tg.ones(3)[5], tg.AxisError, "__getitem__", "5"),
    case(
        "core-take-along-axis-out-of-range",
        lambda: f64(2, 3).take_along_axis(ints(0, 1).reshape(2, 1), 2),
        tg.AxisError,
        "take_along_axis",
        "2",
        covers=[T.take_along_axis],
    ),
    case(
        "core-gather-float-index",
        lambda: f64(2, 3).gather(1, tg.zeros(2, 1)),
        tg.DTypeError,
        "gather",
        "float32",
        covers=[T.gather],
    ),
    case(
        "core-scatter-add-out-of-range",
        lambda: f64(3).scatter_add(1, ints(0), f64(1)),
        tg.AxisError,
        "scatter_add",
        "1",
        covers=[T.scatter_add],
    ),
    case(
        "core-cat-axis-out-of-range",
        lambda: tg.cat([tg.ones(2), tg.ones(2)], axis=1),
        tg.AxisError,
        "concatenate",
        "1",
        covers=[tg.cat],
    ),
    case(
        "core-stack-axis-out-of-range",
        lambda: tg.stack([tg.ones(2), tg.ones(2)], axis=3),
        tg.AxisError,
        "stack",
        "3",
        covers=[tg.stack],
    ),
    # ---- sizes and counts
    case("core-chunk-zero", lambda: tg.ones(4).chunk(0), tg.ArgumentError, "chunk", "0", covers=[T.chunk]),
    case("core-chunk-float", lambda: tg.ones(4).chunk(2.0), tg.ArgumentTypeError, "chunk", "2.0"),
    case("core-split-zero", lambda: tg.ones(4).split(0), tg.ArgumentError, "split", "0", covers=[T.split]),
    case("core-split-negative-section", lambda: tg.ones(4).split([5, -1]), tg.ArgumentError, "split", "-1"),
    case(
        "core-repeat-interleave-negative",
        lambda: tg.ones(2).repeat_interleave(-1),
        tg.ArgumentError,
        "repeat_interleave",
        "-1",
        covers=[T.repeat_interleave],
    ),
    case(
        "core-repeat-interleave-float",
        lambda: tg.ones(2).repeat_interleave(1.5),
        tg.ArgumentTypeError,
        "repeat_interleave",
        "1.5",
    ),
    case("core-repeat-negative", lambda: tg.ones(2).repeat(-1), tg.ArgumentError, "repeat", "-1", covers=[T.repeat]),
    case(
        "core-reshape-float",
        lambda: tg.ones(4).reshape(2.0, 2),
        tg.ArgumentTypeError,
        "reshape",
        "2.0",
        covers=[T.reshape],
    ),
    case("core-reshape-wrong-count", lambda: tg.ones(4).reshape(3, 2), tg.ShapeError, "reshape", "(3, 2)"),
    case(
        "core-permute-repeated",
        lambda: tg.ones(2, 3).permute(0, 0),
        tg.ShapeError,
        "permute",
        "(0, 0)",
        covers=[T.permute],
    ),
    case(
        "core-expand-incompatible",
        lambda: tg.ones(2, 3).expand(4, 3),
        tg.ShapeError,
        "expand",
        "(4, 3)",
        covers=[T.expand],
    ),
    case("core-pad-not-pairs", lambda: tg.ones(2).pad(3), tg.ArgumentTypeError, "pad", "3", covers=[T.pad]),
    case("core-pad-negative", lambda: tg.ones(2).pad(((-1, 0),)), tg.ShapeError, "pad", "non-negative"),
    case("core-sum-to-larger", lambda: tg.ones(3).sum_to((2, 3)), tg.ShapeError, "sum_to", "(2, 3)", covers=[T.sum_to]),
    case(
        "core-new-zeros-negative",
        lambda: tg.ones(2).new_zeros((-1,)),
        tg.ArgumentError,
        "new_zeros",
        "-1",
        covers=[T.new_zeros],
    ),
    case(
        "core-new-ones-float",
        lambda: tg.ones(2).new_ones(2.5),
        tg.ArgumentTypeError,
        "new_ones",
        "2.5",
        covers=[T.new_ones],
    ),
    case(
        "core-new-full-string",
        lambda: tg.ones(2).new_full((2,), "x"),
        tg.ArgumentTypeError,
        "new_full",
        "value",
        covers=[T.new_full],
    ),
    case("core-item-of-many", lambda: tg.ones(3).item(), tg.ShapeError, "item", "(3,)", covers=[T.item]),
    case("core-var-negative-correction", lambda: f64(3).var(correction=-1), tg.ArgumentError, "var", "-1"),
    # ---- where, clip, maximum, matmul and friends
    case(
        "core-where-float-condition",
        lambda: tg.where(tg.tensor([0.5, 0.0]), 1.0, tg.zeros(2)),
        tg.DTypeError,
        "where",
        "float32",
        covers=[tg.where],
    ),
    case(
        "core-where-method-int-condition",
        lambda: f64(2).where(ints(1, 0), 0.0),
        tg.DTypeError,
        "where",
        "int64",
        covers=[T.where],
    ),
    case("core-where-no-tensor", lambda: tg.where(np.array([True]), 1.0, 2.0), tg.ArgumentTypeError, "where", "float"),
    case(
        "core-where-bool-condition-works",
        lambda: tg.where(tg.tensor([True, False]), f64(2), 0.0),
        None,
        check=values([0.1, 0.0]),
    ),
    case(
        "core-maximum-no-tensor",
        lambda: tg.maximum(1.0, 2.0),
        tg.ArgumentTypeError,
        "maximum",
        "float",
        covers=[tg.maximum],
    ),
    case(
        "core-minimum-no-tensor",
        lambda: tg.minimum([1.0], 2.0),
        tg.ArgumentTypeError,
        "minimum",
        "list",
        covers=[tg.minimum],
    ),
    case(
        "core-maximum-method-shapes",
        lambda: f64(2).maximum(f64(3)),
        tg.ShapeError,
        "Maximum",
        "(3,)",
        covers=[T.maximum],
    ),
    case("core-minimum-method-string", lambda: f64(2).minimum("x"), tg.ArgumentTypeError, "'x'", covers=[T.minimum]),
    case("core-clip-string-bound", lambda: f64(2).clip("x"), tg.ArgumentTypeError, "'x'", covers=[T.clip]),
    case(
        "core-matmul-misaligned",
        lambda: f64(2, 3).matmul(f64(2, 3)),
        tg.ShapeError,
        "matmul",
        "(2, 3)",
        covers=[T.matmul],
    ),
    case("core-dot-dtypes", lambda: f64(3).dot(tg.ones(3)), tg.DTypeError, "matmul", "float32", covers=[T.dot]),
    case(
        "core-addmm-1d", lambda: tg.addmm(f64(2), f64(3), f64(3, 2)), tg.ShapeError, "addmm", "(3,)", covers=[tg.addmm]
    ),
    case(
        "core-addmm-method-misaligned",
        lambda: f64(2).addmm(f64(2, 3), f64(2, 2)),
        tg.ShapeError,
        "(2, 3)",
        covers=[T.addmm],
    ),
    case(
        "core-einsum-operand-count",
        lambda: tg.einsum("ij,jk->ik", f64(2, 2)),
        tg.ArgumentError,
        "einsum",
        "2 operands",
        covers=[tg.einsum],
    ),
    case("core-einsum-non-tensor", lambda: tg.einsum("i->i", [1.0]), tg.ArgumentTypeError, "einsum", "list"),
    case("core-einsum-spec-not-string", lambda: tg.einsum(f64(2), f64(2)), tg.ArgumentTypeError, "einsum", "subscript"),
    case(
        "core-one-hot-out-of-range",
        lambda: tg.one_hot(ints(0, 3), 3),
        tg.ArgumentError,
        "one_hot",
        "[0, 3)",
        covers=[tg.one_hot],
    ),
    case("core-one-hot-zero-classes", lambda: tg.one_hot(ints(0), 0), tg.ArgumentError, "one_hot", "0"),
    case("core-one-hot-float-indices", lambda: tg.one_hot(f64(2), 3), tg.DTypeError, "one_hot", "float64"),
    case(
        "core-one-hot-empty-infer",
        lambda: tg.one_hot(tg.tensor(np.zeros(0, np.int64))),
        tg.ArgumentError,
        "one_hot",
        "-1",
    ),
    case("core-cat-empty-list", lambda: tg.cat([]), tg.ArgumentError, "concatenate", "at least one"),
    case("core-cat-non-tensor", lambda: tg.cat([tg.ones(2), [1.0]]), tg.ArgumentTypeError, "concatenate", "list"),
    case("core-cat-0d", lambda: tg.cat([tg.tensor(1.0), tg.tensor(2.0)]), tg.ShapeError, "concatenate", "0-d"),
    case("core-stack-empty", lambda: tg.stack([]), tg.ArgumentError, "stack", "at least one"),
    case("core-stack-a-tensor", lambda: tg.stack(tg.ones(2)), tg.ArgumentTypeError, "stack", "Tensor"),
    case("core-gelu-bad-approximate", lambda: f64(2).gelu("fast"), tg.ArgumentError, "gelu", "'fast'"),
    case("core-dropout-p-above-one", lambda: f64(2).dropout(1.5), tg.ArgumentError, "dropout", "1.5"),
    case("core-norm-string-p", lambda: f64(2).norm("fro"), tg.ArgumentTypeError, "norm", "'fro'"),
    case(
        "core-astype-unknown", lambda: f64(2).astype("float33"), tg.DTypeError, "astype", "float33", covers=[T.astype]
    ),
    case("core-to-unknown-device", lambda: f64(2).to("tpu"), tg.DeviceError, "to", "'tpu'", covers=[T.to]),
    case("core-to-unknown-dtype", lambda: f64(2).to(dtype="float33"), tg.DTypeError, "to", "float33"),
    case("core-cuda-negative-index", lambda: f64(2).cuda(-1), tg.DeviceError, "cuda:-1", covers=[T.cuda]),
    case(
        "core-backward-non-scalar",
        lambda: tg.tensor([1.0, 2.0], requires_grad=True).exp().backward(),
        tg.GraphError,
        "backward",
        "(2,)",
        covers=[T.backward],
    ),
    case(
        "core-backward-wrong-grad-shape",
        lambda: tg.tensor([1.0, 2.0], requires_grad=True).exp().backward(tg.ones(3)),
        tg.ShapeError,
        "(3,)",
        "(2,)",
    ),
    # ---- conv, pooling, unfold
    case(
        "core-conv2d-stride-zero",
        lambda: tg.conv2d(img(1, 1, 4, 4), img(1, 1, 2, 2), stride=0),
        tg.ArgumentError,
        "conv2d",
        "stride",
        covers=[tg.conv2d],
    ),
    case(
        "core-conv2d-float-padding",
        lambda: tg.conv2d(img(1, 1, 4, 4), img(1, 1, 2, 2), padding=0.5),
        tg.ArgumentTypeError,
        "conv2d",
        "padding",
    ),
    case(
        "core-conv2d-negative-padding",
        lambda: tg.conv2d(img(1, 1, 4, 4), img(1, 1, 2, 2), padding=-1),
        tg.ArgumentError,
        "conv2d",
        "padding",
    ),
    case(
        "core-conv2d-dilation-zero",
        lambda: tg.conv2d(img(1, 1, 4, 4), img(1, 1, 2, 2), dilation=0),
        tg.ArgumentError,
        "conv2d",
        "dilation",
    ),
    case(
        "core-conv2d-groups-zero",
        lambda: tg.conv2d(img(1, 2, 4, 4), img(2, 1, 2, 2), groups=0),
        tg.ArgumentError,
        "conv2d",
        "groups",
    ),
    case(
        "core-conv2d-ints-names-conv2d",
        lambda: tg.conv2d(tg.ones(1, 1, 3, 3, dtype="int64"), tg.ones(1, 1, 2, 2, dtype="int64")),
        tg.DTypeError,
        "conv2d",
        "int64",
    ),
    case(
        "core-conv2d-mixed-dtypes",
        lambda: tg.conv2d(img(1, 1, 3, 3), tg.ones(1, 1, 2, 2)),
        tg.DTypeError,
        "conv2d",
        "float32",
    ),
    case("core-conv2d-weight-rank", lambda: tg.conv2d(img(1, 1, 3, 3), img(1, 2, 2)), tg.ShapeError, "conv2d", "4-D"),
    case(
        "core-conv2d-input-array",
        lambda: tg.conv2d(np.ones((1, 1, 3, 3)), img(1, 1, 2, 2)),
        tg.ArgumentTypeError,
        "conv2d",
        "ndarray",
    ),
    case(
        "core-conv1d-kernel-larger",
        lambda: tg.conv1d(img(1, 1, 2), img(1, 1, 3)),
        tg.ShapeError,
        "conv1d",
        "larger",
        covers=[tg.conv1d],
    ),
    case(
        "core-conv1d-bias-shape", lambda: tg.conv1d(img(1, 2, 4), img(3, 2, 2), img(2)), tg.ShapeError, "conv1d", "(3,)"
    ),
    case(
        "core-tensor-conv2d-stride-zero",
        lambda: img(1, 1, 4, 4).conv2d(img(1, 1, 2, 2), stride=0),
        tg.ArgumentError,
        "conv2d",
        "stride",
        covers=[T.conv2d],
    ),
    case(
        "core-tensor-conv1d-ints",
        lambda: tg.ones(1, 1, 4, dtype="int64").conv1d(tg.ones(1, 1, 2, dtype="int64")),
        tg.DTypeError,
        "conv1d",
        "int64",
        covers=[T.conv1d],
    ),
    case(
        "core-max-pool2d-kernel-zero",
        lambda: tg.max_pool2d(img(1, 1, 4, 4), 0),
        tg.ArgumentError,
        "max_pool2d",
        "kernel_size",
        covers=[tg.max_pool2d],
    ),
    case(
        "core-max-pool2d-stride-zero",
        lambda: tg.max_pool2d(img(1, 1, 4, 4), 2, stride=0),
        tg.ArgumentError,
        "max_pool2d",
        "stride",
    ),
    case(
        "core-max-pool2d-float-kernel",
        lambda: tg.max_pool2d(img(1, 1, 4, 4), 1.5),
        tg.ArgumentTypeError,
        "max_pool2d",
        "1.5",
    ),
    case(
        "core-max-pool1d-rank",
        lambda: tg.max_pool1d(img(4, 4), 2),
        tg.ShapeError,
        "max_pool1d",
        "3-D",
        covers=[tg.max_pool1d],
    ),
    case(
        "core-max-pool1d-kernel-larger", lambda: tg.max_pool1d(img(1, 1, 2), 3), tg.ShapeError, "max_pool1d", "larger"
    ),
    case(
        "core-avg-pool2d-ints",
        lambda: tg.avg_pool2d(tg.ones(1, 1, 4, 4, dtype="int64"), 2),
        tg.DTypeError,
        "avg_pool2d",
        "int64",
        covers=[tg.avg_pool2d],
    ),
    case(
        "core-avg-pool2d-big-padding",
        lambda: tg.avg_pool2d(img(1, 1, 4, 4), 2, padding=2),
        tg.ArgumentError,
        "avg_pool2d",
        "padding",
    ),
    case(
        "core-avg-pool1d-stride-zero",
        lambda: tg.avg_pool1d(img(1, 1, 4), 2, stride=0),
        tg.ArgumentError,
        "avg_pool1d",
        "stride",
        covers=[tg.avg_pool1d],
    ),
    case(
        "core-tensor-max-pool2d-kernel-zero",
        lambda: img(1, 1, 4, 4).max_pool2d(0),
        tg.ArgumentError,
        "max_pool2d",
        "kernel_size",
        covers=[T.max_pool2d],
    ),
    case(
        "core-tensor-avg-pool2d-stride-zero",
        lambda: img(1, 1, 4, 4).avg_pool2d(2, 0),
        tg.ArgumentError,
        "avg_pool2d",
        "stride",
        covers=[T.avg_pool2d],
    ),
    case(
        "core-unfold-kernel-zero",
        lambda: tg.unfold(img(1, 1, 4, 4), 0),
        tg.ArgumentError,
        "unfold",
        "kernel_size",
        covers=[tg.unfold],
    ),
    case("core-unfold-rank", lambda: tg.unfold(img(4, 4), 2), tg.ShapeError, "unfold", "(4, 4)"),
    # ---- transforms: wrong structures
    case("core-vjp-has-aux-without-pair", vjp_no_tuple, tg.ArgumentTypeError, "vjp", "has_aux", covers=[tg.vjp]),
    case(
        "core-vjp-non-tensor-output",
        lambda: tg.vjp(lambda x: 3.0, tg.tensor([1.0])),
        tg.ArgumentTypeError,
        "vjp",
        "float",
    ),
    case(
        "core-vjp-fn-wrong-shape",
        lambda: tg.vjp(lambda x: x * 2, tg.tensor([1.0, 2.0]))[1](tg.ones(3)),
        tg.ShapeError,
        "vjp_fn",
        "(3,)",
    ),
    case(
        "core-value-and-grad-has-aux-without-pair",
        lambda: tg.value_and_grad(square_sum, has_aux=True)(f64(2)),
        tg.ArgumentTypeError,
        "value_and_grad",
        "has_aux",
        covers=[tg.value_and_grad],
    ),
    case(
        "core-value-and-grad-non-scalar",
        lambda: tg.value_and_grad(lambda x: x * 2)(f64(2)),
        tg.ShapeError,
        "value_and_grad",
        "(2,)",
    ),
    case(
        "core-value-and-grad-returns-float",
        lambda: tg.value_and_grad(lambda x: 1.0)(f64(2)),
        tg.ArgumentTypeError,
        "value_and_grad",
        "float",
    ),
    case(
        "core-grad-argnums-out-of-range",
        lambda: tg.grad(square_sum, argnums=2)(f64(2)),
        tg.ArgumentError,
        "grad",
        "argnums",
        covers=[tg.grad],
    ),
    case(
        "core-grad-argnums-float", lambda: tg.grad(square_sum, argnums=0.5)(f64(2)), tg.ArgumentTypeError, "grad", "0.5"
    ),
    case("core-grad-not-callable", lambda: tg.grad(3), tg.ArgumentTypeError, "grad", "callable"),
    case("core-grad-of-int-input", lambda: tg.grad(square_sum)(ints(1, 2)), tg.DTypeError, "int64"),
    case("core-grad-string-input", lambda: tg.grad(square_sum)("ab"), tg.ArgumentTypeError, "grad", "'ab'"),
    case(
        "core-jvp-has-aux-without-pair",
        lambda: tg.jvp(lambda x: x * 2, (f64(2),), (f64(2),), has_aux=True),
        tg.ArgumentTypeError,
        "jvp",
        "has_aux",
        covers=[tg.jvp],
    ),
    case(
        "core-jvp-non-tensor-output",
        lambda: tg.jvp(lambda x: None, (f64(2),), (f64(2),)),
        tg.ArgumentTypeError,
        "jvp",
        "NoneType",
    ),
    case("core-jvp-tangent-shape", lambda: tg.jvp(square_sum, (f64(3),), (f64(1),)), tg.ShapeError, "jvp", "(1,)"),
    case(
        "core-linearize-non-tensor-output",
        lambda: tg.linearize(lambda x: [x, x], f64(2)),
        tg.ArgumentTypeError,
        "linearize",
        "list",
        covers=[tg.linearize],
    ),
    case(
        "core-linearize-tangent-count",
        lambda: tg.linearize(lambda x: x * 2, f64(2))[1](f64(2), f64(2)),
        tg.ShapeError,
        "linearize",
        "got 2",
    ),
    case(
        "core-hvp-bad-mode",
        lambda: tg.hvp(square_sum, f64(2), f64(2), mode="fwd-fwd"),
        tg.ArgumentError,
        "hvp",
        "'fwd-fwd'",
        covers=[tg.hvp],
    ),
    case("core-hvp-tangent-shape", lambda: tg.hvp(square_sum, (f64(2),), (f64(3),)), tg.ShapeError, "hvp", "(3,)"),
    case(
        "core-jacobian-bad-mode",
        lambda: tg.jacobian(square_sum, mode="both"),
        tg.ArgumentError,
        "jacobian",
        "'both'",
        covers=[tg.jacobian],
    ),
    case(
        "core-jacobian-returns-none",
        lambda: tg.jacobian(lambda x: None)(f64(2)),
        tg.ArgumentTypeError,
        "jacobian",
        "NoneType",
    ),
    case(
        "core-jacobian-fwd-returns-float",
        lambda: tg.jacobian(lambda x: 2.0, mode="fwd")(f64(2)),
        tg.ArgumentTypeError,
        "jacobian",
        "float",
    ),
    case(
        "core-hessian-tuple-argnums",
        lambda: tg.hessian(square_sum, argnums=(0, 1)),
        tg.ArgumentTypeError,
        "hessian",
        "(0, 1)",
        covers=[tg.hessian],
    ),
    # ---- pytrees
    case(
        "core-tree-map-not-callable",
        lambda: tg.tree_map(3, [f64(2)]),
        tg.ArgumentTypeError,
        "tree_map",
        "callable",
        covers=[tg.tree_map],
    ),
    case(
        "core-tree-map-structures-differ",
        lambda: tg.tree_map(lambda a, b: a, [1, 2], [1]),
        tg.ArgumentError,
        "tree_map",
        "structure",
    ),
    case(
        "core-tree-unflatten-leaf-count",
        lambda: tg.tree_unflatten(tg.tree_flatten([1, 2])[1], [1]),
        tg.ArgumentError,
        "tree_unflatten",
        "2 leaves",
        covers=[tg.tree_unflatten],
    ),
    case(
        "core-tree-unflatten-junk-def",
        lambda: tg.tree_unflatten("x", [1]),
        tg.ArgumentTypeError,
        "tree_unflatten",
        "'x'",
    ),
    case("core-tree-flatten-leaf", lambda: tg.tree_flatten(3), None, covers=[tg.tree_flatten], check=leaf_only),
    case("core-compare-with-string", lambda: tg.ones(2) < "a", tg.ArgumentTypeError, "comparison", "str"),
    case("core-bitwise-and-of-floats", lambda: tg.ones(2) & tg.ones(2), tg.DTypeError, "__and__", "float32"),
    case("core-invert-float", lambda: ~tg.ones(2), tg.DTypeError, "__invert__", "float32"),
    case("core-sigmoid-extremes", lambda: tg.tensor([1000.0, -1000.0]).sigmoid(), None, check=values([1.0, 0.0])),
    case("core-max-backward-with-nan", max_grad_with_nan, None, check=nan_max_and_grad),
    case("core-len-of-0d", lambda: len(tg.tensor(1.0)), tg.ArgumentTypeError, "len", "0-d"),
    case("core-bool-of-many", lambda: bool(tg.ones(2)), tg.ShapeError, "bool", "ambiguous"),
]

# Public entry points that take no argument a user can get wrong: object -> why.
_NO_ARGUMENT = "takes no argument; works on any tensor (no input a user can get wrong)"
EXEMPT = {
    T.shape: "read-only attribute, takes no argument",
    T.ndim: "read-only attribute, takes no argument",
    T.dtype: "read-only attribute, takes no argument",
    T.device: "read-only attribute, takes no argument",
    T.xp: "read-only attribute (the array module), takes no argument",
    T.is_leaf: "read-only attribute, takes no argument",
    T.T: "read-only attribute (reversed axes; any rank, as PyTorch's .T on 0-d/1-d)",
    T.mT: "read-only attribute over the last two dims; fewer dims raise the transpose AxisError",
    T.data: "the raw backing array, an unchecked escape hatch like PyTorch's .data (documented)",
    T.numel: _NO_ARGUMENT,
    T.dim: _NO_ARGUMENT,
    T.numpy: _NO_ARGUMENT,
    T.tolist: _NO_ARGUMENT,
    T.detach: _NO_ARGUMENT,
    T.detach_: _NO_ARGUMENT,
    T.clone: _NO_ARGUMENT,
    T.zero_grad: _NO_ARGUMENT,
    T.zero_: _NO_ARGUMENT,
    T.cpu: _NO_ARGUMENT,
    T.float: _NO_ARGUMENT,
    T.double: _NO_ARGUMENT,
    T.long: _NO_ARGUMENT,
    T.contiguous: _NO_ARGUMENT,
    T.isfinite: _NO_ARGUMENT,
    T.isnan: _NO_ARGUMENT,
    T.sign: _NO_ARGUMENT,
    T.abs: _NO_ARGUMENT,
    T.relu: _NO_ARGUMENT,
    T.tangent: "a lookup by forward-mode level: an unknown level returns None, as documented",
    tg.get_default_device: _NO_ARGUMENT,
    tg.get_default_dtype: _NO_ARGUMENT,
    tg.is_grad_enabled: _NO_ARGUMENT,
    tg.no_grad: "context manager/decorator without arguments",
    tg.enable_grad: "context manager/decorator without arguments",
    tg.cuda_available: _NO_ARGUMENT,
}
