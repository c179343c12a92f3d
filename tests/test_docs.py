"""Every docs page's Python blocks run as written, in order, in one namespace per page,
from a scratch folder that sees the repository's sample_data, tests, notebooks and docs.

A block may be left out only with a reason the reader sees, on the line before it:
``<!-- not run in the tests: needs ... -->`` (an outside service). Shell examples are
checked in tests/test_cli.py.
"""
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# pages whose blocks run in their own test, with assertions of their own
ELSEWHERE = {"grouping.md": "test_grouping_docs.py", "privacy.md": "test_privacy_docs.py",
             "showcase.md": "test_showcase.py"}
NOT_RUN = re.compile(r"<!-- not run in the tests: (.+?) -->")
PG_EXAMPLE = "postgresql+psycopg://coach@db.example.org/district"


def python_blocks(text: str) -> list[tuple[str, str | None]]:
    """(code, reason it is not run or None) for each ```python block, dedented (a block
    may sit in a list item)."""
    out, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if re.match(r"^\s*```python\s*$", lines[i]):
            before = next((ln for ln in reversed(lines[:i]) if ln.strip()), "")
            skip = NOT_RUN.search(before)
            j = i + 1
            while not re.match(r"^\s*```\s*$", lines[j]):
                j += 1
            out.append((textwrap.dedent("\n".join(lines[i + 1:j])) + "\n",
                        skip.group(1) if skip else None))
            i = j
        i += 1
    return out


def _scratch(tmp_path: Path) -> Path:
    for name in ("sample_data", "tests", "notebooks", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "sample_data" / "district", tmp_path / "district")   # written to
    return tmp_path


def _pg_url():
    url = os.environ.get("COACHKIT_TEST_PG_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("COACHKIT_TEST_PG_URL is not set (needed for docs/data-sources.md)")
    return url


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if p.name not in ELSEWHERE],
                         ids=lambda p: p.name)
def test_python_blocks_run(page, tmp_path, monkeypatch):
    from traitlets.config import Config
    monkeypatch.chdir(_scratch(tmp_path))
    monkeypatch.delenv("COACHKIT_DB", raising=False)
    monkeypatch.delenv("COACHKIT_DATA", raising=False)
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    assert blocks
    namespace = {"c": Config()}          # Jupyter config files (c.JupyterHub..., c.ServerProxy...)
    for n, (code, skip) in enumerate(blocks, 1):
        if skip:
            continue
        if PG_EXAMPLE in code:           # the reader's server; here the test server
            url = _pg_url()
            if not url:
                pytest.skip("COACHKIT_TEST_PG_URL not set")
            code = code.replace(PG_EXAMPLE, url)
        exec(compile(code, f"{page.name} block {n}", "exec"), namespace)


def test_every_page_is_run_somewhere_and_skips_say_why():
    for page in PAGES:
        blocks = python_blocks(page.read_text(encoding="utf-8"))
        if page.name in ELSEWHERE:
            test = (ROOT / "tests" / ELSEWHERE[page.name]).read_text()
            assert page.name in test, f"{ELSEWHERE[page.name]} does not run {page.name}"
        skipped = [reason for _, reason in blocks if reason]
        assert all(len(r) > 10 and r.startswith("needs") for r in skipped), (page.name, skipped)
    total = sum(len(python_blocks(p.read_text())) for p in PAGES)
    skipped = sum(1 for p in PAGES for _, r in python_blocks(p.read_text()) if r)
    # two Kubernetes/Dask Gateway blocks, two district-server blocks of docs/deploy.md
    assert skipped <= 4 and total >= 50, (skipped, total)


def test_jupyter_config_examples_start_a_real_command():
    """The JupyterHub and server-proxy blocks in docs/dashboards.md run `coachkit dashboard`
    with options the command accepts."""
    from traitlets.config import Config

    from coachkit.cli import main
    blocks = [b for b, _ in python_blocks((ROOT / "docs" / "dashboards.md").read_text())
              if "c." in b and "coachkit" in b]
    assert len(blocks) == 2
    for block in blocks:
        ns = {"c": Config()}
        exec(block, ns)
        cfg = ns["c"]
        cmds = ([s["command"] for s in cfg.JupyterHub.services] if "JupyterHub" in cfg else
                [s["command"] for s in cfg.ServerProxy.servers.values()])
        for cmd in cmds:
            assert cmd[:2] == ["coachkit", "dashboard"]
            args = [a.replace("{port}", "8866").replace("{base_url}", "/user/x/") for a in cmd[2:]]
            if "--data" in args:          # the reader's folder
                k = args.index("--data")
                del args[k:k + 2]
            ctx = main.make_context("coachkit", ["dashboard", *args])
            sub = main.get_command(ctx, "dashboard")
            sub.make_context("dashboard", args, parent=ctx)          # raises if it would not parse
