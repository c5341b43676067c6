"""Bad-input cases: tools (data, train, checkpoint, analysis) and the command line. See
bad_input_table.py for what a case holds.

CLI cases call ``tinygrad_opt.cli.main`` in-process with stderr captured: a bad argument must end
with exit code 2 and exactly one stderr line that names the option, without a traceback, before
anything runs (they take milliseconds because nothing is trained).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import tempfile

import numpy as np
from bad_input_table import case

import tinygrad_opt as tg
from tinygrad_opt import analysis as A
from tinygrad_opt import cli
from tinygrad_opt import data as D
from tinygrad_opt import train as T

CASES = []


def add(*args, **kwargs):
    CASES.append(case(*args, **kwargs))


# --------------------------------------------------------------------------- helpers


def _ds(n=4):
    return D.TensorDataset(np.arange(2 * n, dtype=np.float32).reshape(n, 2), np.arange(n))


def _model(seed=0, out=2):
    tg.manual_seed(seed)
    return tg.nn.Linear(2, out)


def _loader(n=4):
    return D.DataLoader(_ds(n), batch_size=2)


def _sgd(model):
    return tg.optim.SGD(model.parameters(), lr=0.1)


def _point(*values):
    """One float64 parameter that requires grad, for the analysis functions."""
    return [tg.tensor(list(values or (1.0, 2.0)), dtype="float64", requires_grad=True)]


def _quadratic(ps):
    return (ps[0] ** 2).sum()


def _saddle(ps):
    return ps[0][0] ** 2 - ps[0][1] ** 2


def _tmpdir():
    return tempfile.mkdtemp(prefix="tg-bad-input-")


def _loader_env():
    loader = D.DataLoader(_ds(8), batch_size=2, shuffle=True, seed=3)
    next(iter(loader))  # mid-epoch: a position that a failed load must keep
    return {"loader": loader}


def _saved_env(with_scheduler=False):
    """A model + Adam trained one step, saved; a fresh model + Adam of the same shapes to restore into."""
    d = _tmpdir()
    model = _model(0)
    opt = tg.optim.Adam(model.parameters(), lr=0.01)
    model(tg.ones(3, 2)).sum().backward()
    opt.step()
    path = os.path.join(d, "last.safetensors")
    tg.save_checkpoint(path, model=model, optimizer=opt, epoch=1)
    fresh = _model(1)
    fresh_opt = tg.optim.Adam(fresh.parameters(), lr=0.01)
    env = {"dir": d, "path": path, "model": fresh, "opt": fresh_opt}
    if with_scheduler:
        env["sched"] = tg.optim.lr_scheduler.StepLR(fresh_opt, step_size=2)
    return env


def _file_bytes(env):
    with open(env["path"], "rb") as f:
        return f.read()


def _restore_state(env):
    return [env["model"], env["opt"]]


# --------------------------------------------------------------------------- data: datasets

add(
    "tensordataset-lengths-differ",
    lambda: D.TensorDataset(np.zeros((4, 2)), np.zeros(5)),
    tg.ShapeError,
    "TensorDataset",
    "(4, 2)",
    "(5,)",
    covers=[D.TensorDataset],
)
add("tensordataset-no-tensors", lambda: D.TensorDataset(), tg.ShapeError, "TensorDataset", "at least one")
add("tensordataset-none", lambda: D.TensorDataset(None), tg.ArgumentTypeError, "TensorDataset", "NoneType")
add("tensordataset-index-past-end", lambda: _ds()[4], tg.AxisError, "TensorDataset", "index 4", "-4..3")
add("tensordataset-negative-index-past-start", lambda: _ds()[-5], tg.AxisError, "TensorDataset", "-5")
add(
    "tensordataset-index-array-past-end",
    lambda: _ds()[np.array([0, 7])],
    tg.AxisError,
    "TensorDataset",
    "index 7",
)
add("tensordataset-float-index", lambda: _ds()[1.5], tg.ArgumentTypeError, "TensorDataset", "1.5")
add(
    "tensordataset-mask-wrong-length",
    lambda: _ds()[np.array([True, False])],
    tg.ShapeError,
    "TensorDataset",
    "(2,)",
)

# --------------------------------------------------------------------------- data: DataLoader

add(
    "dataloader-batch-size-zero",
    lambda: D.DataLoader(_ds(), batch_size=0),
    tg.HyperparameterError,
    "DataLoader: batch_size",
    "got 0",
    covers=[D.DataLoader],
)
add("dataloader-batch-size-float", lambda: D.DataLoader(_ds(), batch_size=2.5), tg.HyperparameterError, "2.5")
add("dataloader-batch-size-bool", lambda: D.DataLoader(_ds(), batch_size=True), tg.HyperparameterError, "True")
add("dataloader-shuffle-str", lambda: D.DataLoader(_ds(), shuffle="yes"), tg.HyperparameterError, "shuffle", "'yes'")
add("dataloader-drop-last-int", lambda: D.DataLoader(_ds(), drop_last=1), tg.HyperparameterError, "drop_last")
add("dataloader-seed-negative", lambda: D.DataLoader(_ds(), seed=-1), tg.HyperparameterError, "seed", "-1")
add(
    "dataloader-dataset-none",
    lambda: D.DataLoader(None),
    tg.ArgumentTypeError,
    "DataLoader",
    "__len__ and __getitem__",
    "TensorDataset",
)
add("dataloader-device-empty", lambda: D.DataLoader(_ds(), device=""), tg.DeviceError, "DataLoader", "''")
add(
    "dataloader-schedule-gives-zero",
    lambda: len(D.DataLoader(_ds(), batch_size=lambda epoch: 0)),
    tg.HyperparameterError,
    "batch_size schedule at epoch 0",
)
add(
    "dataloader-set-epoch-negative",
    lambda: D.DataLoader(_ds()).set_epoch(-1),
    tg.HyperparameterError,
    "DataLoader.set_epoch",
    "-1",
)
add(
    "dataloader-load-state-missing-keys",
    lambda env: env["loader"].load_state_dict({"epoch": 2}),
    tg.StateDictError,
    "DataLoader.load_state_dict",
    "batches_done",
    "seed",
    setup=_loader_env,
    state=lambda env: env["loader"],
)
add(
    "dataloader-load-state-past-epoch-end",
    lambda env: env["loader"].load_state_dict({"epoch": 0, "batches_done": 99, "seed": 3}),
    tg.StateDictError,
    "batches_done=99",
    "only 4 batches",
    setup=_loader_env,
    state=lambda env: env["loader"],
)
add(
    "dataloader-load-state-negative-seed",
    lambda env: env["loader"].load_state_dict({"epoch": 1, "batches_done": 0, "seed": -3}),
    tg.StateDictError,
    "seed",
    "-3",
    setup=_loader_env,
    state=lambda env: env["loader"],
)
add(
    "dataloader-load-state-not-a-dict",
    lambda env: env["loader"].load_state_dict(None),
    tg.ArgumentTypeError,
    "DataLoader.load_state_dict",
    setup=_loader_env,
    state=lambda env: env["loader"],
)
add(
    "growing-batch-size-factor-nan",
    lambda: D.growing_batch_size(2, factor=float("nan")),
    tg.HyperparameterError,
    "growing_batch_size",
    "factor",
    "nan",
    covers=[D.growing_batch_size],
)
add("growing-batch-size-initial-zero", lambda: D.growing_batch_size(0), tg.HyperparameterError, "initial", "0")
add(
    "growing-batch-size-maximum-below-initial",
    lambda: D.growing_batch_size(8, maximum=4),
    tg.HyperparameterError,
    "maximum=4",
    "initial=8",
)

# --------------------------------------------------------------------------- data: standardize, data sets

add(
    "standardize-no-rows",
    lambda: D.standardize(np.zeros((0, 3))),
    tg.ArgumentError,
    "standardize",
    "(0, 3)",
    covers=[D.standardize],
)
add(
    "standardize-nan-in-train",
    lambda: D.standardize(np.array([[np.nan, 1.0], [1.0, 2.0]])),
    tg.ArgumentError,
    "standardize",
    "NaN or inf",
)
add(
    "standardize-inf-in-train",
    lambda: D.standardize(np.array([[np.inf, 1.0], [1.0, 2.0]])),
    tg.ArgumentError,
    "NaN or inf",
)
add("standardize-eps-negative", lambda: D.standardize(np.ones((3, 2)), eps=-1), tg.HyperparameterError, "eps", "-1")
add("standardize-strings", lambda: D.standardize("abc"), tg.ArgumentTypeError, "standardize", "str")
add(
    "standardize-wrong-feature-count",
    lambda: D.standardize(np.ones((4, 3)))(np.zeros((2, 4))),
    tg.ShapeError,
    "Standardize",
    "(3,)",
    "(2, 4)",
    covers=[D.Standardize],
)


def _check_int_input_is_promoted(out):
    # mean 1, std 1 per feature (rows 0 and 2): (x - 1) / 1 in the statistics' float dtype, not truncated ints
    assert out.dtype == np.float64, out.dtype
    np.testing.assert_array_equal(out, np.array([[-1.0, 0.0], [1.0, 2.0]]))


add(
    "standardize-int-input-is-promoted",
    lambda: D.standardize(np.array([[0.0, 0.0], [2.0, 2.0]]))(np.array([[0, 1], [2, 3]])),
    None,
    check=_check_int_input_is_promoted,
)
add(
    "standardize-mean-std-shapes-differ",
    lambda: D.Standardize([0.0, 0.0], [1.0, 1.0, 1.0]),
    tg.ShapeError,
    "Standardize",
    "(2,)",
    "(3,)",
)
add("standardize-zero-std", lambda: D.Standardize([0.0, 0.0], [0.0, 1.0]), tg.ArgumentError, "std", "> 0")
add(
    "standardize-from-state-dict-missing",
    lambda: D.Standardize.from_state_dict({"mean": [0.0]}),
    tg.StateDictError,
    "Standardize.from_state_dict",
    "'std'",
)
add(
    "load-digits-unknown-split",
    lambda: D.load_digits("valid"),
    tg.ArgumentError,
    "load_digits",
    "'valid'",
    "'train', 'val', 'test'",
    covers=[D.load_digits],
)
add("load-digits-int-dtype", lambda: D.load_digits(dtype=np.int32), tg.DTypeError, "load_digits", "int32")
add("load-digits-unknown-device", lambda: D.load_digits(device="tpu"), tg.DeviceError, "load_digits", "'tpu'")
add(
    "load-mnist1d-unknown-split",
    lambda: D.load_mnist1d("val"),
    tg.ArgumentError,
    "load_mnist1d",
    "'val'",
    covers=[D.load_mnist1d],
)
add(
    "load-mnist1d-num-samples-zero",
    lambda: D.load_mnist1d(num_samples=0),
    tg.HyperparameterError,
    "load_mnist1d",
    "num_samples",
)


def _mnist1d_hidden():
    """load_mnist1d with the package made unimportable (whether or not it is installed here)."""
    saved = {k: sys.modules.get(k, "absent") for k in ("mnist1d", "mnist1d.data")}
    sys.modules.update({k: None for k in saved})
    try:
        return D.load_mnist1d()
    finally:
        for k, v in saved.items():
            if v == "absent":
                del sys.modules[k]
            else:
                sys.modules[k] = v


add(
    "load-mnist1d-package-missing",
    _mnist1d_hidden,
    tg.MissingDatasetPackageError,
    "load_mnist1d",
    "pip install 'tinygrad_opt[mnist1d]'",
)
add(
    "build-digits-npz-missing-directory",
    lambda: D.build_digits_npz(os.path.join(_tmpdir(), "no", "digits.npz")),
    tg.ArgumentError,
    "build_digits_npz",
    "does not exist",
    covers=[D.build_digits_npz],
)

# --------------------------------------------------------------------------- train


def _fit(**kwargs):
    model = kwargs.pop("model", None)
    model = _model() if model is None else model
    opt = kwargs.pop("optimizer", None)
    opt = _sgd(model) if opt is None else opt
    loader = kwargs.pop("loader", None)
    loader = _loader() if loader is None else loader
    return T.fit(model, opt, loader, progress=False, **kwargs)


add("fit-epochs-negative", lambda: _fit(epochs=-1), tg.HyperparameterError, "fit: epochs", "-1", covers=[T.fit])
add("fit-epochs-float", lambda: _fit(epochs=2.5), tg.ArgumentTypeError, "fit: epochs", "2.5")
add(
    "fit-model-none",
    lambda: T.fit(None, _sgd(_model()), _loader(), epochs=1),
    tg.ArgumentTypeError,
    "fit: model",
    "None",
)
add(
    "fit-optimizer-none",
    lambda: T.fit(_model(), None, _loader(), epochs=1),
    tg.ArgumentTypeError,
    "fit: optimizer",
)
add(
    "fit-loader-none",
    lambda: T.fit(_model(), _sgd(_model()), None, epochs=1),
    tg.ArgumentTypeError,
    "fit: train_loader",
)
add(
    "fit-callbacks-not-a-list",
    lambda: _fit(epochs=1, callbacks=T.EarlyStopping(monitor="train_loss")),
    tg.ArgumentTypeError,
    "fit: callbacks must be a list",
)
add("fit-callback-not-a-callback", lambda: _fit(epochs=1, callbacks=[3]), tg.ArgumentTypeError, "callbacks[0]")
add("fit-unknown-option", lambda: _fit(epochs=1, shuffle=True), tg.ArgumentTypeError, "fit", "'shuffle'")
add(
    "fit-resume-without-checkpoint-dir",
    lambda: _fit(epochs=1, resume=True),
    tg.HyperparameterError,
    "fit: resume",
    "checkpoint_dir",
)
add(
    "fit-empty-loader",
    lambda: _fit(epochs=1, loader=D.DataLoader(_ds(4), batch_size=8, drop_last=True)),
    tg.ArgumentError,
    "fit: train_loader yields no batches",
    "drop_last",
)
add(
    "trainer-evaluate-empty-loader",
    lambda: T.Trainer(_model(), _sgd(_model()), progress=False).evaluate(
        D.DataLoader(_ds(4), batch_size=8, drop_last=True)
    ),
    tg.ArgumentError,
    "Trainer.evaluate: loader yields no batches",
)
add("fit-metric-unknown", lambda: _fit(epochs=1, metric="f1"), tg.HyperparameterError, "fit: metric", "'f1'")


def _fit_env():
    model = _model()
    return {"model": model, "opt": _sgd(model)}


add(
    "fit-loss-not-scalar",
    lambda env: _fit(model=env["model"], optimizer=env["opt"], epochs=1, loss_fn=lambda out, y: out),
    tg.ClosureError,
    "fit: loss_fn(output, target)",
    "(2, 2)",
    "scalar",
    setup=_fit_env,
    state=lambda env: [env["model"], env["opt"]],
)

add(
    "fit-monitor-unknown-key-before-training",
    lambda env: _fit(model=env["model"], optimizer=env["opt"], epochs=1, monitor="train_acc"),
    tg.HyperparameterError,
    "fit: monitor",
    "'train_acc'",
    "train_accuracy",
    setup=_fit_env,
    state=lambda env: [env["model"], env["opt"]],
)


def _file_in_tmpdir():
    path = os.path.join(_tmpdir(), "not-a-dir")
    with open(path, "w") as f:
        f.write("x")
    return path


add(
    "fit-checkpoint-dir-is-a-file",
    lambda path: _fit(epochs=1, checkpoint_dir=path),
    tg.ArgumentError,
    "fit: checkpoint_dir",
    "not a file",
    setup=_file_in_tmpdir,
)
add(
    "trainer-model-none",
    lambda: T.Trainer(None, _sgd(_model())),
    tg.ArgumentTypeError,
    "Trainer: model",
    covers=[T.Trainer],
)
add(
    "trainer-evaluate-none",
    lambda: T.Trainer(_model(), _sgd(_model()), progress=False).evaluate(None),
    tg.ArgumentTypeError,
    "Trainer.evaluate",
)
add(
    "trainer-fit-epochs-zero",
    lambda: T.Trainer(_model(), _sgd(_model()), progress=False).fit(_loader(), epochs=0),
    tg.HyperparameterError,
    "Trainer.fit: epochs",
)
add(
    "early-stopping-patience-negative",
    lambda: T.EarlyStopping(patience=-1),
    tg.HyperparameterError,
    "EarlyStopping: patience",
    "-1",
    covers=[T.EarlyStopping],
)
add("early-stopping-patience-float", lambda: T.EarlyStopping(patience=1.5), tg.ArgumentTypeError, "patience", "1.5")
add("early-stopping-mode-unknown", lambda: T.EarlyStopping(mode="up"), tg.HyperparameterError, "mode", "'up'")
add(
    "early-stopping-min-delta-nan",
    lambda: T.EarlyStopping(min_delta=float("nan")),
    tg.HyperparameterError,
    "min_delta",
    "nan",
)
add(
    "early-stopping-load-state-missing-keys",
    lambda es: es.load_state_dict({"wait": 1}),
    tg.StateDictError,
    "EarlyStopping.load_state_dict",
    "'best'",
    setup=lambda: T.EarlyStopping(monitor="train_loss", patience=2),
    state=lambda es: es,
)
add(
    "lambda-callback-unknown-hook",
    lambda: T.LambdaCallback(on_step=print),
    tg.ArgumentError,
    "LambdaCallback",
    "'on_step'",
    covers=[T.LambdaCallback],
)
add("lambda-callback-not-callable", lambda: T.LambdaCallback(on_epoch_end=3), tg.ArgumentTypeError, "on_epoch_end")
add(
    "accuracy-count-shapes-differ",
    lambda: T.accuracy_count(tg.zeros(4, 3), tg.zeros(5, dtype="int64")),
    tg.ShapeError,
    "accuracy_count",
    "(5,)",
    "(4, 3)",
    covers=[T.accuracy_count],
)
add("accuracy-count-none", lambda: T.accuracy_count(None, None), tg.ArgumentTypeError, "accuracy_count")


def _check_needs_closure(flags):
    assert flags == [False, False, True, True], flags


add(
    "needs-closure-of-anything",
    lambda: [
        T.needs_closure(None),
        T.needs_closure(_sgd(_model())),
        T.needs_closure(tg.optim.LBFGS(_model().parameters())),
        T.needs_closure(tg.optim.Lookahead(tg.optim.LBFGS(_model().parameters()))),
    ],
    None,
    covers=[T.needs_closure],
    check=_check_needs_closure,
)
add(
    "plot-history-none",
    lambda: T.plot_history(None),
    tg.ArgumentTypeError,
    "plot_history",
    "NoneType",
    covers=[T.plot_history],
)
add("plot-history-empty", lambda: T.plot_history({}), tg.ArgumentError, "plot_history", "train_loss")
add(
    "plot-history-ragged",
    lambda: T.plot_history({"train_loss": [1.0, 0.5], "val_loss": [1.0]}),
    tg.ShapeError,
    "history['val_loss']",
    "1 values for 2 epochs",
)
add(
    "plot-history-missing-directory",
    lambda: T.plot_history({"train_loss": [1.0, 0.5]}, os.path.join(_tmpdir(), "no", "curves.png")),
    tg.ArgumentError,
    "plot_history",
    "does not exist",
)

# --------------------------------------------------------------------------- checkpoints

add(
    "save-checkpoint-path-none",
    lambda: tg.save_checkpoint(None, model=_model()),
    tg.ArgumentTypeError,
    "save_checkpoint",
    "NoneType",
    covers=[tg.save_checkpoint],
)
add(
    "save-checkpoint-path-is-a-directory",
    lambda d: tg.save_checkpoint(d, model=_model()),
    tg.CheckpointError,
    "save_checkpoint",
    "is a directory",
    "last.safetensors",
    setup=_tmpdir,
    state=lambda d: sorted(os.listdir(d)),
)
add(
    "save-checkpoint-missing-directory",
    lambda d: tg.save_checkpoint(os.path.join(d, "no", "x.safetensors"), model=_model()),
    tg.CheckpointError,
    "does not exist",
    setup=_tmpdir,
    state=lambda d: sorted(os.listdir(d)),
)
add(
    "save-checkpoint-model-without-state-dict",
    lambda env: tg.save_checkpoint(env["path"], model=object(), epoch=2),
    tg.ArgumentTypeError,
    "save_checkpoint: model",
    "object",
    setup=_saved_env,
    state=_file_bytes,
)
add(
    "save-checkpoint-unsavable-value-keeps-old-file",
    lambda env: tg.save_checkpoint(env["path"], model=env["model"], extra={"tags": {"a", "b"}}),
    tg.ArgumentTypeError,
    "save_checkpoint",
    "extra.tags",
    "set",
    setup=_saved_env,
    state=lambda env: [_file_bytes(env), sorted(os.listdir(env["dir"]))],
)
add(
    "save-checkpoint-rng-str",
    lambda env: tg.save_checkpoint(env["path"], model=env["model"], rng="yes"),
    tg.ArgumentTypeError,
    "rng",
    "'yes'",
    setup=_saved_env,
    state=_file_bytes,
)
add(
    "load-checkpoint-path-none",
    lambda: tg.load_checkpoint(None),
    tg.ArgumentTypeError,
    "load_checkpoint",
    covers=[tg.load_checkpoint],
)
add("load-checkpoint-directory", lambda d: tg.load_checkpoint(d), tg.CheckpointError, "is a directory", setup=_tmpdir)


def _truncated_file():
    env = _saved_env()
    data = _file_bytes(env)
    with open(env["path"], "wb") as f:
        f.write(data[: len(data) // 2])
    return env["path"]


add("load-checkpoint-truncated", tg.load_checkpoint, tg.CheckpointError, "truncated", setup=_truncated_file)


def _foreign_file():
    path = os.path.join(_tmpdir(), "junk.bin")
    with open(path, "wb") as f:
        f.write(np.random.default_rng(0).bytes(256))
    return path


add("load-checkpoint-foreign", tg.load_checkpoint, tg.CheckpointError, "not a safetensors file", setup=_foreign_file)


def _wrong_shapes_env():
    env = _saved_env()
    env["model"] = tg.nn.Linear(3, 2)
    env["opt"] = tg.optim.Adam(env["model"].parameters(), lr=0.01)
    return env


add(
    "checkpoint-restore-wrong-shapes-changes-nothing",
    lambda env: tg.load_checkpoint(env["path"]).restore(model=env["model"], optimizer=env["opt"]),
    tg.CheckpointError,
    "the weights do not fit this Linear",
    "(2, 2)",
    covers=[tg.Checkpoint],
    setup=_wrong_shapes_env,
    state=_restore_state,
)
add(
    "checkpoint-restore-other-optimizer-changes-nothing",
    lambda env: tg.load_checkpoint(env["path"]).restore(model=env["model"], optimizer=_sgd(env["model"])),
    tg.CheckpointError,
    "Adam's, not SGD's",
    setup=_saved_env,
    state=_restore_state,
)
add(
    "checkpoint-restore-missing-scheduler-changes-nothing",
    lambda env: tg.load_checkpoint(env["path"]).restore(env["model"], env["opt"], env["sched"]),
    tg.CheckpointError,
    "holds no scheduler",
    setup=lambda: _saved_env(with_scheduler=True),
    state=lambda env: [env["model"], env["opt"], env["sched"]],
)
add(
    "checkpoint-restore-not-a-module",
    lambda env: tg.load_checkpoint(env["path"]).restore(model=object(), optimizer=env["opt"]),
    tg.ArgumentTypeError,
    "Checkpoint.restore: model",
    setup=_saved_env,
    state=_restore_state,
)
add(
    "checkpoint-restore-rng-str",
    lambda env: tg.load_checkpoint(env["path"]).restore(model=env["model"], rng="yes"),
    tg.ArgumentTypeError,
    "Checkpoint.restore: rng",
    setup=_saved_env,
    state=_restore_state,
)

# --------------------------------------------------------------------------- analysis

add(
    "hessian-eigenvalues-k-zero",
    lambda: A.hessian_eigenvalues(_quadratic, _point(), k=0),
    tg.HyperparameterError,
    "hessian_eigenvalues: k",
    "0",
    covers=[A.hessian_eigenvalues],
)
add(
    "hessian-eigenvalues-k-above-n",
    lambda: A.hessian_eigenvalues(_quadratic, _point(), k=3),
    tg.ShapeError,
    "k=3",
    "k <= 2",
)
add(
    "hessian-eigenvalues-which-unknown",
    lambda: A.hessian_eigenvalues(_quadratic, _point(), which="LR"),
    tg.HyperparameterError,
    "which",
    "'LR'",
)
add(
    "hessian-eigenvalues-tol-not-below-one",
    lambda: A.hessian_eigenvalues(_quadratic, _point(), tol=2.0),
    tg.HyperparameterError,
    "tol",
    "below 1",
)
add(
    "hessian-eigenvalues-seed-negative",
    lambda: A.hessian_eigenvalues(_quadratic, _point(), seed=-1),
    tg.ArgumentError,
    "hessian_eigenvalues: seed",
    "-1",
)


def _params_env():
    return _point()


add(
    "hessian-eigenvalues-vector-loss-changes-nothing",
    lambda ps: A.hessian_eigenvalues(lambda p: p[0] * 2, ps),
    tg.ClosureError,
    "hessian_eigenvalues",
    "(2,)",
    "scalar",
    setup=_params_env,
    state=lambda ps: ps,
)
add(
    "hessian-eigenvalues-nan-loss",
    lambda: A.hessian_eigenvalues(lambda ps: _quadratic(ps) * float("nan"), _point()),
    tg.CurvatureError,
    "hessian_eigenvalues",
    "not finite",
)
add(
    "block-eigenvalues-k-above-block",
    lambda: A.block_eigenvalues(_quadratic, _point(), k=3),
    tg.ShapeError,
    "block_eigenvalues",
    "params[0]",
    covers=[A.block_eigenvalues],
)


def _check_indefinite(kappa):
    assert kappa == math.inf, kappa  # documented: no finite condition number when H is not positive definite


add(
    "condition-number-of-a-saddle-is-inf",
    lambda: A.condition_number(_saddle, _point(1.0, 1.0)),
    None,
    covers=[A.condition_number],
    check=_check_indefinite,
)
add(
    "condition-number-max-iter-zero",
    lambda: A.condition_number(_quadratic, _point(), max_iter=0),
    tg.HyperparameterError,
    "condition_number",
    "max_iter",
)
add(
    "condition-number-nan-loss",
    lambda: A.condition_number(lambda ps: _quadratic(ps) * float("nan"), _point()),
    tg.CurvatureError,
    "condition_number",
    "not finite",
)
add(
    "classify-critical-point-away-from-one",
    lambda: A.classify_critical_point(_quadratic, _point(1.0, 0.0)),
    tg.NotCriticalPointError,
    "classify_critical_point",
    "gradient norm is 2",
    "grad_tol",
    covers=[A.classify_critical_point],
)
add(
    "classify-critical-point-grad-tol-nan",
    lambda: A.classify_critical_point(_quadratic, _point(0.0, 0.0), grad_tol=float("nan")),
    tg.HyperparameterError,
    "grad_tol",
    "nan",
)
add(
    "spectral-density-grid-2d",
    lambda: A.spectral_density(_quadratic, _point(), grid=np.zeros((2, 2))),
    tg.ShapeError,
    "spectral_density",
    "(2, 2)",
    covers=[A.spectral_density],
)


def _check_density(result):
    grid, density = result
    with np.errstate(under="ignore"):
        total = np.trapezoid(density, grid)
    assert abs(total - 1.0) < 1e-9, total  # ∫ρ = 1: the far tails underflow to 0 without a warning


add(
    "spectral-density-far-tails-underflow-quietly",
    lambda: A.spectral_density(lambda ps: (ps[0] ** 2).sum() + 100 * ps[0][0] ** 2, _point(), num_probes=2, seed=0),
    None,
    check=_check_density,
)
add(
    "spectral-density-sigma-zero",
    lambda: A.spectral_density(_quadratic, _point(), sigma=0.0),
    tg.HyperparameterError,
    "sigma",
)
add(
    "hutchinson-trace-samples-zero",
    lambda: A.hutchinson_trace(_quadratic, _point(), samples=0),
    tg.HyperparameterError,
    "hutchinson_trace: samples",
    covers=[A.hutchinson_trace],
)
add(
    "hutchinson-diagonal-one-tensor",
    lambda: A.hutchinson_diagonal(_quadratic, _point()[0]),
    tg.ArgumentTypeError,
    "hutchinson_diagonal",
    "pass [x]",
    covers=[A.hutchinson_diagonal],
)
add(
    "block-trace-no-params",
    lambda: A.block_trace(lambda ps: tg.tensor(0.0), []),
    tg.ShapeError,
    "block_trace: params is empty",
    covers=[A.block_trace],
)
add(
    "hvp-operator-params-without-grad",
    lambda: A.hvp_operator(_quadratic, [tg.tensor([1.0, 2.0])]),
    tg.GraphError,
    "hvp_operator",
    "requires_grad_",
    covers=[A.hvp_operator],
)
add(
    "hvp-operator-vector-wrong-shape",
    lambda: A.hvp_operator(_quadratic, _point())([tg.zeros(3)]),
    tg.ShapeError,
    "HVPOperator",
    "(3,)",
    "(2,)",
    covers=[A.HVPOperator],
)
add(
    "hvp-operator-block-index-out-of-range",
    lambda: A.hvp_operator(_quadratic, _point()).block(5, tg.zeros(2)),
    tg.AxisError,
    "HVPOperator.block",
    "5",
)
add(
    "hvp-operator-flat-vector-wrong-size",
    lambda: A.hvp_operator(_quadratic, _point()).matvec(tg.zeros(3)),
    tg.ShapeError,
    "(2,)",
    "(3,)",
)
add(
    "taylor-prediction-eps-str",
    lambda: A.taylor_prediction(_quadratic, _point(), "a"),
    tg.ArgumentTypeError,
    "taylor_prediction",
    "eps",
    covers=[A.taylor_prediction],
)
add(
    "taylor-prediction-eps-nan",
    lambda: A.taylor_prediction(_quadratic, _point(), float("nan")),
    tg.ArgumentError,
    "eps must be finite",
)
add(
    "taylor-prediction-huge-eps-is-inf",
    lambda: A.taylor_prediction(_quadratic, _point(), 1e200),
    None,
    check=lambda out: _check_inf(out),  # f − εgᵀg + ½ε²gᵀHg with gᵀHg = 40 > 0 overflows to +inf, quietly
)
add(
    "optimal-step-loss-fn-none",
    lambda: A.optimal_step(None, _point()),
    tg.ClosureError,
    "optimal_step",
    "loss_fn",
    covers=[A.optimal_step],
)


def _check_inf(value):
    assert value == math.inf, value  # g = 0: no finite step is optimal (documented)


add("optimal-step-at-a-minimum-is-inf", lambda: A.optimal_step(_quadratic, _point(0.0, 0.0)), None, check=_check_inf)
add(
    "gradient-norm-tracker-lr-negative",
    lambda: A.GradientNormTracker(_point(), lr=-0.1),
    tg.HyperparameterError,
    "GradientNormTracker: lr",
    covers=[A.GradientNormTracker],
)


def _check_huge_lr(record):
    assert record["second_order"] == math.inf and record["gHg"] == 40.0, record  # ½ lr² gᵀHg, g = (2, 4), H = 2I


add(
    "gradient-norm-tracker-huge-lr-is-inf",
    lambda: A.GradientNormTracker(_point(), lr=1e200).step(_quadratic),
    None,
    check=_check_huge_lr,
)
add(
    "gradient-norm-tracker-params-none",
    lambda: A.GradientNormTracker(None),
    tg.ArgumentTypeError,
    "GradientNormTracker",
    "NoneType",
)

# --------------------------------------------------------------------------- command line


def _cli(*argv):
    """(exit code, stderr) of ``tinygrad-opt *argv`` run in-process."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return code, err.getvalue()


