"""What an import of a published aggregate says about the file's own arithmetic, in plain sentences: for staff
FTE, the rows whose race columns do not add up to the reported total (a difference of 0.05 FTE or more, the
file having one decimal place); for a school survey summary, the schools whose respondents of a type are blank
(stored as missing, never 0) and those whose response rate is not their respondents over their eligible; for
shares of enrollment and of the disciplined, the rows whose two shares are equal but which the file labels over- or
underrepresented (here equal shares are 'neither').
Computed in SQL over the staged rows of one import; nothing is changed, only said.
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


_WHO = {"p": "parents", "t": "teachers", "s": "students"}


def _survey_summary(cursor: duckdb.DuckDBPyConnection, staged: str, good: str) -> list[str]:
    blanks = cursor.execute(
        f"SELECT respondent, count(*), list(school_id ORDER BY school_id)[1:5] FROM {staged} "
        f"WHERE {good} AND measure = 'respondents' AND value IS NULL GROUP BY 1 ORDER BY 1").fetchall()
    out = [f"The {_WHO.get(who, who)}' respondents are blank for {n:,} school{'s' if n > 1 else ''} "
           f"({', '.join(schools)}{', ...' if n > len(schools) else ''}): stored as missing, never 0 (the sum of "
           "the respondents leaves them out; their eligible are counted)." for who, n, schools in blanks]
    off = cursor.execute(
        f"SELECT count(*) FROM (SELECT school_id, respondent, "
        f"max(value) FILTER (WHERE measure = 'respondents') AS n, max(value) FILTER (WHERE measure = 'eligible') AS e, "
        f"max(value) FILTER (WHERE measure = 'response_rate') AS r FROM {staged} WHERE {good} "
        f"AND item = 'response' GROUP BY ALL) WHERE e > 0 AND abs(round(100 * n / e) - r) > 1").fetchone()[0]
    if off:
        out.append(f"In {off:,} school(s) and respondent types the response rate differs from respondents / eligible "
                   "by more than a point: the school's rate shown is the file's.")
    return out


def _representation(cursor: duckdb.DuckDBPyConnection, staged: str, good: str) -> list[str]:
    rows = cursor.execute(
        f"SELECT file_label, count(*) FROM {staged} WHERE {good} AND share_of_enrollment = share_of_disciplined "
        "AND lower(trim(file_label)) IN ('overrepresented', 'underrepresented') GROUP BY 1 ORDER BY 2 DESC").fetchall()
    if not rows:
        return []
    total = sum(n for _, n in rows)
    labels = " and ".join(f"{label!r}" + ("" if len(rows) == 1 else f" ({n:,})") for label, n in rows)
    return [f"In {total:,} rows the two shares are equal; the file labels them {labels}: here equal shares are "
            "'neither' (the file's label is kept as it is)."]


def aggregate_notes(cursor: duckdb.DuckDBPyConnection, staged: str, kind: str, good: str) -> tuple[str, ...]:
    """Sentences about the staged rows of a published aggregate (empty for other kinds)."""
    check = {"staff_fte": _staff_fte, "survey_summary": _survey_summary, "representation": _representation}.get(kind)
    return tuple(check(cursor, staged, good)) if check else ()
