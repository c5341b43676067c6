"""The command line: ``tinygrad-opt train`` (the README's main job), ``tinygrad-opt tour`` and bad arguments."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinygrad_opt.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _accuracy(text):
    return float(re.search(r"test accuracy ([0-9.]+)", text).group(1))


def test_default_train_reaches_95_percent_on_the_digits_and_repeats_itself(capsys, device):
    assert main(["train", "--device", device]) == 0
    first = capsys.readouterr().out
    assert f"on {device}" in first and "epoch 10/10" in first
    assert _accuracy(first) >= 0.95
    main(["train", "--device", device])
    assert capsys.readouterr().out == first  # same seed, same numbers


def test_cnn_reaches_97_percent(capsys):
    assert main(["train", "--model", "cnn", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and _accuracy(out) >= 0.97


@pytest.mark.parametrize("name", ["adam", "kfac", "adahessian", "lookahead", "lbfgs"])
def test_other_optimizers_and_schedules_run_by_name(capsys, name):
    assert main(["train", "--optimizer", name, "--schedule", "onecycle", "--epochs", "1", "--quiet"]) == 0
    assert 0 <= _accuracy(capsys.readouterr().out) <= 1


def test_tour_reproduces_the_seed_examples(capsys, device):
    assert main(["tour", "--device", device]) == 0
    text = capsys.readouterr().out
    assert "at (3, 2): (10, 18)" in text
    assert "rev == fwd == closed form: True" in text
    assert "HVP fwd-rev [ 802. -600.] == rev-rev [ 802. -600.] == H v [ 802. -600.]" in text


def test_bare_command_prints_help_with_both_subcommands(capsys):
    assert main([]) == 0
    assert "{train,tour}" in capsys.readouterr().out


BAD = [
    (["--optimizer", "foo"], "--optimizer: unknown optimizer 'foo'"),
    (["--model", "rnn"], "--model: unknown model"),
    (["--data", "cifar"], "--data: unknown data set"),
    (["--schedule", "zzz"], "--schedule: unknown schedule"),
    (["--lr", "-1"], "--lr: must be a finite number > 0"),
    (["--lr", "nan"], "--lr: must be a finite number > 0"),
    (["--epochs", "0"], "--epochs: must be an integer >= 1"),
    (["--batch-size", "0"], "--batch-size: must be an integer >= 1"),
    (["--device", "tpu"], "--device: unknown device 'tpu'"),
    (["--resume"], "--resume: needs --checkpoint-dir"),
    (["--device", ""], "--device: unknown device ''"),
    (["--seed", "-1"], "--seed: must be an integer >= 0"),
    (["--plot", "/nonexistent-dir/curves.png"], "--plot: '/nonexistent-dir' does not exist"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_are_one_line_and_exit_code_2_through_the_console_script(args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "tinygrad_opt", "train", *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def _train(ckpt, epochs=6, extra=()):
    cmd = [sys.executable, "-m", "tinygrad_opt", "train", "--epochs", str(epochs), "--quiet", "--checkpoint-dir"]
    return cmd + [str(ckpt), *extra]


def test_killed_runs_resume_to_the_uninterrupted_result(tmp_path):
    """SIGKILL at several moments, resume each time: the final line equals an uninterrupted run's."""
    env = {**os.environ, "TINYGRAD_OPT_FAKE_CUDA": ""}
    args = ("--optimizer", "adam", "--lr", "0.01", "--model", "cnn")
    straight = subprocess.run(_train(tmp_path / "straight", extra=args), capture_output=True, text=True, env=env)
    assert straight.returncode == 0
    ckpt = tmp_path / "killed"
    for delay in (1.0, 1.6, 2.2):
        proc = subprocess.Popen(
            _train(ckpt, extra=(*args, "--resume") if ckpt.exists() else args),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    resumed = subprocess.run(_train(ckpt, extra=(*args, "--resume")), capture_output=True, text=True, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == straight.stdout


def test_bad_arguments_are_found_before_training_and_leave_the_default_device_alone(capsys, tmp_path):
    """In-process: a bad --plot or --checkpoint-dir stops the run before the first epoch (nothing is
    printed on stdout, nothing is written), and main() restores the default device it changed."""
    import tinygrad_opt as tg

    before = tg.get_default_device()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for args, option in (
        (["--plot", str(blocker / "curves.png")], "--plot"),
        (["--checkpoint-dir", str(blocker)], "--checkpoint-dir"),
        (["--model", "cnn", "--data", "mnist1d"], "--model"),
    ):
        with pytest.raises(SystemExit) as info:
            main(["train", "--device", "cpu", *args])
        captured = capsys.readouterr()
        assert info.value.code == 2 and captured.out == ""
        assert captured.err.count("\n") == 1 and f"error: {option}: " in captured.err
    assert sorted(os.listdir(tmp_path)) == ["a-file"]
    assert main(["tour", "--device", "cpu"]) == 0
    assert tg.get_default_device() == before


def test_resuming_a_checkpoint_of_another_optimizer_is_one_line_naming_resume(capsys, tmp_path):
    ckpt = str(tmp_path / "run")
    assert main(["train", "--epochs", "1", "--optimizer", "adam", "--checkpoint-dir", ckpt, "--quiet"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["train", "--epochs", "2", "--optimizer", "sgd", "--checkpoint-dir", ckpt, "--resume", "--quiet"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "error: --resume: " in err and "the optimizer state is Adam's, not SGD's" in err
