"""GPU checks and timings of tinygrad_opt (the CUDA targets of SPEC §12) in one command.

    python benchmarks/gpu.py --out DIR                # on a machine with an NVIDIA GPU: a few minutes
    python benchmarks/gpu.py --out DIR --skip-tests   # without the test suite
    python benchmarks/gpu.py --out DIR --smoke        # tiny sizes and few steps: checks that it all runs
    TINYGRAD_OPT_FAKE_CUDA=1 python benchmarks/gpu.py --out DIR --smoke --skip-tests   # CI, on the stand-in

Writes into DIR: gpu.json (every number; a section that fails keeps its traceback there and the run goes
on), gpu.md (the table, also printed at the end), cli.txt (``python -m tinygrad_opt train --device cuda``) and
pytest.txt (the test suite under ``--device cuda``). gpu.json and gpu.md are rewritten after each
section, so a run cut short keeps what it had; the test suite runs last, killed after --test-timeout
seconds (default 400). Exit code 0 unless the script itself is broken.

Sections, in order: setup, environment, the CLI job, timings (a: MLP SGD step against hand-written CuPy
and PyTorch eager at two sizes; b: small CNN; c: MNIST-1D-shaped MLP with Adam; d: HVP / gradient cost),
e: kernels and host copies of one training step, the test suite. A timing is the median over repeated
blocks of steps, each block between two device synchronizations, the contenders taking turns
(``bench.interleaved``) after a warm-up block; float32, the same initial weights for every contender, the
batches on the device beforehand. PyTorch is optional: without it (or without CUDA) its columns stay
empty and, on a GPU, the per-step counts (read from ``torch.profiler``) are not measured. On the stand-in
device (TINYGRAD_OPT_FAKE_CUDA=1) the timings mean nothing and are reported all the same, unjudged; its
counts are exact.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # the checkout, and bench.py beside this file

import bench  # noqa: E402
from bench import cycling, git_state, interleaved, machine_info, make_batches, make_params, mlp_loss  # noqa: E402

import tinygrad_opt as tg  # noqa: E402
from tinygrad_opt import backend, nn, optim  # noqa: E402
from tinygrad_opt.nn import functional as F  # noqa: E402

DEVICE = "cuda:0"
LR = 0.01
TARGETS = {"mlp_vs_torch": 1.0, "mlp_large_vs_hand": 1.05, "cnn_vs_torch": 1.5, "mnist1d_vs_torch": 1.2}
TARGETS.update(hvp_vs_grad=3.5, to_host_per_step=0)
MNIST1D = {"sizes": (40, 256, 256, 10), "batch": 100, "samples": 4000}
FULL = {
    "mlp": {"small": ((784, 512, 512, 10), 128), "large": ((4096, 4096, 4096, 1000), 1024)},
    "repeats": 5,
    "steps": 30,
    "cnn": {"batch": 128, "steps": 20},
    "mnist1d": {**MNIST1D, "steps": 2000},
    "hvp": {"sizes": (784, 512, 512, 10), "batches": (128, 1024), "steps": 20},
    "epochs": 10,
}
SMOKE = {
    "mlp": {"small": ((32, 16, 16, 4), 8), "large": ((64, 32, 32, 8), 16)},
    "repeats": 2,
    "steps": 2,
    "cnn": {"batch": 4, "steps": 2},
    "mnist1d": {**MNIST1D, "steps": 5},
    "hvp": {"sizes": (32, 16, 16, 4), "batches": (8, 16), "steps": 2},
    "epochs": 1,
}
torch = None  # set by setup() when PyTorch imports and sees a GPU (never on the stand-in)
TORCH_NOTE = "not measured"


# --------------------------------------------------------------------------- device and contenders


def setup():
    """Make 'cuda' the default device; load PyTorch if it can use the GPU."""
    global torch, TORCH_NOTE
    tg.set_default_device(DEVICE)
    if backend.FAKE_CUDA:
        TORCH_NOTE = "not compared on the stand-in device"
    elif importlib.util.find_spec("torch") is None:
        TORCH_NOTE = "torch is not installed"
    else:
        import torch as _torch

        if _torch.cuda.is_available():
            torch = _torch
            bench.load_torch()  # bench.mlp_loss_torch uses bench's torch and F
        else:
            TORCH_NOTE = "torch.cuda.is_available() is False"
    gc.collect()
    gc.freeze()  # the imported modules' objects out of the collector's way, for every contender alike
    return {"device": DEVICE, "stand_in": backend.FAKE_CUDA, "torch": torch.__version__ if torch else TORCH_NOTE}


def sync():
    """Wait for all work queued on the GPU, CuPy's and PyTorch's."""
    backend.xp_for(DEVICE).cuda.Device().synchronize()
    if torch is not None:
        torch.cuda.synchronize()


def timed_blocks(fns, steps, repeats):
    """Median seconds per call of each zero-argument function, from ``repeats`` blocks of ``steps`` calls."""

    def block(fn):
        def run():
            sync()
            for _ in range(steps):
                fn()
            sync()

        return run

    medians = interleaved({name: block(fn) for name, fn in fns.items()}, runs=repeats, warmup=1)
    return {name: seconds / steps for name, seconds in medians.items()}


def mlp_model(lib, *, sizes):
    """Linear-ReLU-...-Linear in ``lib``: tinygrad_opt.nn or torch.nn, which share the names."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [lib.Linear(fan_in, fan_out), lib.ReLU()]
    return lib.Sequential(*layers[:-1])


