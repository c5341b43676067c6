"""fit / Trainer (SPEC §8): the loop learns, history, early stopping, checkpoints, bit-exact resume,
closure optimizers, argument errors. Device-generic: ``--device cuda`` runs it on the (fake) GPU."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.data import DataLoader, TensorDataset, load_digits
from tinygrad_opt.errors import ArgumentTypeError, ClosureError, HyperparameterError
from tinygrad_opt.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from tinygrad_opt.train import BEST, LAST, Callback, EarlyStopping, Trainer, fit, needs_closure, plot_history


def mlp():
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def loaders(n_train=600, batch_size=32, seed=0):
    x, y = load_digits("train")
    xv, yv = load_digits("val")
    train = DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=batch_size, shuffle=True, seed=seed)
    return train, DataLoader(TensorDataset(xv, yv), batch_size=180)


def params(model):
    return {k: np.array(v.numpy(), copy=True) for k, v in model.state_dict().items()}


def test_mlp_learns_digits_and_history(device):
    # measured: val accuracy 0.73, 0.78, 0.89, 0.91, 0.88 after epochs 1..5 (seed 0, Adam 1e-2, 600 images)
    tg.manual_seed(0)
    model = mlp()
    train, val = loaders()
    history = fit(model, tg.optim.Adam(model.parameters(), lr=0.01), train, epochs=5, val_loader=val, progress=False)
    assert set(history) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 5 for v in history.values())
    assert history["epoch"] == [1, 2, 3, 4, 5]
    assert history["lr"] == [0.01] * 5
    assert max(history["val_accuracy"]) >= 0.85
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]


def test_trainer_keeps_best_state(device):
    tg.manual_seed(1)
    model = mlp()
    train, val = loaders()
    trainer = Trainer(model, tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), progress=False)
    history = trainer.fit(train, epochs=3, val_loader=val)
    best = int(np.argmax(history["val_accuracy"]))
    assert trainer.best_epoch == best + 1 and trainer.best_metric == history["val_accuracy"][best]
    assert set(trainer.best_state) == set(model.state_dict())


def test_log_one_line_per_epoch(device):
    lines = []
    model = mlp()
    train, _ = loaders(n_train=64)
    fit(model, tg.optim.SGD(model.parameters(), lr=0.1), train, epochs=3, progress=False, log=lines.append)
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3") and "train_loss" in lines[0]


class FakeValLoss(Callback):
    """Overwrites the monitored value with a scripted sequence (runs before EarlyStopping)."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, trainer, epoch, logs):
        logs["val_loss"] = self.values[epoch - 1]


def test_early_stopping_after_patience_restores_best(device):
    tg.manual_seed(2)
    model = mlp()
    train, val = loaders(n_train=128)
    snapshots = []
    snap = Callback()
    snap.on_epoch_end = lambda trainer, epoch, logs: snapshots.append(params(trainer.model))
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best=True)
    values = [1.0, 0.5, 0.6, 0.7, 0.4, 0.3]  # best at epoch 2, no improvement in epochs 3 and 4
    history = fit(
        model,
        tg.optim.SGD(model.parameters(), lr=0.05),
        train,
        epochs=6,
        val_loader=val,
        callbacks=[FakeValLoss(values), snap, stop],
        progress=False,
    )
    assert len(history["train_loss"]) == 4
    assert stop.stopped_epoch == 4 and stop.best_epoch == 2 and stop.best == 0.5
    for k, v in params(model).items():
        np.testing.assert_array_equal(v, snapshots[1][k])


