"""Fixtures shared by the meeting-log tests: a fresh SQLite file or a clean PostgreSQL
database per test."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from coachkit.store.schema import TABLES


@pytest.fixture(scope="session")
def pg_db(pg_url):
    """A database of its own for this test session (dropped at the end)."""
    name = f"ck_store_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def clean_pg(url):
    """Empty the log's tables (the schema stays), so every test starts from nothing."""
    from coachkit.store import MeetingLog
    MeetingLog(url).close()
    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in TABLES) + " CASCADE"))
    eng.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The log's URL on each backend: a new SQLite file, or the session's PostgreSQL
    database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    return clean_pg(request.getfixturevalue("pg_db"))


def log_cli(db: str):
    """``(ok, run)`` for the ``coachkit log`` command on DB: ``ok(*args)`` runs
    ``coachkit log --db DB *args``, asserts it succeeded and returns its output stripped;
    ``run(args, **kw)`` is CliRunner's invoke of the whole CLI."""
    from click.testing import CliRunner

    from coachkit.cli import main

    def run(args, **kw):
        return CliRunner().invoke(main, args, **kw)

    def ok(*args, input=None):
        r = run(["log", "--db", db, *args], input=input)
        assert r.exit_code == 0, r.output
        return r.output.strip()
    return ok, run


def run_doc_examples(page: str, tmp_path, monkeypatch, *, timeout: int = 240) -> dict:
    """Run a docs page's examples as a reader would, in TMP_PATH with no COACHKIT_DB:
    its python blocks in one namespace, then each bash block (failing on the first error).
    Returns the python blocks' count and the bash blocks' outputs."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path
    doc = (Path(__file__).parents[1] / "docs" / page).read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COACHKIT_DB", raising=False)
    ns: dict = {}
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    for block in blocks:
        exec(compile(block, f"docs/{page}", "exec"), ns)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("COACHKIT_DB", None)
    outputs = []
    for block in re.findall(r"```bash\n(.*?)```", doc, flags=re.S):
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env,
                           capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, r.stderr
        outputs.append(r.stdout)
    return {"python": len(blocks), "bash": outputs}
