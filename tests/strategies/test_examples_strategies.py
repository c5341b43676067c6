"""The strategies' examples, run with --quick into a temporary directory: each writes its figure and
shows the qualitative result docs/strategies.md states for it."""

from __future__ import annotations

import importlib.util
import pathlib

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _main(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_maml_sine_meta_learned_initializations_adapt_better_than_the_pretrained_one(tmp_path):
    mse = _main("maml_sine")(["--quick", "--out", str(tmp_path)])
    assert (tmp_path / "maml_sine.png").stat().st_size > 0
    for method in ("MAML", "first-order MAML", "Reptile"):
        assert mse[method][10] < mse["pretrained"][10], method  # after 10 SGD steps on K = 10 shots
        assert mse[method][1] < mse["pretrained"][1], method  # and after one
    assert mse["MAML"][1] < mse["MAML"][0]  # one step already helps


def test_continuation_finds_the_global_minimum_where_gradient_descent_stalls(tmp_path):
    out = _main("continuation")(["--quick", "--out", str(tmp_path)])
    assert (tmp_path / "continuation.png").stat().st_size > 0
    assert abs(out["x_gd"] - 3.05) < 0.01 and abs(out["x_continuation"]) < 1e-8
    assert out["hits"]["continuation"] == out["starts"] > out["hits"]["gradient descent"]


def test_greedy_layerwise_pretraining_trains_the_deep_sigmoid_net_that_end_to_end_sgd_does_not(tmp_path):
    out = _main("layerwise_pretraining")(["--quick", "--out", str(tmp_path)])
    assert (tmp_path / "layerwise_pretraining.png").stat().st_size > 0
    assert out["e2e_test"] < 0.15  # chance level: 10 classes
    assert out["greedy_test"] > out["e2e_test"] + 0.3