def cnn_model(lib):
    conv = [lib.Conv2d(1, 32, 3), lib.ReLU(), lib.MaxPool2d(2), lib.Conv2d(32, 64, 3), lib.ReLU(), lib.MaxPool2d(2)]
    return lib.Sequential(*conv, lib.Flatten(), lib.Linear(64 * 5 * 5, 10))


def cnn_arrays(seed=2):
    """PyTorch's default init for cnn_model, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), in state-dict order."""
    rng = np.random.default_rng(seed)
    shapes = [((32, 1, 3, 3), 9), ((32,), 9), ((64, 32, 3, 3), 288), ((64,), 288), ((10, 1600), 1600), ((10,), 1600)]
    return [rng.uniform(-(b := fan_in**-0.5), b, shape).astype(np.float32) for shape, fan_in in shapes]


def cnn_batches(batch, count, seed=6):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, 1, 28, 28), np.float32), rng.integers(0, 10, batch)) for _ in range(count)]


def module_arrays(params):
    """bench.make_params' [W (in, out), b, ...] in nn.Linear's layout, W (out, in)."""
    return [np.ascontiguousarray(p.T) if p.ndim == 2 else p for p in params]


def trainer(fw, build, arrays, opt_name, opt_kw, host_batches):
    """One training step as a user writes it (forward, loss, zero_grad, backward, step) as a zero-argument
    callable cycling through ``host_batches``, which are copied to the device here, before any step."""
    if fw == "torch":
        lib, functional, optimizers = torch.nn, torch.nn.functional, torch.optim
        model = build(lib)
        model.load_state_dict({k: torch.from_numpy(a) for k, a in zip(model.state_dict(), arrays)})
        model = model.to("cuda")
        batches = [(torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()) for x, y in host_batches]
    else:
        lib, functional, optimizers = nn, F, optim
        model = build(lib)
        model.load_state_dict(dict(zip(model.state_dict(), arrays)))
        batches = [(tg.tensor(x, device=DEVICE), tg.tensor(y, device=DEVICE)) for x, y in host_batches]
    opt = getattr(optimizers, opt_name)(model.parameters(), **opt_kw)

    def step(x, y):
        loss = functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return cycling(batches, step)


def trainers(build, arrays, opt_name, opt_kw, host_batches):
    names = ["tinygrad_opt"] + (["torch"] if torch is not None else [])
    return {fw: trainer(fw, build, arrays, opt_name, opt_kw, host_batches) for fw in names}


