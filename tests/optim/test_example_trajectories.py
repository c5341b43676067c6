"""examples/optimizer_trajectories.py: over the plotted number of steps, every optimizer ends below
its start on the ravine and on Rosenbrock with its chosen settings (RAdam's un-rectified first steps
do climb on Rosenbrock, so short runs would not show this), and the script writes its three figures."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "optimizer_trajectories.py"


def _load():
    spec = importlib.util.spec_from_file_location("optimizer_trajectories", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("problem", ["ravine", "rosenbrock"])
def test_every_plotted_optimizer_descends_with_its_settings(problem):
    ex = _load()
    f, x0, _, steps = ex.PROBLEMS[problem]
    for name, (make, ravine_kw, rosen_kw) in ex.OPTIMIZERS.items():
        kw = ravine_kw if problem == "ravine" else rosen_kw
        _, losses = ex.trajectory(lambda p, make=make, kw=kw: make(p, **kw), f, x0, steps)
        assert losses[-1] < losses[0], f"{name} did not descend on {problem}: {losses[0]} -> {losses[-1]}"


def test_script_writes_its_three_figures(tmp_path):
    pytest.importorskip("matplotlib")
    _load().main(["--scale", "0.02", "--out", str(tmp_path)])
    for name in ("optim_ravine.png", "optim_rosenbrock.png", "optim_loss_curves.png"):
        assert (tmp_path / name).stat().st_size > 10_000
