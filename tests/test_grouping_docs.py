"""Every Python block in docs/grouping.md runs, in order, in one namespace."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "grouping.md"


def test_grouping_docs_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 6
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), ns)
    text = out.getvalue()
    assert "working toward 3.NF.A.2 — place fractions on a number line" in text
    assert "Ms. Lee" in text and "1.0" in text
    assert ns["public"]["suppressed"].all()
    assert ns["pinned"].set_index("student_id").loc["S01", "group"] == 2
    # the need example: the student far along with one early gap sits with the finishers
    ng = ns["need_groups"].set_index("student_id")
    assert ng.loc["S05", "group"] == ng.loc["S06", "group"] != ng.loc["S01", "group"]
    assert ng.loc["S05", "gaps"] == "3.NF.A.1"
