"""The project's benchmark (SPEC §12): tinygrad_opt against hand-written NumPy (and PyTorch CPU if present).

    python benchmarks/bench.py                # full run (~2 minutes on 2 cores)
    python benchmarks/bench.py --quick        # fewer repetitions, 1,000 steps for the memory check
    python benchmarks/bench.py --json out.json --markdown out.md
    python benchmarks/bench.py --profile      # cProfile of the tinygrad_opt MLP step, nothing else

Reference workload: MLP 784-512-512-10, ReLU, softmax cross-entropy, batch 128, float32, one SGD step
(forward, backward, parameter update, gradients zeroed). Every figure is a median over many runs and
every comparison is a ratio taken in the same process, the contenders taking turns (A B, B A, ...) so
that a change in machine load hits both alike. Each pair is checked once to compute the same loss
and gradients before it is timed.

BLAS thread settings are left as they are: set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS yourself before
running if you want a particular setting, and it is recorded in the JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmark the checkout, installed or not

import tinygrad_opt as tg  # noqa: E402
from tinygrad_opt.nn import functional as tgf  # noqa: E402

torch = F = None  # PyTorch is imported only for its own sections (see load_torch)

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.01
CNN_BATCH = 64
TORCH_TURNS = {"block": 20, "settle_s": 0.3}  # PyTorch vs OpenBLAS thread pools: see interleaved()
TARGETS = {
    "mlp_step_vs_numpy": 1.10,
    "hvp_vs_grad": 3.5,
    "peak_memory_vs_numpy": 1.5,
    "cnn_step_vs_torch": 2.0,
    "mnist1d_vs_torch": 1.0,
}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")


def load_torch() -> bool:
    """Import PyTorch if it is installed. Done after the NumPy/tinygrad_opt sections: importing torch
    adds ~140,000 Python objects, which makes the garbage collector's full passes (that any allocating
    framework triggers now and then) several times slower, and would tax tinygrad_opt for it."""
    global torch, F
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- workloads


def make_params(rng, sizes=SIZES):
    """PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)); [W1, b1, W2, b2, ...]."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    return params


def make_batches(rng, count, batch=BATCH, features=SIZES[0], classes=SIZES[-1]):
    return [
        (rng.standard_normal((batch, features)).astype(np.float32), rng.integers(0, classes, batch))
        for _ in range(count)
    ]


