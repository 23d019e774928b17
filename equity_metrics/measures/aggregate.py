"""Aggregate in SQL: per-cell counts (rates) and sufficient statistics (means) for any mix of dimensions.

Queries are built from three pieces: the dimension list (checked against the source's own dimensions, then
quoted), the filter predicate (values always bound as parameters), and the indicator's own population and
value fragments. Many indicators of one source are computed in ONE query with FILTER clauses, so the whole
audit is one GROUP BY per source. Results are small frames with one row per cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DIMENSIONS, GRADE_BANDS, UNKNOWN
from equity_metrics.measures.indicators import Indicator
from equity_metrics.storage.facts import SOURCES, Source
from equity_metrics.storage.store import Store, quote_identifier


@dataclass(frozen=True)
class Filters:
    """Which rows count: school years, schools (name or code), a grade band, and group values to keep."""

    school_years: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    grade_band: str | None = None
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (dimension, values kept)

    def with_years(self, years: Sequence[str]) -> Filters:
        return Filters(tuple(years), self.schools, self.grade_band, self.groups)


class DimensionError(ValueError):
    """A dimension the source does not have."""


def check_dimensions(source: Source, dimensions: Sequence[str]) -> list[str]:
    """Dimensions must be the source's own: names are never taken from user input unchecked."""
    unknown = [d for d in dimensions if d not in source.dimensions]
    if unknown:
        raise DimensionError(
            f"{source.unit} cannot be split by {', '.join(unknown)}; available: {', '.join(source.dimensions)}"
        )
    return list(dict.fromkeys(dimensions))


def filter_sql(filters: Filters, source: Source) -> tuple[str, dict[str, Any]]:
    """WHERE predicate and its bound parameters. Filters on columns the source lacks are skipped."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.school_years:
        clauses.append("school_year = ANY($school_years)")
        params["school_years"] = list(filters.school_years)
    if filters.schools and "school" in source.dimensions:
        clauses.append("(school = ANY($schools) OR school_id = ANY($schools))")
        params["schools"] = list(filters.schools)
    if filters.grade_band and "grade" in source.dimensions:
        if filters.grade_band not in GRADE_BANDS:
            raise ValueError(f"unknown grade band {filters.grade_band!r}; use one of {', '.join(GRADE_BANDS)}")
        clauses.append("grade = ANY($grade_band)")
        params["grade_band"] = list(GRADE_BANDS[filters.grade_band])
    for index, (dimension, values) in enumerate(filters.groups):
        if dimension in source.dimensions:
            clauses.append(f"{quote_identifier(dimension)} = ANY($group_{index})")
            params[f"group_{index}"] = list(values)
    return " AND ".join(clauses) or "TRUE", params


def _source_of(indicators: Sequence[Indicator]) -> Source:
    names = {indicator.source for indicator in indicators}
    if len(names) != 1:
        raise ValueError(f"indicators from several sources in one query: {sorted(names)}")
    return SOURCES[names.pop()]


def _order_sql(dimension: str) -> str:
    """Sort key of a dimension: its labels' display order (race in federal order), Unknown last, others A-Z."""
    column = quote_identifier(dimension)
    labels = DIMENSIONS[dimension].values if dimension in DIMENSIONS else ()
    if not labels:
        return f"{column} = '{UNKNOWN}', {column}"
    listed = ", ".join("'" + label.replace("'", "''") + "'" for label in labels)
    return f"coalesce(list_position([{listed}], {column}), {len(labels) + 1}), {column} = '{UNKNOWN}', {column}"


def display_rank(values: pd.Series, dimension: str) -> np.ndarray:
    """Sort key of a dimension's values, as `_order_sql` sorts them in SQL: labels' display order, Unknown
    last, other values A-Z."""
    labels = DIMENSIONS[dimension].values if dimension in DIMENSIONS else ()
    position = {label: i for i, label in enumerate(labels)}
    text = values.astype(str)
    listed = text.map(position).fillna(len(labels)).to_numpy(dtype="float64")
    unknown = (text == UNKNOWN).to_numpy(dtype="float64")
    alphabetical = pd.factorize(text, sort=True)[0].astype("float64")
    return (listed * 2 + unknown) * (len(text) + 1) + alphabetical


