"""The bad-input table (SPEC §11): every case makes one bad or edge call through the public API and
checks the exception class (a TinygradOptError that is also the matching builtin), the message
fragments (the function called, the values, the fix) and that the state is unchanged. NumPy
warnings are errors here, so a leak on NaN/inf input is caught. The coverage test fails when a
public function, class, Tensor method or property has no case and no stated exemption."""

from __future__ import annotations

import cases_core
import cases_nn
import cases_optim
import cases_strategies
import cases_tools
import pytest
from bad_input_table import public_entry_points, run_case

PARTS = (cases_core, cases_nn, cases_optim, cases_strategies, cases_tools)
CASES = [c for part in PARTS for c in part.CASES]
EXEMPT = {id(obj): why for part in PARTS for obj, why in part.EXEMPT.items()}


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input(c):
    run_case(c)


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_the_table_holds_at_least_300_cases():
    assert len(CASES) >= 300, len(CASES)


def test_every_public_entry_point_has_a_bad_input_case_or_a_stated_exemption():
    covered = {id(obj) for c in CASES for obj in c.covers}
    missing = [name for name, obj in public_entry_points().items() if id(obj) not in covered and id(obj) not in EXEMPT]
    assert not missing, f"no bad-input case for: {missing}"


def test_exemptions_give_a_reason_and_name_nothing_that_has_a_case():
    covered = {id(obj) for c in CASES for obj in c.covers}
    for part in PARTS:
        for obj, why in part.EXEMPT.items():
            assert isinstance(why, str) and len(why) > 10, obj
            assert id(obj) not in covered, f"{obj} is both exempt and covered"
