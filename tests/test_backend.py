"""Backend: device strings, the default device, CuPy availability errors, RNG, CPU/CUDA agreement."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import backend
from tinygrad_opt.errors import DeviceError
from tinygrad_opt.nn import functional as F

INSTALL_HINT = "pip install 'tinygrad_opt[cuda]'"
needs_no_cuda = pytest.mark.skipif(backend.cuda_available(), reason="checks the error raised when CUDA is missing")


@pytest.fixture
def fresh_default_device(monkeypatch):
    """Forget the cached default device for the test; monkeypatch restores the module state after."""
    monkeypatch.setattr(backend, "_default_device", None)
    monkeypatch.delenv(backend.ENV_DEVICE, raising=False)


# --------------------------------------------------------------------------- device strings


@pytest.mark.parametrize(
    "spec, canonical",
    [
        ("cpu", "cpu"),
        ("CPU", "cpu"),
        ("cuda", "cuda:0"),
        ("cuda:0", "cuda:0"),
        ("cuda:1", "cuda:1"),
        (" Cuda:3 ", "cuda:3"),
    ],
)
def test_parse_device_canonical_forms(spec, canonical):
    assert backend.parse_device(spec) == canonical


@pytest.mark.parametrize("spec", ["gpu", "cuda:", "cuda:x", "cuda:-1", "cuda0", "tpu", "", "cpu:0"])
def test_parse_device_rejects_bad_strings_with_a_helpful_message(spec):
    with pytest.raises(DeviceError, match=r"unknown device .*use 'cpu', 'cuda' or 'cuda:N'"):
        backend.parse_device(spec)


def test_parse_device_none_is_the_default_device(fresh_default_device):
    assert backend.parse_device(None) == "cpu"


def test_tensor_with_bad_device_string_raises():
    with pytest.raises(DeviceError, match="'npu'"):
        tg.tensor([1.0], device="npu")


# --------------------------------------------------------------------------- default device


def test_default_device_is_cpu_without_env(fresh_default_device):
    assert tg.get_default_device() == "cpu"
    assert tg.tensor([1.0]).device == "cpu"


def test_env_var_selects_default_device(fresh_default_device, monkeypatch):
    monkeypatch.setenv(backend.ENV_DEVICE, "CPU")
    assert tg.get_default_device() == "cpu"
    monkeypatch.setattr(backend, "_default_device", None)
    monkeypatch.setenv(backend.ENV_DEVICE, "cuda:1")
    assert tg.get_default_device() == "cuda:1"  # parsed lazily; CuPy is asked only when an array is made


def test_bad_env_var_raises_device_error(fresh_default_device, monkeypatch):
    monkeypatch.setenv(backend.ENV_DEVICE, "metal")
    with pytest.raises(DeviceError, match="'metal'"):
        tg.get_default_device()


def test_set_default_device_routes_new_tensors(fresh_default_device, device):
    tg.set_default_device(device)
    assert tg.get_default_device() == device
    assert tg.tensor([1.0, 2.0]).device == device
    assert tg.zeros(3).device == device
    assert tg.tensor([1.0], device="cpu").device == "cpu"  # an explicit device wins


def test_host_data_goes_to_the_default_device_and_device_arrays_stay(fresh_default_device, device):
    """As torch.tensor after torch.set_default_device: NumPy arrays, scalars and lists go to the default
    device; a Tensor (or CuPy array) stays where it is; an explicit device= wins."""
    tg.set_default_device(device)
    for data in (np.ones(3), np.float32(2.0), 3.0, [1, 2], [[1.0], [2.0]]):
        assert tg.tensor(data).device == device and tg.Tensor(data).device == device
    on_cpu = tg.tensor(np.ones(3), device="cpu")
    assert on_cpu.device == "cpu" and tg.tensor(on_cpu).device == "cpu"
    assert tg.tensor(tg.ones(2, device=device).data).device == device


def test_cross_entropy_with_class_weights_on_the_device(device):
    """Logits, integer targets and class weights all on the device (the weights' kernel is built there)."""
    rng = np.random.default_rng(0)
    logits, targets = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    weight = np.array([0.5, 2.0, 1.0])
    x = tg.tensor(logits, dtype="float64", device=device, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor(targets, device=device), weight=tg.tensor(weight, device=device))
    loss.backward()
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    w = weight[targets]
    assert loss.device == device and x.grad.device == device
    np.testing.assert_allclose(loss.item(), -(w * logp[np.arange(5), targets]).sum() / w.sum(), rtol=1e-12)


@needs_no_cuda
def test_asking_for_cuda_without_cupy_says_how_to_install(fresh_default_device):
    with pytest.raises(DeviceError, match=INSTALL_HINT.replace("[", r"\[").replace("]", r"\]")):
        tg.zeros(2, device="cuda")
    with pytest.raises(DeviceError, match="tinygrad_opt\\[cuda\\]"):
        tg.tensor([1.0]).to("cuda")
    with pytest.raises(DeviceError, match="tinygrad_opt\\[cuda\\]"):
        tg.set_default_device("cuda")
    assert tg.get_default_device() == "cpu"  # a failed switch leaves the default alone
    assert not tg.cuda_available()


# --------------------------------------------------------------------------- arrays and transfers


def test_tensor_lives_on_requested_device(device):
    x = tg.tensor([1.0, 2.0], device=device)
    assert x.device == device
    assert backend.device_of(x.data) == device
    assert backend.xp_of(x.data) is x.xp
    assert isinstance(x.numpy(), np.ndarray)


def test_round_trip_through_device_is_differentiable(device):
    x = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True, device="cpu")
    y = x.to(device) * 3
    assert y.device == device
    z = y.cpu()
    assert z.device == "cpu"
    (z * z).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 18 * np.array([1.0, 2.0]))