class NumpyMLP:
    """The floor: forward and manual backward in plain NumPy, no gradient for the input batch.

    z = a_L W + b,  a = relu(z);  loss = mean_i -log softmax(z_out)_i[y_i]
    d z_out = (softmax - onehot(y)) / n;  dW = a^T dz;  db = sum_rows dz;  d a = dz W^T;  dz = d a * 1[z > 0]
    """

    def __init__(self, params):
        self.params = [p.copy() for p in params]

    def loss_and_grads(self, x, y):
        weights, biases = self.params[0::2], self.params[1::2]
        acts, pre = [x], []
        for w, b in zip(weights, biases):
            z = acts[-1] @ w + b
            pre.append(z)
            acts.append(np.maximum(z, 0))
        logits = pre[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        dz = e / total
        dz[rows, y] -= 1
        dz /= len(y)
        grads = [None] * len(self.params)
        for layer in reversed(range(len(weights))):
            grads[2 * layer] = acts[layer].T @ dz
            grads[2 * layer + 1] = dz.sum(axis=0)
            if layer:
                dz = (dz @ weights[layer].T) * (pre[layer - 1] > 0)
        return loss, grads

    def step(self, x, y):
        loss, grads = self.loss_and_grads(x, y)
        for p, g in zip(self.params, grads):
            p -= LR * g
        return loss


def sgd_step(loss_fn, params, x, y, no_grad):
    """One training step the way a user writes it, in tinygrad_opt or PyTorch alike: backward, SGD
    update under no_grad, gradients zeroed (set to None)."""
    loss = loss_fn(params, x, y)
    loss.backward()
    with no_grad():
        for p in params:
            p.sub_(p.grad, alpha=LR)
            p.grad = None
    return loss


def mlp_loss(params, x, y):
    """The same network in tinygrad_opt: x a Tensor, y an integer array, params [W1, b1, W2, b2, ...]
    with each W (in, out) as in the NumPy floor. ``addmm(b, h, W)`` = h W + b (torch.addmm's argument
    order) is the dense layer as one op."""
    h = x
    for i in range(0, len(params), 2):
        h = tg.addmm(params[i + 1], h, params[i])
        if i + 2 < len(params):
            h = h.relu()
    return tgf.cross_entropy(h, y)


def mlp_loss_op_by_op(params, x, y):
    """The same network written the way a first version would be: ``h @ W + b`` (a matmul and a
    broadcast add, two ops per layer) instead of the fused dense layer."""
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.relu()
    return tgf.cross_entropy(h, y)


def mlp_loss_torch(params, x, y):
    h = x
    for i in range(0, len(params), 2):
        h = torch.addmm(params[i + 1], h, params[i])
        if i + 2 < len(params):
            h = torch.relu(h)
    return F.cross_entropy(h, y)


class TinygradMLP:
    def __init__(self, params, loss_fn=mlp_loss):
        self.params = [tg.tensor(p.copy(), requires_grad=True) for p in params]
        self.loss_fn = loss_fn

    def step(self, x, y):
        return sgd_step(self.loss_fn, self.params, x, y, tg.no_grad)


class TorchMLP:
    def __init__(self, params):
        self.params = [torch.tensor(p.copy(), requires_grad=True) for p in params]

    def step(self, x, y):
        return sgd_step(mlp_loss_torch, self.params, x, y, torch.no_grad)


def make_cnn_params(rng):
    """conv 1->8 3x3, relu, maxpool 2, conv 8->16 3x3, relu, maxpool 2, linear 16*5*5 -> 10 (28x28 input)."""

    def uniform(shape, fan_in):
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    return [
        uniform((8, 1, 3, 3), 9),
        uniform((8,), 9),
        uniform((16, 8, 3, 3), 72),
        uniform((16,), 72),
        uniform((400, 10), 400),
        uniform((10,), 400),
    ]


def cnn_loss_tg(params, x, y):
    c1, b1, c2, b2, w, b = params
    h = tg.conv2d(x, c1, b1).relu().max_pool2d(2)
    h = tg.conv2d(h, c2, b2).relu().max_pool2d(2)
    return tgf.cross_entropy(h.reshape(len(y), -1) @ w + b, y)


def cnn_loss_torch(params, x, y):
    c1, b1, c2, b2, w, b = params
    h = F.max_pool2d(torch.relu(F.conv2d(x, c1, b1)), 2)
    h = F.max_pool2d(torch.relu(F.conv2d(h, c2, b2)), 2)
    return F.cross_entropy(h.reshape(len(y), -1) @ w + b, y)


# --------------------------------------------------------------------------- measuring


def interleaved(fns: dict, runs: int, warmup: int, block: int = 1, settle_s: float = 0.0) -> dict:
    """Median seconds per call of each function over ``runs`` timed calls, the functions taking turns
    (A B, then B A, ...) of ``block`` timed calls each.

    ``settle_s``: each turn first calls its function untimed for that long. Needed for contenders with
    their own thread pools (PyTorch's OpenMP next to NumPy's OpenBLAS): idle worker threads busy-wait
    for up to ~0.1 s after a call, and on a small machine that spinning slows the other one down."""
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times = {name: [] for name in names}
    turn = 0
    while len(times[names[0]]) < runs:
        for name in names if turn % 2 == 0 else reversed(names):
            settle_until = time.perf_counter() + settle_s
            while time.perf_counter() < settle_until:
                fns[name]()
            for _ in range(block):
                t0 = time.perf_counter()
                fns[name]()
                times[name].append(time.perf_counter() - t0)
        turn += 1
    return {name: statistics.median(ts) for name, ts in times.items()}


def cycling(batches, fn):
    """A zero-argument callable that feeds the next batch to ``fn`` on each call."""
    state = {"i": 0}

    def call():
        x, y = batches[state["i"] % len(batches)]
        state["i"] += 1
        return fn(x, y)

    return call


def peak_bytes(fn, reps: int) -> int:
    """Median over ``reps`` calls of the tracemalloc peak above the memory in use before the call
    (NumPy reports its array buffers to tracemalloc, so this counts arrays and Python objects)."""
    fn()
    peaks = []
    tracemalloc.start()
    try:
        for _ in range(reps):
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            fn()
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()
    return int(statistics.median(peaks))


def _cpu_seconds_busy():
    """Busy CPU seconds of the whole machine so far (all cores), or None without /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def load_meter():
    """Start measuring; the returned function gives the share of the machine's CPU time that *other*
    processes used since (0 = a quiet machine, 0.5 = one of two cores busy elsewhere), or None."""
    busy0, own0, t0 = _cpu_seconds_busy(), time.process_time(), time.perf_counter()

    def other_load():
        busy1, own1, wall = _cpu_seconds_busy(), time.process_time(), time.perf_counter() - t0
        if busy0 is None or wall <= 0:
            return None
        return round(max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall * (os.cpu_count() or 1)), 3)

    return other_load


def timed_section(title, fn, *args):
    """``(fn(*args), other processes' CPU share meanwhile)``."""
    print(f"{title} ...", flush=True)
    other_load = load_meter()
    result = fn(*args)
    return result, other_load()


def rss_bytes() -> int:
    """Current resident set size (from /proc/self/statm; ru_maxrss, the peak, where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def assert_close(name, got, want, rtol=1e-4, atol=1e-5):
    for i, (g, w) in enumerate(zip(got, want)):
        if not np.allclose(g, w, rtol=rtol, atol=atol):
            raise AssertionError(f"{name}: entry {i} differs, max |diff| = {np.abs(g - w).max():.3g}")


# --------------------------------------------------------------------------- the benchmarks


def check_mlp_agreement(params, x, y, framework="tinygrad_opt"):
    """``framework`` and the NumPy floor compute the same loss and gradients (so the race is fair)."""
    loss_np, grads_np = NumpyMLP(params).loss_and_grads(x, y)
    if framework == "torch":
        model, x = TorchMLP(params), torch.from_numpy(x)
        loss = mlp_loss_torch(model.params, x, torch.from_numpy(y))
    else:
        model = TinygradMLP(params)
        loss = mlp_loss(model.params, tg.tensor(x), y)
    loss.backward()
    assert_close(f"MLP loss ({framework} vs NumPy)", [loss.item()], [loss_np])
    assert_close(f"MLP gradients ({framework} vs NumPy)", [p.grad.numpy() for p in model.params], grads_np)


def bench_mlp(params, batches, runs, warmup, repeats, loss_fn=mlp_loss):
    """Step time of tinygrad_opt vs the NumPy floor, ``repeats`` independent interleaved measurements."""
    tg_batches = [(tg.tensor(x), y) for x, y in batches]
    out = []
    for _ in range(repeats):
        np_model, tg_model = NumpyMLP(params), TinygradMLP(params, loss_fn)
        other_load = load_meter()
        med = interleaved(
            {"numpy": cycling(batches, np_model.step), "tinygrad_opt": cycling(tg_batches, tg_model.step)},
            runs,
            warmup,
        )
        out.append(
            {
                "numpy_ms": med["numpy"] * 1e3,
                "tinygrad_opt_ms": med["tinygrad_opt"] * 1e3,
                "ratio": med["tinygrad_opt"] / med["numpy"],
                "other_cpu_load": other_load(),
            }
        )
    return out


def bench_hvp(params, batches, runs, warmup):
    """One gradient (value_and_grad) vs one HVP in each mode, same network and batch."""
    x, y = tg.tensor(batches[0][0]), batches[0][1]
    primals = [tg.tensor(p) for p in params]
    rng = np.random.default_rng(1)
    tangents = [tg.tensor(rng.standard_normal(p.shape).astype(np.float32)) for p in primals]

    def f(ps):
        return mlp_loss(ps, x, y)

    value_and_grad = tg.value_and_grad(f)
    hv_fwd = tg.hvp(f, (primals,), (tangents,), mode="fwd-rev")[0]
    hv_rev = tg.hvp(f, (primals,), (tangents,), mode="rev-rev")[0]
    assert_close("HVP fwd-rev vs rev-rev", [h.numpy() for h in hv_fwd], [h.numpy() for h in hv_rev], 1e-3, 1e-4)
    np_model = NumpyMLP(params)
    med = interleaved(
        {
            "numpy_grad": lambda: np_model.loss_and_grads(*batches[0]),
            "grad": lambda: value_and_grad(primals),
            "hvp_fwd_rev": lambda: tg.hvp(f, (primals,), (tangents,), mode="fwd-rev"),
            "hvp_rev_rev": lambda: tg.hvp(f, (primals,), (tangents,), mode="rev-rev"),
        },
        runs,
        warmup,
    )
    return {
        **{f"{k}_ms": v * 1e3 for k, v in med.items()},
        "fwd_rev_vs_grad": med["hvp_fwd_rev"] / med["grad"],
        "rev_rev_vs_grad": med["hvp_rev_rev"] / med["grad"],
    }


def bench_peak_memory(params, batches, reps):
    x, y = batches[0]
    xt = tg.tensor(x)
    np_model, tg_model = NumpyMLP(params), TinygradMLP(params)
    np_peak = peak_bytes(lambda: np_model.step(x, y), reps)
    tg_peak = peak_bytes(lambda: tg_model.step(xt, y), reps)
    return {"numpy_mib": np_peak / 2**20, "tinygrad_opt_mib": tg_peak / 2**20, "ratio": tg_peak / np_peak}


def bench_flatness(params, batches, steps, every, start=1000):
    """RSS and tracemalloc's current size every ``every`` steps; growth from step ``start`` to the end.
    The samples go into an array made before tracing starts, so recording them allocates nothing."""
    model = TinygradMLP(params)
    feed = cycling([(tg.tensor(x), y) for x, y in batches], model.step)
    at = [1] + list(range(every, steps + 1, every))
    samples = np.zeros((len(at), 3))  # step, RSS bytes, traced bytes
    k = 0
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        for i in range(1, steps + 1):
            feed()
            if i == at[k]:
                samples[k] = i, rss_bytes(), tracemalloc.get_traced_memory()[0]
                k = min(k + 1, len(at) - 1)
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - t0
    samples[:, 1:] /= 2**20
    ref = samples[np.searchsorted(samples[:, 0], min(start, steps // 2))]
    return {
        "steps": steps,
        "seconds": seconds,
        "from_step": int(ref[0]),
        "rss_growth_mib": float(samples[-1, 1] - ref[1]),
        "traced_growth_mib": float(samples[-1, 2] - ref[2]),
        "samples": [{"step": int(a), "rss_mib": float(b), "traced_mib": float(c)} for a, b, c in samples],
    }


def bench_torch_mlp(params, batches, runs, warmup):
    """PyTorch CPU eager on the same step, interleaved with the NumPy floor."""
    check_mlp_agreement(params, *batches[0], framework="torch")
    t_batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    np_model, t_model = NumpyMLP(params), TorchMLP(params)
    med = interleaved(
        {"numpy": cycling(batches, np_model.step), "torch": cycling(t_batches, t_model.step)},
        runs,
        warmup,
        **TORCH_TURNS,
    )
    return {"numpy_ms": med["numpy"] * 1e3, "torch_ms": med["torch"] * 1e3, "ratio": med["torch"] / med["numpy"]}


def bench_cnn(runs, warmup):
    """The small CNN, tinygrad_opt vs PyTorch CPU eager (same weights, checked to agree first)."""
    rng = np.random.default_rng(2)
    params = make_cnn_params(rng)
    batches = [
        (rng.standard_normal((CNN_BATCH, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, CNN_BATCH))
        for _ in range(4)
    ]
    tg_params = [tg.tensor(p.copy(), requires_grad=True) for p in params]
    t_params = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    tg_batches = [(tg.tensor(x), y) for x, y in batches]
    t_batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    loss_tg, loss_t = cnn_loss_tg(tg_params, *tg_batches[0]), cnn_loss_torch(t_params, *t_batches[0])
    loss_tg.backward()
    loss_t.backward()
    assert_close("CNN loss (tinygrad_opt vs PyTorch)", [loss_tg.item()], [loss_t.item()])
    assert_close("CNN gradients", [p.grad.numpy() for p in tg_params], [p.grad.numpy() for p in t_params])
    for p in tg_params + t_params:
        p.grad = None
    med = interleaved(
        {
            "tinygrad_opt": cycling(tg_batches, lambda x, y: sgd_step(cnn_loss_tg, tg_params, x, y, tg.no_grad)),
            "torch": cycling(t_batches, lambda x, y: sgd_step(cnn_loss_torch, t_params, x, y, torch.no_grad)),
        },
        runs,
        warmup,
        **TORCH_TURNS,
    )
    return {
        "tinygrad_opt_ms": med["tinygrad_opt"] * 1e3,
        "torch_ms": med["torch"] * 1e3,
        "ratio": med["tinygrad_opt"] / med["torch"],
    }


MNIST1D = {"features": 40, "classes": 10, "batch": 100, "batches": 8}


def mnist1d_model(nn_module, kind):
    """The MNIST-1D paper's networks (Greydanus 2020) in either framework's ``nn``: the MLP 40-256-256-10,
    or the CNN of three conv1d layers (25 channels, kernel 5, stride 2, padding 1) and a linear layer."""
    if kind == "mlp":
        return nn_module.Sequential(
            nn_module.Linear(40, 256), nn_module.ReLU(), nn_module.Linear(256, 256), nn_module.ReLU(),
            nn_module.Linear(256, 10),
        )  # fmt: skip
    conv = [nn_module.Conv1d(c, 25, 5, stride=2, padding=1) for c in (1, 25, 25)]
    layers = [m for c in conv for m in (c, nn_module.ReLU())]
    return nn_module.Sequential(*layers, nn_module.Flatten(), nn_module.Linear(25 * 4, 10))


def _adam_trainer(model, opt, loss_fn):
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def bench_mnist1d(kind, runs, warmup):
    """One Adam training step (lr 1e-3) of an MNIST-1D-shaped network on batches of 100, tinygrad_opt's
    nn + optim against torch.nn + torch.optim from the same initial weights, checked to agree first."""
    rng = np.random.default_rng(5)
    shape = (MNIST1D["batch"], MNIST1D["features"]) if kind == "mlp" else (MNIST1D["batch"], 1, MNIST1D["features"])
    batches = [
        (rng.standard_normal(shape).astype(np.float32), rng.integers(0, MNIST1D["classes"], MNIST1D["batch"]))
        for _ in range(MNIST1D["batches"])
    ]
    ours = mnist1d_model(tg.nn, kind)
    theirs = mnist1d_model(torch.nn, kind)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    step_tg = _adam_trainer(ours, tg.optim.Adam(ours.parameters(), lr=1e-3), tgf.cross_entropy)
    step_t = _adam_trainer(theirs, torch.optim.Adam(theirs.parameters(), lr=1e-3), F.cross_entropy)
    tg_batches = [(tg.tensor(x), y) for x, y in batches]
    t_batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    losses = [step_tg(*tg_batches[i]).item() for i in range(2)], [step_t(*t_batches[i]).item() for i in range(2)]
    assert_close(f"MNIST-1D {kind} losses of two Adam steps (tinygrad_opt vs PyTorch)", *losses)
    med = interleaved(
        {"tinygrad_opt": cycling(tg_batches, step_tg), "torch": cycling(t_batches, step_t)},
        runs,
        warmup,
        **TORCH_TURNS,
    )
    return {"tinygrad_opt_ms": med["tinygrad_opt"] * 1e3, "torch_ms": med["torch"] * 1e3,
            "ratio": med["tinygrad_opt"] / med["torch"]}  # fmt: skip


def overhead_per_step(runs, warmup):
    """Median step time of a tiny MLP (8-8-8-2, batch 4): array work is negligible there, so the
    difference tinygrad_opt - NumPy is the framework's fixed Python cost per step."""
    rng = np.random.default_rng(3)
    params, batches = make_params(rng, (8, 8, 8, 2)), make_batches(rng, 4, batch=4, features=8, classes=2)
    np_model, tg_model = NumpyMLP(params), TinygradMLP(params)
    med = interleaved(
        {
            "numpy": cycling(batches, np_model.step),
            "tinygrad_opt": cycling([(tg.tensor(x), y) for x, y in batches], tg_model.step),
        },
        runs,
        warmup,
    )
    return {
        "numpy_us": med["numpy"] * 1e6,
        "tinygrad_opt_us": med["tinygrad_opt"] * 1e6,
        "overhead_us": (med["tinygrad_opt"] - med["numpy"]) * 1e6,
    }


def profile_mlp(params, batches, steps, top=20):
    """cProfile of ``steps`` tinygrad_opt MLP steps: tinygrad_opt's functions, per step, by cumulative
    and by own time (a primitive's ``forward`` own time is its array work, BLAS included)."""
    model = TinygradMLP(params)
    feed = cycling([(tg.tensor(x), y) for x, y in batches], model.step)
    for _ in range(10):
        feed()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        feed()
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = max(ct for (_, _, _, ct, _) in stats.values())
    rows = []
    for (path, line, name), (_, calls, own, cum, _) in stats.items():
        if "tinygrad_opt" in path:
            short = path[path.index("tinygrad_opt") :]
            rows.append((f"{short}:{line}({name})", calls / steps, own / steps * 1e3, cum / steps * 1e3))
    print(f"profiled step: {total / steps * 1e3:.3f} ms (cProfile on, so slower than the timed figure)")
    for title, key in (("cumulative", 3), ("own time", 2)):
        print(f"\n{'function (by ' + title + ')':<64} {'calls/step':>10} {'own ms':>8} {'cum ms':>8}")
        for row in sorted(rows, key=lambda r: -r[key])[:top]:
            print(f"{row[0]:<64} {row[1]:>10.1f} {row[2]:>8.3f} {row[3]:>8.3f}")


# --------------------------------------------------------------------------- report


def git_state():
    """The commit benchmarked and whether tinygrad_opt/ had uncommitted changes (None outside git)."""

    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "tinygrad_opt")),
        }
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older NumPy has no dict mode; the BLAS name is a nicety
        blas = "unknown"
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "tinygrad_opt": tg.__version__,
        "torch": None,
        "torch_threads": None,
        "thread_env": {k: os.environ[k] for k in THREAD_VARS if k in os.environ},
        "git": git_state(),
    }
    return info


