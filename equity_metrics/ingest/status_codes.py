"""Statuses written as words: how an import read them, and the words it could not read.

Real exports carry group membership as text, not 0/1: `ELLStatus` "Active", "Exited", "Monitored"; `IEP Status`
"Active IEP", "No IEP", "504"; `FRL Status` "Free", "Reduced", "Paid"; `Gender` "Male", "Non-binary". The code
lists (`codes.EL_STATUS_CODES`, `IEP_STATUS_CODES`, `LOW_INCOME_CODES`, `SEX_CODES`) read them; this module
says how each value of such a column was read (`status_readings`, a line of the import report) and finds the
words no list reads (`unread_status_words`), which the Data page asks about and the command line refuses,
naming `--code FIELD:VALUE=CANONICAL`; so are a survey's answers written as words no reading knows
(`survey_answers`). Numeric codes outside a list (a meal code 9) keep the general rule:
stored as missing and listed in the report.
"""

from __future__ import annotations

import re

import duckdb

from equity_metrics.core.codes import CODE_LISTS, code_key
from equity_metrics.ingest.cleaning import cleaned_sql
from equity_metrics.ingest.mapping import Mapping, canonical_values
from equity_metrics.ingest.readers import SourceTable
from equity_metrics.ingest.survey_answers import unread_answers
from equity_metrics.storage.schema import KINDS, Field
from equity_metrics.storage.store import quote_identifier

# Fields whose values say which group a person is in, read from words; and the values whose reading is plain
# (a report line is not needed for a column holding only these).
STATUS_LISTS = ("flag", "proficiency", "el_status", "iep_status", "low_income", "sex")
_PLAIN = {code_key(v) for v in ("Y", "N", "Yes", "No", "True", "False", "T", "F", "1", "0", "1.0", "0.0", "X",
                                "M", "Male", "Female")}
_WORD = re.compile(r"[a-z]{2,}")
SHOWN_READINGS = 12  # distinct values listed per field; more are summarised


def is_status_field(f: Field) -> bool:
    return f.codes in STATUS_LISTS and f.codes is not None and (f.sql_type == "BOOLEAN" or f.codes == "sex")


def is_required_code(f: Field) -> bool:
    """A required field read from a code list (an action, a grade, a course level): a row whose word no list
    reads would be rejected, so the word is asked about (Data page) or refused (command line) first."""
    return f.required and f.codes is not None and f.codes != "school_year"


def _worded(value: str) -> bool:
    """A value written as a word (not a number, a letter or a plain yes/no)."""
    key = code_key(value)
    return key not in _PLAIN and bool(_WORD.search(key))


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def status_readings(cursor: duckdb.DuckDBPyConnection, staged: str, mapping: Mapping,
                    cleaned: dict[str, str]) -> dict[str, tuple[tuple[str, str, int], ...]]:
    """For each status field whose column holds words: every value read, what it was read as and its rows
    (most rows first). `cleaned[name]` is the SQL of the field's cleaned raw text in `staged`."""
    out: dict[str, tuple[tuple[str, str, int], ...]] = {}
    for f in KINDS[mapping.kind].fields:
        if not is_status_field(f) or f.name not in mapping.columns or f.name not in cleaned:
            continue
        rows = cursor.execute(
            f"SELECT {cleaned[f.name]} AS raw, {quote_identifier(f.name)} AS value, count(*) AS n FROM {staged} "
            f"WHERE {cleaned[f.name]} IS NOT NULL AND {quote_identifier(f.name)} IS NOT NULL "
            "GROUP BY ALL ORDER BY n DESC, raw"
        ).fetchall()
        if any(_worded(str(raw)) for raw, _, _ in rows):
            out[f.name] = tuple((str(raw), _shown(value), int(n)) for raw, value, n in rows)
    return out


def reading_lines(readings: dict[str, tuple[tuple[str, str, int], ...]], columns: dict[str, str]) -> list[str]:
    """One report sentence per field: how each of its values was read (`columns`: field -> raw column)."""
    out = []
    for name, values in readings.items():
        shown = "; ".join(f"{raw!r} as {value} x{n:,}" for raw, value, n in values[:SHOWN_READINGS])
        more = len(values) - SHOWN_READINGS
        rest = f"; and {more} more values" if more > 0 else ""
        column = columns.get(name, name)
        out.append(f"Read {name} from {column!r}: {shown}{rest}.")
    return out


