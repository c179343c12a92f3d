"""The io seams run one way: no import cycle among the foundation and data modules, and
no private name imported from one of them into another (issue 15, step 3)."""
import ast
from pathlib import Path

import coachkit

ROOT = Path(coachkit.__file__).parent
MODULES = ["schema", "errors", "checks", "dataset"] + [
    f"io.{p.stem}" for p in (ROOT / "io").glob("*.py") if p.stem != "__init__"]


def _imports(module: str):
    """(imported module, names) for every import in MODULE, inside functions too."""
    path = ROOT / (module.replace(".", "/") + ".py")
    package = module.rsplit(".", 1)[0] if "." in module else ""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".") if package else []
            base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join(base + ([node.module] if node.module else []))
            yield target, [a.name for a in node.names]


def test_no_import_cycles_among_foundation_and_io():
    graph = {m: {t for t, _ in _imports(m) if t in MODULES} for m in MODULES}
    seen, stack = set(), []

    def visit(m):
        if m in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
        if m in seen:
            return
        stack.append(m)
        for t in graph[m]:
            visit(t)
        stack.pop()
        seen.add(m)

    for m in MODULES:
        visit(m)
    assert "io.coerce" not in graph["schema"]
    assert not {t for t in graph["io.pipeline"] if t.startswith("io.") and t not in ("io.coerce",)}


def test_no_private_names_from_the_pipeline_readers_or_foundation():
    owned = {"schema", "errors", "checks", "dataset", "io.pipeline", "io.read", "io.coerce",
             "io.files", "io.sql", "io.diagnostics", "io.dask"}
    bad = [(m, t, n) for m in MODULES for t, names in _imports(m) if t in owned
           for n in names if n.startswith("_")]
    assert not bad
