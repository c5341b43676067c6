"""Bad-input cases: tools. See bad_input_table.py for what a case holds."""

from __future__ import annotations

import tinygrad_opt as tg
from bad_input_table import case

CASES = []

# Public entry points that take no argument a user can get wrong: object -> why.
EXEMPT = {}
