"""Saved mappings: the mapping a user confirmed for a file, remembered by the file's *shape* (its set of
column names) and offered again when a file of the same shape arrives (next year's export).

Kept in the store's `saved_mappings` table, next to the data but not part of it: deleting datasets keeps
them. Column names are compared by their code key, so case and punctuation changes still match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import duckdb

from equity_metrics.core.codes import code_key
from equity_metrics.ingest.mapping import Mapping, MappingError
from equity_metrics.storage.store import Store

TABLE = "saved_mappings"
_CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    shape VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    mapping_json VARCHAR NOT NULL,
    columns VARCHAR NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shape, kind)
)
"""


def shape_of(columns: Sequence[str]) -> str:
    """A file's shape: a hash of its sorted, normalised column names (order and case do not matter)."""
    keys = sorted({code_key(str(c)) for c in columns})
    return hashlib.sha256("\x1f".join(keys).encode("utf-8")).hexdigest()


def save_mapping(store: Store, columns: Sequence[str], mapping: Mapping) -> None:
    """Remember `mapping` for files of this shape (replacing an earlier one of the same kind). A school year
    given as a constant is not kept: next year's file must not silently get last year's."""
    mapping.validate(list(columns))
    with store.transaction() as cursor:
        save_mapping_in(cursor, columns, mapping)


def save_mapping_in(cursor: duckdb.DuckDBPyConnection, columns: Sequence[str], mapping: Mapping) -> None:
    """`save_mapping` inside the caller's transaction."""
    mapping = replace(mapping, constants={k: v for k, v in mapping.constants.items() if k != "school_year"})
    cursor.execute(_CREATE)
    cursor.execute(
        f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?)",
        [shape_of(columns), mapping.kind, mapping.to_json(), ", ".join(columns),
         datetime.now(UTC).replace(tzinfo=None)],
    )


def saved_mapping(store: Store, columns: Sequence[str], kind: str | None = None) -> Mapping | None:
    """The newest mapping saved for files of this shape (of `kind`, if given) whose columns the file has.
    It may lack the school year (never saved as a constant): validate it fully before importing."""
    if not store.table_exists(TABLE):
        return None
    sql = f"SELECT mapping_json FROM {TABLE} WHERE shape = ?"
    params: list[object] = [shape_of(columns)]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    for (text,) in store.cursor().execute(sql + " ORDER BY saved_at DESC", params).fetchall():
        try:
            mapping = adapt_to(Mapping.from_json(text), columns)
        except MappingError:
            continue
        raw = [*mapping.columns.values(), *(mapping.unpivot.columns if mapping.unpivot else ()),
               *(mapping.race_questions.raw_columns() if mapping.race_questions else ())]
        if all(column in columns for column in raw):
            return mapping
    return None


def adapt_to(mapping: Mapping, columns: Sequence[str]) -> Mapping:
    """The same mapping with each raw column name spelled as in `columns` (matched by code key), so a
    header written "Student ID" last year and "STUDENT_ID" this year still maps."""
    by_key = {code_key(str(c)): str(c) for c in columns}

    def spelled(name: str) -> str:
        return by_key.get(code_key(name), name)

    unpivot = mapping.unpivot
    if unpivot is not None:
        unpivot = replace(
            unpivot,
            columns=tuple(spelled(c) for c in unpivot.columns),
            names={spelled(k): v for k, v in unpivot.names.items()},
            categories={spelled(k): v for k, v in unpivot.categories.items()},
            attributes={f: {spelled(k): v for k, v in values.items()} for f, values in unpivot.attributes.items()},
        )
    questions = mapping.race_questions
    if questions is not None:
        questions = replace(
            questions,
            hispanic=spelled(questions.hispanic) if questions.hispanic else None,
            flags={label: spelled(c) for label, c in questions.flags.items()},
            listed=spelled(questions.listed) if questions.listed else None,
        )
    return replace(mapping, columns={f: spelled(c) for f, c in mapping.columns.items()}, unpivot=unpivot,
                   race_questions=questions)
