"""How a raw cell becomes a value: the markers that mean "missing" or "suppressed", and the SQL that trims
a cell and turns those markers into NULL. Shared by the readers' guesses and the importer."""

from __future__ import annotations

__all__ = ["MISSING_MARKERS", "cleaned_sql", "sql_string"]


MISSING_MARKERS = ("", "NA", "N/A", "n/a", "na", "-", "--", "*", ".", "NULL", "null", "#N/A", "None")


def cleaned_sql(raw: str) -> str:
    """Trimmed text with missing and suppressed markers ('NA', '-', '*', '<10', ...) as NULL."""
    markers = ", ".join(sql_string(m) for m in MISSING_MARKERS)
    # "<10" is a suppressed count; the regular expression runs only on cells starting with "<".
    suppressed = f"starts_with(trim({raw}), '<') AND regexp_full_match(trim({raw}), '<\\s*\\d+(\\.\\d+)?')"
    return f"CASE WHEN trim({raw}) IN ({markers}) THEN NULL WHEN {suppressed} THEN NULL ELSE trim({raw}) END"


def sql_string(value: str) -> str:
    """A SQL string literal of our own text."""
    return "'" + value.replace("'", "''") + "'"