class HandMLP:
    """The floor: bench.NumpyMLP's step written with ``xp`` (CuPy, or the stand-in) arrays, no host sync.

    z = a W + b, a = relu(z); d z_out = (softmax - onehot(y)) / n; dW = a^T dz; db = sum_rows dz;
    dz = (dz W^T) * 1[z > 0]; W -= lr dW, b -= lr db."""

    def __init__(self, params, xp):
        self.xp, self.params, self.rows = xp, [xp.asarray(p) for p in params], {}

    def step(self, x, y):
        xp, n = self.xp, len(y)
        weights, biases = self.params[0::2], self.params[1::2]
        acts, pre = [x], []
        for w, b in zip(weights, biases):
            pre.append(acts[-1] @ w + b)
            acts.append(xp.maximum(pre[-1], 0))
        shifted = pre[-1] - pre[-1].max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        rows = self.rows[n] if n in self.rows else self.rows.setdefault(n, xp.arange(n))
        loss = (xp.log(total[:, 0]) - shifted[rows, y]).mean()
        dz = e / total
        dz[rows, y] -= 1
        dz /= n
        for layer in reversed(range(len(weights))):
            grad_w, grad_b = acts[layer].T @ dz, dz.sum(axis=0)
            if layer:
                dz = (dz @ weights[layer].T) * (pre[layer - 1] > 0)
            weights[layer] -= LR * grad_w
            biases[layer] -= LR * grad_b
        return loss


def first_losses(steps):
    """Each contender's loss on its first step (same weights, same batch): they must agree."""
    losses = {name: float(step().item()) for name, step in steps.items()}
    spread = (max(losses.values()) - min(losses.values())) / max(abs(min(losses.values())), 1e-12)
    return {"first_loss": losses, "losses_agree": bool(spread < 1e-3)}


def check(figure, measured, target, timing=True):
    """One SPEC target: the figure, the bound it must not exceed, pass (None where not measured, and for
    timings on the stand-in device, where they mean nothing)."""
    judged = measured is not None and not (timing and backend.FAKE_CUDA)
    return {"figure": figure, "measured": measured, "target": target, "pass": measured <= target if judged else None}


def timed_result(workload, unit, scale, medians, **extra):
    out = {"workload": workload, "unit": unit, **extra, **{k: v * scale for k, v in medians.items()}}
    out["ours_vs_torch"] = medians["tinygrad_opt"] / medians["torch"] if "torch" in medians else None
    out["ours_vs_hand"] = medians["tinygrad_opt"] / medians["hand_cupy"] if "hand_cupy" in medians else None
    return out


def dashed(sizes):
    return "-".join(map(str, sizes))


# --------------------------------------------------------------------------- timings


def bench_mlp(cfg, size):
    sizes, batch = cfg["mlp"][size]
    params = make_params(np.random.default_rng(0), sizes)
    host = make_batches(np.random.default_rng(1), 4, batch, sizes[0], sizes[-1])
    steps = trainers(partial(mlp_model, sizes=sizes), module_arrays(params), "SGD", {"lr": LR}, host)
    xp = backend.xp_for(DEVICE)
    steps["hand_cupy"] = cycling([(xp.asarray(x), xp.asarray(y)) for x, y in host], HandMLP(params, xp).step)
    agree = first_losses(steps)
    medians = timed_blocks(steps, cfg["steps"], cfg["repeats"])
    r = timed_result(f"MLP {dashed(sizes)}, batch {batch}, SGD step", "ms", 1e3, medians, **agree)
    r["checks"] = [check("vs PyTorch", r["ours_vs_torch"], TARGETS["mlp_vs_torch"])]
    if size == "large":
        r["checks"].append(check("vs hand CuPy", r["ours_vs_hand"], TARGETS["mlp_large_vs_hand"]))
    return r


def bench_cnn(cfg):
    batch = cfg["cnn"]["batch"]
    steps = trainers(cnn_model, cnn_arrays(), "SGD", {"lr": LR}, cnn_batches(batch, 4))
    agree = first_losses(steps)
    medians = timed_blocks(steps, cfg["cnn"]["steps"], cfg["repeats"])
    r = timed_result(f"small CNN, batch {batch}, SGD step", "ms", 1e3, medians, **agree)
    r["checks"] = [check("vs PyTorch", r["ours_vs_torch"], TARGETS["cnn_vs_torch"])]
    return r


def mnist1d_steps(cfg):
    """Adam steps on synthetic MNIST-1D-shaped data: Gaussian inputs, labels from a fixed linear rule (so
    the classes are separable), the whole set on the device in batches."""
    c, rng = cfg["mnist1d"], np.random.default_rng(7)
    sizes, batch = c["sizes"], c["batch"]
    x = rng.standard_normal((c["samples"], sizes[0]), np.float32)
    y = (x @ rng.standard_normal((sizes[0], sizes[-1]))).argmax(axis=1)
    host = [(x[i : i + batch], y[i : i + batch]) for i in range(0, len(x), batch)]
    arrays = module_arrays(make_params(np.random.default_rng(3), sizes))
    return trainers(partial(mlp_model, sizes=sizes), arrays, "Adam", {"lr": 1e-3}, host)


