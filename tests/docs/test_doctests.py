"""The ``>>>`` examples in the package's docstrings run as doctests, so none can go stale.

Every module of ``tinygrad_opt`` is imported (found with ``pkgutil.walk_packages``, so a module that no
longer imports fails here too) and its docstrings' examples run on the CPU with the generators seeded
(``tg.manual_seed(0)`` by the suite's autouse fixture); a wrong output fails the module. The
``--device cuda`` run skips them: a repr there names the device.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import types

import pytest

import tinygrad_opt

# every module but the command-line entry point ``python -m tinygrad_opt``, which would run the CLI
MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(tinygrad_opt.__path__, prefix="tinygrad_opt.")
    if not name.endswith(".__main__")
)
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def run_doctests(module) -> doctest.TestResults:
    """Run every ``>>>`` example found in ``module`` (its own objects only) and return the counts."""
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, module.__name__):
        runner.run(test, out=lambda text: print(text, end=""))
    return runner.summarize(verbose=False)


def test_the_runner_counts_examples_and_catches_a_wrong_one():
    module = types.ModuleType("doc_example")
    module.__doc__ = ">>> 1 + 1\n2\n>>> import tinygrad_opt as tg\n>>> tg.tensor([1.0, 2.0]).sum().item()\n4.0\n"
    assert run_doctests(module) == doctest.TestResults(failed=1, attempted=3)


def test_every_module_is_found():
    assert {"tinygrad_opt.tensor", "tinygrad_opt.optim.adam", "tinygrad_opt.train.fit"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_module_imports_and_its_doctests_pass(name, request):
    if request.config.getoption("--device") != "cpu":
        pytest.skip("doctests run once, in the CPU run (reprs name the device)")
    module = importlib.import_module(name)
    assert module.__name__ == name
    results = run_doctests(module)
    assert results.failed == 0, f"{results.failed} of {results.attempted} doctests of {name} failed (output above)"
