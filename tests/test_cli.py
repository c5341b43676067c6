"""The main job (``tinygrad-opt``): the autodiff tour prints the seed's closed forms and the digits MLP learns."""

from __future__ import annotations

import re

from tinygrad_opt.cli import main


def test_default_job_reproduces_the_seed_examples_and_learns_the_digits(capsys):
    assert main(["--epochs", "2"]) == 0
    text = capsys.readouterr().out
    assert "at (3, 2): (10, 18)" in text
    assert "rev == fwd == closed form: True" in text
    assert "HVP fwd-rev [ 802. -600.] == rev-rev [ 802. -600.] == H v [ 802. -600.]" in text
    accuracy = float(re.search(r"done: digits test accuracy ([0-9.]+)", text).group(1))
    assert accuracy > 0.85
