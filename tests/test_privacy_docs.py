"""The examples in docs/privacy.md run and their assertions hold."""
from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "privacy.md"


def test_doc_examples_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    for k, code in enumerate(blocks):
        exec(compile(code, f"{DOC.name}[block {k}]", "exec"), namespace)
