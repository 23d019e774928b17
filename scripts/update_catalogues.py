"""Update the translation catalogues from the code: every message the app and the library produce.

    .venv/bin/python scripts/update_catalogues.py          # add new messages to each locales/*/messages.po
    .venv/bin/python scripts/update_catalogues.py --check  # list messages without a translation; exit 1 if any

Messages are the strings in `gettext(...)`, `ngettext(...)`, `_(...)` and `N_(...)` calls of equity_metrics/,
views/, pages/ and app.py (Babel's Python extractor), and the column labels of the exported tables
(`export_tables.COLUMN_LABELS`) and their definitions (`DEFINITIONS`). A new message is added with an empty
translation, for a translator to fill; one no longer used is kept, marked obsolete. The glossary
(locales/glossary.csv) is edited by hand. Babel does not look inside f-strings: translate before formatting.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "_": None, "N_": None}
SOURCES = ("equity_metrics", "views", "pages")


def source_files() -> list[Path]:
    files = [p for folder in SOURCES for p in sorted((ROOT / folder).rglob("*.py"))]
    return [*files, ROOT / "app.py"]


def messages() -> dict[str | tuple[str, str], str]:
    """Every message id (a tuple for a plural) -> where it is first used ('path:line')."""
    sys.path.insert(0, str(ROOT))
    from equity_metrics.reports.export_tables import COLUMN_LABELS, DEFINITIONS

    found: dict[str | tuple[str, str], str] = {}
    for path in source_files():
        for line, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            found.setdefault(message, f"{path.relative_to(ROOT)}:{line}")
    for label in COLUMN_LABELS.values():
        found.setdefault(label, "equity_metrics/reports/export_tables.py:COLUMN_LABELS")
    for definition in DEFINITIONS.values():
        found.setdefault(definition, "equity_metrics/reports/export_tables.py:DEFINITIONS")
    return found


def template() -> Catalog:
    catalog = Catalog(project="Equity Explorer", charset="utf-8")
    for message, where in messages().items():
        path, _, line = where.rpartition(":")
        catalog.add(message, locations=[(path, int(line) if line.isdigit() else 0)], flags=["python-brace-format"]
                    if "{" in (message if isinstance(message, str) else message[0]) else [])
    return catalog


def catalogue_files() -> list[Path]:
    return sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po"))


def untranslated(path: Path) -> list[str]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    wanted = set(messages())
    missing = []
    for message in wanted:
        entry = catalog.get(message)
        strings = entry.string if entry is not None else None
        if entry is None or not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(str(message))
    return sorted(missing)


def update() -> None:
    new = template()
    for path in catalogue_files():
        with path.open("rb") as handle:
            catalog = read_po(handle)
        catalog.update(new, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=120, sort_output=False)
        print(f"{path.relative_to(ROOT)}: {len(untranslated(path))} messages to translate")


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        gaps = {str(p.relative_to(ROOT)): untranslated(p) for p in catalogue_files()}
        for path, missing in gaps.items():
            for message in missing:
                print(f"{path}: {message!r}")
        sys.exit(1 if any(gaps.values()) else 0)
    update()
