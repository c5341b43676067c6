"""Run every claim of the seed-claims gallery and print (and write) the verdict table in Markdown.

Run:  python examples/gallery/run_all.py [--quick] [--out DIR] [--table FILE] [--only NAME ...]

Each claim script has ``measure(quick)``, ``judge(result) -> (agrees, why)``, ``rows(result)`` and
``plot(result, out)``; this runner calls them in turn, saves every figure, and writes the table of verdicts
(default: ``examples/gallery/verdicts.md``, outside docs/ so the site does not build it as a page).
docs/gallery.md explains each claim.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _common  # noqa: E402

CLAIMS = [
    "claim01_ravine",
    "claim02_saddle",
    "claim03_adagrad_rmsprop",
    "claim04_adam_step",
    "claim05_nesterov",
    "claim06_newton_saddle",
    "claim07_cg",
    "claim08_bn_scale",
    "claim09_bn_gn_batch",
    "claim10_init_depth",
    "claim11_minibatch_std",
    "claim12_sharpness",
]


def run(names, quick, out):
    """Measure, judge and plot each claim; returns [(name, title, agrees, why, seconds)]."""
    results = []
    for name in names:
        module = importlib.import_module(name)
        _, agrees, why, seconds = _common.run_claim(module, quick, out)
        print()
        results.append((name, module.TITLE, agrees, why, seconds))
    return results


def table(results) -> str:
    """The verdict table in Markdown."""
    lines = ["| # | claim | verdict | measured | seconds |", "|---|---|---|---|---|"]
    for name, title, agrees, why, seconds in results:
        verdict = "agrees" if agrees else "**does not agree**"
        why = why.replace("|", "\\|")  # norms |x| would end the cell
        lines.append(f"| {name[5:7]} | {title} | {verdict} | {why} | {seconds:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small runs the tests use")
    parser.add_argument("--out", default=str(_common.FIGURES), help="folder for the figures")
    parser.add_argument("--table", default=str(HERE / "verdicts.md"), help="where to write the Markdown table")
    parser.add_argument("--only", nargs="*", default=None, help="claim module names to run (default: all)")
    args = parser.parse_args(argv)
    names = args.only or CLAIMS
    start = time.perf_counter()
    results = run(names, args.quick, args.out)
    text = table(results)
    print(text)
    print(f"total {time.perf_counter() - start:.1f} s")
    path = Path(args.table)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"table: {path}")
    return results


if __name__ == "__main__":
    main()