def unread_status_words(unknown: dict[str, tuple[tuple[str, int], ...]],
                        kind: str) -> dict[str, tuple[tuple[str, int], ...]]:
    """Of the codes no list reads (`importer.codes_to_review`), the status words: these are never stored as
    missing without the user saying so."""
    fields = {f.name: f for f in KINDS[kind].fields}
    out = {}
    for name, codes in unknown.items():
        if name in fields and is_status_field(fields[name]):
            words = tuple((raw, n) for raw, n in codes if _worded(raw))
            if words:
                out[name] = words
    return out


def unread_in_table(source: SourceTable, mapping: Mapping) -> dict[str, tuple[tuple[str, int], ...]]:
    """The words of the table's status columns and required coded columns that neither a code list nor the
    mapping's own readings know, with their rows (most first): one GROUP BY per such column in a private
    in-memory database, each distinct value then looked up (no loop over rows; the wide columns of an unpivot are not touched)."""
    out = _unread_answers(source, mapping)
    fields = [f for f in KINDS[mapping.kind].fields if (is_status_field(f) or is_required_code(f))
              and f.name in mapping.columns and mapping.columns[f.name] in source.columns]
    if not fields:
        return out
    connection = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                                    "autoload_known_extensions": False})
    try:
        connection.execute("SET enable_external_access = false")
        connection.register("__status_source", source.table)
        for f in fields:
            value = cleaned_sql(f"CAST({quote_identifier(mapping.columns[f.name])} AS VARCHAR)")
            rows = connection.execute(f"SELECT {value} AS v, count(*) AS n FROM __status_source WHERE {value} IS NOT "
                                      "NULL GROUP BY ALL ORDER BY n DESC, v").fetchall()
            known = CODE_LISTS[str(f.codes)]
            said = {code_key(raw) for raw in mapping.code_overrides.get(f.name, {})}
            words = tuple((str(v), int(n)) for v, n in rows
                          if code_key(str(v)) not in known and code_key(str(v)) not in said and _worded(str(v)))
            if words:
                out[f.name] = words
    finally:
        connection.close()
    return out


def _unread_answers(source: SourceTable, mapping: Mapping) -> dict[str, tuple[tuple[str, int], ...]]:
    """A survey's answers written as words no reading knows (survey_answers), from its wide item columns or its
    column of answers."""
    unpivot = mapping.unpivot
    if mapping.kind != "survey":
        return {}
    if unpivot is not None and unpivot.value_field == "response":
        columns = [c for c in unpivot.columns if c in source.columns]
    else:  # one row per answer: the answers' own column
        columns = [mapping.columns["response"]] if mapping.columns.get("response") in source.columns else []
    words = unread_answers(source.table, columns, mapping.code_overrides.get("response", {}))
    return {"response": words} if words else {}


def _column_named(name: str, mapping: Mapping) -> str:
    """The column (or, for a survey's answers, the item columns) a field's values come from."""
    if mapping.unpivot is not None and name == mapping.unpivot.value_field:
        shown = ", ".join(map(repr, mapping.unpivot.columns[:3]))
        more = f" and {len(mapping.unpivot.columns) - 3} more" if len(mapping.unpivot.columns) > 3 else ""
        return f"the item columns {shown}{more}"
    return f"column {mapping.columns.get(name, name)!r}"


def unread_message(label: str, words: dict[str, tuple[tuple[str, int], ...]], mapping: Mapping) -> str:
    """The command line's refusal: each word with its rows, and the `--code` option that reads it."""
    parts = []
    for name, codes in words.items():
        listed = ", ".join(f"{raw!r} ({n:,} {'row' if n == 1 else 'rows'})" for raw, n in codes[:8])
        more = f" and {len(codes) - 8} more" if len(codes) > 8 else ""
        choices = "|".join(canonical_values(mapping.kind, name))
        parts.append(f"{name} ({_column_named(name, mapping)}): {listed}{more}; say what each means with "
                     f"--code \"{name}:{codes[0][0]}={choices}\"")
    return (f"{label}: values this tool does not know how to read, and will not guess: " + "; ".join(parts)
            + " (Unknown stores them as missing; a row missing a required field is left out and counted)")
