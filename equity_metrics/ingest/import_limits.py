"""Bounds on what one file may hold, checked before the slow work starts, each refused with a clear message.

- Columns: a text file wider than MAX_COLUMNS is refused from its first lines, before DuckDB reads it (a
  100,000-column CSV took 40 s to read and 113 s to import). Workbooks are bounded by their own format
  (16,384 columns) and by `workbook_scan`.
- Schools: a table naming more than MAX_SCHOOLS different schools is refused at import, before anything is
  stored (with 1,000,000 distinct school names, every split by school ran for minutes at gigabytes). A state's
  file (Texas and California have under 10,000 schools each) fits; a national one must be cut to the district.
  The same limit holds for the whole store: a table whose new schools would take the schools of every kind
  stored, together, past MAX_SCHOOLS is refused too (many files of 19,000 schools each cannot add up to more).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import quote_identifier

if TYPE_CHECKING:
    from equity_metrics.ingest.mapping import Mapping

MAX_COLUMNS = 16_384  # the most columns Excel holds: every export from a spreadsheet fits
MAX_SCHOOLS = 20_000  # different schools in one table
_HEAD_BYTES = 4 << 20  # the first lines, where the header and the first rows are
_HEAD_LINES = 20
_DELIMITERS = (",", ";", "\t", "|")


def text_width_problem(path: Path) -> str | None:
    """Why a text file is too wide to read (naming the row and its number of cells), or None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError:
        return None  # the reader names a missing file
    text = head.decode("utf-8", "replace")
    if "\n" not in text and "\r" not in text:  # not one whole line in 4 MiB: count what is there
        widest = max(text.count(d) + 1 for d in _DELIMITERS)
        return _too_wide(1, widest) if widest > MAX_COLUMNS else None
    lines = text.splitlines(keepends=True)[:_HEAD_LINES]
    first = lines[0]
    delimiter = max(_DELIMITERS, key=first.count)
    try:  # newline="": a lone carriage return inside a line is data, not a csv.Error escaping as a traceback
        widths = [len(row) for row in csv.reader(io.StringIO("".join(lines), newline=""), delimiter=delimiter)]
    except csv.Error:
        return None  # DuckDB's reader names what is wrong with the file
    for number, width in enumerate(widths, start=1):
        if width > MAX_COLUMNS:
            return _too_wide(number, width)
    return None


def _too_wide(row: int, width: int) -> str:
    return (f"row {row} has {width:,} cells, over the limit of {MAX_COLUMNS:,} columns for one table (the most a "
            "spreadsheet holds); export only the columns you need and load it again")


def school_count_problem(cursor: duckdb.DuckDBPyConnection, staged: str, good: str, mapping: Mapping,
                         label: str) -> str | None:
    """Why a staged table names too many schools to analyse (more than MAX_SCHOOLS), or None."""
    if "school_id" not in mapping.fields_supplied():
        return None
    count = int(cursor.execute(
        f"SELECT count(DISTINCT {quote_identifier('school_id')}) FROM {staged} WHERE {good}").fetchone()[0])
    column = mapping.columns.get("school_id")
    where = f" (column {column!r})" if column else ""
    if count > MAX_SCHOOLS:
        return (f"{label}: it names {count:,} different schools{where}, over the limit of {MAX_SCHOOLS:,} for one "
                "table; a district has far fewer. If it is a state or national file, keep only your district's rows "
                "(or check that the school column holds school codes or names, not student data), then load it "
                "again")
    stored, new = _store_schools(cursor, staged, good)
    if stored + new <= MAX_SCHOOLS:
        return None
    return (f"{label}: it names {new:,} schools{where} not yet in the store, which already holds {stored:,} "
            f"different schools; together they would be {stored + new:,}, over the limit of {MAX_SCHOOLS:,} for the "
            "store. Delete the datasets you no longer need on the Data page (or keep only your district's rows in "
            "this file), then load it again")


def _store_schools(cursor: duckdb.DuckDBPyConnection, staged: str, good: str) -> tuple[int, int]:
    """How many different schools the store's tables hold (every kind with a school code), and how many of the
    staged table's good rows' schools are not among them."""
    school = quote_identifier("school_id")
    tables = [quote_identifier(k.name) for k in KINDS.values() if "school_id" in k.field_names]
    stored = " UNION ".join(f"SELECT {school} FROM {t} WHERE {school} IS NOT NULL" for t in tables)
    found = cursor.execute(
        f"WITH stored AS ({stored}), new AS (SELECT DISTINCT {school} FROM {staged} WHERE ({good}) AND {school} IS "
        f"NOT NULL) SELECT (SELECT count(*) FROM stored), (SELECT count(*) FROM new ANTI JOIN stored USING ({school}))"
    ).fetchone()
    return int(found[0]), int(found[1])
