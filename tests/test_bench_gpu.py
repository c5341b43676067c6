"""benchmarks/gpu.py keeps working: its --smoke run on the stand-in CUDA device (no GPU needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMINGS = ("mlp_small", "mlp_large", "cnn", "mnist1d", "hvp_small_batch", "hvp_large_batch")


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_bench")
    env = {**os.environ, "TINYGRAD_OPT_FAKE_CUDA": "1"}
    env.pop("TINYGRAD_OPT_DEVICE", None)
    cmd = [sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--smoke", "--skip-tests", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return proc, out


def _section(results, name):
    entry = results["sections"][name]
    assert entry["ok"], f"section {name} failed: {entry.get('traceback')}"
    return entry["result"]


def test_smoke_run_exits_0_and_writes_its_files(smoke_run):
    proc, out = smoke_run
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads((out / "gpu.json").read_text())
    assert results["smoke"] and results["stand_in"]
    assert "| workload | tinygrad_opt |" in (out / "gpu.md").read_text()
    assert "| workload | tinygrad_opt |" in proc.stdout
    assert "stand-in CUDA device" in _section(results, "environment")["gpu"]
    assert "tests" not in results["sections"]  # --skip-tests


def test_every_timing_section_produced_numbers(smoke_run):
    results = json.loads((smoke_run[1] / "gpu.json").read_text())
    for name in TIMINGS:
        r = _section(results, name)
        assert isinstance(r["tinygrad_opt"], float) and r["tinygrad_opt"] > 0, name
        assert r.get("losses_agree") is not False, (name, r.get("first_loss"))
    assert _section(results, "mlp_small")["hand_cupy"] > 0
    assert _section(results, "hvp_small_batch")["ours_hvp_vs_grad"] > 0


def test_cli_section_ran_the_job(smoke_run):
    results = json.loads((smoke_run[1] / "gpu.json").read_text())
    cli = _section(results, "cli")
    assert cli["exit_code"] == 0, (smoke_run[1] / "cli.txt").read_text()[-4000:]
    assert 0.0 <= cli["accuracy"] <= 1.0


def test_training_steps_copy_nothing_to_the_host(smoke_run):
    results = json.loads((smoke_run[1] / "gpu.json").read_text())
    steps = _section(results, "counts")["steps"]
    assert len(steps) == 3  # the SGD MLP step, the CNN step and the Adam step
    for case, per in steps.items():
        ours = per["tinygrad_opt"]
        assert ours["kernels"] > 0, case
        assert ours["to_host"] == 0, f"{case}: {ours['to_host']} device->host copies per training step"
