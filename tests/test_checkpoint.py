"""Checkpoints: one safetensors file, atomic writes, exact round trips, clear errors, validate-then-apply."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import safetensors.numpy

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.checkpoint import SECTION_PREFIXES, CheckpointError, load_checkpoint, save_checkpoint
from tinygrad_opt.optim import lr_scheduler

_RNG = np.random.default_rng(7)
X = _RNG.normal(size=(16, 3)).astype(np.float32)
Y = _RNG.normal(size=(16, 2)).astype(np.float32)


def _mlp(hidden=5, device=None):
    return nn.Sequential(nn.Linear(3, hidden, device=device), nn.Tanh(), nn.Linear(hidden, 2, device=device))


def _closure(model, opt):
    w = model[0].weight
    x, y = (tg.tensor(a.astype(w.dtype), device=w.device) for a in (X, Y))

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    return closure


def _train(model, opt, scheduler, steps):
    closure = _closure(model, opt)
    for _ in range(steps):
        opt.step(closure)
        if scheduler is not None:
            scheduler.step()


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def _arrays(model, opt):
    """Host copies of the model's weights and the optimizer's state arrays."""
    state = {
        (i, k): v.copy() for i, s in opt.state_dict()["state"].items() for k, v in s.items() if hasattr(v, "shape")
    }
    return _weights(model), state


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


SCHEDULERS = {
    "StepLR": lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
    "CosineAnnealingLR": lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=1e-4),
}


@pytest.mark.parametrize("schedule", sorted(SCHEDULERS))
def test_resumed_training_is_bit_identical_to_the_uninterrupted_run(tmp_path, device, schedule):
    path = tmp_path / "run.safetensors"
    model = _mlp(device=device)
    opt = optim.Adam(model.parameters(), lr=0.05)
    scheduler = SCHEDULERS[schedule](opt)
    _train(model, opt, scheduler, 3)
    save_checkpoint(path, model=model, optimizer=opt, scheduler=scheduler, epoch=3, best_metric=0.25)
    _train(model, opt, scheduler, 4)

    tg.manual_seed(123)  # the fresh objects start from other weights
    fresh = _mlp(device=device)
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.05)
    fresh_scheduler = SCHEDULERS[schedule](fresh_opt)
    ckpt = load_checkpoint(path)
    ckpt.restore(model=fresh, optimizer=fresh_opt, scheduler=fresh_scheduler)
    assert (ckpt.epoch, ckpt.best_metric, ckpt.format_version) == (3, 0.25, 1)
    assert all(p.device == device for p in fresh.parameters())
    _train(fresh, fresh_opt, fresh_scheduler, 4)

    ours, theirs = _arrays(model, opt), _arrays(fresh, fresh_opt)
    _assert_same(ours[0], theirs[0])
    _assert_same(ours[1], theirs[1])
    assert fresh_scheduler.get_last_lr() == scheduler.get_last_lr()


def test_lbfgs_history_lists_round_trip_and_resume_exactly(tmp_path):
    path = tmp_path / "lbfgs.safetensors"
    model = _mlp().double()
    opt = optim.LBFGS(model.parameters(), max_iter=4, history_size=3)
    _train(model, opt, None, 2)
    save_checkpoint(path, model=model, optimizer=opt)
    saved = opt.state_dict()["state"][0]
    _train(model, opt, None, 2)

    state = load_checkpoint(path).optimizer_state["state"][0]
    assert state.keys() == saved.keys()
    assert len(state["old_dirs"]) == len(saved["old_dirs"]) > 0
    for key in ("old_dirs", "old_stps"):
        for got, want in zip(state[key], saved[key]):
            assert got.dtype == np.float64 and np.array_equal(got, want)
    assert (
        state["ro"] == saved["ro"] and state["H_diag"] == saved["H_diag"] and state["prev_loss"] == saved["prev_loss"]
    )

    fresh = _mlp().double()
    fresh_opt = optim.LBFGS(fresh.parameters(), max_iter=4, history_size=3)
    load_checkpoint(path).restore(model=fresh, optimizer=fresh_opt)
    _train(fresh, fresh_opt, None, 2)
    _assert_same(_arrays(model, opt)[0], _arrays(fresh, fresh_opt)[0])


def test_float32_state_stays_float32_and_python_values_round_trip_exactly(tmp_path):
    path = tmp_path / "values.safetensors"
    model = _mlp()
    opt = optim.Adam(model.parameters())
    _train(model, opt, None, 1)
    extra = {
        "third": 1 / 3,
        "specials": [float("inf"), -float("inf")],
        "pair": (1, "a", None, True),
        "by_index": {0: [0.1, 0.2], 5: "five"},
        "np_scalars": [np.float32(0.1), np.int64(-3)],
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
    }
    history = {"loss": [0.9, 0.5000000000000001], "acc": [0.5, 0.75]}
    save_checkpoint(path, model=model, optimizer=opt, history=history, extra=extra, best_metric=float("nan"))
    ckpt = load_checkpoint(path)
    assert all(a.dtype == np.float32 for a in ckpt.model_state.values())
    assert ckpt.optimizer_state["state"][0]["exp_avg"].dtype == np.float32
    assert ckpt.optimizer_state["param_groups"][0]["betas"] == (0.9, 0.999)  # the tuple stays a tuple
    assert ckpt.history == history and np.isnan(ckpt.best_metric)
    got = ckpt.extra
    assert got["third"] == 1 / 3 and got["specials"] == extra["specials"] and got["pair"] == extra["pair"]
    assert got["by_index"] == extra["by_index"]
    assert [type(v) for v in got["np_scalars"]] == [np.float32, np.int64] and got["np_scalars"] == extra["np_scalars"]
    assert got["array"].dtype == np.int32 and np.array_equal(got["array"], extra["array"])


def test_rng_state_restores_the_cpu_stream(tmp_path):
    path = tmp_path / "rng.safetensors"
    tg.rand(3, device="cpu")
    save_checkpoint(path)
    expected = tg.rand(4, device="cpu").numpy()
    tg.manual_seed(99)
    ckpt = load_checkpoint(path)
    assert ckpt.rng["seed"] == 0  # the test fixture's manual_seed(0)
    ckpt.restore(rng=True)
    assert np.array_equal(tg.rand(4, device="cpu").numpy(), expected)


def test_model_tensors_carry_exactly_the_state_dict_names(tmp_path):
    path = tmp_path / "weights.safetensors"
    model = _mlp()
    opt = optim.Adam(model.parameters())
    _train(model, opt, None, 1)
    save_checkpoint(path, model=model, optimizer=opt)
    stored = safetensors.numpy.load_file(str(path))
    weights = {k: v for k, v in stored.items() if not k.startswith(SECTION_PREFIXES)}
    assert set(weights) == set(model.state_dict())  # safetensors sorts names; the set is what matters
    assert "optimizer.state.0.exp_avg" in stored
    for k, v in model.state_dict().items():
        assert np.array_equal(weights[k], v.numpy())


def test_the_model_weights_load_into_the_equivalent_torch_model(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    path = tmp_path / "weights.safetensors"
    model = _mlp()
    save_checkpoint(path, model=model, optimizer=optim.Adam(model.parameters()))
    stored = safetensors_torch.load_file(str(path))
    weights = {k: v for k, v in stored.items() if not k.startswith(SECTION_PREFIXES)}
    reference = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    reference.load_state_dict(weights)  # strict: the keys match exactly
    with torch.no_grad():
        want = reference(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model(tg.tensor(X)).numpy(), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_crash_while_writing_leaves_the_previous_checkpoint_and_no_temp_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "last.safetensors"
    model = _mlp()
    save_checkpoint(path, model=model, epoch=1)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, failing, crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(path, model=_mlp(hidden=9), epoch=2)
    monkeypatch.undo()
    assert path.read_bytes() == before and load_checkpoint(path).epoch == 1
    assert os.listdir(tmp_path) == ["last.safetensors"]


def test_an_unsavable_value_raises_before_any_file_is_written(tmp_path):
    with pytest.raises(TypeError, match="extra.tags"):
        save_checkpoint(tmp_path / "x.safetensors", extra={"tags": {"a", "b"}})
    assert os.listdir(tmp_path) == []


def test_a_truncated_file_raises_checkpoint_error_naming_the_file(tmp_path):
    path = tmp_path / "full.safetensors"
    model = _mlp()
    save_checkpoint(path, model=model, optimizer=optim.Adam(model.parameters()))
    data = path.read_bytes()
    header_end = 8 + int.from_bytes(data[:8], "little")
    for cut in (0, 5, 40, header_end, len(data) - 1):
        cut_path = tmp_path / f"cut{cut}.safetensors"
        cut_path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=f"cut{cut}.safetensors.*(truncated|too short)"):
            load_checkpoint(cut_path)


def test_foreign_files_raise_checkpoint_error(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(CheckpointError, match="junk.bin: not a safetensors file"):
        load_checkpoint(junk)
    plain = tmp_path / "plain.safetensors"
    safetensors.numpy.save_file({"w": np.ones(3)}, str(plain))
    with pytest.raises(CheckpointError, match="without tinygrad_opt checkpoint metadata"):
        load_checkpoint(plain)
    newer = tmp_path / "newer.safetensors"
    doc = json.dumps({"format": "tinygrad_opt.checkpoint", "format_version": 99})
    safetensors.numpy.save_file({"w": np.ones(3)}, str(newer), metadata={"tinygrad_opt": doc})
    with pytest.raises(CheckpointError, match="format_version 99 is not supported.*upgrade"):
        load_checkpoint(newer)


def test_a_mismatched_model_raises_and_leaves_model_and_optimizer_untouched(tmp_path):
    path = tmp_path / "small.safetensors"
    model = _mlp(hidden=5)
    opt = optim.Adam(model.parameters())
    _train(model, opt, None, 2)
    save_checkpoint(path, model=model, optimizer=opt)

    other = _mlp(hidden=6)
    other_opt = optim.Adam(other.parameters())
    _train(other, other_opt, None, 1)
    before = _arrays(other, other_opt)
    with pytest.raises(CheckpointError, match="small.safetensors.*size mismatch for '0.weight'"):
        load_checkpoint(path).restore(model=other, optimizer=other_opt)
    after = _arrays(other, other_opt)
    _assert_same(before[0], after[0])
    _assert_same(before[1], after[1])


def test_an_optimizer_of_another_kind_is_refused_before_the_model_changes(tmp_path):
    path = tmp_path / "adam.safetensors"
    model = _mlp()
    opt = optim.Adam(model.parameters())
    _train(model, opt, None, 1)
    save_checkpoint(path, model=model, optimizer=opt)
    fresh = _mlp(hidden=5)
    before = _weights(fresh)
    with pytest.raises(CheckpointError, match="Adam's, not SGD's"):
        load_checkpoint(path).restore(model=fresh, optimizer=optim.SGD(fresh.parameters(), lr=0.1))
    _assert_same(before, _weights(fresh))


def test_bad_paths_and_objects_are_rejected_before_the_old_file_is_touched(tmp_path):
    path = tmp_path / "last.safetensors"
    save_checkpoint(path, model=_mlp(), epoch=1)
    before = path.read_bytes()
    for call, error, match in (
        (
            lambda: save_checkpoint(path, model=object()),
            tg.ArgumentTypeError,
            "save_checkpoint: model must be a Module",
        ),
        (lambda: save_checkpoint(path, optimizer=3), tg.ArgumentTypeError, "optimizer must be an Optimizer"),
        (lambda: save_checkpoint(path, rng="yes"), tg.ArgumentTypeError, "rng must be True or False"),
        (lambda: save_checkpoint(None), tg.ArgumentTypeError, "path must be a file path"),
        (lambda: save_checkpoint(tmp_path), CheckpointError, "is a directory"),
        (lambda: save_checkpoint(tmp_path / "no" / "x.safetensors"), CheckpointError, "does not exist"),
        (lambda: load_checkpoint(tmp_path), CheckpointError, "is a directory"),
        (lambda: load_checkpoint(3), tg.ArgumentTypeError, "load_checkpoint: path"),
    ):
        with pytest.raises(error, match=match):
            call()
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["last.safetensors"]
    with pytest.raises(FileNotFoundError):  # a missing file stays the OSError that open() raises
        load_checkpoint(tmp_path / "missing.safetensors")


def test_restore_into_objects_without_state_dicts_changes_nothing(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model = _mlp()
    opt = optim.Adam(model.parameters())
    save_checkpoint(path, model=model, optimizer=opt)
    fresh = _mlp()
    before = _weights(fresh)
    with pytest.raises(tg.ArgumentTypeError, match="Checkpoint.restore: optimizer must be an Optimizer"):
        load_checkpoint(path).restore(model=fresh, optimizer=object())
    with pytest.raises(tg.ArgumentTypeError, match="Checkpoint.restore: rng must be True or False"):
        load_checkpoint(path).restore(model=fresh, rng=1)
    _assert_same(before, _weights(fresh))