def verdicts(results):
    """Each SPEC §12 target with the measured figure and pass/fail (None where not measured)."""
    mlp = statistics.median(r["ratio"] for r in results["mlp"])
    hvp, mem, flat = results["hvp"], results["peak_memory"], results["flatness"]
    cnn = results.get("cnn")
    flat_ok = abs(flat["traced_growth_mib"]) <= 1.0 and flat["rss_growth_mib"] <= 10.0
    rows = [
        ("MLP step / NumPy step", mlp, TARGETS["mlp_step_vs_numpy"]),
        ("HVP fwd-rev / gradient", hvp["fwd_rev_vs_grad"], TARGETS["hvp_vs_grad"]),
        ("HVP rev-rev / gradient", hvp["rev_rev_vs_grad"], TARGETS["hvp_vs_grad"]),
        ("peak memory / NumPy", mem["ratio"], TARGETS["peak_memory_vs_numpy"]),
        ("CNN step / PyTorch", cnn["ratio"] if cnn else None, TARGETS["cnn_step_vs_torch"]),
        ("MLP step op by op / NumPy step", results["mlp_op_by_op"][0]["ratio"], TARGETS["mlp_step_vs_numpy"]),
    ]
    for kind in ("mlp", "cnn"):
        r = results.get(f"mnist1d_{kind}")
        rows.append((f"MNIST-1D {kind} Adam step / PyTorch", r["ratio"] if r else None, TARGETS["mnist1d_vs_torch"]))
    out = [
        {
            "figure": name,
            "measured": value,
            "target": f"<= {target}",
            "pass": None if value is None else bool(value <= target),
        }
        for name, value, target in rows
    ]
    out.append(
        {
            "figure": f"memory growth over {flat['steps']:,} steps",
            "measured": flat["traced_growth_mib"],
            "target": f"flat (traced <= 1 MiB, RSS <= 10 MiB from step {flat['from_step']:,})",
            "pass": flat_ok,
        }
    )
    out.append(
        {
            "figure": "GPU (CuPy) targets",
            "measured": None,
            "target": "see SPEC §12",
            "pass": None,
            "note": "not measured by this script (CPU only)",
        }
    )
    return out