def _one_line_naming(option, *fragments):
    def check(result):
        code, err = result
        assert code == 2, (code, err)
        assert err.count("\n") == 1 and err.endswith("\n"), err
        assert f"{option}: " in err and "Traceback" not in err, err
        for fragment in fragments:
            assert fragment in err, (fragment, err)

    return check


def _cli_case(id, argv, option, *fragments, setup=None):
    if setup is None:
        add(f"cli-{id}", lambda: _cli(*argv), None, check=_one_line_naming(option, *fragments))
    else:
        add(
            f"cli-{id}",
            lambda env: _cli(*[a.format(**env) for a in argv]),
            None,
            setup=setup,
            check=_one_line_naming(option, *fragments),
        )


_cli_case("device-empty", ["train", "--device", ""], "--device", "unknown device ''")
_cli_case("device-blank", ["train", "--device", " "], "--device", "unknown device ' '")
_cli_case("device-unknown", ["train", "--device", "tpu"], "--device", "'tpu'", "'cpu', 'cuda'")
_cli_case("tour-device-empty", ["tour", "--device", ""], "--device", "unknown device ''")
_cli_case("epochs-negative", ["train", "--epochs", "-1"], "--epochs", "integer >= 1")
_cli_case("epochs-zero", ["train", "--epochs", "0"], "--epochs", "'0'")
_cli_case("epochs-float", ["train", "--epochs", "1.5"], "--epochs", "'1.5'")
_cli_case("batch-size-zero", ["train", "--batch-size", "0"], "--batch-size", "integer >= 1")
_cli_case("lr-nan", ["train", "--lr", "nan"], "--lr", "finite number > 0")
_cli_case("lr-negative", ["train", "--lr", "-0.1"], "--lr", "'-0.1'")
_cli_case("lr-inf", ["train", "--lr", "inf"], "--lr", "finite")
_cli_case("seed-negative", ["train", "--seed", "-1"], "--seed", "integer >= 0")
_cli_case("optimizer-unknown", ["train", "--optimizer", "foo"], "--optimizer", "unknown optimizer 'foo'", "adam")
_cli_case("schedule-unknown", ["train", "--schedule", "zzz"], "--schedule", "unknown schedule 'zzz'")
_cli_case("model-unknown", ["train", "--model", "rnn"], "--model", "unknown model 'rnn'")
_cli_case("data-unknown", ["train", "--data", "cifar"], "--data", "unknown data set 'cifar'")
_cli_case("resume-without-checkpoint-dir", ["train", "--resume"], "--resume", "needs --checkpoint-dir")
_cli_case("checkpoint-dir-empty", ["train", "--checkpoint-dir", ""], "--checkpoint-dir", "empty")
_cli_case(
    "checkpoint-dir-is-a-file",
    ["train", "--checkpoint-dir", "{path}"],
    "--checkpoint-dir",
    "is a file",
    setup=lambda: {"path": _file_in_tmpdir()},
)
_cli_case("plot-not-png", ["train", "--plot", "curves.jpg"], "--plot", ".png")
_cli_case("plot-empty", ["train", "--plot", ""], "--plot", ".png")
_cli_case(
    "plot-unwritable-place",
    ["train", "--plot", "{path}/curves.png"],
    "--plot",
    "is a file, not a directory",
    setup=lambda: {"path": _file_in_tmpdir()},
)
_cli_case(
    "plot-missing-directory",
    ["train", "--plot", "{dir}/no/curves.png"],
    "--plot",
    "does not exist",
    setup=lambda: {"dir": _tmpdir()},
)
_cli_case("cnn-on-mnist1d", ["train", "--model", "cnn", "--data", "mnist1d"], "--model", "8×8 digits")


# Public entry points that take no argument a user can get wrong: object -> why.
EXEMPT = {
    D.Dataset: "abstract base class: it takes no arguments; subclasses define __len__ and __getitem__",
    T.Callback: "base class whose hooks do nothing; it takes no arguments (subclasses add their own checks)",
    A.TraceEstimate: "a NamedTuple of results (estimate, stderr, samples) that the trace functions return",
}
