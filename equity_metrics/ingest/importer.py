"""Import: apply a mapping to a source table in SQL, store the rows, and report what happened.

Every import runs in one transaction: the rows, the catalog entry and the rebuilt derived tables commit
together, or the store is left exactly as it was. Raw column names are quoted identifiers and raw values
are only ever data (bound or registered), never SQL text. Codes that no code list knows are never guessed:
they are stored as missing (shown as Unknown) and listed in the report with their counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from equity_metrics.core.codes import code_key, code_key_sql
from equity_metrics.core.constants import MERGED_RACE_LABELS
from equity_metrics.ingest.aggregate_checks import aggregate_notes
from equity_metrics.ingest.cleaning import cleaned_sql
from equity_metrics.ingest.field_sql import (
    field_sql,
    overridden_sql,
    race_from_questions_sql,
    school_code_from_name_sql,
    year_from_date_sql,
)
from equity_metrics.ingest.graduation import cohort_school_year_sql
from equity_metrics.ingest.import_limits import school_count_problem
from equity_metrics.ingest.mapping import DERIVED_FIELDS, Mapping
from equity_metrics.ingest.readers import ROW_NUMBER_COLUMN, SourceTable, read_source
from equity_metrics.ingest.same_content import overlap
from equity_metrics.ingest.same_keys import key_overlap
from equity_metrics.ingest.status_codes import reading_lines, status_readings
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import CATALOG_TABLE, Store, bump_data_version, next_dataset_id, quote_identifier

_SOURCE_VIEW = "__import_source"
_STAGED = "__import_staged"


class ImportRefusedError(ValueError):
    """Nothing was imported (no usable row, or the table is already loaded); the message says why and names
    the file."""


class DuplicateDataError(ImportRefusedError):
    """The table is data already loaded as dataset `dataset_id`, all or some of its rows (see same_content.py and
    same_keys.py); importing it again with `replace=(dataset_id,)` replaces that dataset in the same transaction."""

    def __init__(self, message: str, dataset_id: int) -> None:
        super().__init__(message)
        self.dataset_id = dataset_id


@dataclass(frozen=True)
class Rejection:
    reason: str
    count: int
    rows: tuple[int, ...]  # the first few file row numbers


@dataclass(frozen=True)
class ImportReport:
    """What one import did, for the screen and the command line."""

    source: str
    kind: str
    dataset_id: int
    rows_read: int
    rows_imported: int
    rejections: tuple[Rejection, ...] = ()
    unknown_codes: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)  # field -> (raw, count)
    columns_ignored: tuple[str, ...] = ()
    missing_share: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    x_marked_flags: tuple[str, ...] = ()  # yes/no fields marked only with X, whose blanks were read as no
    yes_only_flags: tuple[str, ...] = ()  # yes/no fields whose every value reads yes (a program name ...): blanks no
    without_roster: int = 0  # event rows whose student has no enrollment record for that school year
    students_without_roster: int = 0
    zeros_lost: int = 0  # of those students, how many match the roster once their ID gets its leading zeros back
    # IDs of this file that mix widths: (IDs shorter than the width some IDs reach with leading zeros, IDs of that
    # width with leading zeros, the width, a short one, a padded one); stored as written, never padded.
    mixed_widths: tuple[int, int, int, str, str] | None = None
    merged_races: tuple[tuple[str, int], ...] = ()  # merged old categories kept as the file says, with row counts
    skipped: tuple[str, ...] = ()  # rows skipped above the header and below the data (readers/headers.py)
    # Statuses written as words (status_codes.py): field -> (raw value, read as, rows), and the raw columns.
    readings: dict[str, tuple[tuple[str, str, int], ...]] = field(default_factory=dict)
    reading_columns: dict[str, str] = field(default_factory=dict)
    aggregate_notes: tuple[str, ...] = ()  # a published aggregate's own arithmetic (aggregate_checks.py)
    kind_notes: tuple[str, ...] = ()  # graduation's counting rules applied to this table (repeats, suppression)

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_imported

    def lines(self) -> list[str]:
        """The report as plain sentences."""
        kind = KINDS[self.kind].label
        out = [f"{self.source}: {self.rows_imported:,} of {self.rows_read:,} rows imported as {kind}.", *self.skipped]
        for rejection in self.rejections:
            rows = ", ".join(map(str, rejection.rows))
            more = "" if rejection.count <= len(rejection.rows) else ", ..."
            noun = "row" if rejection.count == 1 else "rows"
            out.append(f"Rejected {rejection.count:,} {noun}: {rejection.reason} ({noun} {rows}{more}).")
        for name, codes in self.unknown_codes.items():
            listed = "; ".join(f"{raw!r} x{count:,}" for raw, count in codes)
            if KINDS[self.kind].field(name).sql_type in ("DOUBLE", "DATE"):
                out.append(f"Values not usable in {name} (not a count or date, negative, or impossible), stored "
                           f"as missing: {listed}.")
            else:
                out.append(f"Values not recognised in {name}, stored as missing (shown as Unknown): {listed}. To "
                           "read them, say what each means and import the file again: on the command line with "
                           f"--code {name}:VALUE=CANONICAL and --replace, on the Data page under \"Codes this tool "
                           "does not know\" (then replace the dataset).")
        out.extend(reading_lines(self.readings, self.reading_columns))
        out.extend(self.aggregate_notes)
        out.extend(self.kind_notes)
        for label, count in self.merged_races:
            noun = "row uses" if count == 1 else "rows use"
            out.append(f"Race/ethnicity: {count:,} {noun} the merged category {label!r}, which cannot be split; kept "
                       "as the file says and compared as its own group.")
        if self.x_marked_flags:
            out.append(f"Marked only with X, so blanks read as No: {', '.join(self.x_marked_flags)}.")
        if self.yes_only_flags:
            out.append("Every value written reads Yes (a status or program name), so blanks read as No: "
                       f"{', '.join(self.yes_only_flags)}.")
        if self.without_roster:
            out.append(f"{self.without_roster:,} rows ({self.students_without_roster:,} students) have no enrollment "
                       "record for their school year: they are stored, but counted only once the roster that "
                       "lists them is loaded.")
        if self.zeros_lost:
            out.append(f"{self.zeros_lost:,} of those students match the roster once their ID is written with "
                       "leading zeros (1200 as 0001200): the file probably stored the IDs as numbers. Export them as "
                       "text (in Excel, format the column as Text) and import the file again.")
        if self.mixed_widths:
            short, padded, width, one, other = self.mixed_widths
            out.append(f"Student IDs mix widths: {short:,} are shorter than {width} digits ({one!r}) while {padded:,} "
                       f"are written with leading zeros ({other!r}); a spreadsheet probably stored some as numbers and "
                       "dropped their zeros. The IDs are stored as written (1200 and 0001200 are different students "
                       "here). Export them as text (in Excel, format the column as Text) and import the file again.")
        if self.duplicates and self.kind == "marks":
            out.append(f"{self.duplicates:,} duplicate marks (same student, section, term and school year); a "
                       "student is counted once in the course-failure rate, however many of their marks repeat.")
        elif self.duplicates:
            out.append(f"{self.duplicates:,} duplicate rows (same key, e.g. student and school year); the row "
                       "imported last is used.")
        if self.columns_ignored:
            out.append(f"Columns ignored: {', '.join(self.columns_ignored)}.")
        return out


# ---- import ----------------------------------------------------------------------------------------
def _staging_select(source: SourceTable, mapping: Mapping) -> tuple[str, list[object]]:
    """SELECT producing raw text per canonical field (as __raw_<field>), plus the row number."""
    params: list[object] = []
    parts: list[str] = [quote_identifier(ROW_NUMBER_COLUMN)]
    kind = KINDS[mapping.kind]
    unpivot = mapping.unpivot
    for f in kind.fields:
        if f.name == "race" and mapping.race_questions is not None:
            expr = race_from_questions_sql(mapping.race_questions, mapping.code_overrides.get("race"), params)
        elif f.name == "school_id" and mapping.school_id_from_name and f.name in mapping.columns:
            expr = school_code_from_name_sql(quote_identifier(mapping.columns[f.name]))
        elif f.name == "school_year" and mapping.year_from_date and f.name not in mapping.columns \
                and f.name not in mapping.constants:
            expr = year_from_date_sql(quote_identifier(mapping.year_from_date), mapping)
        elif f.name == "school_year" and mapping.kind == "graduation" and f.name in mapping.columns:
            expr = cohort_school_year_sql(cleaned_sql(f"CAST({quote_identifier(mapping.columns[f.name])} AS VARCHAR)"))
        elif f.name in mapping.columns:
            expr = f"CAST({quote_identifier(mapping.columns[f.name])} AS VARCHAR)"
        elif DERIVED_FIELDS.get(mapping.kind, {}).get(f.name, ("",))[0] in mapping.columns \
                and f.name not in mapping.constants:
            # no column of its own: the other column's words say it (a performance level; a number is not read)
            expr = f"CAST({quote_identifier(mapping.columns[DERIVED_FIELDS[mapping.kind][f.name][0]])} AS VARCHAR)"
        elif f.name in mapping.constants:
            params.append(mapping.constants[f.name])
            expr = f"CAST(${len(params)} AS VARCHAR)"
        elif unpivot is not None and f.name == unpivot.name_field:
            params.extend([list(unpivot.names), list(unpivot.names.values())])
            expr = f"coalesce(map(${len(params) - 1}::VARCHAR[], ${len(params)}::VARCHAR[])[__unpivot_name], __unpivot_name)"
        elif unpivot is not None and f.name == unpivot.value_field:
            expr = "CAST(__unpivot_value AS VARCHAR)"
        elif unpivot is not None and f.name == unpivot.category_field:
            params.extend([list(unpivot.categories), list(unpivot.categories.values())])
            expr = f"map(${len(params) - 1}::VARCHAR[], ${len(params)}::VARCHAR[])[__unpivot_name]"
        elif unpivot is not None and f.name in unpivot.attributes:
            values = unpivot.attributes[f.name]
            params.extend([list(values), list(values.values())])
            expr = f"map(${len(params) - 1}::VARCHAR[], ${len(params)}::VARCHAR[])[__unpivot_name]"
        else:
            expr = "CAST(NULL AS VARCHAR)"
        parts.append(f"{expr} AS {quote_identifier('__raw_' + f.name)}")
    source_sql = _SOURCE_VIEW
    if unpivot is not None:
        on = ", ".join(quote_identifier(c) for c in unpivot.columns)
        # INCLUDE NULLS: a blank cell of a wide file is a row with a missing value (rejected and reported with
        # its row number), never a row that silently disappears.
        source_sql = f"(SELECT * FROM {_SOURCE_VIEW} UNPIVOT INCLUDE NULLS (__unpivot_value FOR __unpivot_name IN ({on})))"
    return f"SELECT {', '.join(parts)} FROM {source_sql}", params


def _stage(cursor: duckdb.DuckDBPyConnection, source: SourceTable, mapping: Mapping) -> None:
    """Stage the source as the canonical kind: each raw value is cleaned once (missing markers to NULL), then
    turned into its field's type; a field the mapping does not supply is NULL without further work."""
    kind = KINDS[mapping.kind]
    select, params = _staging_select(source, mapping)
    supplied = mapping.fields_supplied()
    typed_fields, cleaned_columns = [], []
    for f in kind.fields:
        name = quote_identifier(f.name)
        if f.name not in supplied:
            typed_fields.append(f"CAST(NULL AS {f.sql_type}) AS {name}")
            continue
        cleaned = quote_identifier("__clean_" + f.name)
        cleaned_columns.append(f"{cleaned_sql(quote_identifier('__raw_' + f.name))} AS {cleaned}")
        read_as = f
        if f.name not in mapping.columns and f.name in DERIVED_FIELDS.get(mapping.kind, {}):
            read_as = replace(f, codes=DERIVED_FIELDS[mapping.kind][f.name][1])  # a level's words, never its number
        value = overridden_sql(f, cleaned, field_sql(read_as, cleaned, mapping.date_format),
                            mapping.code_overrides.get(f.name, {}), params)
        typed_fields.append(f"CAST({value} AS {f.sql_type}) AS {name}")
    row_number = quote_identifier(ROW_NUMBER_COLUMN)
    raw_columns = ", ".join(quote_identifier("__raw_" + f.name) for f in kind.fields)
    cleaned_select = f"SELECT {row_number}, {raw_columns}{''.join(', ' + c for c in cleaned_columns)} FROM ({select})"
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE {_STAGED} AS SELECT {row_number}, {', '.join(typed_fields)}, {raw_columns} "
        f"FROM ({cleaned_select})",
        params,
    )


