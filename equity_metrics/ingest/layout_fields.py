"""What the published layouts (staff FTE by race, a school survey summary) read the same way: the first column
whose header is one of a list of names, and the school, by its code or, in a file with none, by its name."""

from __future__ import annotations

from collections.abc import Sequence

from equity_metrics.core.codes import code_key

__all__ = ["first_column", "school_fields"]


def first_column(columns: Sequence[str], keys: Sequence[str]) -> str | None:
    """The column whose header (as `code_key` reads it) is the first of `keys` present, if any."""
    by_key = {code_key(c): c for c in columns}
    return next((by_key[k] for k in keys if k in by_key), None)


def school_fields(school_id: str | None, school_name: str | None,
                  id_reason: str) -> tuple[dict[str, str], dict[str, str], bool]:
    """The school's fields of a mapping (column per field), why each comes from where (`id_reason` follows the
    code's header), and whether the school code is made from the name (a file with names and no codes)."""
    mapped: dict[str, str] = {}
    reasons: dict[str, str] = {}
    if school_id:
        mapped["school_id"] = school_id
        reasons["school_id"] = f"{school_id!r}: {id_reason}"
    if school_name:
        mapped["school_name"] = school_name
        reasons["school_name"] = f"{school_name!r}: the school's name"
    from_name = school_id is None and school_name is not None
    if from_name:
        mapped["school_id"] = school_name
        reasons["school_id"] = f"made from the school's name ({school_name!r}): the file has no school code"
    return mapped, reasons, from_name
