"""Issue 19: the library's layers import only downward, no module imports another in a circle, and nothing
in the library imports Streamlit. Imports inside functions count; imports only for type checkers do not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[1] / "equity_metrics"
# Lower first: a package may import its own modules and those of any package listed before it, except that
# ingest and measures (both on storage) do not import each other.
LAYERS = ("core", "storage", "ingest", "measures", "narrative", "goals", "charts", "reports", "sample", "")
SIBLINGS = {frozenset(("ingest", "measures"))}


def _module(path: Path) -> str:
    parts = list(path.relative_to(LIBRARY.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(LIBRARY.rglob("*.py"))}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """The library modules and the top-level third-party packages a module imports."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    ours, theirs = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("equity_metrics"):  # `from package import module` needs the module only
                named = {f"{node.module}.{a.name}" for a in node.names}
                ours |= named if named <= set(MODULES) else named | {node.module}
            else:
                theirs.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("equity_metrics"):
                    ours.add(alias.name)
                else:
                    theirs.add(alias.name.split(".")[0])
    return ours, theirs


# Importing the top package (its __init__ re-exports the public API) is left out: it would link everything.
GRAPH = {name: {d for d in _imports(path)[0] if d in MODULES and d not in (name, "equity_metrics")}
         for name, path in MODULES.items()}


def _package(module: str) -> str:
    """The layer of a module: its subpackage (a subpackage's own __init__ included), "" for the top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and MODULES[module].name == "__init__.py") else ""


def test_every_module_is_in_a_layer() -> None:
    assert {_package(m) for m in MODULES} <= set(LAYERS)


def test_layers_import_only_downward() -> None:
    wrong = []
    for module, deps in GRAPH.items():
        for dep in deps:
            mine, theirs = _package(module), _package(dep)
            if mine == theirs:
                continue
            if LAYERS.index(theirs) > LAYERS.index(mine) or frozenset((mine, theirs)) in SIBLINGS:
                wrong.append(f"{module} imports {dep}")
    assert not wrong, "\n".join(sorted(wrong))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_the_library_never_imports_streamlit(module: str) -> None:
    assert "streamlit" not in _imports(MODULES[module])[1]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    """No library module over 700 lines: one job each."""
    assert len(MODULES[module].read_text().splitlines()) <= 700


def test_only_charts_and_reports_import_altair() -> None:
    """Altair is the charts' business (reports place their charts): goals, narrative and the layers below never
    import it."""
    wrong = sorted(m for m in MODULES if "altair" in _imports(MODULES[m])[1] and _package(m) not in ("charts", "reports"))
    assert not wrong, wrong