def _dimension_sql(dimensions: Sequence[str]) -> tuple[str, str]:
    """Select list and GROUP BY ... ORDER BY for the dimensions: rows come back in display order, the same
    every run."""
    if not dimensions:
        return "", ""
    quoted = ", ".join(quote_identifier(d) for d in dimensions)
    order = ", ".join(_order_sql(d) for d in dimensions)
    return quoted + ", ", f"GROUP BY {quoted} ORDER BY {order}"


def _long(wide: pd.DataFrame, dimensions: Sequence[str], indicators: Sequence[Indicator],
          columns: dict[str, list[str]], integer: Sequence[str] = ()) -> pd.DataFrame:
    """Reshape one row per cell with columns per indicator into one row per (indicator, cell), indicator-major,
    keeping the cells' order. `columns` maps each output column to its wide column per indicator."""
    cells, count = len(wide), len(indicators)
    long = wide[list(dimensions)].iloc[np.tile(np.arange(cells), count)].reset_index(drop=True)
    long.insert(0, "indicator_id", np.repeat([i.id for i in indicators], cells))
    for name, wide_columns in columns.items():
        values = wide[wide_columns].to_numpy(dtype="float64").T.ravel()
        long[name] = values.astype("int64") if name in integer else values
    return long


def rate_cells(store: Store, indicators: Sequence[Indicator], dimensions: Sequence[str],
               filters: Filters = Filters()) -> pd.DataFrame:
    """Long frame: indicator_id, the dimensions, denominator, numerator; one row per non-empty cell.

    Aggregated counts (a report card, the CRDC school file) add to the student-level cells, for the school
    years the student-level files do not cover, when the split and filters are ones the counts have
    (race, sex, school, year; no grade band). A year is never counted twice.
    """
    source = _source_of(indicators)
    dimensions = check_dimensions(source, dimensions)
    if any(i.count_measure for i in indicators) and _holds_counts(store):
        return _with_counts(store, indicators, dimensions, filters, _counts_split(dimensions, filters))
    where, params = filter_sql(filters, source)
    select_dims, group_by = _dimension_sql(dimensions)
    populations = list(dict.fromkeys(i.population for i in indicators))  # shared denominators counted once
    counts = ", ".join(
        [f"count_if({population}) AS \"d{j}\"" for j, population in enumerate(populations)]
        + [f"count_if(({i.population}) AND coalesce({i.value}, FALSE)) AS \"n{k}\"" for k, i in enumerate(indicators)]
    )
    wide = store.query(f"SELECT {select_dims}{counts} FROM {source.table} WHERE {where} {group_by}", params)
    long = _long(wide, dimensions, indicators, {
        "denominator": [f"d{populations.index(i.population)}" for i in indicators],
        "numerator": [f"n{k}" for k in range(len(indicators))],
    }, integer=("denominator", "numerator"))
    return long[long["denominator"] > 0].reset_index(drop=True)


def _holds_counts(store: Store) -> bool:
    return bool(store.scalar(f"SELECT count(*) > 0 FROM {SOURCES['counts'].table}"))


def _counts_split(dimensions: Sequence[str], filters: Filters) -> bool:
    """Whether aggregated counts can answer this split and these filters (race, sex, school, year; no grades)."""
    counted = SOURCES["counts"]
    return (all(d in counted.dimensions for d in dimensions) and filters.grade_band is None
            and all(d in counted.dimensions for d, _ in filters.groups))


def required_kind(indicator: Indicator) -> str:
    """The canonical kind whose rows for a year make the indicator measurable from student rows that year."""
    return indicator.requires or SOURCES[indicator.source].kinds[0]


def student_level_years(store: Store, kind: str) -> list[str]:
    """School years in which student-level rows of `kind` and the enrollment roster both exist."""
    rows = store.cursor().execute(
        f"SELECT DISTINCT school_year FROM {quote_identifier(kind)} INTERSECT SELECT DISTINCT school_year FROM enrollment"
    ).fetchall()
    return sorted(str(year) for (year,) in rows if year is not None)