def test_early_stopping_bad_arguments():
    with pytest.raises(HyperparameterError, match="EarlyStopping: patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(HyperparameterError, match="EarlyStopping: mode"):
        EarlyStopping(mode="up")


def test_resume_restores_loader_seed_and_callback_state(tmp_path, device):
    """SGD + momentum, StepLR, an OS-drawn loader seed and EarlyStopping's counters all come back."""

    def build(seed=None):
        tg.manual_seed(3)
        model = mlp()
        opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        sched = StepLR(opt, step_size=1, gamma=0.7)
        train, val = loaders(n_train=256, seed=seed)
        return model, opt, sched, train, val, EarlyStopping(monitor="val_loss", patience=10)

    model, opt, sched, train, val, stop = build()
    first_seed = train.seed
    fit(
        model,
        opt,
        train,
        epochs=2,
        val_loader=val,
        scheduler=sched,
        callbacks=[stop],
        progress=False,
        checkpoint_dir=tmp_path / "r",
    )
    model, opt, sched, train, val, stop = build()  # another OS seed; the checkpoint's must win
    resumed = fit(
        model,
        opt,
        train,
        epochs=4,
        val_loader=val,
        scheduler=sched,
        callbacks=[stop],
        progress=False,
        checkpoint_dir=tmp_path / "r",
        resume=True,
    )
    assert train.seed == first_seed
    resumed_params, resumed_stop = params(model), stop.state_dict()

    model, opt, sched, train, val, stop = build(seed=first_seed)
    straight = fit(model, opt, train, epochs=4, val_loader=val, scheduler=sched, callbacks=[stop], progress=False)
    assert resumed == straight
    np.testing.assert_allclose(straight["lr"], [0.1, 0.07, 0.049, 0.0343], rtol=1e-12)
    for k, v in params(model).items():
        np.testing.assert_array_equal(resumed_params[k], v)
    assert resumed_stop["best_epoch"] == stop.best_epoch and resumed_stop["wait"] == stop.wait


def test_resume_equals_uninterrupted_bit_for_bit(tmp_path, device):
    def build():
        tg.manual_seed(4)
        model = mlp()
        opt = tg.optim.Adam(model.parameters(), lr=0.01)
        sched = StepLR(opt, step_size=1, gamma=0.5)
        train, val = loaders(n_train=256, seed=7)
        return model, opt, sched, train, val

    def run(epochs, directory, resume=False):
        model, opt, sched, train, val = build()  # each run "a new process": fresh objects at their initial state
        history = fit(
            model,
            opt,
            train,
            epochs=epochs,
            val_loader=val,
            scheduler=sched,
            progress=False,
            checkpoint_dir=tmp_path / directory,
            resume=resume,
        )
        return history, params(model), sched

    straight, expected, _ = run(4, "straight")
    run(2, "r")
    resumed, got, sched = run(4, "r", resume=True)
    assert resumed == straight
    for k, v in got.items():
        np.testing.assert_array_equal(v, expected[k])
    assert sched.get_last_lr() == [0.01 * 0.5**4]


def test_resume_without_checkpoint_starts_fresh(tmp_path, device):
    model = mlp()
    train, _ = loaders(n_train=64)
    history = fit(
        model,
        tg.optim.SGD(model.parameters(), lr=0.1),
        train,
        epochs=1,
        progress=False,
        checkpoint_dir=tmp_path,
        resume=True,
    )
    assert history["epoch"] == [1]


def test_checkpoint_files(tmp_path, device):
    tg.manual_seed(5)
    model = mlp()
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    sched = ReduceLROnPlateau(opt, patience=0)
    train, val = loaders(n_train=128)
    history = fit(
        model,
        opt,
        train,
        epochs=2,
        val_loader=val,
        scheduler=sched,
        checkpoint_dir=tmp_path,
        progress=False,
        monitor="val_loss",
    )
    assert (tmp_path / LAST).exists() and (tmp_path / BEST).exists()
    last = tg.load_checkpoint(tmp_path / LAST)
    assert last.epoch == 2 and last.history == history and last.scheduler_class == "ReduceLROnPlateau"
    assert last.optimizer_class == "SGD" and last.rng is not None
    assert last.extra["loader"]["epoch"] == 2
    best = tg.load_checkpoint(tmp_path / BEST)
    assert best.best_metric == min(history["val_loss"])
    assert best.extra["monitor"] == "val_loss"
    for k, v in params(model).items():
        np.testing.assert_array_equal(last.model_state[k], v)


def test_lbfgs_closure_path(device):
    tg.manual_seed(6)
    model = mlp()
    opt = tg.optim.LBFGS(model.parameters(), lr=1, max_iter=5, line_search_fn="strong_wolfe")
    assert needs_closure(opt) and not needs_closure(tg.optim.SGD(model.parameters(), lr=0.1))
    x, y = load_digits("train")
    train = DataLoader(TensorDataset(x[:300], y[:300]), batch_size=300)
    history = fit(model, opt, train, epochs=4, progress=False)
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]