def test_ops_on_mismatched_devices_name_both():
    # CuPy is not needed to exercise the check: relabel a CPU tensor as if it lived on another device.
    a = tg.ones(2, device="cpu")
    b = tg.ones(2, device="cpu")
    b._device = "cuda:1"
    with pytest.raises(DeviceError, match=r"cpu and cuda:1.*\.to\(device\)"):
        a + b


@pytest.mark.cuda
def test_ops_on_cpu_and_cuda_raise_naming_both():
    with pytest.raises(DeviceError, match=r"cpu and cuda:0"):
        tg.ones(2, device="cpu") + tg.ones(2, device="cuda")
    with pytest.raises(DeviceError, match=r"cuda:0 and cpu"):
        tg.ones(2, device="cuda") @ tg.ones(2, device="cpu")


# --------------------------------------------------------------------------- random numbers


def test_same_seed_same_numbers_on_cpu():
    tg.manual_seed(123)
    a, b = tg.rand(4, 3), tg.randn(5)
    tg.manual_seed(123)
    np.testing.assert_array_equal(tg.rand(4, 3).numpy(), a.numpy())
    np.testing.assert_array_equal(tg.randn(5).numpy(), b.numpy())


def test_different_seeds_give_different_numbers():
    tg.manual_seed(1)
    a = tg.randn(8)
    tg.manual_seed(2)
    assert not np.array_equal(tg.randn(8).numpy(), a.numpy())


