"""The fused CUDA kernels (``tinygrad_opt/kernels.py``) against their NumPy references, without a GPU.

Each kernel's CUDA body is compiled twice from one generated source: with the host C++ compiler (each
body inside a loop over the elements, bound as CuPy binds them: ``const T &x`` for an input element,
``T &out`` for an output element, a pointer for a ``raw`` array, ``i`` the element's index) and run on
random and edge-case inputs in float32 and float64, compared with the reference that the stand-in
device runs in CI; and with ``nvcc`` for a GPU architecture, so the device code at least compiles
(skipped where nvcc is not installed). The optimizers' fused updates are then checked against their
op-by-op ``_update`` through the real flat-group path.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import kernels, nn, optim
from tinygrad_opt.nn import functional as F

CTYPES = {"T": None, "int64": "long long", "bool": "bool"}
FLOATS = {np.float32: "float", np.float64: "double"}


def _bindings(kernel, index: str) -> str:
    """How CuPy binds each parameter inside the loop (all arguments arrive as pointers in ``_args``)."""
    lines = []
    n_in = kernel.n_in
    for k, (t, name, raw) in enumerate(kernel.params):
        ctype = "T" if t == "T" else CTYPES[t]
        const = "const " if k < n_in else ""
        if raw:
            lines.append(f"{const}{ctype}* {name} = ({const}{ctype}*)_args[{k}];")
        else:
            lines.append(f"{const}{ctype}& {name} = (({const}{ctype}*)_args[{k}])[{index}];")
    return "\n        ".join(lines)


def _source(cuda: bool) -> str:
    parts = ["#include <cmath>", "using namespace std;"]
    for kernel in kernels.KERNELS:
        for ctype in FLOATS.values():
            fn = f"{kernel.name}_{ctype}"
            if cuda:
                head = f'extern "C" __global__ void {fn}(long long _n, void** _args)'
                loop = "long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; if (i < _n) {"
            else:
                head = f'extern "C" void {fn}(long long _n, void** _args)'
                loop = "for (long long i = 0; i < _n; ++i) {"
            parts.append(
                f"{head} {{\n    typedef {ctype} T;\n    {loop}\n        {_bindings(kernel, 'i')}\n"
                f"        {{ {kernel.body} }}\n    }}\n}}"
            )
    return "\n".join(parts)


@pytest.fixture(scope="module")
def host_library(tmp_path_factory):
    """Every kernel body compiled for the host (float and double), as a ctypes library."""
    cxx = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler on this machine")
    folder = tmp_path_factory.mktemp("kernels")
    src, lib = folder / "kernels.cpp", folder / "kernels.so"
    src.write_text(_source(cuda=False))
    subprocess.run([cxx, "-O1", "-ffp-contract=off", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return ctypes.CDLL(str(lib))


def _run_host(library, kernel, values, dtype):
    """Run the compiled body on NumPy values (inputs then outputs), as CuPy would launch it: non-raw
    arguments broadcast to the outputs' shape, scalars cast to their parameter's type. Returns the outputs."""
    n_in = kernel.n_in
    params = kernel.params
    out_shape = values[n_in].shape
    buffers = []
    for (t, _, raw), v in zip(params, values):
        want = np.dtype(dtype) if t == "T" else np.dtype(t)
        a = np.asarray(v, dtype=want)
        buffers.append(np.ascontiguousarray(a if raw else np.broadcast_to(a, out_shape)).copy())
    pointers = (ctypes.c_void_p * len(buffers))(*[b.ctypes.data for b in buffers])
    fn = getattr(library, f"{kernel.name}_{FLOATS[dtype]}")
    fn(ctypes.c_longlong(int(np.prod(out_shape))), pointers)
    return buffers[n_in:]


# ----------------------------------------------------------------------------- inputs per kernel


def _relu_backward(rng, dtype):
    x = rng.standard_normal((5, 7)).astype(dtype)
    x[0, :3] = [0.0, np.nan, -0.0]
    g = rng.standard_normal((5, 7)).astype(dtype)
    g[1, 0], x[1, 0] = np.inf, -1.0  # an infinite cotangent where x < 0 still gives 0
    return [g, x, np.empty_like(x)]


def _softmax_xent_grad(rng, dtype):
    a = rng.standard_normal((6, 4)).astype(dtype)
    logp = a - np.log(np.exp(a).sum(1, keepdims=True))
    k = np.where(rng.random((6, 4)) < 0.3, -0.25, 0.0).astype(dtype)
    return [logp, k.sum(1, keepdims=True), k, np.empty_like(a)]


def _col2im2d(rng, dtype):
    n, c, h, w, kh, kw, sh, sw, dh, dw = 2, 3, 9, 8, 3, 2, 2, 1, 1, 2
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    cols = rng.standard_normal((n, c, kh, kw, oh, ow)).astype(dtype)
    return [cols, n * c, h, w, kh, kw, oh, ow, sh, sw, dh, dw, np.empty((n, c, h, w), dtype)]


def _shift_exp(rng, dtype):
    a = rng.standard_normal((4, 5)).astype(dtype) * 3
    return [a, a.max(1, keepdims=True), np.empty_like(a), np.empty_like(a)]


def _sub_log(rng, dtype):
    z = -rng.random((4, 5)).astype(dtype)
    return [np.exp(z).sum(1, keepdims=True), z]


def _max_spread(rng, dtype):
    x = np.round(rng.standard_normal((3, 2, 2, 4)) * 2).astype(dtype)  # rounded: ties
    x[0, :, :, 0] = np.nan  # a NaN max: no entry equals it, 0/0 = NaN as in PyTorch
    m = x.max(axis=(1, 2), keepdims=True)
    ties = (x == m).sum(axis=(1, 2), keepdims=True).astype(dtype)
    return [x, m, rng.standard_normal((3, 1, 1, 4)).astype(dtype), ties, np.empty_like(x)]


def _nll_hits(rng, dtype):
    tgt = np.array([[0, 3, -100], [2, 7, 1]])  # (N, spatial) with an ignored and an out-of-range target
    return [tgt, 4, 3, -100, -0.5, np.empty((2, 4, 3), dtype)]


def _nll_hits_ignoring_a_class(rng, dtype):
    tgt = np.array([2, 1, 2, 0])
    return [tgt, 3, 1, 2, 1.0, np.empty((4, 3), dtype)]


def _divide_by_negative(rng, dtype):
    k = rng.random((3, 4)).astype(dtype)
    return [np.array(k.sum(), dtype), k]


def _sgd(rng, dtype, wd=0.01, sign=-1.0):
    p, g = rng.standard_normal((2, 10)).astype(dtype)
    return [g, -0.1, wd, sign, p]


def _sgd_momentum(rng, dtype, nesterov=True):
    p, g, buf = rng.standard_normal((3, 10)).astype(dtype)
    return [g, -0.1, 0.001, 1.0, 0.9, 0.8, nesterov, p, buf]


def _adam(rng, dtype, wd=0.0, decay=0.999):
    p, g, m = rng.standard_normal((3, 12)).astype(dtype)
    v = rng.random(12).astype(dtype)
    t = 3
    return [g, -1e-2 / (1 - 0.9**t), 0.1, 0.999, 0.001, np.sqrt(1 - 0.999**t), 1e-8, wd, -1.0, decay, p, m, v]


def _adam_amsgrad(rng, dtype, wd=0.0, decay=0.999):
    g, nstep, b1c, b2, b2c, bc2, eps, wd, sign, decay, p, m, v = _adam(rng, dtype, wd, decay)
    vmax = (v * rng.choice([0.5, 2.0], v.shape)).astype(dtype)  # the running max above and below the new r
    g[0], vmax[1] = np.nan, np.nan  # a NaN gradient or maximum propagates, as np.maximum does
    return [g, nstep, b1c, b2, b2c, bc2, eps, wd, sign, decay, p, m, v, vmax]


def _adagrad(rng, dtype, wd=0.01, sign=-1.0):
    p, g = rng.standard_normal((2, 10)).astype(dtype)
    acc = rng.random(10).astype(dtype)
    g[0], acc[0] = 0.0, 0.0  # 0 / (0 + eps) = 0
    return [g, -0.1 / (1 + 2 * 0.01), 1e-10, wd, sign, p, acc]


def _rmsprop(rng, dtype, centered, momentum, wd=0.01, sign=1.0):
    p, g, grad_avg, buf = rng.standard_normal((4, 11)).astype(dtype)
    g[0] = 0.0
    square_avg = (grad_avg * grad_avg + rng.random(11) + 0.1).astype(dtype)  # r > m², well away from it
    outs = [p, square_avg] + [grad_avg] * centered + [buf] * momentum
    return [g, -0.01, 0.9, 0.1, 1e-8, wd, sign] + [0.9] * momentum + outs


def _adadelta(rng, dtype, wd=0.0, sign=-1.0):
    p, g = rng.standard_normal((2, 10)).astype(dtype)
    square_avg, acc_delta = rng.random((2, 10)).astype(dtype)
    acc_delta[0] = 0.0
    return [g, -1.0, 0.9, 0.1, 1e-6, wd, sign, p, square_avg, acc_delta]


def _adamax(rng, dtype, wd=0.01, sign=1.0):
    p, g, m = rng.standard_normal((3, 12)).astype(dtype)
    u = (rng.random(12) * 2).astype(dtype)  # beta2 u above |g| + eps for some entries, below for others
    g[0], u[1] = np.nan, np.nan  # NaN propagates through the max, as np.maximum
    g[2] = 0.0
    return [g, -2e-3 / (1 - 0.9**3), 0.1, 0.999, 1e-8, wd, sign, p, m, u]


def _nadam(rng, dtype, wd=0.01, decay=1.0):
    p, g, m = rng.standard_normal((3, 12)).astype(dtype)
    v = rng.random(12).astype(dtype)
    return [g, 0.1, 0.999, 0.001, 1 - 0.999**3, 1e-8, -2e-3 * 0.1, -2e-3 * 0.5, wd, -1.0, decay, p, m, v]


def _radam(rng, dtype, rectified, wd=0.0, decay=0.999):
    p, g, m = rng.standard_normal((3, 12)).astype(dtype)
    v = rng.random(12).astype(dtype)
    t = 7 if rectified else 3
    rect = 0.4 if rectified else 0.0
    scalars = [0.1, 0.999, 0.001, 1 - 0.9**t, 1e-3, np.sqrt(1 - 0.999**t), rect, rectified, 1e-8, wd, 1.0, decay]
    return [g, *scalars, p, m, v]


def _rprop(rng, dtype, sign=1.0):
    p, g, prev = rng.standard_normal((3, 16)).astype(dtype)
    step_size = rng.uniform(0.01, 0.1, 16).astype(dtype)
    tiny = np.finfo(dtype).tiny
    prev[:3] = 0.0  # no previous gradient: Delta kept, theta moves
    g[3], prev[3] = tiny, tiny  # the product underflows to 0: as no agreement
    g[4] = 0.0  # a zero gradient does not move theta
    g[5], prev[5] = np.nan, 1.0  # NaN agreement: Delta kept, the step skipped
    g[6], prev[6] = np.inf, 0.0  # inf * 0 = NaN likewise
    step_size[7], g[7], prev[7] = 0.9, 1.0, 1.0  # grows past the upper bound: clipped to it
    step_size[8], g[8], prev[8] = 2e-3, 1.0, -1.0  # falls below the lower bound: clipped to it
    g[9], prev[9] = -0.0, 1.0
    return [g, 0.5, 1.2, 1e-3, 1.0, 0.0, sign, p, prev, step_size]


def _asgd(rng, dtype, average, wd=0.01, sign=-1.0):
    p, g, ax = rng.standard_normal((3, 10)).astype(dtype)
    return [g, 1 - 1e-4 * 0.05, -0.05, 0.25 if average else 1.0, average, wd, sign, p, ax]


def _delta_bar_delta(rng, dtype, sign=1.0):
    p, g, delta_bar = rng.standard_normal((3, 12)).astype(dtype)
    rate = rng.uniform(0.01, 0.1, 12).astype(dtype)
    delta_bar[:2] = 0.0  # no agreement: the rate is kept
    g[2] = np.nan  # a NaN product neither raises nor cuts the rate
    g[3] = 0.0
    return [g, 1e-3, 0.5, 0.3, 0.0, sign, p, rate, delta_bar]


CASES = [
    (kernels.relu_backward, _relu_backward),
    (kernels.softmax_xent_grad, _softmax_xent_grad),
    (kernels.col2im2d, _col2im2d),
    (kernels.shift_exp, _shift_exp),
    (kernels.sub_log, _sub_log),
    (kernels.max_spread, _max_spread),
    (kernels.nll_hits, _nll_hits),
    (kernels.nll_hits, _nll_hits_ignoring_a_class),
    (kernels.divide_by_negative, _divide_by_negative),
    (kernels.sgd, _sgd),
    (kernels.sgd, lambda rng, dtype: _sgd(rng, dtype, wd=0.0, sign=1.0)),
    (kernels.sgd_momentum, _sgd_momentum),
    (kernels.sgd_momentum, lambda rng, dtype: _sgd_momentum(rng, dtype, nesterov=False)),
    (kernels.adam, _adam),
    (kernels.adam, lambda rng, dtype: _adam(rng, dtype, wd=0.01, decay=1.0)),
    (kernels.adam_amsgrad, _adam_amsgrad),
    (kernels.adam_amsgrad, lambda rng, dtype: _adam_amsgrad(rng, dtype, wd=0.01, decay=1.0)),
    (kernels.adagrad, _adagrad),
    (kernels.adagrad, lambda rng, dtype: _adagrad(rng, dtype, wd=0.0, sign=1.0)),
    (kernels.rmsprop, lambda rng, dtype: _rmsprop(rng, dtype, False, False)),
    (kernels.rmsprop, lambda rng, dtype: _rmsprop(rng, dtype, False, False, wd=0.0, sign=-1.0)),
    (kernels.rmsprop_centered, lambda rng, dtype: _rmsprop(rng, dtype, True, False)),
    (kernels.rmsprop_momentum, lambda rng, dtype: _rmsprop(rng, dtype, False, True, sign=-1.0)),
    (kernels.rmsprop_centered_momentum, lambda rng, dtype: _rmsprop(rng, dtype, True, True)),
    (kernels.adadelta, _adadelta),
    (kernels.adadelta, lambda rng, dtype: _adadelta(rng, dtype, wd=0.1, sign=1.0)),
    (kernels.adamax, _adamax),
    (kernels.adamax, lambda rng, dtype: _adamax(rng, dtype, wd=0.0, sign=-1.0)),
    (kernels.nadam, _nadam),
    (kernels.nadam, lambda rng, dtype: _nadam(rng, dtype, wd=0.0, decay=0.999)),
    (kernels.radam, lambda rng, dtype: _radam(rng, dtype, rectified=False)),
    (kernels.radam, lambda rng, dtype: _radam(rng, dtype, rectified=True, wd=0.01, decay=1.0)),
    (kernels.rprop, _rprop),
    (kernels.rprop, lambda rng, dtype: _rprop(rng, dtype, sign=-1.0)),
    (kernels.asgd, lambda rng, dtype: _asgd(rng, dtype, average=False)),
    (kernels.asgd, lambda rng, dtype: _asgd(rng, dtype, average=True, wd=0.0, sign=1.0)),
    (kernels.delta_bar_delta, _delta_bar_delta),
    (kernels.delta_bar_delta, lambda rng, dtype: _delta_bar_delta(rng, dtype, sign=-1.0)),
]


def test_every_kernel_has_a_case():
    assert {k.name for k, _ in CASES} == {k.name for k in kernels.KERNELS}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("kernel, make", CASES, ids=[f"{k.name}-{i}" for i, (k, _) in enumerate(CASES)])
def test_cuda_body_computes_what_its_reference_does(host_library, kernel, make, dtype):
    values = make(np.random.default_rng(0), dtype)
    n_in = kernel.n_in
    host_outs = _run_host(host_library, kernel, values, dtype)
    ref_outs = kernel.run_reference([v.copy() if isinstance(v, np.ndarray) else v for v in values])
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    for name, host, ref in zip([p[1] for p in kernel.params[n_in:]], host_outs, ref_outs):
        assert ref.dtype == dtype
        np.testing.assert_allclose(host, ref, **tol, err_msg=f"{kernel.name}: output {name}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("kernel, make", CASES, ids=[f"{k.name}-{i}" for i, (k, _) in enumerate(CASES)])
def test_kernel_on_the_gpu_computes_what_its_reference_does(kernel, make, dtype, device):
    """The compiled CuPy kernel itself, where a real GPU runs the suite (``pytest --device cuda``)."""
    if device == "cpu" or tg.backend.FAKE_CUDA:
        pytest.skip("needs a real GPU (the stand-in runs the reference itself)")
    cp = tg.backend._load_cupy()
    values = make(np.random.default_rng(0), dtype)
    on_gpu = [cp.asarray(v) if isinstance(v, np.ndarray) else v for v in values]
    kernel(*on_gpu)
    ref_outs = kernel.run_reference([v.copy() if isinstance(v, np.ndarray) else v for v in values])
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    for out, ref in zip(on_gpu[kernel.n_in :], ref_outs):
        np.testing.assert_allclose(out.get(), ref, **tol, err_msg=kernel.name)


@pytest.mark.parametrize("kernel, make", CASES, ids=[f"{k.name}-{i}" for i, (k, _) in enumerate(CASES)])
def test_reference_runs_on_device_arrays_where_a_kernel_does_not_compile(kernel, make, device):
    """The fallback of a kernel that fails to compile on some GPU: its NumPy rule on the device arrays
    themselves (NumPy's functions dispatch to CuPy's), with the numbers of the NumPy run."""
    if device == "cpu":
        pytest.skip("device arrays only")
    xp = tg.backend._load_cupy()
    values = make(np.random.default_rng(0), np.float64)
    on_device = [xp.asarray(v) if isinstance(v, np.ndarray) else v for v in values]
    kernel.reference_on_device(on_device)
    ref_outs = kernel.run_reference([v.copy() if isinstance(v, np.ndarray) else v for v in values])
    for out, ref in zip(on_device[kernel.n_in :], ref_outs):
        np.testing.assert_allclose(xp.asnumpy(out), ref, rtol=1e-13, atol=1e-14, err_msg=kernel.name)


def test_a_kernel_that_does_not_compile_warns_once_and_runs_its_reference(device, monkeypatch):
    if device == "cpu" or not tg.backend.FAKE_CUDA:
        pytest.skip("simulated on the stand-in device")

    class CompileException(Exception):  # CuPy's name for an NVRTC failure
        pass

    def broken(*args):
        raise CompileException("nvrtc: error: identifier is undefined")

    kernel = kernels.Kernel("tg_test_broken", "T g, T x", "T out", "out = g;", kernels.relu_backward.reference)
    kernel._compiled["kernel"] = broken
    monkeypatch.setattr(tg.backend, "FAKE_CUDA", False)  # take the CuPy path, with the stand-in's arrays
    xp = tg.backend._load_cupy()
    g, x = xp.asarray(np.array([1.0, 2.0, 3.0])), xp.asarray(np.array([-1.0, 0.5, 2.0]))
    with pytest.warns(RuntimeWarning, match="tg_test_broken: the fused kernel does not compile here"):
        out = kernel(g, x)
    np.testing.assert_array_equal(xp.asnumpy(out), [0.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(xp.asnumpy(kernel(g, x)), [0.0, 2.0, 3.0])  # no second warning


def test_kernel_bodies_compile_for_the_gpu(tmp_path):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not installed")
    src = tmp_path / "kernels.cu"
    src.write_text(_source(cuda=True))
    result = subprocess.run(
        [nvcc, "-arch=sm_90", "-ptx", "-o", str(tmp_path / "kernels.ptx"), str(src)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ptx = (tmp_path / "kernels.ptx").read_text()
    assert all(f"{k.name}_float" in ptx and f"{k.name}_double" in ptx for k in kernels.KERNELS)


def test_a_kernel_on_numpy_arrays_runs_its_reference():
    g, x = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(kernels.relu_backward(g, x), [0.0, 0.0, 3.0])
    with pytest.raises(ValueError):
        kernels.relu_backward(g, x, np.empty(2))  # does not broadcast
    with pytest.raises(ValueError, match="Out shape"):  # broadcasts, but the output must have the whole shape
        kernels.relu_backward.run_reference([g, x, np.empty((2, 1))])
    with pytest.raises(TypeError, match="output arguments must be arrays"):  # a NumPy scalar can't be written
        kernels.relu_backward(np.float64(1.0), np.float64(2.0), np.float64(0.0))
    with pytest.raises(TypeError, match="Wrong number of arguments"):
        kernels.relu_backward(g)


# ----------------------------------------------------------------------------- the optimizers' fused path

FUSED = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd_wd_maximize": lambda p: optim.SGD(p, lr=0.1, weight_decay=0.1, maximize=True),
    "sgd_momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01),
    "sgd_nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, maximize=True),
    "adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1),
    "adam_maximize": lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99), maximize=True),
    "adamw": lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1),
    "adam_amsgrad": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1, amsgrad=True),
    "adamw_amsgrad_maximize": lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True),
    "adagrad_lr_decay": lambda p: optim.Adagrad(
        p, lr=0.1, lr_decay=0.1, initial_accumulator_value=0.5, weight_decay=0.1
    ),
    "adagrad_maximize": lambda p: optim.Adagrad(p, lr=0.1, maximize=True),
    "rmsprop": lambda p: optim.RMSprop(p, lr=0.01, weight_decay=0.1),
    "rmsprop_centered": lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True, maximize=True),
    "rmsprop_momentum": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9, weight_decay=0.01),
    "rmsprop_centered_momentum": lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True, momentum=0.5),
    "adadelta": lambda p: optim.Adadelta(p, weight_decay=0.1),
    "adadelta_maximize": lambda p: optim.Adadelta(p, lr=0.5, rho=0.8, maximize=True),
    "adamax": lambda p: optim.Adamax(p, lr=0.01, weight_decay=0.1),
    "adamax_maximize": lambda p: optim.Adamax(p, lr=0.01, betas=(0.8, 0.99), maximize=True),
    "nadam": lambda p: optim.NAdam(p, lr=0.01, weight_decay=0.1),
    "nadam_decoupled_maximize": lambda p: optim.NAdam(
        p, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True
    ),
    "radam_early": lambda p: optim.RAdam(p, lr=0.01, weight_decay=0.1),
    "radam_late": lambda p: optim.RAdam(p, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    "rprop": lambda p: optim.Rprop(p, lr=0.01),
    "rprop_clipped_maximize": lambda p: optim.Rprop(  # flips and both bounds within the four steps
        p, lr=0.2, etas=(0.2, 1.5), step_sizes=(0.05, 0.25), maximize=True
    ),
    "asgd": lambda p: optim.ASGD(p, lr=0.1, weight_decay=0.1),
    "asgd_averaging_maximize": lambda p: optim.ASGD(p, lr=0.1, t0=0, maximize=True),
    "delta_bar_delta": lambda p: optim.DeltaBarDelta(p, lr=0.1),
    "delta_bar_delta_maximize": lambda p: optim.DeltaBarDelta(p, lr=1.0, kappa=0.01, phi=0.3, theta=0.5, maximize=True),
}

STEPS = {"radam_late": 8}
"""Steps where four are not enough: RAdam's rate is rectified from step 6 on (rho_t > 5 for beta2 = 0.999),
so eight steps go through both branches; ASGD with t0=0 averages from step 3 on."""

FUSED_KERNEL = {
    **{name: kernels.sgd for name in ("sgd", "sgd_wd_maximize")},
    **{name: kernels.sgd_momentum for name in ("sgd_momentum", "sgd_nesterov")},
    **{name: kernels.adam for name in ("adam", "adam_maximize", "adamw")},
    **{name: kernels.adam_amsgrad for name in ("adam_amsgrad", "adamw_amsgrad_maximize")},
    **{name: kernels.adagrad for name in ("adagrad_lr_decay", "adagrad_maximize")},
    "rmsprop": kernels.rmsprop,
    "rmsprop_centered": kernels.rmsprop_centered,
    "rmsprop_momentum": kernels.rmsprop_momentum,
    "rmsprop_centered_momentum": kernels.rmsprop_centered_momentum,
    **{name: kernels.adadelta for name in ("adadelta", "adadelta_maximize")},
    **{name: kernels.adamax for name in ("adamax", "adamax_maximize")},
    **{name: kernels.nadam for name in ("nadam", "nadam_decoupled_maximize")},
    **{name: kernels.radam for name in ("radam_early", "radam_late")},
    **{name: kernels.rprop for name in ("rprop", "rprop_clipped_maximize")},
    **{name: kernels.asgd for name in ("asgd", "asgd_averaging_maximize")},
    **{name: kernels.delta_bar_delta for name in ("delta_bar_delta", "delta_bar_delta_maximize")},
}
"""The kernel each configuration's steps launch (SGD's momentum buffer is made op by op at step 1)."""

FIRST_STEP_OP_BY_OP = {"sgd_momentum", "sgd_nesterov"}


def _train(make_opt, fused: bool, monkeypatch, steps: int = 4):
    """``steps`` steps of a small MLP in float64 on the CPU; ``fused``: the flat group goes through the
    optimizer's fused kernel (its reference on NumPy arrays) as it does on a GPU."""
    monkeypatch.setattr(kernels, "on_device", lambda array: fused)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3)).to(dtype=tg.float64)
    opt = make_opt(model.parameters())
    opt.fused = fused  # where the kernels also run on the CPU, this alone picks the path
    rng = np.random.default_rng(1)
    x, y = tg.tensor(rng.standard_normal((8, 5))), tg.tensor(rng.integers(0, 3, 8))
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return [p.numpy().copy() for p in model.parameters()], opt.state_dict()