def _fmt(value, unit=""):
    return "—" if value is None else f"{value:.3g}{unit}"


def _revision(git):
    if not git:
        return "an unknown revision"
    return f"commit {git['commit']}" + (" with uncommitted changes" if git["dirty"] else "")


def markdown(results):
    """The results as Markdown: the targets table, then the medians behind it."""
    m, load = results["machine"], results["other_cpu_load"]
    lines = [
        f"Measured {results['date']} on {m['cpu']} ({m['usable_cores']} cores), Python {m['python']}, "
        f"NumPy {m['numpy']} ({m['blas']}), PyTorch {m['torch'] or 'not installed'}; "
        f"tinygrad_opt at {_revision(m['git'])}; {'quick' if results['quick'] else 'full'} run, "
        f"{results['seconds']:.0f} s.",
        "",
        "| figure | measured | target | pass |",
        "|---|---|---|---|",
    ]
    for v in results["verdicts"]:
        if v["figure"].startswith("memory growth"):
            value = f"{v['measured'] * 1024:+.1f} KiB traced, {results['flatness']['rss_growth_mib']:+.1f} MiB RSS"
        else:
            value = "—" if v["measured"] is None else f"{v['measured']:.3f}×"  # 1.003 must not print as 1
        ok = {True: "yes", False: "**no**", None: v.get("note", "not measured")}[v["pass"]]
        lines.append(f"| {v['figure']} | {value} | {v['target']} | {ok} |")
    lines += ["", "| median timing | value | other CPU load |", "|---|---|---|"]
    for i, r in enumerate(results["mlp"], 1):
        lines.append(
            f"| MLP step, measurement {i}: NumPy / tinygrad_opt | {r['numpy_ms']:.3f} / {r['tinygrad_opt_ms']:.3f} ms "
            f"(**{r['ratio']:.3f}×**) | {_fmt(r['other_cpu_load'])} |"
        )
    h, mem, flat = results["hvp"], results["peak_memory"], results["flatness"]
    lines += [
        f"| gradient: NumPy by hand / tinygrad_opt value_and_grad | {h['numpy_grad_ms']:.3f} / {h['grad_ms']:.3f} ms "
        f"| {_fmt(load['hvp'])} |",
        f"| HVP fwd-rev / rev-rev | {h['hvp_fwd_rev_ms']:.3f} / {h['hvp_rev_rev_ms']:.3f} ms | {_fmt(load['hvp'])} |",
        f"| peak memory of one step: NumPy / tinygrad_opt | {mem['numpy_mib']:.2f} / {mem['tinygrad_opt_mib']:.2f} MiB "
        f"| — |",
        f"| {flat['steps']:,} training steps (tracemalloc on) | {flat['seconds']:.1f} s; growth from step "
        f"{flat['from_step']:,}: RSS {flat['rss_growth_mib']:+.2f} MiB, traced {flat['traced_growth_mib']:+.4f} MiB "
        f"| {_fmt(load['flatness'])} |",
    ]
    if results.get("torch_mlp"):
        t, c = results["torch_mlp"], results["cnn"]
        lines += [
            f"| MLP step: NumPy / PyTorch eager | {t['numpy_ms']:.3f} / {t['torch_ms']:.3f} ms ({t['ratio']:.3f}×) "
            f"| {_fmt(load['torch_mlp'])} |",
            f"| CNN step: tinygrad_opt / PyTorch eager | {c['tinygrad_opt_ms']:.3f} / {c['torch_ms']:.3f} ms "
            f"({c['ratio']:.3f}×) | {_fmt(load['cnn'])} |",
        ]
        for kind in ("mlp", "cnn"):
            r = results[f"mnist1d_{kind}"]
            lines.append(
                f"| MNIST-1D-shaped {kind}, Adam step, batch 100: tinygrad_opt / PyTorch eager | "
                f"{r['tinygrad_opt_ms']:.3f} / {r['torch_ms']:.3f} ms ({r['ratio']:.3f}×) "
                f"| {_fmt(load[f'mnist1d_{kind}'])} |"
            )
        if results.get("cnn_retained"):
            r = results["cnn_retained"]
            lines.append(
                f"| CNN step after `backend.retain_freed_memory()` (not the verdict): tinygrad_opt / PyTorch | "
                f"{r['tinygrad_opt_ms']:.3f} / {r['torch_ms']:.3f} ms ({r['ratio']:.3f}×) "
                f"| {_fmt(load['cnn_retained'])} |"
            )
    else:
        lines.append(f"| PyTorch comparisons | {results['torch_note']} | — |")
    r = results["mlp_op_by_op"][0]
    lines.append(
        f"| MLP step written op by op (`h @ W + b`): NumPy / tinygrad_opt | {r['numpy_ms']:.3f} / "
        f"{r['tinygrad_opt_ms']:.3f} ms (**{r['ratio']:.3f}×**) | {_fmt(r['other_cpu_load'])} |"
    )
    o = results["overhead"]
    lines.append(
        f"| tiny MLP 8-8-8-2, batch 4: NumPy / tinygrad_opt (fixed cost per step) | {o['numpy_us']:.0f} / "
        f"{o['tinygrad_opt_us']:.0f} µs | {_fmt(load['overhead'])} |"
    )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs; 1,000 steps for the memory check")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "latest.json"))
    parser.add_argument("--markdown", default=str(ROOT / "benchmarks" / "results" / "latest.md"))
    parser.add_argument("--profile", action="store_true", help="profile the tinygrad_opt MLP step and exit")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    params, batches = make_params(rng), make_batches(rng, 8)
    if args.profile:
        print("=== MLP 784-512-512-10, batch 128 (the reference step)")
        profile_mlp(params, batches, steps=200)
        tiny = np.random.default_rng(3)
        print("\n=== MLP 8-8-8-2, batch 4: array work is negligible, what is left is Python overhead")
        profile_mlp(make_params(tiny, (8, 8, 8, 2)), make_batches(tiny, 4, 4, 8, 2), steps=2000)
        o = overhead_per_step(500, 50)
        print(
            f"\ntiny MLP timed without the profiler: NumPy {o['numpy_us']:.0f} us, tinygrad_opt "
            f"{o['tinygrad_opt_us']:.0f} us per step -> framework overhead {o['overhead_us']:.0f} us per step"
        )
        return 0
    runs, warmup = (40, 5) if args.quick else (200, 20)
    steps = 1000 if args.quick else 10_000
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    check_mlp_agreement(params, *batches[0])
    results = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "quick": args.quick, "machine": machine_info()}
    load = results["other_cpu_load"] = {}
    sections = [
        ("mlp", "MLP step (3 interleaved measurements)", bench_mlp, (params, batches, runs, warmup, 3)),
        ("hvp", "HVP vs gradient", bench_hvp, (params, batches, max(runs // 2, 20), warmup)),
        ("peak_memory", "peak memory of one step", bench_peak_memory, (params, batches, 5)),
        ("flatness", f"memory over {steps} training steps", bench_flatness, (params, batches, steps, steps // 20)),
        ("overhead", "fixed per-step overhead (tiny MLP)", overhead_per_step, (runs * 2, warmup)),
        ("mlp_op_by_op", "MLP step written op by op", bench_mlp, (params, batches, runs, warmup, 1, mlp_loss_op_by_op)),
    ]
    for key, title, fn, args_ in sections:
        results[key], load[key] = timed_section(title, fn, *args_)
    if load_torch():
        results["machine"].update(torch=torch.__version__, torch_threads=torch.get_num_threads())
        results["torch_mlp"], load["torch_mlp"] = timed_section(
            "PyTorch MLP step", bench_torch_mlp, params, batches, runs, warmup
        )
        results["cnn"], load["cnn"] = timed_section("small CNN vs PyTorch", bench_cnn, max(runs // 2, 20), warmup)
        for kind in ("mlp", "cnn"):
            results[f"mnist1d_{kind}"], load[f"mnist1d_{kind}"] = timed_section(
                f"MNIST-1D-shaped {kind} + Adam vs PyTorch", bench_mnist1d, kind, runs, warmup
            )
        if tg.backend.retain_freed_memory():  # last: it changes the allocator for the rest of the process
            results["cnn_retained"], load["cnn_retained"] = timed_section(
                "small CNN vs PyTorch, freed memory retained", bench_cnn, max(runs // 2, 20), warmup
            )
    else:
        results["torch_note"] = "torch is not importable: PyTorch MLP and CNN comparisons skipped"
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    results["seconds"] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    results["verdicts"] = verdicts(results)
    table = markdown(results)
    print()
    print(table)
    for path, text in ((args.json, json.dumps(results, indent=2)), (args.markdown, table)):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text if text.endswith("\n") else text + "\n")
    print(f"wrote {args.json} and {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