def _x_marked_flags(cursor: duckdb.DuckDBPyConnection, kind: str) -> tuple[str, ...]:
    """Yes/no fields whose column is marked only with "X" (blank meaning no): their blanks become FALSE."""
    marked = []
    for f in KINDS[kind].fields:
        if f.sql_type != "BOOLEAN":
            continue
        raw = cleaned_sql(quote_identifier("__raw_" + f.name))
        non_blank, only_x = cursor.execute(
            f"SELECT count({raw}), coalesce(bool_and({code_key_sql(raw)} = 'x'), FALSE) FROM {_STAGED}"
        ).fetchone()
        if non_blank and only_x:
            cursor.execute(f"UPDATE {_STAGED} SET {quote_identifier(f.name)} = FALSE WHERE {raw} IS NULL")
            marked.append(f.name)
    return tuple(marked)


def _yes_only_flags(cursor: duckdb.DuckDBPyConnection, kind: str, x_marked: tuple[str, ...]) -> tuple[str, ...]:
    """Yes/no fields whose column lists only members, every value reading yes (a special-education column
    holding the program's name, or blank): their blanks become FALSE. Columns marked with X are done already."""
    found = []
    for f in KINDS[kind].fields:
        if f.sql_type != "BOOLEAN" or f.name in x_marked:
            continue
        raw, name = cleaned_sql(quote_identifier("__raw_" + f.name)), quote_identifier(f.name)
        written, yes, blank = cursor.execute(
            f"SELECT count({raw}), count(*) FILTER (WHERE {name}), count(*) FILTER (WHERE {raw} IS NULL) FROM {_STAGED}"
        ).fetchone()
        if written and written == yes and blank:
            cursor.execute(f"UPDATE {_STAGED} SET {name} = FALSE WHERE {raw} IS NULL")
            found.append(f.name)
    return tuple(found)


