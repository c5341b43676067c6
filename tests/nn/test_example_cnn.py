"""Smoke test of examples/cnn_digits.py: a few SGD steps on the real digits lower the loss."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cnn_digits.py"


def load_example():
    spec = importlib.util.spec_from_file_location("cnn_digits", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cnn_digits_loss_decreases_in_a_few_steps():
    result = load_example().main(epochs=1, batch_size=32, lr=0.1, max_steps=40, verbose=False)
    losses = np.array(result["losses"])
    assert len(losses) == 40 and np.isfinite(losses).all()
    assert losses[-10:].mean() < 0.8 * losses[:10].mean()
    assert losses[:10].mean() == pytest.approx(np.log(10), rel=0.15)  # chance level at the start
    assert 0.0 <= result["test_accuracy"] <= 1.0
