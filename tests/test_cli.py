"""The main job (``tinygrad-opt``): the autodiff tour prints the seed's closed forms and the digits MLP learns."""

from __future__ import annotations

import re

import pytest

from tinygrad_opt.cli import main


def test_default_job_reproduces_the_seed_examples_and_learns_the_digits(capsys, device):
    """On the test device: ``pytest --device cuda`` runs the main job as ``tinygrad-opt --device cuda``."""
    assert main(["--epochs", "2", "--device", device]) == 0
    text = capsys.readouterr().out
    assert f"tinygrad_opt 0.1.0 on {device}" in text
    assert "at (3, 2): (10, 18)" in text
    assert "rev == fwd == closed form: True" in text
    assert "HVP fwd-rev [ 802. -600.] == rev-rev [ 802. -600.] == H v [ 802. -600.]" in text
    accuracy = float(re.search(r"done: digits test accuracy ([0-9.]+)", text).group(1))
    assert accuracy > 0.85


def test_a_bad_device_is_one_line_and_exit_code_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--device", "tpu"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--device: unknown device 'tpu'" in err and "Traceback" not in err