def _rejections(cursor: duckdb.DuckDBPyConnection, kind: str,
                mapping: Mapping | None = None) -> tuple[tuple[Rejection, ...], str]:
    """Rows whose required fields are missing or unreadable, by reason; and the SQL predicate of a good row. A
    school year read off dates that gives none names the date column and its values (`mapping`)."""
    rejections = []
    good = []
    for f in KINDS[kind].fields:
        if not f.required:
            continue
        name = quote_identifier(f.name)
        raw = quote_identifier("__raw_" + f.name)
        good.append(f"{name} IS NOT NULL")
        count, rows = cursor.execute(
            f"SELECT count(*), list({quote_identifier(ROW_NUMBER_COLUMN)} ORDER BY {quote_identifier(ROW_NUMBER_COLUMN)})[1:5] "
            f"FROM {_STAGED} WHERE {name} IS NULL AND {cleaned_sql(raw)} IS NULL"
        ).fetchone()
        if count:
            reason = _no_date_reason(cursor, kind, mapping) if f.name == "school_year" and mapping else None
            rejections.append(Rejection(reason or f"no {f.name.replace('_', ' ')}", int(count), tuple(rows)))
        count, rows, values = cursor.execute(
            f"SELECT count(*), list({quote_identifier(ROW_NUMBER_COLUMN)} ORDER BY {quote_identifier(ROW_NUMBER_COLUMN)})[1:5], "
            f"list(DISTINCT {cleaned_sql(raw)} ORDER BY {cleaned_sql(raw)})[1:3] "
            f"FROM {_STAGED} WHERE {name} IS NULL AND {cleaned_sql(raw)} IS NOT NULL"
        ).fetchone()
        if count:
            shown = ", ".join(repr(v) for v in values)
            reason = f"unreadable {f.name.replace('_', ' ')} ({shown})"
            rejections.append(Rejection(reason, int(count), tuple(rows)))
    return tuple(rejections), " AND ".join(good) or "TRUE"


