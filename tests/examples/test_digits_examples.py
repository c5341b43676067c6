"""examples/mlp_digits.py, cnn_digits.py and gpu_training.py in --quick mode (2 epochs through ``fit``):
they learn, and the GPU example differs from the MLP example by the device only."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import pytest
from example_loader import EXAMPLES, load_example

import tinygrad_opt as tg


def quick(name, *extra):
    return load_example(name).main(["--quick", *extra])


def test_mlp_learns_the_digits_in_two_epochs(capsys):
    result = quick("mlp_digits", "--device", "cpu")
    h = result["history"]
    assert h["epoch"] == [1, 2]
    assert h["train_loss"][0] < math.log(10)  # below chance after one epoch
    assert h["train_loss"][1] < 0.5 * h["train_loss"][0]
    assert result["test_accuracy"] >= 0.9  # 0.925 measured; chance is 0.1
    assert f"test accuracy {result['test_accuracy']:.4f}" in capsys.readouterr().out


def test_cnn_learns_the_digits_in_two_epochs():
    result = quick("cnn_digits", "--device", "cpu")
    h = result["history"]
    assert h["train_loss"][1] < h["train_loss"][0] < math.log(10)
    assert result["test_accuracy"] >= 0.7  # 0.869 measured after 2 epochs (0.964 after the default 20)


def test_full_run_writes_the_training_curves(tmp_path):
    pytest.importorskip("matplotlib")
    load_example("mlp_digits").main(["--epochs", "1", "--device", "cpu", "--out", str(tmp_path)])
    assert (tmp_path / "mlp_digits_curves.png").stat().st_size > 10_000


def test_gpu_example_equals_the_mlp_example_on_the_suites_device(device):
    """Under ``--device cuda`` this trains on the GPU; the numbers must be the CPU run's up to float32
    rounding (the weights are drawn on the CPU and the loader shuffles on the host)."""
    gpu = quick("gpu_training", "--device", device)
    cpu = quick("mlp_digits", "--device", "cpu")
    assert gpu["test_accuracy"] == cpu["test_accuracy"]
    assert gpu["history"]["train_loss"] == pytest.approx(cpu["history"]["train_loss"], rel=1e-5)
    assert gpu["test_loss"] == pytest.approx(cpu["test_loss"], rel=1e-5)


def test_gpu_example_picks_cuda_on_the_stand_in_device():
    """TINYGRAD_OPT_FAKE_CUDA=1 in a fresh process: cuda_available() is True, so the default is cuda."""
    env = {**os.environ, "TINYGRAD_OPT_FAKE_CUDA": "1"}
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "gpu_training.py"), "--quick"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    line = re.search(r"test accuracy ([\d.]+) .*test loss ([\d.]+), .*device (\S+),", run.stdout)
    assert line is not None, run.stdout
    cpu = quick("mlp_digits", "--device", "cpu")
    assert line.group(3) == "cuda:0"
    assert float(line.group(1)) == pytest.approx(cpu["test_accuracy"], abs=5e-5)
    assert float(line.group(2)) == pytest.approx(cpu["test_loss"], abs=5e-5)


def test_gpu_example_without_cuda_says_so_and_trains_on_the_cpu(monkeypatch, capsys):
    monkeypatch.setattr(tg, "cuda_available", lambda: False)
    result = quick("gpu_training")
    out = capsys.readouterr().out
    assert "no CUDA device" in out and "device cpu" in out
    assert result["test_accuracy"] >= 0.9