def bench_mnist1d(cfg):
    """Wall time of K Adam steps per framework (after 10 warm-up steps), and the loss each ends at."""
    steps, k = mnist1d_steps(cfg), cfg["mnist1d"]["steps"]
    agree, seconds, final = first_losses(steps), {}, {}
    for name, step in steps.items():
        for _ in range(10):
            step()
        sync()
        t0 = time.perf_counter()
        for _ in range(k):
            loss = step()
        sync()
        seconds[name], final[name] = time.perf_counter() - t0, float(loss.item())
    workload = f"MNIST-1D MLP {dashed(cfg['mnist1d']['sizes'])} + Adam, {k} steps (wall)"
    r = timed_result(workload, "s", 1, seconds, final_loss=final, **agree)
    r["checks"] = [check("vs PyTorch", r["ours_vs_torch"], TARGETS["mnist1d_vs_torch"])]
    return r


def torch_hvp_fns(params, tangents, x, y):
    """PyTorch's gradient (autograd.grad) and HVP (torch.func jvp of grad; double backward if that fails)."""
    ps, vs = [torch.tensor(p, device="cuda") for p in params], [torch.tensor(v, device="cuda") for v in tangents]
    xt, yt = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()
    leaves = [p.clone().requires_grad_() for p in ps]

    def grad():
        return torch.autograd.grad(bench.mlp_loss_torch(leaves, xt, yt), leaves)

    def hvp_func():
        return torch.func.jvp(torch.func.grad(lambda q: bench.mlp_loss_torch(q, xt, yt)), (ps,), (vs,))[1]

    def hvp_double():
        g = torch.autograd.grad(bench.mlp_loss_torch(leaves, xt, yt), leaves, create_graph=True)
        return torch.autograd.grad(g, leaves, grad_outputs=vs)

    try:
        hv, mode, hvp = hvp_func(), "torch.func.jvp(grad)", hvp_func
    except Exception as exc:  # forward-mode AD missing for an op: fall back to reverse-over-reverse
        hv, mode, hvp = hvp_double(), f"double backward ({type(exc).__name__} from torch.func)", hvp_double
    return {"torch": hvp, "torch_grad": grad}, mode, [h.cpu().numpy() for h in hv]


def bench_hvp(cfg, which):
    """Time of one tg.hvp (default mode) over that of one gradient, of the MLP loss w.r.t. its parameters."""
    c, rng = cfg["hvp"], np.random.default_rng(4)
    sizes, batch = c["sizes"], c["batches"][which]
    params = make_params(rng, sizes)
    x, y = make_batches(rng, 1, batch, sizes[0], sizes[-1])[0]
    tangents = [rng.standard_normal(p.shape, np.float32) for p in params]
    xt, yt = tg.tensor(x, device=DEVICE), tg.tensor(y, device=DEVICE)
    primals, vs = [tg.tensor(p, device=DEVICE) for p in params], [tg.tensor(v, device=DEVICE) for v in tangents]

    def loss(ps):
        return mlp_loss(ps, xt, yt)

    value_and_grad = tg.value_and_grad(loss)
    fns = {"tinygrad_opt": lambda: tg.hvp(loss, (primals,), (vs,))}
    fns["tinygrad_opt_grad"] = lambda: value_and_grad(primals)
    extra = {"hvp_mode": "fwd-rev (default)"}
    if torch is not None:
        torch_fns, extra["torch_hvp_mode"], torch_hv = torch_hvp_fns(params, tangents, x, y)
        ours = [h.numpy() for h in fns["tinygrad_opt"]()[0]]
        extra["hvp_max_abs_diff_vs_torch"] = max(float(np.abs(a - b).max()) for a, b in zip(ours, torch_hv))
        fns.update(torch_fns)
    m = timed_blocks(fns, c["steps"], cfg["repeats"])
    r = timed_result(f"HVP / gradient, MLP {dashed(sizes)}, batch {batch}", "ms", 1e3, m, **extra)
    r["ours_hvp_vs_grad"] = m["tinygrad_opt"] / m["tinygrad_opt_grad"]
    r["torch_hvp_vs_grad"] = m["torch"] / m["torch_grad"] if torch is not None else None
    r["checks"] = [check("HVP / gradient", r["ours_hvp_vs_grad"], TARGETS["hvp_vs_grad"])]
    return r