def _no_date_reason(cursor: duckdb.DuckDBPyConnection, kind: str, mapping: Mapping) -> str | None:
    """Why rows whose school year is read off a date column got none: the column, and its values where a date
    field of the kind reads the same column (None when the year does not come from dates)."""
    column = mapping.year_from_date
    if not column or "school_year" in mapping.columns or "school_year" in mapping.constants:
        return None
    same = next((f.name for f in KINDS[kind].fields if f.sql_type == "DATE" and mapping.columns.get(f.name) == column),
                None)
    values: list[str] = []
    if same:
        raw = cleaned_sql(quote_identifier("__raw_" + same))
        values = cursor.execute(f"SELECT list(DISTINCT {raw} ORDER BY {raw})[1:3] FROM {_STAGED} "
                                f"WHERE school_year IS NULL AND {raw} IS NOT NULL").fetchone()[0] or []
    serial = ["a number is a date only as an Excel serial date from 1 Jan 2000 to 31 Dec 2040"] if any(
        v.replace(".", "", 1).isdigit() for v in values) else []
    shown = f" ({'; '.join([', '.join(map(repr, values)), *serial])})" if values else ""
    return f"no school year: {column!r} holds no date{shown}"


def _unknown_codes(cursor: duckdb.DuckDBPyConnection, kind: str,
                   coded_only: bool = False) -> dict[str, tuple[tuple[str, int], ...]]:
    """Raw values that became missing, by field (most frequent first). By default the optional fields of any
    type (required ones are rejections); `coded_only`: every field with a code list, required ones too."""
    out: dict[str, tuple[tuple[str, int], ...]] = {}
    for f in KINDS[kind].fields:
        if coded_only:
            if f.codes is None or f.codes == "school_year":
                continue
        elif f.required or (f.codes is None and f.sql_type not in ("BOOLEAN", "DATE", "DOUBLE")):
            continue
        raw = quote_identifier("__raw_" + f.name)
        rows = cursor.execute(
            f"SELECT {cleaned_sql(raw)} AS code, count(*) AS n FROM {_STAGED} "
            f"WHERE {quote_identifier(f.name)} IS NULL AND {cleaned_sql(raw)} IS NOT NULL "
            "GROUP BY ALL ORDER BY n DESC, code LIMIT 20"
        ).fetchall()
        if rows:
            out[f.name] = tuple((str(code), int(n)) for code, n in rows)
    return out


