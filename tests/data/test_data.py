"""tinygrad_opt.data: datasets, the DataLoader contract (order, reshuffling, resume, devices, batch-size
schedules), standardization fitted on the training split, and the bundled digits."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import types

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt.data import (
    DataLoader,
    Dataset,
    MissingDatasetPackageError,
    TensorDataset,
    build_digits_npz,
    growing_batch_size,
    load_digits,
    load_mnist1d,
    standardize,
)
from tinygrad_opt.data.digits import DIGITS_PATH, SPLIT_SIZES
from tinygrad_opt.errors import HyperparameterError, ShapeError


def _toy(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return TensorDataset(x, np.arange(n)), x


def _ids(loader):
    """One epoch as the list of example ids (the second field of _toy) per batch."""
    return [batch[1].numpy().tolist() for batch in loader]


# --------------------------------------------------------------------------- datasets


def test_tensor_dataset_indexes_rows_of_every_tensor_with_an_int_or_an_index_array():
    ds, x = _toy()
    assert len(ds) == 10
    row, label = ds[3]
    np.testing.assert_array_equal(row.numpy(), x[3])
    assert int(label.item()) == 3
    rows, labels = ds[np.array([7, 2])]
    np.testing.assert_array_equal(rows.numpy(), x[[7, 2]])
    assert labels.numpy().tolist() == [7, 2]


def test_tensor_dataset_with_mismatched_first_dims_names_itself_and_the_shapes():
    with pytest.raises(ShapeError, match=r"TensorDataset.*\(4, 2\).*\(5,\)"):
        TensorDataset(np.zeros((4, 2)), np.zeros(5))
    with pytest.raises(ShapeError, match="TensorDataset"):
        TensorDataset()


# --------------------------------------------------------------------------- order and batching


def test_unshuffled_batches_keep_dataset_order_with_a_smaller_last_batch():
    ds, x = _toy()
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    assert all(isinstance(b, tuple) and all(isinstance(t, tg.Tensor) for t in b) for b in batches)


def test_drop_last_skips_the_short_batch_and_len_counts_it_out():
    ds, _ = _toy()
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2 and _ids(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(ds, batch_size=11, drop_last=True)) == 0


def test_shuffle_draws_a_fresh_permutation_every_epoch_reproducible_from_the_seed():
    ds, _ = _toy(20)
    a, b = DataLoader(ds, batch_size=6, shuffle=True, seed=3), DataLoader(ds, batch_size=6, shuffle=True, seed=3)
    epochs_a = [_ids(a) for _ in range(3)]
    assert epochs_a == [_ids(b) for _ in range(3)]
    flat = [sum(epoch, []) for epoch in epochs_a]
    assert all(sorted(order) == list(range(20)) for order in flat)
    assert flat[0] != flat[1] != flat[2]
    assert sum(_ids(DataLoader(ds, batch_size=6, shuffle=True, seed=4)), []) != flat[0]
    assert a.epoch == 3


def test_generic_datasets_are_stacked_into_the_same_batches_as_the_tensor_fast_path():
    _, x = _toy()

    class Rows(Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, i):
            return x[i], i

    generic = list(DataLoader(Rows(), batch_size=4, shuffle=True, seed=0))
    fast = list(DataLoader(TensorDataset(x, np.arange(10)), batch_size=4, shuffle=True, seed=0))
    for (gx, gy), (fx, fy) in zip(generic, fast):
        np.testing.assert_array_equal(gx.numpy(), fx.numpy())
        np.testing.assert_array_equal(gy.numpy(), fy.numpy())
        assert gy.dtype == np.int64


def test_every_batch_lands_on_the_requested_device(device):
    x = tg.Tensor(np.ones((6, 2), np.float32), device="cpu")
    y = tg.Tensor(np.arange(6), device="cpu")
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=0, device=device):
        assert xb.device == device and yb.device == device
    on_device = TensorDataset(tg.Tensor(np.ones((6, 2), np.float32), device=device))
    assert all(b[0].device == device for b in DataLoader(on_device, batch_size=4, shuffle=True, seed=0))


def test_pinned_batches_are_the_same_batches_copied_once_each_through_page_locked_buffers(device):
    """``pin_memory=True``: host batches reach the GPU through pinned staging buffers (one host-to-device
    copy per field, as without pinning), with the same values; on the CPU the option changes nothing."""
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((10, 3)).astype(np.float32), device="cpu")
    y = tg.Tensor(np.arange(10), device="cpu")
    plain = list(DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=1, device=device))
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=1, device=device, pin_memory=True)
    if tg.backend.FAKE_CUDA and device != "cpu":
        from tinygrad_opt.testing import fake_cuda

        with fake_cuda.counting() as counts:
            pinned = list(loader)
        assert (counts.to_device, counts.to_host) == (2 * len(pinned), 0)
    else:
        pinned = list(loader)
    assert len(pinned) == len(plain) == 3
    for (px, py), (qx, qy) in zip(pinned, plain):
        assert px.device == qx.device == device and py.dtype == qy.dtype
        np.testing.assert_array_equal(px.numpy(), qx.numpy())
        np.testing.assert_array_equal(py.numpy(), qy.numpy())


# --------------------------------------------------------------------------- resume


def test_resume_mid_epoch_from_a_json_state_continues_the_uninterrupted_stream():
    ds, _ = _toy(23)
    uninterrupted = DataLoader(ds, batch_size=5, shuffle=True, seed=7)
    reference = [_ids(uninterrupted) for _ in range(3)]

    first = DataLoader(ds, batch_size=5, shuffle=True, seed=7)
    assert _ids(first) == reference[0]
    stream = iter(first)
    seen = [next(stream)[1].numpy().tolist() for _ in range(2)]
    state = json.loads(json.dumps(first.state_dict()))
    assert state["epoch"] == 1 and state["batches_done"] == 2

    resumed = DataLoader(ds, batch_size=5, shuffle=True, seed=None)
    resumed.load_state_dict(state)
    assert seen + _ids(resumed) == reference[1]
    assert _ids(resumed) == reference[2]


def test_a_state_saved_after_the_last_batch_resumes_at_the_next_epoch():
    ds, _ = _toy(8)
    uninterrupted = DataLoader(ds, batch_size=4, shuffle=True, seed=1)
    reference = [_ids(uninterrupted) for _ in range(2)]
    loader = DataLoader(ds, batch_size=4, shuffle=True, seed=1)
    for _ in loader:
        state = loader.state_dict()
    assert state == {"epoch": 1, "batches_done": 0, "seed": 1}
    resumed = DataLoader(ds, batch_size=4, shuffle=True)
    resumed.load_state_dict(state)
    assert _ids(resumed) == reference[1]


def test_set_epoch_jumps_to_that_epochs_order_and_an_abandoned_pass_still_counts():
    ds, _ = _toy(12)
    loader = DataLoader(ds, batch_size=5, shuffle=True, seed=2)
    epochs = [_ids(loader) for _ in range(3)]
    loader.set_epoch(2)
    assert _ids(loader) == epochs[2]
    loader.set_epoch(0)
    next(iter(loader))
    assert _ids(loader) == epochs[1]


# --------------------------------------------------------------------------- batch-size schedules


def test_growing_batch_size_multiplies_every_few_epochs_up_to_the_maximum():
    schedule = growing_batch_size(4, factor=2, every=2, maximum=20)
    assert [schedule(e) for e in range(8)] == [4, 4, 8, 8, 16, 16, 20, 20]
    assert [growing_batch_size(10, factor=1.5)(e) for e in range(3)] == [10, 15, 22]


def test_a_schedule_sets_each_epochs_batch_size_and_len():
    ds, _ = _toy(16)
    loader = DataLoader(ds, batch_size=growing_batch_size(2, factor=2), shuffle=True, seed=0)
    sizes = []
    for _ in range(4):
        assert len(loader) == 16 // loader.batch_size_at(loader.epoch)
        sizes.append([len(ids) for ids in _ids(loader)])
    assert sizes == [[2] * 8, [4] * 4, [8] * 2, [16]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, r"DataLoader: batch_size must be an integer >= 1, got 0"),
        ({"batch_size": 2.5}, r"batch_size .* got 2\.5"),
        ({"batch_size": True}, r"batch_size .* got True"),
        ({"shuffle": "yes"}, r"DataLoader: shuffle must be True or False, got 'yes'"),
        ({"drop_last": 1}, r"drop_last"),
        ({"seed": -1}, r"DataLoader: seed must be a non-negative integer or None, got -1"),
        ({"pin_memory": "yes"}, r"DataLoader: pin_memory must be True or False, got 'yes'"),
    ],
)
def test_bad_loader_arguments_name_the_loader_the_value_and_the_fix(kwargs, match):
    ds, _ = _toy()
    with pytest.raises(HyperparameterError, match=match):
        DataLoader(ds, **kwargs)


def test_bad_schedules_and_datasets_are_rejected():
    with pytest.raises(TypeError, match="DataLoader: dataset needs __len__ and __getitem__"):
        DataLoader(object())
    with pytest.raises(HyperparameterError, match="at epoch 0"):
        len(DataLoader(_toy()[0], batch_size=lambda epoch: 0))
    for kwargs in (
        {"initial": 0},
        {"initial": 4, "factor": 0.5},
        {"initial": 4, "every": 0},
        {"initial": 8, "maximum": 4},
    ):
        with pytest.raises(HyperparameterError, match="growing_batch_size"):
            growing_batch_size(**kwargs)


# --------------------------------------------------------------------------- standardization


def test_standardize_uses_training_statistics_only_and_applies_them_to_other_splits(device):
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, (200, 4)).astype(np.float32)
    train[:, 3] = 5.0  # constant feature
    val = rng.normal(-1.0, 0.5, (50, 4)).astype(np.float32)
    scaler = standardize(tg.Tensor(train, device=device))
    np.testing.assert_allclose(scaler.mean, train.mean(0), rtol=1e-5)
    np.testing.assert_allclose(scaler.std[:3], train.std(0)[:3], rtol=1e-5)
    assert scaler.std[3] == 1.0

    out = scaler(tg.Tensor(train, device=device))
    assert out.device == device and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[:, :3].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.numpy()[:, :3].std(0), 1, atol=1e-4)
    np.testing.assert_allclose(scaler(val), (val - train.mean(0)) / scaler.std, rtol=1e-5)
    restored = type(scaler).from_state_dict(json.loads(json.dumps(scaler.state_dict())))
    np.testing.assert_allclose(restored(val), scaler(val), rtol=1e-6)
    with pytest.raises(ShapeError, match="Standardize"):
        scaler(np.zeros((2, 3)))


# --------------------------------------------------------------------------- digits


def test_digit_splits_are_fixed_stratified_disjoint_and_cover_every_image():
    with np.load(DIGITS_PATH) as data:
        images, labels, split = data["images"], data["labels"], data["split"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and images.max() == 16
    assert np.bincount(split).tolist() == [SPLIT_SIZES[s] for s in ("train", "val", "test")]
    for code, per_class in ((1, 18), (2, 36)):
        assert np.bincount(labels[split == code], minlength=10).tolist() == [per_class] * 10
    for code, name in enumerate(("train", "val", "test")):
        x, y = load_digits(name, normalize=False)
        np.testing.assert_array_equal(x.numpy(), images[split == code].reshape(-1, 64))
        np.testing.assert_array_equal(y.numpy(), labels[split == code])
    x_all, y_all = load_digits(None)
    assert x_all.shape == (1797, 64) and sum(SPLIT_SIZES.values()) == 1797


def test_load_digits_gives_float_pixels_in_unit_range_int64_labels_identical_across_calls(device):
    x, y = load_digits("val")
    x2, y2 = load_digits("val")
    assert x.shape == (180, 64) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.device == device and 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0
    np.testing.assert_array_equal(x.numpy(), x2.numpy())
    np.testing.assert_array_equal(y.numpy(), y2.numpy())
    assert load_digits("test", dtype=np.float64, device="cpu")[0].dtype == np.float64
    with pytest.raises(ValueError, match="load_digits: unknown split 'valid'"):
        load_digits("valid")


def test_digits_load_and_batch_without_scikit_learn():
    code = (
        "import sys; from tinygrad_opt.data import DataLoader, TensorDataset, load_digits;"
        "x, y = load_digits('train'); batches = list(DataLoader(TensorDataset(x, y), 64, shuffle=True, seed=0));"
        "assert len(batches) == 20 and 'sklearn' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))


def test_shipped_digits_file_is_what_build_digits_npz_writes_from_scikit_learn(tmp_path):
    pytest.importorskip("sklearn")
    rebuilt = build_digits_npz(tmp_path / "digits.npz")
    with np.load(rebuilt) as new, np.load(DIGITS_PATH) as shipped:
        for key in ("images", "labels", "split"):
            np.testing.assert_array_equal(new[key], shipped[key])


def test_softmax_regression_on_digits_learns_through_the_loader(device):
    x, y = load_digits("train", device=device)
    model = tg.nn.Linear(64, 10)
    opt = tg.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(3):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0, device=device):
            loss = tg.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


# --------------------------------------------------------------------------- MNIST-1D (optional)


def test_load_mnist1d_without_the_package_tells_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(MissingDatasetPackageError, match=r"pip install 'tinygrad_opt\[mnist1d\]'") as info:
        load_mnist1d()
    assert isinstance(info.value, ImportError)


def test_load_mnist1d_picks_the_split_and_restores_the_global_random_state(monkeypatch):
    def make_dataset(args):
        random.seed(args.seed)
        np.random.seed(args.seed)
        n = args.num_samples
        return {"x": np.ones((n - 2, 40)), "y": np.arange(n - 2) % 10, "x_test": np.zeros((2, 40)), "y_test": [1, 2]}

    fake = types.ModuleType("mnist1d.data")
    fake.make_dataset = make_dataset
    fake.get_dataset_args = lambda: types.SimpleNamespace(num_samples=5000, seed=42)
    monkeypatch.setitem(sys.modules, "mnist1d", types.ModuleType("mnist1d"))
    monkeypatch.setitem(sys.modules, "mnist1d.data", fake)
    before = np.random.get_state()[1].copy()
    x, y = load_mnist1d("test", num_samples=10)
    assert x.shape == (2, 40) and x.dtype == np.float32 and y.numpy().tolist() == [1, 2]
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    with pytest.raises(ValueError, match="load_mnist1d: unknown split"):
        load_mnist1d("val")


def test_load_mnist1d_with_the_real_package():
    pytest.importorskip("mnist1d")
    x, y = load_mnist1d("train", num_samples=200)
    assert x.shape == (160, 40) and y.dtype == np.int64 and set(y.numpy().tolist()) <= set(range(10))


def test_a_failed_load_state_dict_changes_nothing_and_the_loader_resumes_as_before():
    """Every part of the state is checked before any is applied: after a rejected state the loader
    yields exactly the batches it would have yielded."""
    ds, _ = _toy(8)
    loader, reference = (
        DataLoader(ds, batch_size=2, shuffle=True, seed=5),
        DataLoader(ds, batch_size=2, shuffle=True, seed=5),
    )
    for bad in (
        {"epoch": 3, "batches_done": 9, "seed": 5},  # past the end of a 4-batch epoch
        {"epoch": 3, "batches_done": 1, "seed": -1},
        {"epoch": 3, "batches_done": 1},
        {"epoch": 3, "batches_done": 1, "seed": 5, "extra": 0},
    ):
        with pytest.raises(tg.StateDictError, match="DataLoader.load_state_dict") as info:
            loader.load_state_dict(bad)
        assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)
    assert loader.state_dict() == reference.state_dict()
    assert _ids(loader) == _ids(reference)


def test_dataset_indices_out_of_range_are_axis_errors():
    ds, x = _toy(4)
    for index in (4, -5, np.array([0, 4]), [1, -5]):
        with pytest.raises(tg.AxisError, match="TensorDataset: index -?[45] is out of range for 4 examples") as info:
            ds[index]
        assert isinstance(info.value, IndexError)
    np.testing.assert_array_equal(ds[-1][0].numpy(), x[3])
    np.testing.assert_array_equal(ds[np.array([3, -4])][0].numpy(), x[[3, 0]])


def test_standardize_rejects_non_finite_training_data_without_warnings():
    train = np.array([[1.0, np.inf], [2.0, 3.0]])
    with (
        np.errstate(all="raise"),
        pytest.raises(tg.ArgumentError, match=r"standardize: train_x holds NaN or inf \(feature 1"),
    ):
        standardize(train)
    with pytest.raises(HyperparameterError, match="eps must be a finite number > 0"):
        standardize(train[:, :1], eps=0.0)


def test_standardize_promotes_integer_input_instead_of_truncating():
    scaler = standardize(np.array([[0.0], [4.0]], dtype=np.float32))  # mean 2, std 2
    out = scaler(np.array([[1], [3]]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([[-0.5], [0.5]], dtype=np.float32))
    t = scaler(tg.tensor([[1], [3]]))
    assert t.dtype == np.float32 and t.numpy().tolist() == [[-0.5], [0.5]]


def test_data_set_loaders_check_their_arguments_before_reading():
    with pytest.raises(tg.DTypeError, match="load_digits: dtype int32"):
        load_digits(dtype=np.int32)
    assert load_digits("val", dtype=np.int32, normalize=False)[0].numpy().max() == 16
    with pytest.raises(tg.ArgumentTypeError, match="load_digits: normalize"):
        load_digits(normalize="yes")
    with pytest.raises(tg.DeviceError, match="load_digits: unknown device ''"):
        load_digits(device="")