# --------------------------------------------------------------------------- kernels and copies per step


def count_one(fn):
    """Kernels, device->host and host->device copies of one call of ``fn`` (already warmed up)."""
    if backend.FAKE_CUDA:
        from tinygrad_opt.testing import fake_cuda

        with fake_cuda.counting() as c:
            fn()
        return {"kernels": c.kernels, "to_host": c.to_host, "to_device": c.to_device, "source": "stand-in counters"}
    unmeasured = {"kernels": None, "to_host": None, "to_device": None}
    if torch is None:
        return unmeasured | {"source": f"not measured: {TORCH_NOTE}"}
    from torch.profiler import ProfilerActivity, profile

    sync()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        sync()
    names = [e.name for e in prof.events() if str(getattr(e, "device_type", "CUDA")).endswith("CUDA")]
    kernels = sum(not n.startswith(("Memcpy", "Memset")) for n in names)
    if not kernels:  # a training step launches kernels: the profiler saw nothing, so it cannot tell 0 copies
        return unmeasured | {"source": "not measured: torch.profiler recorded no CUDA kernels"}
    to_host, to_device = (sum(n.startswith(f"Memcpy {kind}") for n in names) for kind in ("DtoH", "HtoD"))
    return {"kernels": kernels, "to_host": to_host, "to_device": to_device, "source": "torch.profiler"}


def bench_counts(cfg):
    """Kernels and host copies of one warmed-up step: SGD on the small MLP (a), SGD on the CNN (b), Adam
    on the MNIST-1D MLP (c)."""
    sizes, batch = cfg["mlp"]["small"]
    host = make_batches(np.random.default_rng(5), 2, batch, sizes[0], sizes[-1])
    arrays = module_arrays(make_params(np.random.default_rng(0), sizes))
    cases = {
        f"SGD step, MLP {dashed(sizes)}, batch {batch}": trainers(
            partial(mlp_model, sizes=sizes), arrays, "SGD", {"lr": LR}, host
        ),
        f"SGD step, small CNN, batch {cfg['cnn']['batch']}": trainers(
            cnn_model, cnn_arrays(), "SGD", {"lr": LR}, cnn_batches(cfg["cnn"]["batch"], 1)
        ),
        f"Adam step, MNIST-1D MLP, batch {cfg['mnist1d']['batch']}": mnist1d_steps(cfg),
    }
    out = {"steps": {}, "checks": []}
    for case, steps in cases.items():
        for step in steps.values():
            for _ in range(3):
                step()
        out["steps"][case] = {name: count_one(step) for name, step in steps.items()}
        ours = out["steps"][case]["tinygrad_opt"]["to_host"]
        out["checks"].append(check(f"{case}: D→H copies", ours, TARGETS["to_host_per_step"], timing=False))
    return out


# --------------------------------------------------------------------------- subprocesses


def run_logged(cmd, log_path, timeout):
    """Run ``cmd`` in the checkout, its output going to ``log_path``; its process group killed on timeout."""
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        kw = {"cwd": ROOT, "stdin": subprocess.DEVNULL, "stdout": log, "stderr": subprocess.STDOUT}
        proc = subprocess.Popen(cmd, start_new_session=True, **kw)
        try:
            code, timed_out = proc.wait(timeout), False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code, timed_out = proc.wait(), True
    out = {"command": "python " + " ".join(cmd[1:]), "exit_code": code, "timed_out": timed_out}
    return out | {"wall_s": time.perf_counter() - t0, "output": Path(log_path).read_text(errors="replace")}


def run_cli(out_dir, epochs):
    cmd = [sys.executable, "-m", "tinygrad_opt", "train", "--device", "cuda", "--epochs", str(epochs)]
    r = run_logged(cmd, out_dir / "cli.txt", 600)
    found = re.findall(r"test accuracy ([0-9.]+)", r.pop("output"))
    return r | {"accuracy": float(found[-1]) if found else None}