def _merged_races(cursor: duckdb.DuckDBPyConnection, kind: str, good: str) -> tuple[tuple[str, int], ...]:
    if "race" not in KINDS[kind].field_names:
        return ()
    rows = cursor.execute(f"SELECT race, count(*) FROM {_STAGED} WHERE {good} AND race = ANY(?) GROUP BY race "
                          "ORDER BY race", [list(MERGED_RACE_LABELS)]).fetchall()
    return tuple((str(label), int(n)) for label, n in rows)


def _missing_share(cursor: duckdb.DuckDBPyConnection, kind: str, good: str) -> dict[str, float]:
    names = KINDS[kind].field_names
    exprs = ", ".join(f"avg(CASE WHEN {quote_identifier(n)} IS NULL THEN 1.0 ELSE 0.0 END)" for n in names)
    values = cursor.execute(f"SELECT {exprs} FROM {_STAGED} WHERE {good}").fetchone()
    return {n: float(v) for n, v in zip(names, values, strict=True) if v is not None}


def _duplicates(cursor: duckdb.DuckDBPyConnection, kind: str, good: str) -> int:
    keys = {"enrollment": ("school_year", "student_id"), "staff": ("school_year", "staff_id"),
            "schools": ("school_id",), "special_education": ("school_year", "student_id"),
            "marks": ("school_year", "student_id", "section_id", "term")}.get(kind)
    if not keys:
        return 0
    key_sql = ", ".join(quote_identifier(k) for k in keys)
    return int(cursor.execute(
        f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {_STAGED} WHERE {good} GROUP BY {key_sql})"
    ).fetchone()[0])


# Kinds whose rows describe students listed in the enrollment roster (demographics come from the roster).
ROSTER_LINKED_KINDS = ("discipline", "courses", "marks", "assessments", "special_education", "interventions")


def _mixed_widths(cursor: duckdb.DuckDBPyConnection, kind: str, good: str) -> tuple[int, int, int, str, str] | None:
    """Student IDs of all digits where some are written with leading zeros to a width and others are shorter
    (0001201 beside 1200): how many of each, the width and an example of each; None when the IDs do not mix."""
    if "student_id" not in KINDS[kind].field_names:
        return None
    found = cursor.execute(
        f"WITH ids AS (SELECT DISTINCT student_id AS id FROM {_STAGED} WHERE {good} AND regexp_full_match(student_id, "
        "'[0-9]+')), padded AS (SELECT max(length(id)) AS w FROM ids WHERE id LIKE '0%' AND length(id) > 1) "
        "SELECT count(*) FILTER (WHERE length(id) < w), count(*) FILTER (WHERE length(id) = w AND id LIKE '0%'), "
        "any_value(w), min(id) FILTER (WHERE length(id) < w), min(id) FILTER (WHERE length(id) = w AND id LIKE '0%') "
        "FROM ids, padded").fetchone()
    return (int(found[0]), int(found[1]), int(found[2]), found[3], found[4]) if found and found[0] else None


