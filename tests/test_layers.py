"""The package's seams run one way, and no private name crosses a module boundary.

Layers, lowest first (a module may import its own layer or lower ones, never higher):
foundation (schema, errors, checks, policy, i18n, caching) <- data (dataset, io) <-
analyses (progress, grouping (flexible groups, the targeted-time block), surveys, conditions,
privacy, partitioning, the meeting-log store, the sample generator, access scopes, the audit
trail) <- views (talk, review, binder, tables, profile, wall, agenda, summary, decision
sheet, plans) <- charts <- surfaces (widgets, runner, cli, dashboard, showcase
pages, hub). The showcase builds a whole page with charts, so it sits with the surfaces. Every import counts, lazy ones inside
functions too: a lazy import only hides a cycle, it does not remove it.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coachkit"

LAYERS = {
    0: {"schema", "errors", "checks", "policy", "i18n", "caching"},
    1: {"dataset", "io"},
    2: {"progress", "grouping", "surveys", "conditions", "privacy", "partitioning", "daskops",
        "store", "sample", "access", "audit"},
    3: {"talk", "review", "binder", "tables", "profile", "wall", "agenda", "summary", "sheet",
        "plans"},
    4: {"charts"},
    5: {"widgets", "runner", "cli", "dashboard", "showcase", "hub", "__main__"},
}
LAYER_OF = {name: level for level, names in LAYERS.items() for name in names}
LAYER_NAMES = ["foundation", "data", "analyses", "views", "charts", "surfaces"]


def modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue   # Alembic's scripts restate the schema on purpose
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = modules()


def imports(module: str) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every coachkit import."""
    path, is_package = MODULES[module]
    here = module.split(".") if is_package else module.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names
                    if a.name.split(".")[0] == "coachkit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "coachkit":
                target = node.module
            else:
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.append((full, None, node.lineno) if full in MODULES
                           else (target, alias.name, node.lineno))
    return out


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYER_OF.get(parts[1]) if len(parts) > 1 else None


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in MODULES if m != "coachkit" and layer(m) is None)
    assert not unplaced, f"place these modules in a layer in tests/test_layers.py: {unplaced}"


def test_imports_run_one_way():
    upward = []
    for module in MODULES:
        mine = layer(module)
        if mine is None:
            continue
        for target, _, line in imports(module):
            theirs = layer(target)
            if theirs is not None and theirs > mine:
                upward.append(f"{module}:{line} ({LAYER_NAMES[mine]}) imports {target} "
                              f"({LAYER_NAMES[theirs]})")
    assert not upward, "imports that run upward:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES}
    # a package's __init__ re-exports its children; the child importing a sibling through
    # the package is the same edge, so it counts
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_no_private_names_across_modules():
    crossing = [f"{module}:{line} imports {name} from {target}"
                for module in MODULES for target, name, line in imports(module)
                if name and name.startswith("_") and not name.startswith("__")
                and target != module]
    assert not crossing, "private names imported across modules:\n" + "\n".join(crossing)