def run_tests(out_dir, smoke, timeout):
    # -o addopts=: pyproject's addopts holds -q already, and -qq would drop pytest's summary line
    cmd = [sys.executable, "-m", "pytest", "--device", "cuda", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    if smoke:
        cmd.append("tests/test_backend.py")
    elif importlib.util.find_spec("xdist") is not None:
        cmd += ["-n", "8"]
    r = run_logged(cmd, out_dir / "pytest.txt", timeout)
    text = r.pop("output")
    found = [ln.strip("= ") for ln in text.splitlines() if re.search(r"\d+ (passed|failed|errors?|skipped) ", ln)]
    summary = found[-1] if found else None
    words = re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", summary or "")
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M)
    return r | {"summary": summary, "counts": {k.rstrip("s"): int(n) for n, k in words}, "failed": failed}


# --------------------------------------------------------------------------- environment and report


def environment():
    """Date, commit, host and library versions; the GPU as CuPy, nvidia-smi and PyTorch see it."""
    info = machine_info() | {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    info.update(git=git_state(), python=platform.python_version(), torch=torch.__version__ if torch else TORCH_NOTE)
    if backend.FAKE_CUDA:
        return info | {"gpu": "stand-in CUDA device (TINYGRAD_OPT_FAKE_CUDA)"}
    try:
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        info.update(cupy=cupy.__version__, cuda_runtime=cupy.cuda.runtime.runtimeGetVersion())
        info.update(gpu=name.decode() if isinstance(name, bytes) else str(name), CUPY_TF32=os.environ.get("CUPY_TF32"))
    except Exception as exc:  # recorded; the timing sections will fail on their own
        info["gpu"] = f"CuPy unavailable ({type(exc).__name__}: {exc})"
    if shutil.which("nvidia-smi"):
        smi = ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"]
        info["nvidia_smi"] = subprocess.run(smi, capture_output=True, text=True, timeout=30).stdout.strip()
    if torch is not None:
        matmul = torch.backends.cuda.matmul
        info.update(torch_cuda=torch.version.cuda, torch_gpu=torch.cuda.get_device_name(0))
        info.update(torch_fp32_matmul=getattr(matmul, "fp32_precision", None) or f"allow_tf32={matmul.allow_tf32}")
        info["cudnn"] = torch.backends.cudnn.version()
    return info


def section(results, out_dir, name, fn, *args):
    """Run one section; a failure is recorded with its traceback and the run goes on."""
    print(f"[{name}] ...", flush=True)
    t0 = time.perf_counter()
    try:
        entry = {"ok": True, "result": fn(*args)}
    except Exception as exc:
        entry = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        print(entry["traceback"], file=sys.stderr, flush=True)
    entry["seconds"] = round(time.perf_counter() - t0, 3)
    results["sections"][name] = entry
    results["seconds"] += entry["seconds"]
    checks = [(k, c) for k, e in results["sections"].items() if e["ok"] for c in e["result"].get("checks", [])]
    results["verdicts"] = [{"section": k, **c} for k, c in checks]
    gc.collect()
    (out_dir / "gpu.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / "gpu.md").write_text(markdown(results))


def _get(results, name):
    entry = results["sections"].get(name)
    return entry["result"] if entry and entry["ok"] else None


def _num(value, unit=""):
    return "—" if value is None else f"{value:.3g}{unit}"


VERDICT = {True: "yes", False: "**no**", None: "—"}


def timing_row(r):
    """workload | tinygrad_opt | hand CuPy | PyTorch | ratio | target | verdict of one timing section."""

    def cell(name):  # HVP rows: "HVP / gradient" times
        v, g = r.get(name), r.get(f"{name}_grad")
        return "—" if v is None else f"{v:.3g}{'' if g is None else f' / {g:.3g}'} {r['unit']}"

    if "ours_hvp_vs_grad" in r:
        ratio = f"{_num(r['ours_hvp_vs_grad'], '×')} (PyTorch {_num(r['torch_hvp_vs_grad'], '×')})"
    else:
        parts = [(r["ours_vs_torch"], "PyTorch"), (r["ours_vs_hand"], "hand CuPy")]
        ratio = ", ".join(f"{v:.3g}× {name}" for v, name in parts if v is not None) or "—"
    target = ", ".join(f"{c['figure']} ≤ {c['target']}" for c in r["checks"])
    verdict = " / ".join(VERDICT[c["pass"]] for c in r["checks"])
    return (r["workload"], cell("tinygrad_opt"), cell("hand_cupy"), cell("torch"), ratio, target, verdict)


def count_rows(counts):
    def cell(c):
        return "—" if not c else f"{_num(c['to_host'])} D→H, {_num(c['to_device'])} H→D, {_num(c['kernels'])} kernels"

    for (case, per), c in zip(counts["steps"].items(), counts["checks"]):
        ours = per["tinygrad_opt"]
        row = (f"{case} ({ours['source']})", cell(ours), "—", cell(per.get("torch")), "—", "0 D→H copies")
        yield (*row, VERDICT[c["pass"]])


def markdown(results):
    env = _get(results, "environment") or {}
    git = env.get("git") or {}
    gpu = env.get("gpu", "?")
    if "cupy" in env:
        gpu += f" (nvidia-smi: {env.get('nvidia_smi', '—')}), CuPy {env['cupy']}, CUDA runtime {env['cuda_runtime']}"
    dirty = " with uncommitted changes in tinygrad_opt/" if git.get("dirty") else ""
    lines = [
        f"# tinygrad_opt on the GPU ({'smoke' if results['smoke'] else 'full'} run, {results['seconds']:.0f} s)",
        "",
        f"{env.get('date', '?')}, {gpu}; PyTorch {env.get('torch', '—')}; Python {env.get('python', '?')}, "
        f"NumPy {env.get('numpy', '?')}; commit {git.get('commit', '?')}{dirty}.",
        "",
    ]
    if results["stand_in"]:
        lines += ["Stand-in device: the timings are NumPy on the CPU and left unjudged; the counts are exact.", ""]
    rows = [timing_row(r) for name in TIMINGS if (r := _get(results, name))]
    rows += list(count_rows(_get(results, "counts") or {"steps": {}, "checks": []}))
    lines += ["| workload | tinygrad_opt | hand CuPy | PyTorch | ratio | target | verdict |", "|---" * 7 + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    disagree = [name for name in TIMINGS if (r := _get(results, name)) and r.get("losses_agree") is False]
    if disagree:
        lines += [f"First-step losses differ between the contenders in: {', '.join(disagree)} (see gpu.json).", ""]
    for key, title in (("cli", "CLI"), ("tests", "Tests")):
        if r := _get(results, key):
            outcome = f"accuracy {_num(r['accuracy'])}" if key == "cli" else (r["summary"] or "no summary line")
            code = f"exit code {r['exit_code']}" + (" (timed out)" if r["timed_out"] else "")
            lines.append(f"- {title} `{r['command']}`: {outcome}; {code}, {r['wall_s']:.0f} s")
            lines += [f"  - failed: `{t}`" for t in r.get("failed", [])[:40]]
    failed = [(k, v["error"]) for k, v in results["sections"].items() if not v["ok"]]
    if failed:
        lines += ["", "Sections that failed (tracebacks in gpu.json):"] + [f"- {k}: {e}" for k, e in failed]
    return "\n".join(lines) + "\n"


TIMINGS = {  # section: (function, its arguments after the configuration)
    "mlp_small": (bench_mlp, "small"),
    "mlp_large": (bench_mlp, "large"),
    "cnn": (bench_cnn,),
    "mnist1d": (bench_mnist1d,),
    "hvp_small_batch": (bench_hvp, 0),
    "hvp_large_batch": (bench_hvp, 1),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for gpu.json, gpu.md, cli.txt and pytest.txt")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and few steps")
    parser.add_argument("--skip-tests", action="store_true", help="do not run the test suite")
    parser.add_argument("--test-timeout", type=float, default=400, help="seconds for the test suite (default 400)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = SMOKE if args.smoke else FULL
    results = {"smoke": args.smoke, "stand_in": backend.FAKE_CUDA, "targets": TARGETS, "seconds": 0.0, "sections": {}}
    plan = [("setup", setup), ("environment", environment), ("cli", run_cli, out_dir, cfg["epochs"])]
    plan += [(name, fn, cfg, *extra) for name, (fn, *extra) in TIMINGS.items()]
    plan.append(("counts", bench_counts, cfg))
    if not args.skip_tests:
        plan.append(("tests", run_tests, out_dir, args.smoke, args.test_timeout))
    for name, fn, *fn_args in plan:
        section(results, out_dir, name, fn, *fn_args)
    print("\n" + markdown(results))
    print(f"wrote {out_dir / 'gpu.json'} and {out_dir / 'gpu.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
