"""Every ```python block of README.md and docs/**/*.md runs, so no documentation example can go stale.

All blocks of one page run in order in one fresh namespace (one test per page, id = the page's path),
on the CPU (the values pages state come from the CPU generator; the ``--device cuda`` run skips
them), with the repository root as the working directory and ``tempfile``'s directory pointed at a fresh tmp
dir (a snippet that writes files uses ``tempfile``); an exception, including a failed ``assert`` of a
value the prose states, fails the page. A block that needs an optional package or a GPU says so in
its fence's title, which the site and GitHub both show above the code:

- ```python title="needs torch"``` (any importable module name: ``needs matplotlib``, ...) skips that
  block when the module cannot be imported;
- ```python title="needs a GPU"``` skips that block unless a real CUDA device is available.

Blocks in any other language (```bash, ```text, ```json, bare ```) are not run.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import tempfile
from pathlib import Path

import pytest

import tinygrad_opt as tg

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def python_blocks(text: str) -> list[tuple[int, list[str], str]]:
    """The ```python blocks of a Markdown text as (first line number, extra info words, code)."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m["indent"], m["fence"], shlex.split(m["info"])
        body, j = [], i + 1
        while j < len(lines) and not (lines[j].strip().startswith(fence) and lines[j].strip().strip(fence[0]) == ""):
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j].lstrip())
            j += 1
        if info and info[0] == "python":
            blocks.append((i + 1, info[1:], "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def _skip_reason(options: list[str]) -> str | None:
    """Why a block with these fence options cannot run here, or None when it can."""
    for option in options:
        title = option.removeprefix("title=")
        if not title.startswith("needs "):
            continue
        need = title.removeprefix("needs ")
        if need == "a GPU":
            if tg.backend.FAKE_CUDA or not tg.cuda_available():
                return "needs a real GPU"
        elif importlib.util.find_spec(need) is None:
            return f"needs {need}"
    return None


def test_the_extractor_reads_fences_and_flags():
    text = 'a\n```python\nx = 1\n```\n```bash\nls\n```\n  ```python title="needs torch"\n  y = 2\n  ```\n'
    assert python_blocks(text) == [(2, [], "x = 1\n"), (8, ["title=needs torch"], "y = 2\n")]
    assert _skip_reason(["title=needs no_such_module_here"]) == "needs no_such_module_here"
    assert _skip_reason(["title=needs numpy"]) is None and _skip_reason(["title=the model"]) is None


PAGES_WITH_CODE = [p for p in PAGES if python_blocks(p.read_text())]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=[str(p.relative_to(ROOT)) for p in PAGES_WITH_CODE])
def test_page_snippets_run(page, tmp_path, monkeypatch, request):
    if request.config.getoption("--device") != "cpu":
        pytest.skip("the pages' stated values are the CPU's (its generator, its default device): CPU run only")
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": f"snippets_of_{page.stem}"}
    for line, flags, code in python_blocks(page.read_text()):
        if _skip_reason(flags) is not None:
            continue
        # pad with blank lines so a traceback's line numbers are the page's own
        exec(compile("\n" * line + code, str(page.relative_to(ROOT)), "exec"), namespace)
