"""What an import of a published aggregate says about the file's own arithmetic, in plain sentences: for staff
FTE, the rows whose race columns do not add up to the reported total (a difference of 0.05 FTE or more, the
file having one decimal place). Computed in SQL over the staged rows of one import; nothing is changed, only
said.
"""

from __future__ import annotations

import duckdb

from equity_metrics.ingest.readers import ROW_NUMBER_COLUMN
from equity_metrics.storage.staff_codes import STAFF_TOTAL
from equity_metrics.storage.store import quote_identifier

__all__ = ["aggregate_notes"]


def _staff_fte(cursor: duckdb.DuckDBPyConnection, staged: str, good: str) -> list[str]:
    row = quote_identifier(ROW_NUMBER_COLUMN)
    count, largest, rows = cursor.execute(
        f"SELECT count(*), max(difference), list({row} ORDER BY {row})[1:5] FROM ("
        f"SELECT {row}, round(abs(sum(fte) FILTER (WHERE race <> '{STAFF_TOTAL}') "
        f"- sum(fte) FILTER (WHERE race = '{STAFF_TOTAL}')), 6) AS difference "
        f"FROM {staged} WHERE {good} GROUP BY {row}) WHERE difference >= 0.05"
    ).fetchone()
    if not count:
        return []
    listed = ", ".join(map(str, rows)) + (", ..." if count > len(rows) else "")
    return [f"In {count:,} rows the race columns do not add up to the reported total (largest difference "
            f"{largest:.1f} FTE; rows {listed}): both are kept; the FTE shown is the reported total, and each "
            "race's share is of the race columns' sum."]


def aggregate_notes(cursor: duckdb.DuckDBPyConnection, staged: str, kind: str, good: str) -> tuple[str, ...]:
    """Sentences about the staged rows of a published aggregate (empty for other kinds)."""
    check = {"staff_fte": _staff_fte}.get(kind)
    return tuple(check(cursor, staged, good)) if check else ()
