"""Docs that stay true (issue 19): docs/methods.md lists every indicator exactly as the catalogue defines it,
the README shows every command of the command line, and its layout table names every subpackage."""

from __future__ import annotations

import re
from pathlib import Path

from equity_metrics.cli import build_parser
from equity_metrics.measures.indicators import INDICATORS

ROOT = Path(__file__).resolve().parents[1]
METHODS = (ROOT / "docs" / "methods.md").read_text()
README = (ROOT / "README.md").read_text()


def indicator_rows() -> list[str]:
    """The methods' indicator table, one line per indicator, as the catalogue says it."""
    return [f"| `{i.id}` | {i.label} | {i.domain} | {i.kind} | {i.population_label} | {i.event} |"
            for i in INDICATORS.values()]


def test_methods_lists_every_indicator_as_the_catalogue_defines_it() -> None:
    table = [line for line in METHODS.splitlines() if line.startswith("| `")]
    listed = [line for line in table if re.match(r"\| `[a-z0-9_]+` \|", line) and line.count("|") == 7]
    assert listed == indicator_rows(), "regenerate the table: python -m tests.test_docs"


def test_readme_shows_every_command() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001 (argparse keeps them here)
    missing = [c for c in commands if not re.search(rf"python -m equity_metrics {re.escape(c)}\b", README)]
    assert not missing, f"the README's command-line section lacks {missing}"


if __name__ == "__main__":  # print the table for docs/methods.md
    print("| id | indicator | domain | kind | among | measured (rate: who ...; mean: of) |\n|---|---|---|---|---|---|")
    print("\n".join(indicator_rows()))


def test_readme_layout_names_every_subpackage() -> None:
    row = next(line for line in README.splitlines() if line.startswith("| `equity_metrics/` |"))
    packages = sorted(p.parent.name for p in (ROOT / "equity_metrics").glob("*/__init__.py"))
    assert len(packages) >= 9
    missing = [p for p in packages if f"`{p}`" not in row]
    assert not missing, f"the README's layout table lacks {missing}"


def test_tests_mirror_the_packages_and_the_pages() -> None:
    """Every subpackage has its test folder, every page its tests/app/test_<page>.py, and the README's tests row
    names every test folder."""
    tests = ROOT / "tests"
    packages = {p.parent.name for p in (ROOT / "equity_metrics").glob("*/__init__.py")}
    folders = {p.name for p in tests.iterdir() if p.is_dir() and any(p.glob("test_*.py"))}
    assert packages <= folders, f"no tests folder for {sorted(packages - folders)}"
    pages = {p.stem for p in (ROOT / "pages").glob("*.py")}
    missing = sorted(p for p in pages if not (tests / "app" / f"test_{p}.py").exists())
    assert not missing, f"no tests/app/test_<page>.py for {missing}"
    row = next(line for line in README.splitlines() if line.startswith("| `tests/` |"))
    unnamed = sorted(f for f in folders if f"`tests/{f}`" not in row)
    assert not unnamed, f"the README's tests row lacks {unnamed}"
    assert not list(tests.glob("test_*.py")) or {p.name for p in tests.glob("test_*.py")} <= {
        "test_layers.py", "test_function_sizes.py", "test_docs.py"}, "tests at the top level belong in a package's folder"


def layout_rows() -> dict[str, str]:
    """The README's layout table: first cell -> second cell."""
    section = README.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ", 1) for line in section.splitlines() if line.startswith("| `")]
    return {first.removeprefix("| "): rest for first, rest in rows}


def test_readme_layout_matches_the_tree() -> None:
    """Every path the layout table names exists (or is one the runs make, listed in .gitignore), every module
    or package it names in the library's row is one,
    and every folder of the repository holding Python code has its row."""
    rows = layout_rows()
    cells = " ".join(rows) + " " + " ".join(rows.values())
    names = re.findall(r"`([^`]+)`", cells)
    paths = [n for n in names if ("/" in n or n.endswith(".py")) and not re.search(r"[<( ]", n)]
    made_by_runs = set((ROOT / ".gitignore").read_text(encoding="utf-8").split())
    missing = [p for p in paths if not (ROOT / p).exists() and p not in made_by_runs]
    assert not missing, f"the README's layout table names paths that do not exist: {missing}"
    library = ROOT / "equity_metrics"
    modules = {p.stem for p in library.rglob("*.py")} | {p.parent.name for p in library.glob("*/__init__.py")}
    row = next(v for k, v in rows.items() if k == "`equity_metrics/`")
    unknown = [n for n in re.findall(r"`([a-z_][a-z0-9_]*)`", row) if n not in modules]
    assert not unknown, f"the README's library row names no module or package of equity_metrics: {unknown}"
    python = sorted(p.name + "/" for p in ROOT.iterdir()
                    if p.is_dir() and not p.name.startswith(".") and any(p.rglob("*.py")))
    unlisted = [d for d in python if f"`{d}`" not in " ".join(rows)]
    assert not unlisted, f"the README's layout table has no row for {unlisted}"


def package_map() -> str:
    """The docstring of equity_metrics/__init__.py: the package's map."""
    return (ROOT / "equity_metrics" / "__init__.py").read_text().split('"""')[1]


def test_the_package_map_names_every_module() -> None:
    """A newcomer finds every module in the package's map, and every name the map gives is there."""
    library = ROOT / "equity_metrics"
    named = set(re.findall(r"`([a-z_][a-z0-9_]*)`", package_map()))
    modules = sorted(p.relative_to(ROOT).as_posix() for p in library.rglob("*.py")
                     if p.name not in ("__init__.py", "__main__.py") and p.stem not in named)
    assert not modules, f"equity_metrics/__init__.py's map does not name {modules}: add each where it belongs"
    import equity_metrics

    known = ({p.stem for p in library.rglob("*.py")} | {p.parent.name for p in library.glob("*/__init__.py")}
             | set(equity_metrics.__all__))
    assert named <= known, f"the map names what is not in the package: {sorted(named - known)}"