def test_regularizer_is_added_to_training_loss(device):
    tg.manual_seed(7)
    model = mlp()
    train, _ = loaders(n_train=64, batch_size=64)
    calls = []

    def penalty(m):
        calls.append(1)
        return tg.optim.l2_penalty(m, 1e-3)

    fit(model, tg.optim.SGD(model.parameters(), lr=0.1), train, epochs=2, regularizers=[penalty], progress=False)
    assert len(calls) == 2


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epochs": 0}, HyperparameterError, "fit: epochs"),
        ({"epochs": 2.5}, ArgumentTypeError, "fit: epochs"),
        ({"epochs": 1, "resume": True}, HyperparameterError, "fit: resume"),
        ({"epochs": 1, "metric": "f1"}, HyperparameterError, "fit: metric"),
        ({"epochs": 1, "scheduler_interval": "step"}, HyperparameterError, "fit: scheduler_interval"),
        ({"epochs": 1, "regularizers": [3]}, ArgumentTypeError, r"fit: regularizers\[0\]"),
        ({"epochs": 1, "monitor": "val_loss"}, HyperparameterError, "fit: monitor"),
        ({"epochs": 1, "loss_fn": None}, ArgumentTypeError, "fit: loss_fn"),
        ({"epochs": 1, "callbacks": EarlyStopping()}, ArgumentTypeError, r"fit: callbacks must be a list"),
        ({"epochs": 1, "shuffle": True}, ArgumentTypeError, "fit: unknown option 'shuffle'"),
    ],
)
def test_bad_arguments_name_fit(kwargs, error, match):
    """Values out of range are HyperparameterError (a ValueError); wrong types (a float epoch count, a
    non-callable loss) are ArgumentTypeError (a TypeError), as Python's own calls raise."""
    model = mlp()
    train, _ = loaders(n_train=32)
    with pytest.raises(error, match=match):
        fit(model, tg.optim.SGD(model.parameters(), lr=0.1), train, progress=False, **kwargs)


def test_trainer_names_itself_and_a_non_scalar_loss_is_a_closure_error():
    model = mlp()
    train, _ = loaders(n_train=32)
    with pytest.raises(ArgumentTypeError, match="Trainer: model must be a Module, got None"):
        Trainer(None, tg.optim.SGD(model.parameters(), lr=0.1))
    trainer = Trainer(model, tg.optim.SGD(model.parameters(), lr=0.1), loss_fn=lambda out, y: out, progress=False)
    with pytest.raises(HyperparameterError, match="Trainer.fit: epochs must be an integer >= 1, got 0"):
        trainer.fit(train, epochs=0)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(ClosureError, match=r"Trainer.fit: loss_fn\(output, target\) returned a Tensor of shape"):
        trainer.fit(train, epochs=1)
    for k, v in model.state_dict().items():  # rejected before backward and step: the weights are untouched
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_plot_history(tmp_path):
    pytest.importorskip("matplotlib")
    history = {
        "epoch": [1, 2],
        "train_loss": [1.0, 0.5],
        "val_loss": [1.1, 0.7],
        "train_accuracy": [0.5, 0.8],
        "val_accuracy": [0.4, 0.7],
        "lr": [0.1, 0.1],
    }
    plot_history(history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_epoch_reads_the_host_a_fixed_number_of_times_not_once_per_batch(device):
    """Loss and accuracy are summed on the device and read once per pass: a per-batch read would sync
    the GPU every training step (counted on the stand-in)."""
    if device == "cpu" or not tg.backend.FAKE_CUDA:
        pytest.skip("counted on the stand-in device")
    from tinygrad_opt.testing import fake_cuda

    model = mlp()
    counts = {}
    for n_train in (64, 256):  # 2 and 8 batches of 32
        train, val = loaders(n_train=n_train)
        with fake_cuda.counting() as c:
            fit(model, tg.optim.SGD(model.parameters(), lr=0.1), train, epochs=1, val_loader=val, progress=False)
        counts[n_train] = c.to_host
    assert counts[64] == counts[256] <= 8