def _without_roster(cursor: duckdb.DuckDBPyConnection, kind: str, dataset_id: int) -> dict[str, int]:
    """Rows of this dataset (and distinct students) with no roster row for the same student and year."""
    if kind not in ROSTER_LINKED_KINDS:
        return {}
    lost = (f"SELECT school_year, student_id FROM {quote_identifier(kind)} e WHERE e.dataset_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM enrollment r WHERE r.school_year = e.school_year AND r.student_id = e.student_id)")
    rows, students = cursor.execute(f"SELECT count(*), count(DISTINCT (school_year, student_id)) FROM ({lost})",
                                    [dataset_id]).fetchone()
    zeros = 0
    if students:  # each roster ID width: an equality join, no comparison of every pair
        zeros = cursor.execute(
            f"WITH lost AS (SELECT DISTINCT * FROM ({lost})), widths AS (SELECT DISTINCT "
            "CAST(length(student_id) AS INTEGER) AS w FROM enrollment) "
            "SELECT count(DISTINCT (l.school_year, l.student_id)) FROM lost l CROSS JOIN widths "
            "JOIN enrollment r ON r.school_year = l.school_year AND r.student_id = lpad(l.student_id, widths.w, '0') "
            "WHERE widths.w > length(l.student_id)", [dataset_id]).fetchone()[0]
    return {"without_roster": int(rows), "students_without_roster": int(students), "zeros_lost": int(zeros)}


def column_samples(source: SourceTable, rows: int = 200) -> dict[str, list[str]]:
    """The first `rows` non-blank values of each column (all blank: an empty list), for guessing a mapping
    from values; a column filled only further down is still seen (Arrow filters, no loop over rows)."""
    import pyarrow.compute as pc

    from equity_metrics.ingest.guessing import Sample  # remembers the guess's work on each column

    out: dict[str, list[str]] = {}
    for column in source.columns:
        values = source.table.column(column)
        filled = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(values), ""), False)
        out[column] = Sample(values.filter(filled).slice(0, rows).to_pylist())
    return out


def codes_to_review(source: SourceTable, mapping: Mapping) -> dict[str, tuple[tuple[str, int], ...]]:
    """Before importing: the raw codes of each coded field that neither a code list nor the mapping's own
    overrides know, with their row counts (most frequent first), so the user can say what they mean.
    Staged in a private in-memory database; the store is not touched."""
    mapping.validate(source.columns, source.label)
    connection = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                                    "autoload_known_extensions": False})
    try:
        connection.execute("SET enable_external_access = false")
        connection.register(_SOURCE_VIEW, source.table)
        _stage(connection, source, mapping)
        _yes_only_flags(connection, mapping.kind, _x_marked_flags(connection, mapping.kind))
        found = _unknown_codes(connection, mapping.kind, coded_only=True)
        return _without_overridden(found, mapping)
    finally:
        connection.close()


def _without_overridden(found: dict[str, tuple[tuple[str, int], ...]],
                        mapping: Mapping) -> dict[str, tuple[tuple[str, int], ...]]:
    """The unknown codes, less those the user read on purpose (e.g. as Unknown)."""
    out = {}
    for name, codes in found.items():
        said = {code_key(raw) for raw in mapping.code_overrides.get(name, {})}
        kept = tuple((raw, n) for raw, n in codes if code_key(raw) not in said)
        if kept:
            out[name] = kept
    return out


def _file_facts(path: Path | None) -> tuple[int | None, str | None]:
    if path is None or not path.exists():
        return None, None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path.stat().st_size, digest.hexdigest()