def test_rand_is_uniform_in_unit_interval_and_randn_is_standard_normal():
    tg.manual_seed(7)
    u, n = tg.rand(20000).numpy(), tg.randn(20000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03
    assert tg.rand(3, dtype="float64").dtype == np.float64 and tg.randn(3).dtype == np.float32


def test_generator_objects_are_independent_of_the_global_one():
    tg.manual_seed(0)
    expected = tg.randn(6).numpy()
    tg.manual_seed(0)
    gen = tg.Generator(0)
    from_gen = tg.randn(6, generator=gen).numpy()  # does not advance the global stream
    np.testing.assert_array_equal(tg.randn(6).numpy(), expected)
    np.testing.assert_array_equal(from_gen, tg.randn(6, generator=tg.Generator(0)).numpy())
    tg.manual_seed(99)  # reseeding the global one leaves gen alone
    np.testing.assert_array_equal(
        tg.randn(6, generator=gen).numpy(), tg.randn(12, generator=tg.Generator(0)).numpy()[6:]
    )


def test_generator_state_round_trip():
    gen = tg.Generator(5, device="cpu")
    tg.rand(3, generator=gen)
    state = gen.get_state()
    a = tg.rand(4, generator=gen).numpy()
    gen.set_state(state)
    np.testing.assert_array_equal(tg.rand(4, generator=gen).numpy(), a)


def test_dropout_and_init_draw_from_the_seeded_generator():
    tg.manual_seed(3)
    a = tg.ones(50).dropout(0.5).numpy()
    w1 = tg.zeros(5).normal_().numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(tg.ones(50).dropout(0.5).numpy(), a)
    np.testing.assert_array_equal(tg.zeros(5).normal_().numpy(), w1)


# --------------------------------------------------------------------------- CPU vs CUDA agreement

OPS = {
    "matmul_tanh": lambda x, w: (x @ w).tanh().sum(),
    "softmax": lambda x, w: (x @ w).softmax(axis=-1)[:, 0].sum(),
    "logsumexp": lambda x, w: (x @ w).logsumexp(axis=1).mean(),
    "sigmoid_var": lambda x, w: (x.sigmoid() @ w).var(),
    "exp_log": lambda x, w: ((x @ w).exp() + 1.0).log().sum(),
    "max_where": lambda x, w: (x @ w).max(axis=0).sum() + (x @ w).relu().sum(),
    "index": lambda x, w: (x[[0, 2, 2]] @ w).sum() + x[x.data > 0].sum(),
    "conv": lambda x, w: (tg.conv2d(x.reshape(1, 1, 4, 3), w.reshape(1, 1, 3, 2)) ** 2).sum(),
}


@pytest.mark.cuda
@pytest.mark.parametrize("name", sorted(OPS))
def test_cpu_and_cuda_agree_on_values_and_gradients(name):
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3, 2)).astype(np.float32)
    results = {}
    for dev in ("cpu", "cuda"):
        x = tg.tensor(xs, device=dev, requires_grad=True)
        w = tg.tensor(ws, device=dev, requires_grad=True)
        value = OPS[name](x, w)
        value.backward()
        results[dev] = (value.item(), x.grad.numpy(), w.grad.numpy())
    (vc, xc, wc), (vg, xg, wg) = results["cpu"], results["cuda"]
    assert vg == pytest.approx(vc, rel=1e-5, abs=1e-5)
    np.testing.assert_allclose(xg, xc, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(wg, wc, rtol=1e-4, atol=1e-5)


@pytest.mark.cuda
def test_cuda_generator_is_reproducible():
    a = tg.randn(5, generator=tg.Generator(11, device="cuda"))
    b = tg.randn(5, generator=tg.Generator(11, device="cuda"))
    assert a.device == "cuda:0"
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.cuda
def test_hvp_on_cuda_matches_cpu():
    rng = np.random.default_rng(2)
    xs, vs = rng.standard_normal(4), rng.standard_normal(4)

    def f(t):
        return (t.sin() * t).sum() + (t**2).sum() ** 2

    out = {}
    for dev in ("cpu", "cuda"):
        x, v = tg.tensor(xs, dtype="float64", device=dev), tg.tensor(vs, dtype="float64", device=dev)
        out[dev] = tg.hvp(f, x, v).numpy()
    np.testing.assert_allclose(out["cuda"], out["cpu"], rtol=1e-10)


# --------------------------------------------------------------------------- the C allocator

_ALLOC_PROBE = """
import resource, sys
import numpy as np
import tinygrad_opt.backend as b
if sys.argv[1] == "call":
    assert b.retain_freed_memory() is True
for _ in range(3):  # warm up, then count the page faults of freeing and re-allocating 8 MiB blocks
    [np.ones(1 << 21, np.float32) for _ in range(4)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    [np.ones(1 << 21, np.float32) for _ in range(4)]
print(b.memory_retained, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _probe(*args, env=None):
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _ALLOC_PROBE, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    assert out.returncode == 0, out.stderr
    retained, faults = out.stdout.split()
    return retained == "True", int(faults)


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="glibc's mallopt")
def test_retain_freed_memory_stops_the_page_faults_of_reallocating_large_arrays():
    """Without it, each freed 8 MiB block goes back to the OS and its pages fault in again (~2,000 per
    round here); with it (by call or by TINYGRAD_OPT_RETAIN_MEMORY=1) the blocks are reused."""
    retained, faults = _probe("none", env={"TINYGRAD_OPT_RETAIN_MEMORY": "0"})
    assert not retained and faults > 20 * 1000
    for how in [
        _probe("call", env={"TINYGRAD_OPT_RETAIN_MEMORY": "0"}),
        _probe("none", env={"TINYGRAD_OPT_RETAIN_MEMORY": "1"}),
    ]:
        retained, faults = how
        assert retained and faults < 20 * 100
    with pytest.raises(ValueError, match="trim_threshold"):
        backend.retain_freed_memory(trim_threshold=2**40)


def test_manual_seed_also_seeds_a_device_generator_first_used_after_it(monkeypatch, device):
    monkeypatch.setattr(backend, "_generators", {})  # as in a fresh process: no generator made yet
    tg.manual_seed(123)
    a = tg.rand(5, device=device).numpy()
    monkeypatch.setattr(backend, "_generators", {})
    tg.manual_seed(123)
    np.testing.assert_array_equal(tg.rand(5, device=device).numpy(), a)


def test_scalar_operands_are_made_on_the_tensors_own_gpu(device):
    """With two GPUs, ``x * 2`` for x on cuda:1 must make its constant on cuda:1, not the current one."""
    if device == "cpu" or not backend.FAKE_CUDA:
        pytest.skip("needs two CUDA devices (the stand-in has cuda:0 and cuda:1)")
    x = tg.tensor([1.0, 2.0], device="cuda:1")
    np.testing.assert_array_equal((x * 2 + 1).numpy(), [3.0, 5.0])
    assert (x * 2).device == "cuda:1"


def test_set_default_device_makes_that_gpu_current_and_refuses_a_missing_one(fresh_default_device, device):
    if device == "cpu" or not backend.FAKE_CUDA:
        pytest.skip("needs the stand-in's two CUDA devices")
    try:
        tg.set_default_device("cuda:1")
        model = tg.nn.Sequential(tg.nn.Linear(4, 3), tg.nn.ReLU(), tg.nn.Linear(3, 2))
        loss = F.cross_entropy(model(tg.randn(5, 4)), tg.tensor([0, 1, 1, 0, 1]))
        loss.backward()
        assert loss.device == "cuda:1" and all(p.grad.device == "cuda:1" for p in model.parameters())
        with pytest.raises(DeviceError, match="no device 'cuda:7', this machine has 2 GPU"):
            tg.set_default_device("cuda:7")
        assert tg.get_default_device() == "cuda:1"  # a failed switch changes nothing
    finally:
        tg.set_default_device("cuda:0")
