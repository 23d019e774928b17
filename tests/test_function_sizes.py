"""Issue 19: no function in the library runs over 80 lines; a longer one becomes named helpers."""

from __future__ import annotations

import ast
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[1] / "equity_metrics"
MAX_LINES = 80


def long_functions(path: Path, root: Path, limit: int = MAX_LINES) -> list[str]:
    """Every function of `path` (nested ones and methods included) over `limit` lines, from its `def` line to
    its last line (decorators not counted), as 'path:line name (N lines)' with the path relative to `root`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = node.end_lineno - node.lineno + 1
            if lines > limit:
                found.append(f"{path.relative_to(root).as_posix()}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_library_function_over_80_lines() -> None:
    offenders = [entry for path in sorted(LIBRARY.rglob("*.py")) for entry in long_functions(path, LIBRARY.parent)]
    assert not offenders, "functions over 80 lines:\n" + "\n".join(offenders)


def test_the_size_check_names_a_long_function_and_skips_decorators(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(79))
    probe = tmp_path / "probe.py"
    probe.write_text(f"@staticmethod\n@staticmethod\ndef fits():\n{body}\n\n\n"
                     f"class A:\n    async def long(self):\n    {body.replace(chr(10), chr(10) + '    ')}\n"
                     "        return 1\n")
    assert long_functions(probe, tmp_path) == ["probe.py:86 long (81 lines)"]


APP = LIBRARY.parent
MAX_PAGE_BLOCK_LINES = 40


def long_top_level_blocks(path: Path, root: Path, limit: int = MAX_PAGE_BLOCK_LINES) -> list[str]:
    """Every `if`, `with`, `for`, `while` or `try` at a module's top level over `limit` lines: a page's body is a
    few calls of named functions, not one long nested block."""
    blocks = (ast.If, ast.With, ast.For, ast.While, ast.Try)
    return [f"{path.relative_to(root).as_posix()}:{node.lineno} {type(node).__name__.lower()} block "
            f"({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.parse(path.read_text(), filename=str(path)).body
            if isinstance(node, blocks) and node.end_lineno - node.lineno + 1 > limit]


def test_pages_and_views_are_small_named_functions() -> None:
    """Issue 19: the app (app.py, pages/, views/) has no function over 80 lines and no top-level block over 40."""
    files = sorted([APP / "app.py", *(APP / "pages").glob("*.py"), *(APP / "views").glob("*.py")])
    offenders = [entry for path in files for entry in (*long_functions(path, APP), *long_top_level_blocks(path, APP))]
    assert not offenders, "long functions or blocks:\n" + "\n".join(offenders)