def _with_counts(store: Store, indicators: Sequence[Indicator], dimensions: Sequence[str],
                 filters: Filters, counts_answer: bool) -> pd.DataFrame:
    """rate_cells over the student rows of the years student-level files cover, plus (when `counts_answer`)
    the aggregated counts of the other years, summed per cell in one query (display order kept). A count's
    denominator is the enrollment of the same school, year and group where the count is known: a missing
    count leaves its enrollment out. A year covered only by counts is never read from a roster alone (that
    would show zero events)."""
    student, counted = SOURCES[indicators[0].source], SOURCES["counts"]
    where, params = filter_sql(filters, student)
    counts_where, counts_params = filter_sql(filters, counted) if counts_answer else ("", {})
    params |= counts_params
    student_parts, count_parts = [], []
    for k, i in enumerate(indicators):
        covered = f"school_year = ANY($covered_{k})"
        params[f"covered_{k}"] = student_level_years(store, required_kind(i)) if i.count_measure else []
        scope = f"({i.population}) AND {covered}" if i.count_measure else f"({i.population})"
        student_parts += [f"count_if({scope}) AS \"d{k}\"", f"count_if({scope} AND coalesce({i.value}, FALSE)) AS \"n{k}\""]
        if i.count_measure:
            measure = quote_identifier(i.count_measure)
            count_parts += [
                f"coalesce(sum(enrollment) FILTER (WHERE {measure} IS NOT NULL AND NOT {covered}), 0) AS \"d{k}\"",
                f"coalesce(sum({measure}) FILTER (WHERE enrollment IS NOT NULL AND NOT {covered}), 0) AS \"n{k}\"",
            ]
        else:
            count_parts += [f"0 AS \"d{k}\"", f"0 AS \"n{k}\""]
    select_dims, group_by = _dimension_sql(dimensions)
    inner_group = f"GROUP BY {', '.join(quote_identifier(d) for d in dimensions)}" if dimensions else ""
    totals = ", ".join(f"CAST(sum(\"{c}{k}\") AS BIGINT) AS \"{c}{k}\"" for k in range(len(indicators)) for c in "dn")
    union = (f" UNION ALL SELECT {select_dims}{', '.join(count_parts)} FROM {counted.table} WHERE {counts_where} "
             f"{inner_group}") if counts_answer else ""
    sql = (
        f"SELECT {select_dims}{totals} FROM ("
        f"SELECT {select_dims}{', '.join(student_parts)} FROM {student.table} WHERE {where} {inner_group}{union}"
        f") {group_by}"
    )
    wide = store.query(sql, params)
    ks = range(len(indicators))
    long = _long(wide, dimensions, indicators, {"denominator": [f"d{k}" for k in ks], "numerator": [f"n{k}" for k in ks]},
                 integer=("denominator", "numerator"))
    return long[long["denominator"] > 0].reset_index(drop=True)


def value_cells(store: Store, indicators: Sequence[Indicator], dimensions: Sequence[str],
                filters: Filters = Filters()) -> pd.DataFrame:
    """Long frame: indicator_id, the dimensions, n, total, total_of_squares, median, shift.

    Sums are of (value - shift), where shift is the indicator's overall mean, so variances computed from
    them keep their precision; mean = total / n + shift. Values are multiplied by the indicator's scale.
    """
    source = _source_of(indicators)
    dimensions = check_dimensions(source, dimensions)
    where, params = filter_sql(filters, source)
    select_dims, group_by = _dimension_sql(dimensions)

    def scaled(i: Indicator) -> str:
        return f"(CAST({i.value} AS DOUBLE) * {float(i.scale)!r})"

    shift_sql = ", ".join(
        f"coalesce(avg({scaled(i)}) FILTER (WHERE {i.population}), 0) AS \"s{k}\"" for k, i in enumerate(indicators)
    )
    shifts = store.cursor().execute(f"SELECT {shift_sql} FROM {source.table} WHERE {where}", params).fetchone()
    for k, shift in enumerate(shifts):
        params[f"shift{k}"] = float(shift)
    stats = ", ".join(
        f"count({scaled(i)}) FILTER (WHERE {i.population}) AS \"n{k}\", "
        f"sum({scaled(i)} - $shift{k}) FILTER (WHERE {i.population}) AS \"t{k}\", "
        f"sum(({scaled(i)} - $shift{k}) ** 2) FILTER (WHERE {i.population}) AS \"q{k}\", "
        f"median({scaled(i)}) FILTER (WHERE {i.population}) AS \"m{k}\""
        for k, i in enumerate(indicators)
    )
    wide = store.query(f"SELECT {select_dims}{stats} FROM {source.table} WHERE {where} {group_by}", params)
    for k, shift in enumerate(shifts):
        wide[f"s{k}"] = float(shift)
        wide[f"n{k}"] = wide[f"n{k}"].fillna(0)
    ks = range(len(indicators))
    long = _long(wide, dimensions, indicators, {
        "n": [f"n{k}" for k in ks], "total": [f"t{k}" for k in ks], "total_of_squares": [f"q{k}" for k in ks],
        "median": [f"m{k}" for k in ks], "shift": [f"s{k}" for k in ks],
    }, integer=("n",))
    return long[long["n"] > 0].reset_index(drop=True)