def import_into(
    cursor: duckdb.DuckDBPyConnection,
    source: SourceTable,
    mapping: Mapping,
    *,
    name: str | None = None,
    file_path: Path | None = None,
    is_sample: bool = False,
) -> ImportReport:
    """Import one source table inside the caller's transaction (see `import_sources`)."""
    mapping.validate(source.columns, source.label)
    kind = mapping.kind
    size, sha256 = _file_facts(file_path)
    _refuse_repeat(cursor, source, kind, sha256)
    cursor.register(_SOURCE_VIEW, source.table)
    try:
        _stage(cursor, source, mapping)
    finally:
        cursor.unregister(_SOURCE_VIEW)
    x_marked = _x_marked_flags(cursor, kind)
    yes_only = _yes_only_flags(cursor, kind, x_marked)
    if kind == "enrollment":  # more days absent than enrolled is impossible: missing, and reported
        cursor.execute(f"UPDATE {_STAGED} SET days_absent = NULL WHERE days_absent > days_enrolled")
    rows_read = int(cursor.execute(f"SELECT count(*) FROM {_STAGED}").fetchone()[0])
    rejections, good = _rejections(cursor, kind, mapping)
    too_many = school_count_problem(cursor, _STAGED, good, mapping, source.label)
    if too_many:
        raise ImportRefusedError(too_many)
    anonymous = kind == "survey" and mapping.columns.get("response_id") == ROW_NUMBER_COLUMN  # numbered by row
    earlier = overlap(cursor, _STAGED, good, kind, by_respondent=anonymous)  # already loaded, re-sorted or re-saved
    if earlier is not None:
        raise DuplicateDataError(earlier.message(source.label), earlier.dataset_id)
    repeated = None if anonymous else key_overlap(cursor, _STAGED, good, kind)  # some rows already loaded
    if repeated is not None:
        raise DuplicateDataError(repeated.message(source.label), repeated.dataset_id)
    dataset_id = next_dataset_id(cursor)
    columns = ", ".join(quote_identifier(n) for n in KINDS[kind].field_names)
    cursor.execute(
        f"INSERT INTO {quote_identifier(kind)} (dataset_id, {columns}) SELECT ?, {columns} FROM {_STAGED} WHERE {good}",
        [dataset_id],
    )
    rows_imported = int(cursor.execute(f"SELECT count(*) FROM {_STAGED} WHERE {good}").fetchone()[0])
    cursor.execute(
        f"INSERT INTO {CATALOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [dataset_id, name or source.label, kind, source.file_name, source.sheet, size, sha256,
         datetime.now(UTC).replace(tzinfo=None), rows_read, rows_imported, mapping.to_json(), is_sample],
    )
    used = set(mapping.columns.values()) | (set(mapping.unpivot.columns) if mapping.unpivot else set())
    used |= set(mapping.race_questions.raw_columns()) if mapping.race_questions else set()
    report = ImportReport(
        source=source.label,
        kind=kind,
        dataset_id=dataset_id,
        rows_read=rows_read,
        rows_imported=rows_imported,
        rejections=rejections,
        unknown_codes=_without_overridden(_unknown_codes(cursor, kind), mapping),
        columns_ignored=tuple(c for c in source.columns if c not in used),
        missing_share=_missing_share(cursor, kind, good),
        duplicates=_duplicates(cursor, kind, good),
        x_marked_flags=x_marked,
        yes_only_flags=yes_only,
        merged_races=_merged_races(cursor, kind, good),
        readings=status_readings(cursor, _STAGED, mapping, _cleaned_raw(kind)),
        reading_columns=dict(mapping.columns),
        skipped=source.notes,
        aggregate_notes=aggregate_notes(cursor, _STAGED, kind, good),
        kind_notes=_kind_notes(cursor, kind, good),
        mixed_widths=_mixed_widths(cursor, kind, good),
        **_without_roster(cursor, kind, dataset_id),
    )
    cursor.execute(f"DROP TABLE {_STAGED}")
    return report


def _kind_notes(cursor: duckdb.DuckDBPyConnection, kind: str, good: str) -> tuple[str, ...]:
    """The report's lines on what graduation's counting rules do with this table: suppressed cells and repeated
    keys (storage/graduation_facts.py); for course marks, the marks by letter and the credits."""
    if kind == "marks":
        return _marks_notes(cursor, good)
    if kind != "graduation":
        return ()
    from equity_metrics.storage.graduation_facts import duplicate_lines

    missing = int(cursor.execute(f"SELECT count(*) FROM {_STAGED} WHERE {good} AND graduates IS NULL").fetchone()[0])
    lines = [f"{missing:,} rows have no usable number of graduates (suppressed, such as 's', '*' or '<10', or "
             "unreadable): they are left out of the graduation rate, their cohort too, never counted as 0."] \
        if missing else []
    return (*lines, *duplicate_lines(cursor, _STAGED, good))


def _marks_notes(cursor: duckdb.DuckDBPyConnection, good: str) -> tuple[str, ...]:
    """Course marks: how many of each letter (an F is failing: the course-failure rate), and the credits."""
    letters = cursor.execute(f"SELECT upper(letter_mark) AS letter, count(*) FROM {_STAGED} WHERE {good} "
                             "GROUP BY ALL ORDER BY letter").fetchall()
    attempted, earned = cursor.execute(f"SELECT sum(credits_attempted), sum(credits_earned) FROM {_STAGED} "
                                       f"WHERE {good}").fetchone()
    listed = ", ".join(f"{letter} {n:,}" for letter, n in letters)
    lines = [f"Marks by letter: {listed} (an F, F+ or F- is a failing mark)."]
    if attempted is not None or earned is not None:
        lines.append(f"Credits attempted: {_number(attempted)}; credits earned: {_number(earned)}.")
    return tuple(lines)


