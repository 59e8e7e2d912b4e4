"""The ```python blocks of every page under docs/ run, page by page, in one namespace."""
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples_run(page):
    blocks = BLOCK.findall(page.read_text())
    namespace = {"__name__": f"docs.{page.stem}"}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)


def test_newton_cg_example_converges():
    import sys
    sys.path.insert(0, str(DOCS.parent / "examples"))
    try:
        import newton_cg
    finally:
        sys.path.pop(0)
    result, history = newton_cg.main(n=6, verbose=False)
    assert result.success and abs(result.fun) < 1e-12
    assert history[-1] < history[0]
    assert abs(result.x - 1.0).max() < 1e-5


def test_readme_examples_run(tmp_path, monkeypatch, capsys):
    blocks = BLOCK.findall((DOCS.parent / "README.md").read_text())
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)  # the README saves a checkpoint in the working directory
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert (tmp_path / "model.safetensors").exists()