def school_years(store: Store, source: str = "student_year") -> list[str]:
    """School years present in a source (for students, in the aggregated counts too), oldest first."""
    tables = [SOURCES[source].table] + (["facts_counts"] if source == "student_year" else [])
    union = " UNION ".join(f"SELECT DISTINCT school_year FROM {table}" for table in tables)
    return [str(v) for v in store.query(f"SELECT * FROM ({union}) ORDER BY 1")["school_year"]]


def loaded_years(store: Store, table: str) -> list[str]:
    """The school years a kind's own table holds (a published aggregate: staff FTE, survey summaries, shares),
    latest first; none when the table does not exist."""
    if not store.table_exists(table):
        return []
    return [str(r[0]) for r in store.cursor().execute(
        f"SELECT DISTINCT school_year FROM {quote_identifier(table)} WHERE school_year IS NOT NULL "
        "ORDER BY 1 DESC").fetchall()]


def loaded_year(store: Store, table: str, school_year: str | None, error: type[Exception], what: str,
                how: str) -> str:
    """The school year a published aggregate's view shows: `school_year`, by default the latest its table holds.
    Raises `error` saying no `what` is loaded (and `how` to load it), or naming the years that are."""
    years = loaded_years(store, table)
    if not years:
        raise error(f"no {what} loaded: {how}")
    year = school_year or years[0]
    if year not in years:
        raise error(f"no {what} for {year}; loaded: {', '.join(years)}")
    return year


ENOUGH_SHARE = 0.1  # a year with fewer students than this share of the largest year's is not the default


def default_school_year(store: Store, min_students: int = 30) -> tuple[str | None, str | None]:
    """The school year to show first: the latest with enough students (at least `min_students`, and at least
    ENOUGH_SHARE of the largest year's), not the latest year a file of 12 students opened; and, when that is
    not the latest year, why (a sentence). (None, None) without data."""
    frame = store.query(
        "WITH students AS (SELECT school_year, count(*) AS n FROM facts_student_year GROUP BY ALL), "
        "counted AS (SELECT school_year, sum(enrollment) AS n FROM facts_counts GROUP BY ALL) "
        "SELECT school_year, greatest(coalesce(s.n, 0), coalesce(c.n, 0)) AS n "
        "FROM students s FULL JOIN counted c USING (school_year) ORDER BY school_year")
    if frame.empty:
        return None, None
    need = max(min_students, ENOUGH_SHARE * float(frame["n"].max()))
    enough = frame[frame["n"] >= need]
    latest = str(frame["school_year"].iloc[-1])
    if enough.empty:
        return latest, None
    chosen = str(enough["school_year"].iloc[-1])
    if chosen == latest:
        return chosen, None
    later = frame[frame["school_year"] > chosen]
    listed = ", ".join(f"{y} has {int(n):,}" for y, n in zip(later["school_year"], later["n"], strict=True))
    return chosen, (f"School year {chosen} is shown first: the latest with enough students to compare groups "
                    f"({listed}; choose it above to see it).")


def schools(store: Store) -> list[str]:
    """School names present in the student data and the aggregated counts, alphabetical."""
    union = "SELECT DISTINCT school FROM facts_student_year UNION SELECT DISTINCT school FROM facts_counts"
    return [str(v) for v in store.query(f"SELECT * FROM ({union}) ORDER BY 1")["school"]]


def count_rows(store: Store, source: str, filters: Filters = Filters()) -> int:
    """How many units (students, staff, ...) a source holds under the filters."""
    where, params = filter_sql(filters, SOURCES[source])
    return int(store.scalar(f"SELECT count(*) FROM {SOURCES[source].table} WHERE {where}", params))


def grouping_sql(dimensions: Sequence[str]) -> tuple[str, str]:
    """For queries built outside this module (score quantiles, discipline stages): the quoted select list of
    already-checked dimensions ("d1, d2, ") and their "GROUP BY ... ORDER BY ..." in display order."""
    return _dimension_sql(dimensions)
