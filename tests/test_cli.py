"""The command line is a layer: every command is documented, every documented command line
parses against the real commands, the cheap ones run as written, and library errors become
messages and exit codes (0 ok, 1 findings, 2 usage), never a traceback."""
import os
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from coachkit.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = {"bash", "sh", "shell", "console"}


def blocks(text: str, langs) -> list[str]:
    """The bodies of the fenced blocks whose info string is in LANGS."""
    out, body, lang = [], None, None
    for line in text.splitlines():
        fence = re.match(r"^\s*```(\S*)", line)
        if fence and body is None:
            body, lang = [], fence.group(1)
        elif fence:
            if lang in langs:
                out.append("\n".join(body) + "\n")
            body = None
        elif body is not None:
            body.append(line)
    return out


def shell_blocks(page: Path) -> list[str]:
    return blocks(page.read_text(encoding="utf-8"), SHELLS)


def _command_lines(block: str) -> list[str]:
    """Every `coachkit ...` invocation in a shell block: continuations joined, comments,
    prompts, pipes, redirects and $(...) wrappers taken off."""
    text = block.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = re.sub(r"^\s*\$\s+", "", line)
        for m in re.finditer(r"(?:^|[|;(]\s*|&&\s*)((?:\.venv/bin/)?coachkit\s[^|;)\n]*)", line):
            cmd = m.group(1)
            cmd = re.split(r"\s#", cmd)[0]
            cmd = re.split(r"\s[<>]", cmd)[0]
            found.append(cmd.strip())
    return found


def _all_command_lines():
    out = []
    for page in PAGES:
        for block in shell_blocks(page):
            out += [(page.name, c) for c in _command_lines(block)]
    return out


def _mentions():
    """Every `coachkit ...` a reader sees: in shell and synopsis blocks, and in `code`."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in blocks(text, SHELLS | {"", "text"}):
            yield from _command_lines(block)
        yield from re.findall(r"`((?:\.venv/bin/)?coachkit [^`]*)`", text)


def _paths(group: click.Group, prefix=()):
    """Every command path of the CLI: ('cycle',), ('log', 'add', 'meeting'), ..."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield prefix + (name,)
        if isinstance(cmd, click.Group):
            yield from _paths(cmd, prefix + (name,))


def test_every_command_is_documented():
    shown = {_parse(shlex.split(line)[1:], strict=False) for line in _mentions()}
    shown |= {p[:i] for p in shown for i in range(len(p))}      # a command shows its group
    missing = [" ".join(p) for p in _paths(main) if p not in shown]
    assert not missing, f"commands no docs page shows: {missing}"
    assert set(COMMANDS) == {"sample", "validate", "demo", "cycle", "dashboard", "showcase", "log",
                             "profiles", "serve", "audit"}


def _parse(args: list[str], strict: bool = True) -> tuple:
    """Parse ARGS the way click would run them, without running, and return the command
    path. STRICT: the path must exist and every option and value must be accepted."""
    def rest(ctx):   # click 8 keeps the subcommand's tokens apart (protected_args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return [*ctx.protected_args, *ctx.args]
    cmd, ctx = main, main.make_context("coachkit", list(args), resilient_parsing=not strict)
    left, path = rest(ctx), ()
    while isinstance(cmd, click.Group) and left:
        sub = cmd.get_command(ctx, left[0])
        if sub is None and not strict:
            break
        assert sub is not None, f"no command {left[0]!r} in `coachkit {' '.join(args)}`"
        path += (left[0],)
        ctx = sub.make_context(left[0], left[1:], parent=ctx, resilient_parsing=not strict)
        cmd, left = sub, rest(ctx)
    return path


def test_every_documented_command_line_parses():
    lines = _all_command_lines()
    assert len(lines) >= 15, lines
    seen = set()
    for page, line in lines:
        args = shlex.split(line)[1:]
        try:
            path = _parse(args)
        except click.ClickException as err:
            if "does not exist" in err.format_message():
                continue          # an example path on the reader's machine (/shared/district)
            pytest.fail(f"{page}: `{line}` does not parse: {err.format_message()}")
        seen.add(path[:1])
    assert {("validate",), ("cycle",), ("dashboard",), ("showcase",), ("log",)} <= seen


def test_meeting_log_shell_example_runs(tmp_path):
    """docs/meeting-log.md's shell block, run by bash with `coachkit` on the PATH."""
    page = (ROOT / "docs" / "meeting-log.md").read_text(encoding="utf-8")
    block = next(b for b in blocks(page, SHELLS) if "coachkit log add meeting" in b)
    shim = tmp_path / "bin" / "coachkit"
    shim.parent.mkdir()
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m coachkit \"$@\"\n")
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("COACHKIT_DB", None)
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Small-group reteach" in (tmp_path / "commitments.csv").read_text()
    assert (tmp_path / "other.db").exists() and "Traceback" not in r.stderr


def test_validate_examples_run():
    r = CliRunner().invoke(main, ["validate", str(ROOT / "tests/data/oneroster/bulk")])
    assert r.exit_code in (0, 1) and "Traceback" not in r.output
    assert "students" in r.output


# ------------------------------------------------------------------ errors -> exit codes

def test_bad_data_is_exit_1_with_a_message_not_a_traceback(tmp_path):
    (tmp_path / "students.csv").write_bytes(b"\x00\xff\xfe garbage")
    r = CliRunner().invoke(main, ["cycle", "--data", str(tmp_path), "--cycle", "1",
                                  "--out", str(tmp_path / "out")])
    assert r.exit_code == 1, r.output
    assert r.output.startswith("error: ") and "Traceback" not in r.output
    assert not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit)


def test_a_value_that_does_not_fit_the_data_is_exit_2():
    r = CliRunner().invoke(main, ["showcase", "--data", str(DATA), "--school", "S101",
                                  "--cycle", "99"])
    assert r.exit_code == 2 and "unknown cycle 99" in r.output
    r = CliRunner().invoke(main, ["showcase", "--data", str(DATA), "--school", "S101",
                                  "--method", "no_such_method"])
    assert r.exit_code == 2 and "unknown mastery method" in r.output
    r = CliRunner().invoke(main, ["dashboard", "--ip", "0.0.0.0", "--no-browser"])
    assert r.exit_code == 2 and "--token" in r.output


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(monkeypatch):
    import coachkit.runner

    def boom(*a, **k):
        raise RuntimeError("the disk caught fire")
    monkeypatch.setattr(coachkit.runner, "run_cycle", boom)
    args = ["cycle", "--data", str(DATA), "--cycle", "1"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1 and "RuntimeError: the disk caught fire" in r.output
    assert "--debug" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["--debug", *args])
    assert isinstance(r.exception, RuntimeError)


def test_python_dash_m_and_the_console_script_entry_point():
    import tomllib
    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["coachkit"]
    module, attr = entry.split(":")
    import importlib
    assert getattr(importlib.import_module(module), attr) is main
    r = subprocess.run([sys.executable, "-m", "coachkit", "--help"], capture_output=True,
                       text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 0 and all(name in r.stdout for name in COMMANDS)


def test_library_modules_do_not_use_click():
    """Only coachkit/cli/ talks click; the library raises its own errors."""
    users = [str(p.relative_to(ROOT)) for p in (ROOT / "coachkit").rglob("*.py")
             if "cli" not in p.relative_to(ROOT / "coachkit").parts
             and re.search(r"^\s*(import click|from click)", p.read_text(), re.M)]
    assert not users, users
