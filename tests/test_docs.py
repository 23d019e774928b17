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