@pytest.mark.parametrize("name", sorted(FUSED))
def test_fused_update_equals_the_op_by_op_update(name, monkeypatch):
    steps = STEPS.get(name, 4)
    params, state = _train(FUSED[name], True, monkeypatch, steps)
    ref_params, ref_state = _train(FUSED[name], False, monkeypatch, steps)
    for a, b in zip(params, ref_params):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    assert state["param_groups"] == ref_state["param_groups"]
    for i, s in ref_state["state"].items():
        assert s.keys() == state["state"][i].keys()
        for key, value in s.items():
            np.testing.assert_allclose(state["state"][i][key], value, rtol=1e-14, atol=1e-15)


def test_the_fused_path_is_taken(monkeypatch):
    calls = []
    original = kernels.Kernel.__call__

    def spy(self, *args):
        calls.append(self.name)
        return original(self, *args)

    monkeypatch.setattr(kernels.Kernel, "__call__", spy)
    _train(FUSED["adam"], True, monkeypatch)
    assert calls.count("tg_adam") == 4


def test_every_fused_configuration_names_its_kernel():
    assert set(FUSED_KERNEL) == set(FUSED)
    optimizer_kernels = set(kernels.KERNELS[kernels.KERNELS.index(kernels.sgd) :])
    assert set(FUSED_KERNEL.values()) == optimizer_kernels  # every optimizer kernel runs in a training test


@pytest.mark.parametrize("name", sorted(FUSED))
def test_each_step_is_one_launch_of_its_kernel(name, monkeypatch):
    """Every step after the first (every step where no state is made op by op) is one launch of the
    configuration's kernel and no other optimizer kernel."""
    calls = []
    original = kernels.Kernel.__call__

    def spy(self, *args):
        calls.append(self)
        return original(self, *args)

    monkeypatch.setattr(kernels.Kernel, "__call__", spy)
    steps = STEPS.get(name, 4)
    _train(FUSED[name], True, monkeypatch, steps)
    launched = [k for k in calls if k in FUSED_KERNEL.values()]
    assert launched == [FUSED_KERNEL[name]] * (steps - (name in FIRST_STEP_OP_BY_OP))


def test_radam_late_goes_through_both_branches():
    t_rectified = [t for t in range(1, STEPS["radam_late"] + 1) if optim.RAdam._rectification(t, 0.999) is not None]
    assert t_rectified == [6, 7, 8]