def _number(value: float | None) -> str:
    value = float(value or 0)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"


def _cleaned_raw(kind: str) -> dict[str, str]:
    """Each field's cleaned raw text in the staged table, as SQL."""
    return {f.name: cleaned_sql(quote_identifier("__raw_" + f.name)) for f in KINDS[kind].fields}


def _refuse_repeat(cursor: duckdb.DuckDBPyConnection, source: SourceTable, kind: str, sha256: str | None) -> None:
    """The same table (same file bytes, sheet and kind) imported twice would count every row twice."""
    if sha256 is None:
        return
    earlier = cursor.execute(
        f"SELECT dataset_id, name, strftime(imported_at, '%Y-%m-%d %H:%M') FROM {CATALOG_TABLE} "
        "WHERE sha256 = ? AND kind = ? AND coalesce(sheet, '') = coalesce(?, '') ORDER BY dataset_id LIMIT 1",
        [sha256, kind, source.sheet],
    ).fetchone()
    if earlier:  # a DuplicateDataError: the command line's --replace and the Data page's offer replace it
        raise DuplicateDataError(
            f"{source.label}: this table is already loaded (dataset {earlier[0]}, {earlier[1]!r}, imported "
            f"{earlier[2]} UTC); importing it again would count every row twice. Delete that dataset first to "
            "replace it.", int(earlier[0]))


@dataclass(frozen=True)
class SourceSpec:
    """One table to import: a file, the sheet (for workbooks) and its mapping."""

    path: Path
    mapping: Mapping
    sheet: str | None = None
    name: str | None = None


class _DryRunDone(Exception):
    """Raised inside the transaction of a dry run, so that everything it did is rolled back."""


def import_sources(store: Store, specs: Sequence[SourceSpec], *, is_sample: bool = False,
                   replace_sample: bool = False, dry_run: bool = False,
                   replace: Sequence[int] = ()) -> list[ImportReport]:
    """Read and import several tables in ONE transaction, then rebuild the derived tables.

    Reading happens before the transaction starts; if any table fails, nothing is stored.
    Raises ImportRefusedError when a table imports no row at all. `replace_sample`: the synthetic sample
    district is removed in the same transaction. `dry_run`: the reports are made, then everything is rolled
    back (the store is left as it was). `replace`: these datasets are removed in the same transaction (the
    import replaces the data a DuplicateDataError named).
    """
    from equity_metrics.storage.facts import rebuild_facts

    sources = [read_source(s.path, s.sheet, s.mapping.header_row) for s in specs]
    reports = []
    try:
        with store.transaction() as cursor:
            if replace_sample:
                _delete_sample_rows(cursor)
            if replace:
                _delete_dataset_rows(cursor, [int(i) for i in replace])
            for spec, source in zip(specs, sources, strict=True):
                report = import_into(cursor, source, spec.mapping, name=spec.name, file_path=spec.path,
                                     is_sample=is_sample)
                if report.rows_imported == 0:
                    reasons = "; ".join(f"{r.reason} in {r.count:,} rows" for r in report.rejections) or "the table is empty"
                    raise ImportRefusedError(f"{source.label}: no row could be imported ({reasons})")
                reports.append(report)
            if dry_run:
                raise _DryRunDone
            rebuild_facts(cursor)
            bump_data_version(cursor)
    except _DryRunDone:
        pass
    return reports


def _delete_dataset_rows(cursor: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    """These datasets' rows and catalog entries, removed inside the caller's transaction."""
    for kind in KINDS:
        cursor.execute(f"DELETE FROM {quote_identifier(kind)} WHERE dataset_id = ANY(?)", [ids])
    cursor.execute(f"DELETE FROM {CATALOG_TABLE} WHERE dataset_id = ANY(?)", [ids])


def _delete_sample_rows(cursor: duckdb.DuckDBPyConnection) -> None:
    """Every dataset of the synthetic sample district, removed inside the caller's transaction."""
    ids = [int(r[0]) for r in cursor.execute(f"SELECT dataset_id FROM {CATALOG_TABLE} WHERE is_sample").fetchall()]
    if not ids:
        return
    for kind in KINDS:
        cursor.execute(f"DELETE FROM {quote_identifier(kind)} WHERE dataset_id = ANY(?)", [ids])
    cursor.execute(f"DELETE FROM {CATALOG_TABLE} WHERE dataset_id = ANY(?)", [ids])
