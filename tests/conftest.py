"""Shared test configuration: Hypothesis profiles and the device the suite runs on.

Profiles: ``ci`` (default; bounded examples, no deadline) and ``dev`` (more examples). Select with
HYPOTHESIS_PROFILE. Device: ``pytest --device cuda`` or TINYGRAD_OPT_TEST_DEVICE=cuda runs every test
that takes the ``device`` fixture on the GPU; tests marked ``cuda`` skip without CuPy/GPU.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import tinygrad_opt as tg

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):
    parser.addoption(
        "--device",
        default=os.environ.get("TINYGRAD_OPT_TEST_DEVICE", "cpu"),
        help="device for device-generic tests: cpu (default) or cuda",
    )


def _requested_device(config) -> str:
    return tg.backend.parse_device(config.getoption("--device"))


@pytest.fixture(scope="session")
def device(request):
    dev = _requested_device(request.config)
    if dev != "cpu" and not tg.cuda_available():
        pytest.skip(f"device {dev!r} requested but CUDA is unavailable (no CuPy or no GPU)")
    return dev


@pytest.fixture(autouse=True)
def _default_device(request):
    """Under ``--device cuda`` every test runs with cuda as the default device, so each tensor a test
    makes without ``device=`` (NumPy data, lists, factories, layers) lives there: the whole suite is
    device-generic. Tests that need the CPU say ``device='cpu'``."""
    dev = _requested_device(request.config)
    if dev == "cpu" or not tg.cuda_available():
        yield
        return
    previous = tg.backend._default_device
    tg.set_default_device(dev)
    yield
    tg.backend._default_device = previous


def pytest_collection_modifyitems(config, items):
    if tg.cuda_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA (CuPy with a GPU); install tinygrad_opt[cuda] on a GPU machine")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seeded():
    tg.manual_seed(0)
    yield
