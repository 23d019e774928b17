"""The same data loaded twice, found by content, not by file bytes.

A re-saved or re-sorted export has other bytes (and another SHA-256) but the same rows; importing it would
count every student, incident, response or count twice. Before an import's rows are inserted, its rows (as
they would be stored: canonical fields, file row numbers left out) are compared, as a multiset, with the rows
of the same kind already stored for the same school years, one earlier dataset at a time. The import is
refused when most of its rows are already stored in one dataset (a re-save, a re-sort, a copy with a few rows
added) or when it holds most of an earlier dataset's rows (a later export that repeats the earlier one).

A survey without respondent IDs numbers each respondent by their row in the file, so re-sorting it changes every
stored row: such a survey is compared by respondent instead (a hash of each respondent's answers, without the
number), so the same answers in another order are still the same data.

Everything runs in DuckDB (a hash per row, grouped and joined); no row is looked at in Python. The row hash
is computed afresh each time and never stored, so it need not be stable across DuckDB versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import CATALOG_TABLE, quote_identifier

# Share of rows (of the new table, or of an earlier dataset) found in the other that makes them the same data.
# Exact copies share 100%; two different tables of one kind share few rows, since rows carry their school
# year, school, student or group, and measure.
SAME_SHARE = 0.9


@dataclass(frozen=True)
class Overlap:
    """Rows an import shares with one earlier dataset (as multisets: a row stored twice counts twice)."""

    dataset_id: int
    name: str
    imported_at: str
    shared: int
    new_rows: int
    earlier_rows: int

    def message(self, label: str) -> str:
        earlier = f"dataset {self.dataset_id} ({self.name!r}, imported {self.imported_at} UTC)"
        if self.shared == self.new_rows == self.earlier_rows:
            what = (f"holds the same {self.new_rows:,} rows as {earlier}, perhaps in another order or saved "
                    "again; importing it would count every row twice")
        elif self.shared >= SAME_SHARE * self.new_rows:
            what = (f"{self.shared:,} of its {self.new_rows:,} rows are already loaded in {earlier}; importing "
                    "it would count them twice")
        else:
            what = (f"it repeats {self.shared:,} of the {self.earlier_rows:,} rows of {earlier}; importing it "
                    "would count them twice")
        return f"{label}: {what}. Delete that dataset first to replace it, or load only the rows that are new."


def _row_hash(kind: str, leave_out: str | None = None) -> str:
    return f"hash({', '.join(quote_identifier(n) for n in KINDS[kind].field_names if n != leave_out)})"


def _counted(source: str, where: str, kind: str, by_respondent: bool, per_dataset: bool) -> str:
    """SQL counting each distinct row hash of `source` (h, n: how many times, r: rows each stands for).

    By respondent (an anonymous survey, whose response_id is each respondent's row number in the file, so a
    re-sorted file numbers everyone anew): one hash per respondent, of all their answers without the number,
    standing for that respondent's rows."""
    dataset = "dataset_id, " if per_dataset else ""
    if not by_respondent:
        return f"SELECT {dataset}{_row_hash(kind)} AS h, count(*) AS n, 1 AS r FROM {source} {where} GROUP BY ALL"
    answer = _row_hash(kind, leave_out="response_id")
    return (f"SELECT {dataset}h, count(*) AS n, any_value(rows) AS r FROM (SELECT {dataset}hash(list({answer} ORDER BY "
            f"{answer})) AS h, count(*) AS rows FROM {source} {where} GROUP BY {dataset}response_id) GROUP BY ALL")


def overlap(cursor: duckdb.DuckDBPyConnection, staged: str, good: str, kind: str,
            by_respondent: bool = False) -> Overlap | None:
    """The earlier dataset that is the same data as the staged table's good rows (the one sharing the most
    rows, if several), or None.

    `staged` is a table with the kind's canonical columns, `good` the SQL predicate of its rows to import.
    Only stored rows of the staged table's school years are hashed (every year for a kind without one).
    `by_respondent`: compare respondents' sets of answers, not rows (a survey without respondent IDs)."""
    table = quote_identifier(kind)
    years = ""
    if "school_year" in KINDS[kind].field_names:
        years = f"WHERE school_year IN (SELECT DISTINCT school_year FROM {staged} WHERE {good})"
    found = cursor.execute(
        f"""
        WITH new AS ({_counted(staged, f"WHERE {good}", kind, by_respondent, per_dataset=False)}),
        old AS ({_counted(table, years, kind, by_respondent, per_dataset=True)}),
        shared AS (SELECT old.dataset_id, sum(least(old.n, new.n) * new.r) AS shared
                   FROM old JOIN new USING (h) GROUP BY old.dataset_id),
        sized AS (SELECT d.dataset_id, d.name, strftime(d.imported_at, '%Y-%m-%d %H:%M') AS imported_at,
                         shared.shared, (SELECT sum(n * r) FROM new) AS new_rows,
                         (SELECT count(*) FROM {table} t WHERE t.dataset_id = d.dataset_id) AS earlier_rows
                  FROM shared JOIN {CATALOG_TABLE} d USING (dataset_id))
        SELECT * FROM sized WHERE shared >= $share * new_rows OR shared >= $share * earlier_rows
        ORDER BY shared DESC, dataset_id LIMIT 1
        """,
        {"share": SAME_SHARE},
    ).fetchone()
    if found is None:
        return None
    dataset_id, name, when, shared, new_rows, earlier_rows = found
    return Overlap(int(dataset_id), str(name), str(when), int(shared), int(new_rows), int(earlier_rows))
