"""The runner's modules import one way (jobs <- run, jobs <- distributed; run reaches
distributed only to hand it the jobs), no private names cross modules, and no global
cache list is shared between layers."""
import ast
from pathlib import Path

import coachkit

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "coachkit"


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            yield node.module or "", [a.name for a in node.names], node.level


def test_distributed_does_not_import_run_and_jobs_imports_neither():
    dist = {m for m, _, _ in _imports(PKG / "runner" / "distributed.py")}
    jobs = {m for m, _, _ in _imports(PKG / "runner" / "jobs.py")}
    assert "run" not in dist and "jobs" in dist
    assert not jobs & {"run", "distributed"}


def test_no_private_names_imported_across_surface_modules():
    found = []
    for folder in ("runner", "cli", "widgets"):
        for path in (PKG / folder).glob("*.py"):
            for module, names, level in _imports(path):
                found += [f"{path.relative_to(ROOT)}: {module}.{n}" for n in names
                          if n.startswith("_") and n != "__future__" and module != "__future__"]
    assert not found, found


def test_no_global_cache_list_on_the_package():
    import coachkit.caching
    assert not hasattr(coachkit, "_caches") and not hasattr(coachkit, "_clear_caches")
    calls = []

    @coachkit.caching.cached(2)
    def f(x):
        calls.append(x)
        return x
    f(1), f(1)
    coachkit.caching.clear()
    f(1)
    assert calls == [1, 1]
