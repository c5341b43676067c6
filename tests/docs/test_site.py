"""The documentation site builds offline with ``mkdocs build --strict``: a broken link, an unresolved
cross-reference or a ``:::`` reference to a missing object fails. Runs once, in the CPU run of the suite
(the ``--device cuda`` run would build the same site again)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_site_builds_strictly(tmp_path, request):
    if request.config.getoption("--device") != "cpu":
        pytest.skip("the site is built once, in the CPU run")
    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail("mkdocs is not installed: pip install -e '.[docs]' (the test extra includes it)")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = proc.stdout + proc.stderr
    warnings = "\n".join(line for line in log.splitlines() if "WARNING" in line or "ERROR" in line)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{warnings or log}"
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "api" / "tensor.html").exists()


def _nav_pages(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [p for v in node.values() for p in _nav_pages(v)]
    return [p for item in node for p in _nav_pages(item)]


def test_every_page_is_in_the_nav():
    yaml = pytest.importorskip("yaml")  # PyYAML comes with mkdocs
    nav = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")} - {"README.md"}
    assert sorted(pages - set(nav)) == [], "pages missing from mkdocs.yml's nav"
    assert len(nav) == len(set(nav)), "a page listed twice in the nav"
