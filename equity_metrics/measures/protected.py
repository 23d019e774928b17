"""One protected table per indicator and school year: every count any view can show, suppressed once, jointly.

The table is the cross-classification a view can show: school (or the district) x grade band (or all grades)
x each student-group dimension alone, and, for the district and all grades, race x sex, race x disability,
race x low income and sex x disability (the strata of the adjusted ratios), with every margin:
all groups of a school, a school's grade band, the district. `disclosure.protect` hides its small counts and
enough others that no combination of views recovers them (see that module and docs/methods.md). Every view
(`analysis.rates`, `analysis.gaps`, the audit, the pages, the command line, the exports) reads its counts and
which of them are hidden from here; none suppresses on its own. Tables are cached per store version.

Views that the table does not hold are not offered: one school or the whole district (never a union of
schools), one school year at a time (years are never pooled), only the splits in `SPLITS`, and pairs of groups
for the district's students only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.constants import GRADE_BANDS
from equity_metrics.measures import aggregate
from equity_metrics.measures.disclosure import ALL, Requirement, protect, relations_from_keys
from equity_metrics.measures.finest import counts_finest, events_finest
from equity_metrics.measures.indicators import INDICATORS, REFERRAL, STAGE_SANCTIONS, Indicator
from equity_metrics.measures.kept import kept_or_built
from equity_metrics.measures.layer_links import (
    BAND,
    COUPLED,
    COUPLING_ROUNDS,
    GRADE,
    MASTERED,
    NESTED,
    VEILED,
    band_population_hidden,
    coupled_flags,
    has_band_populations,
    importance,
    large_district_groups,
    layer_flags,
    master_flags,
    nested_flags,
    population_band,
    restricted_flags,
    shown_counts,
    steered,
)
from equity_metrics.measures.respondents import CLUSTER_SUMS
from equity_metrics.storage import caches
from equity_metrics.storage.facts import SOURCES, Source, respondent_sums_sql
from equity_metrics.storage.store import Store, quote_identifier

__all__ = ["ALL", "PAIRS", "SPLITS", "UnprotectedViewError", "check_split", "protected_rate_cells",
           "protected_value_cells", "forget_protected_tables"]

SINGLE_SPLITS: tuple[str, ...] = ("race", "sex", "disability", "section_504", "english_learner", "low_income")
# race x low income: the strata of "among students of the same income status" (race x English learner too cost
# the sample district's Black students' expulsion count, hidden district-wide, for a stratification few ask for)
PAIRS: tuple[tuple[str, str], ...] = (("race", "sex"), ("race", "disability"), ("race", "low_income"),
                                     ("sex", "disability"))
SPLITS: tuple[tuple[str, ...], ...] = (*((d,) for d in SINGLE_SPLITS), *PAIRS)
PAIR_SOURCES = ("student_year", "assessment", "counts")  # staff and applicants are too few to split twice
GEOGRAPHY = "school"
CONSTRUCT = "construct"  # a survey's questions on one theme: a unit, compared within, never a split
PERSONS = {"survey": "response_id"}  # sources whose rows are answers: the persons behind them, by this column
_NO_VALUE = "\x1fnone"  # a missing school or band in the data: counted in the margins, never a cell
CEILING = "ceiling"  # a larger count the numerator is part of (a sanction's referred students)




class UnprotectedViewError(ValueError):
    """A view the protected tables do not hold (a union of schools, pooled years, an unsupported split)."""


def check_split(groups: Sequence[str]) -> tuple[str, ...]:
    """The split as the protected table holds it (pairs in table order), or UnprotectedViewError."""
    groups = tuple(groups)
    for split in SPLITS:
        if sorted(split) == sorted(groups):
            return split
    allowed = ", ".join(" x ".join(s) for s in SPLITS)
    raise UnprotectedViewError(
        f"splitting by {' x '.join(groups)} is not offered, because its small counts could not be protected "
        f"together with every other view; choose one of: {allowed}")


GRADE_SOURCES = ("assessment",)  # sources whose scores are also compared grade by grade (the district's)


@dataclass(frozen=True)
class _Layout:
    """Key columns of a source's protected table and the grouping sets that fill it."""

    keys: tuple[str, ...]
    sets: tuple[tuple[str, ...], ...]


def _layout(source: Source, grades: bool = False, constructs: bool = True, band_pairs: bool = False) -> _Layout:
    """The keys and grouping sets of a source's tables; with `grades` (for a source in GRADE_SOURCES), the
    district's grades too, each under its grade band and under all grades (the same count twice, so that a
    band is seen to be the sum of its grades). With `band_pairs` (population layers), pairs of groups in each
    grade band too: a band's students are a population of their own (high-school students, for AP), whose
    district pairs are those cells. A survey's cells come once for all its questions and once per construct
    (unless `constructs` is False: its respondents, who answer every construct)."""
    geography = [GEOGRAPHY] if "school" in source.dimensions else []
    band = [BAND] if "grade" in source.dimensions else []
    singles = [d for d in SINGLE_SPLITS if d in source.dimensions]
    pairs = [p for p in PAIRS if all(d in source.dimensions for d in p)] if source.name in PAIR_SOURCES else []
    sets = []
    for geo in ([geography, []] if geography else [[]]):
        for b in ([band, []] if band else [[]]):
            sets += [(*geo, *b)] + [(*geo, *b, d) for d in singles]
    sets += list(pairs)  # pairs of groups: the district, all grades
    if band_pairs and band:
        sets += [(*band, *p) for p in pairs]
    with_grades = grades and bool(band) and source.name in GRADE_SOURCES
    if with_grades:
        for b in (band, []):
            sets += [(*b, GRADE)] + [(*b, GRADE, d) for d in singles]
    construct = [CONSTRUCT] if constructs and CONSTRUCT in source.dimensions else []
    if construct:
        sets += [(*s, CONSTRUCT) for s in sets]
    keys = (*geography, *band, *([GRADE] if with_grades else []), *construct, *singles)
    return _Layout(keys, tuple(dict.fromkeys(sets)))


def _finest_layout(layout: _Layout) -> _Layout:
    """One grouping set, every key: the finest cells the layout's cells add up (see `finest`)."""
    return _Layout(layout.keys, (layout.keys,))


_CACHE: dict[tuple, pd.DataFrame] = {}
_CACHE_LIMIT = 512
_CONTENT_KEYS: dict[str, str] = {}


@caches.register
def forget_protected_tables() -> None:
    """Drop every cached protected table (after the store file is erased)."""
    _CACHE.clear()
    _CONTENT_KEYS.clear()


def content_key(store: Store) -> str:
    """Names the data the protected tables are made from (a fingerprint of every analysis table: its rows'
    count and the sum of their hashes), so that copies of one store share their protected tables and any
    change to the data makes new ones. Computed once per store version."""
    version = store.cache_key()
    key = _CONTENT_KEYS.get(version)
    if key is None:
        parts = [f"SELECT '{s.table}', count(*), CAST(sum(hash(t)) AS VARCHAR) FROM {s.table} AS t"
                 for s in SOURCES.values()]
        rows = store.cursor().execute(" UNION ALL ".join(parts)).fetchall()
        key = _CONTENT_KEYS[version] = hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()
    return key


def _cached(key: tuple, build, store: Store | None = None) -> pd.DataFrame:
    """The table under `key`: from this process's cache, else (with `store`: a protected table, whose proof
    is worth keeping) from the store file, else built."""
    table = _CACHE.get(key)
    if table is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        table = _CACHE[key] = build() if store is None else kept_or_built(store, key, build)
    return table


def _grouping_sql(layout: _Layout, table: str) -> tuple[str, str]:
    """Select list of the key columns (ALL on a margin, _NO_VALUE for a missing school or band) and the
    GROUP BY GROUPING SETS clause."""
    selects = []
    for key in layout.keys:
        column = "grade_band" if key == BAND else key
        quoted = quote_identifier(column)
        selects.append(f"CASE WHEN GROUPING({quoted}) = 1 THEN '{ALL}' ELSE coalesce({quoted}, '{_NO_VALUE}') END "
                       f"AS {quote_identifier(key)}")
    sets = ", ".join("(" + ", ".join(quote_identifier("grade_band" if k == BAND else k) for k in s) + ")"
                     for s in layout.sets)
    return ", ".join(selects), f"GROUP BY GROUPING SETS ({sets})"


def _rate_cube(store: Store, indicator: Indicator, year: str, finest: bool = False) -> pd.DataFrame:
    """Every cell of the table: keys, denominator and numerator (student rows, or the aggregated counts for
    a year no student-level file covers); with `finest`, its finest cells instead (see `finest`)."""
    source = SOURCES[indicator.source]
    if indicator.count_measure and year not in aggregate.student_level_years(store, aggregate.required_kind(indicator)):
        return _counts_cube(store, indicator, year, finest)
    layout = _layout(source)
    cube = _source_cube(store, source, year, finest)
    columns = [*layout.keys, _denominator_column(indicator), _numerator_column(indicator)]
    frame = cube[columns].set_axis([*layout.keys, "denominator", "numerator"], axis=1)
    if finest:
        if source.name in PERSONS:
            frame["persons"] = cube[_persons_column(indicator.population)]
        return frame[frame["denominator"] > 0].reset_index(drop=True)
    if indicator.id in STAGE_SANCTIONS and _numerator_column(REFERRAL) in cube.columns:
        frame[CEILING] = cube[_numerator_column(REFERRAL)]  # the referred students it is a share of
    if source.name in PERSONS:
        frame["persons"] = cube[_persons_column(indicator.population)]
        for name in CLUSTER_SUMS:
            frame[name] = cube[name + ":" + indicator.population]
    return _without_excluded(frame[frame["denominator"] > 0], indicator)


def excluded_dimensions(indicator: Indicator) -> tuple[str, ...]:
    """Group dimensions an indicator is not split by: the disability flag for measures of students with
    disabilities (identification, categories, placement), where the split would repeat the measure itself
    (and a group's count would equal its denominator)."""
    return ("disability",) if "has_iep" in indicator.value or "has_iep" in indicator.population else ()


def _without_excluded(frame: pd.DataFrame, indicator: Indicator) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    for dimension in excluded_dimensions(indicator):
        if dimension in frame.columns:
            keep &= (frame[dimension] == ALL).to_numpy()
    return frame[keep].reset_index(drop=True)


def _denominator_column(indicator: Indicator) -> str:
    return _denominator_column_for(indicator.population)


def _numerator_column(indicator: Indicator) -> str:
    return "n:" + indicator.id


def _source_cube(store: Store, source: Source, year: str, finest: bool = False) -> pd.DataFrame:
    """Every cell of every rate indicator of a source in one school year, in one GROUPING SETS query
    (cached): the key columns, then one denominator column per population and one numerator per indicator;
    with `finest`, the finest cells (see `finest`)."""
    def build() -> pd.DataFrame:
        layout = _finest_layout(_layout(source)) if finest else _layout(source)
        rates = [i for i in INDICATORS.values() if i.source == source.name and i.kind == "rate"]
        if source.name == REFERRAL.source and _has_column(store, source.table, REFERRAL.value):
            rates.append(REFERRAL)  # (a store opened read-only from before the referral flag has none)
        populations = list(dict.fromkeys(i.population for i in rates))
        select, group_by = _grouping_sql(layout, source.table)
        counts = [f"count_if({p}) AS {quote_identifier(_denominator_column_for(p))}" for p in populations]
        counts += [f"count_if(({i.population}) AND coalesce({i.value}, FALSE)) AS "
                   f"{quote_identifier(_numerator_column(i))}" for i in rates]
        if source.name in PERSONS:
            counts += [f"count(DISTINCT {PERSONS[source.name]}) FILTER (WHERE {p}) AS "
                       f"{quote_identifier(_persons_column(p))}" for p in populations]
            if not finest:  # each cell's cluster sums over its respondents: tests clustered by respondent
                within = f"GROUPING({CONSTRUCT}) = 0" if CONSTRUCT in layout.keys else "FALSE"
                counts += [f"{sql} AS {quote_identifier(name + ':' + p)}" for p in populations
                           for sql, name in zip(respondent_sums_sql(p, within), CLUSTER_SUMS, strict=True)]
        sql = f"SELECT {select}, {', '.join(counts)} FROM {source.table} WHERE school_year = $year {group_by}"
        return _clean(store.query(sql, {"year": year}), layout, [], keep_missing=finest)

    return _cached(("cube", content_key(store), source.name, year, finest), build)


def _has_column(store: Store, table: str, column: str) -> bool:
    return bool(store.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = $t AND "
                             "column_name = $c", {"t": table, "c": column}))


def _denominator_column_for(population: str) -> str:
    return "d:" + population


def _persons_column(population: str) -> str:
    return "p:" + population


def _counts_cube(store: Store, indicator: Indicator, year: str, finest: bool = False) -> pd.DataFrame:
    """The same cells from the aggregated counts (race, sex, school; no grades): a missing count leaves
    its enrollment out, as in `aggregate.rate_cells`. With `finest`, the finest cells (their own keys)."""
    student_layout = _layout(SOURCES[indicator.source])
    layout = _finest_layout(_layout(SOURCES["counts"])) if finest else _layout(SOURCES["counts"])
    select, group_by = _grouping_sql(layout, "facts_counts")
    measure = quote_identifier(indicator.count_measure)
    sql = (f"SELECT {select}, CAST(coalesce(sum(enrollment) FILTER (WHERE {measure} IS NOT NULL), 0) AS BIGINT) "
           f"AS denominator, CAST(coalesce(sum({measure}) FILTER (WHERE enrollment IS NOT NULL), 0) AS BIGINT) "
           f"AS numerator FROM facts_counts WHERE school_year = $year {group_by}")
    cube = _clean(store.query(sql, {"year": year}), layout, ["denominator", "numerator"], keep_missing=finest)
    if finest:
        return cube
    for key in student_layout.keys:
        if key not in cube.columns:
            cube[key] = ALL
    return cube[[*student_layout.keys, "denominator", "numerator"]]


def _clean(cube: pd.DataFrame, layout: _Layout, counts: Sequence[str], keep_missing: bool = False) -> pd.DataFrame:
    """Drop empty cells and cells of a missing school or band (they stay in the margins; finest cells, with
    `keep_missing`, keep them: they add up to those margins); rows sorted by key, so that the same data is
    always protected the same way."""
    keep = np.ones(len(cube), dtype=bool)
    for key in layout.keys:
        if not keep_missing:
            keep &= (cube[key] != _NO_VALUE).to_numpy()
    if counts:
        keep &= (cube[counts[0]] > 0).to_numpy()
    cube = cube[keep]
    for key in layout.keys:
        cube[key] = cube[key].astype(str).astype(object)  # numpy strings: views select by key many times
    # DuckDB returns groups in any order (threads); protection breaks ties by row, so fix the order: the
    # display order (schools A-Z, groups in their labels' order, Unknown last), which views then keep.
    ranks = [aggregate.display_rank(cube[key], _dimension_of(key)) for key in layout.keys]
    return cube.iloc[np.lexsort(tuple(reversed(ranks)))].reset_index(drop=True)


def _dimension_of(key: str) -> str:
    return "grade_band" if key == BAND else key


def _small(values: np.ndarray, threshold: int) -> np.ndarray:
    return (values >= 1) & (values < threshold)


def _protect_rates(cube: pd.DataFrame, keys: Sequence[str], threshold: int, hide_n: np.ndarray,
                   finest: pd.DataFrame | None = None, forced: np.ndarray | None = None,
                   avoid: np.ndarray | None = None) -> pd.DataFrame:
    """Given the hidden denominators (the population's own layer, shared by every table that counts the same
    students), hide numerators: small counts, small complements, and every count of a small group, proven
    against every relation of the table and over its `finest` cells (see `finest`)."""
    relations = relations_from_keys(cube[list(keys)])
    n = cube["denominator"].to_numpy(dtype="float64")
    a = cube["numerator"].to_numpy(dtype="float64")
    none = np.full(len(cube), np.nan)
    small_n = _small(n, threshold)
    most = np.full(len(cube), threshold - 1.0)  # the most a hidden small group can hold
    if "persons" in cube.columns:  # answers: a group is small by its respondents, each giving n / persons answers
        persons = cube["persons"].to_numpy(dtype="float64")
        small_n = _small(persons, threshold)
        most = (threshold - 1.0) * n / np.maximum(persons, 1.0)
    cost = steered(a * importance(cube, keys, SINGLE_SPLITS, GEOGRAPHY), avoid)
    small_a, small_rest = _small(a, threshold), _small(n - a, threshold) & ~hide_n
    low = np.where(small_a, 1.0, none)
    low = np.where(small_rest, np.fmin(low, np.maximum(0.0, n - (threshold - 1))), low)
    high = np.where(small_a, threshold - 1.0, none)
    high = np.where(small_rest, np.fmax(high, n - 1.0), high)
    upper = np.where(hide_n, np.where(small_n, most, np.inf), n)
    if CEILING in cube.columns:  # a sanction among the referred: "all but 3 referred students" is small too
        ceiling = cube[CEILING].to_numpy(dtype="float64")  # NaN where the referral count is hidden
        beyond = _small(np.nan_to_num(ceiling - a, nan=0.0), threshold)
        small_rest |= beyond
        low = np.where(beyond, np.fmin(low, np.maximum(0.0, ceiling - (threshold - 1))), low)
        high = np.where(beyond, np.fmax(high, ceiling - 1.0), high)
        upper = np.fmin(upper, ceiling)
    a_rule = Requirement(low, np.minimum(high, upper), np.zeros(len(cube)), upper)
    # A hidden group's events are hidden with it, a small group's as a count to protect; a big group hidden
    # to protect another shows no rate, so its events are hidden too and must not follow from the rest.
    cells = None
    if finest is not None:
        persons = "persons" if "persons" in finest.columns else None
        cells = events_finest(cube, finest, keys, ~hide_n, [k for k in keys if k != CONSTRUCT], persons)
    primary = small_a | small_rest | (hide_n & (a > 0))
    if forced is not None:  # hidden by another table counting the same students (`COUPLED`)
        primary = primary | forced
    hide_a = protect(a, primary, relations, a_rule, cost, cells,
                     release=large_district_groups(cube, keys, "persons" if "persons" in cube.columns else "denominator",
                                                   GEOGRAPHY))
    return cube.assign(hide_denominator=hide_n, hide_numerator=hide_a | small_n)


def _protect_counts(cube: pd.DataFrame, keys: Sequence[str], count: str, threshold: int,
                    finest: pd.DataFrame | None = None, ceilings: Sequence[str] = (),
                    forced: np.ndarray | None = None, avoid: np.ndarray | None = None) -> np.ndarray:
    """Hidden flags for one count column (students of a population, students with a score), proven over its
    `finest` cells too (the same column, per finest cell) when given. `ceilings`: columns of larger counts
    other tables show that this one is part of; where one exceeds it by a small count, it is hidden so that the
    difference keeps the range a small count has."""
    relations = relations_from_keys(cube[list(keys)])
    n = cube[count].to_numpy(dtype="float64")
    small = _small(n, threshold)
    primary = small.copy()
    low, high = np.where(small, 1.0, np.nan), np.where(small, threshold - 1.0, np.nan)
    upper = np.full(len(cube), np.inf)
    for column in [c for c in ceilings if not c.startswith(VEILED)]:
        ceiling = cube[column].to_numpy(dtype="float64")
        rest = _small(ceiling - n, threshold)
        primary |= rest
        low = np.where(rest, np.fmin(low, np.maximum(0.0, ceiling - (threshold - 1))), low)
        high = np.where(rest, np.fmax(high, ceiling - 1.0), high)
        upper = np.fmin(upper, ceiling)  # the reader's bound: never more than a shown larger set
    follow, keep = nested_flags(cube, ceilings, n, threshold)  # larger sets hidden, or shown alike (`NESTED`)
    primary |= follow if forced is None else follow | forced  # forced: another table's same students (`COUPLED`)
    avoid = keep if avoid is None else avoid | keep
    rule = Requirement(low, np.minimum(high, upper), np.zeros(len(cube)), upper)
    cells = counts_finest(cube, finest, keys, count) if finest is not None else None
    return protect(n, primary, relations, rule, steered(n * importance(cube, keys, SINGLE_SPLITS, GEOGRAPHY), avoid), cells,
                   release=large_district_groups(cube, keys, count, GEOGRAPHY))


def population_layer(store: Store, source: Source, population: str, year: str, threshold: int,
                     content: str | None = None) -> pd.DataFrame:
    """The students of one population (SQL predicate over the source table) in every cell of the source's
    largest layout (the district's grades included, no split left out), with the cells to hide. For a survey,
    the respondents (the privacy rule counts people, not answers), in every cell but a construct's.

    Every table that counts these students takes its hidden counts from here: the rate tables of every
    indicator with this population (denominators), and a score or days table whose students are the same.
    A count that two tables show alike is then hidden alike, so neither table gives away what the other
    hides; and since the result depends only on the counts, two populations with equal counts in every cell
    (the students tested in math with a proficiency level and with a scale score) get the same cells hidden."""
    content = content or content_key(store)
    indicator = INDICATORS.get(COUPLED.get(population, ""))

    def build() -> pd.DataFrame:
        if indicator is not None and indicator.source == source.name:  # protected with its indicator's table
            return _coupled_pair(store, population, indicator, year, threshold, content)[0]
        return _layer(store, source, population, year, threshold, content)

    return _cached(("population", content, source.name, population, year, threshold), build, store)


def _layer(store: Store, source: Source, population: str, year: str, threshold: int, content: str
           ) -> pd.DataFrame:
    """A population's layer on its own (the all-students layer: with what its groups hide on their own)."""
    cube, finest, layout, ceilings = _layer_inputs(store, source, population, year, threshold, content)
    band = population_band(population) if BAND in layout.keys else None
    inherited = None if band is None else band_population_hidden(
        population_layer(store, source, "TRUE", year, threshold, content), cube, layout.keys, band)
    hidden = _protect_counts(cube, layout.keys, "n", threshold, finest, ceilings) if inherited is None \
        else inherited
    mapped = np.zeros(len(cube), dtype=bool)
    for part_of in [p for p, (d, _) in MASTERED.items() if population == "TRUE" and d in layout.keys]:
        part, part_finest, _, _ = _layer_inputs(store, source, part_of, year, threshold, content)
        alone = part.assign(hidden=_protect_counts(part, layout.keys, "n", threshold, part_finest))
        mapped |= master_flags(alone, part_of, cube, layout.keys, reverse=True)[0]  # what it hides alone
    if (mapped & ~hidden).any():
        hidden = _protect_counts(cube, layout.keys, "n", threshold, finest, ceilings, hidden | mapped)
    return cube.drop(columns=ceilings).assign(hidden=hidden)


def _layer_inputs(store: Store, source: Source, population: str, year: str, threshold: int, content: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame, _Layout, list[str]]:
    """A population layer's cells (with, per larger set of `NESTED`, its count where shown), its finest cells,
    its layout and the names of the larger sets' columns."""
    layout = _layout(source, grades=True, constructs=False, band_pairs=has_band_populations(source.name))
    count = (f"count(DISTINCT {PERSONS[source.name]}) FILTER (WHERE {population})" if source.name in PERSONS
             else f"count_if({population})")
    parents = () if source.name in PERSONS or population_band(population) else NESTED.get(population, ())
    ceilings = [f"{prefix}{i}" for prefix in ("ceiling_", VEILED) for i in range(len(parents))]

    def query(grouping: _Layout) -> pd.DataFrame:
        select, group_by = _grouping_sql(grouping, source.table)
        sql = f"SELECT {select}, {count} AS n FROM {source.table} WHERE school_year = $year {group_by}"
        return _clean(store.query(sql, {"year": year}), grouping, ["n"], keep_missing=grouping is not layout)

    cube = query(layout)
    for i, parent in enumerate(parents):  # the larger sets' counts where shown, and where hidden
        larger = population_layer(store, source, parent, year, threshold, content)
        cube[f"ceiling_{i}"] = shown_counts(larger, cube, layout.keys)
        cube[f"{VEILED}{i}"] = shown_counts(larger, cube, layout.keys, hidden=True)
    return cube, query(_finest_layout(layout)), layout, ceilings


def _coupled_pair(store: Store, population: str, indicator: Indicator, year: str, threshold: int, content: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A population's layer and the rate table whose numerators are its students (`COUPLED`), protected together:
    the layer follows the table; each is proven again with the other's hidden cells until both agree."""
    key = ("coupled", content, population, indicator.id, year, threshold)
    if key in _CACHE:
        return _CACHE[key]  # type: ignore[return-value]
    cube, finest, layout, ceilings = _layer_inputs(store, SOURCES[indicator.source], population, year, threshold, content)
    rates, rate_finest, hide_n, keys = _rate_inputs(store, indicator, year, threshold, content)
    forced, avoid = master_flags(population_layer(store, SOURCES[indicator.source], "TRUE", year, threshold, content)
                                 if population in MASTERED else None, population, cube, layout.keys)
    table_avoid = layer_flags(cube.assign(hidden=avoid), rates, keys)
    table = _protect_rates(rates, keys, threshold, hide_n, rate_finest, avoid=table_avoid)
    layer_hidden = _protect_counts(cube, layout.keys, "n", threshold, finest, ceilings,  # the layer follows
                                   forced | coupled_flags(table, cube, layout.keys),  # the table's hidden cells
                                   avoid | coupled_flags(table, cube, layout.keys, shown=True))  # and shown ones
    for _ in range(COUPLING_ROUNDS):
        from_table = coupled_flags(table, cube, layout.keys)
        if not (from_table & ~layer_hidden).any():
            break
        layer_hidden = _protect_counts(cube, layout.keys, "n", threshold, finest, ceilings,
                                       forced=layer_hidden | from_table, avoid=avoid)
        from_layer = layer_flags(cube.assign(hidden=layer_hidden), table, keys)
        hide_a = table["hide_numerator"].to_numpy(dtype=bool)
        if (from_layer & ~hide_a).any():
            table = _protect_rates(rates, keys, threshold, hide_n, rate_finest, forced=hide_a | from_layer,
                                   avoid=table_avoid)
    layer_hidden = layer_hidden | coupled_flags(table, cube, layout.keys)
    table = table.assign(hide_numerator=table["hide_numerator"].to_numpy(dtype=bool)
                         | layer_flags(cube.assign(hidden=layer_hidden), table, keys))
    pair = _CACHE[key] = (cube.drop(columns=ceilings).assign(hidden=layer_hidden), table)  # type: ignore[assignment]
    return pair


def rate_table(store: Store, indicator: Indicator, year: str, threshold: int, content: str | None = None
               ) -> pd.DataFrame:
    """The protected table of a rate indicator in one school year (cached per store content; `content`: the
    store's content_key when the caller has it). An indicator whose numerators are another table's population
    (`COUPLED`) is protected together with that population's layer (`_coupled_pair`)."""
    content = content or content_key(store)
    key = ("rate", content, indicator, year, threshold)
    if key in _CACHE:
        return _CACHE[key]
    population = next((p for p, i in COUPLED.items() if i == indicator.id), None)
    if population is not None:
        return _cached(key, lambda: _coupled_pair(store, population, indicator, year, threshold, content)[1], store)

    def build() -> pd.DataFrame:
        cube, finest, hide_n, keys = _rate_inputs(store, indicator, year, threshold, content)
        return _protect_rates(cube, keys, threshold, hide_n, finest)

    return _cached(key, build, store)


def _rate_inputs(store: Store, indicator: Indicator, year: str, threshold: int, content: str
                 ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, tuple[str, ...]]:
    """A rate table's cells, finest cells, hidden denominators (from the population's layer) and keys."""
    layout = _layout(SOURCES[indicator.source])
    counted = bool(indicator.count_measure) and year not in aggregate.student_level_years(
        store, aggregate.required_kind(indicator))
    cube, finest = _rate_cube(store, indicator, year), _rate_cube(store, indicator, year, finest=True)
    if CEILING in cube.columns:  # only where the referral count is shown does "referred minus" follow
        referred = rate_table(store, REFERRAL, year, threshold)
        shown = cube[list(layout.keys)].merge(referred[[*layout.keys, "hide_numerator"]], on=list(layout.keys),
                                              how="left")["hide_numerator"].eq(False).to_numpy()
        cube[CEILING] = np.where(shown, cube[CEILING].to_numpy(dtype="float64"), np.nan)
    if counted:  # the aggregated counts: their own layer (no grades, no student file)
        key = ("denominators", content, indicator.count_measure, year, threshold)
        hide_n = _cached(key, lambda: cube.assign(
            hidden=_protect_counts(cube, layout.keys, "denominator", threshold, finest)), store)["hidden"].to_numpy(bool)
    else:
        layer = population_layer(store, SOURCES[indicator.source], indicator.population, year, threshold, content)
        hide_n = restricted_flags(layer, cube, layout.keys)
    return cube, finest, hide_n, layout.keys


def value_table(store: Store, indicator: Indicator, year: str, threshold: int, content: str | None = None
                ) -> pd.DataFrame:
    """The protected table of a mean (scores, days, survey answers): per cell n, sums of (value - shift) and
    their squares, the median and the shift (the year's mean), with `hide_n`."""
    source = SOURCES[indicator.source]
    layout = _layout(source, grades=True)

    def build() -> pd.DataFrame:
        select, group_by = _grouping_sql(layout, source.table)
        scaled = f"(CAST({indicator.value} AS DOUBLE) * {float(indicator.scale)!r})"
        where = f"school_year = $year AND ({indicator.population}) AND {scaled} IS NOT NULL"
        shift = store.scalar(f"SELECT coalesce(avg({scaled}), 0) FROM {source.table} WHERE {where}", {"year": year})
        persons = f", count(DISTINCT {PERSONS[source.name]}) AS persons" if source.name in PERSONS else ""
        sql = (f"SELECT {select}, count(*) AS n, sum({scaled} - $shift) AS total, "
               f"sum(({scaled} - $shift) ** 2) AS total_of_squares, median({scaled}) AS median{persons} "
               f"FROM {source.table} WHERE {where} {group_by}")
        cube = _clean(store.query(sql, {"year": year, "shift": float(shift)}), layout, ["n"])
        cube["shift"] = float(shift)
        select, group_by = _grouping_sql(_finest_layout(layout), source.table)
        finest = _clean(store.query(f"SELECT {select}, count(*) AS n FROM {source.table} WHERE {where} {group_by}",
                                    {"year": year}), _finest_layout(layout), ["n"], keep_missing=True)
        if source.name in PERSONS:  # answers: hidden where their respondents are
            layer = population_layer(store, source, f"({indicator.population}) AND {scaled} IS NOT NULL", year,
                                     threshold, content)
            hide_n = restricted_flags(layer, cube, layout.keys)
        else:  # hidden as the population layer would hide the same counts (see population_layer)
            hide_n = _protect_counts(cube, layout.keys, "n", threshold, finest)
        return _without_excluded(cube.assign(hide_n=hide_n), indicator)

    return _cached(("value", content or content_key(store), indicator, year, threshold), build, store)


def _select(table: pd.DataFrame, keys: Sequence[str], groups: Sequence[str], units: Sequence[str],
            school: str | None, band: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The view's group cells and its unit totals (all groups) from a protected table."""
    mask = np.ones(len(table), dtype=bool)
    totals_mask = np.ones(len(table), dtype=bool)
    for key in keys:
        column = table[key].to_numpy()
        if key == GEOGRAPHY:
            by_school = "school" in units
            wanted = (column == school) if school is not None else ((column != ALL) if by_school else (column == ALL))
        elif key == GRADE:
            wanted = (column != ALL) if GRADE in units else (column == ALL)
        elif key == BAND:
            wanted = column == (band if band is not None else ALL)
        elif key == CONSTRUCT:
            wanted = (column != ALL) if CONSTRUCT in units else (column == ALL)
        elif key in groups:
            mask &= column != ALL
            totals_mask &= column == ALL
            continue
        else:
            wanted = column == ALL
        mask &= wanted
        totals_mask &= wanted
    return table[mask], table[totals_mask]


def _resolve_school(keys: Sequence[str], schools: Sequence[str], store: Store) -> str | None:
    """The one school a view is filtered to (by name or code), or None for the district."""
    if not schools:
        return None
    if len(schools) > 1:
        raise UnprotectedViewError(
            "choose one school or the whole district: totals over a chosen set of schools would let their "
            "hidden counts be worked out from the district's")
    if GEOGRAPHY not in keys:
        return None
    wanted = schools[0]
    names = store.query("SELECT DISTINCT school FROM facts_student_year WHERE school_id = $s OR school = $s "
                        "UNION SELECT DISTINCT school FROM facts_counts WHERE school_id = $s OR school = $s "
                        "UNION SELECT DISTINCT school FROM facts_graduation WHERE school_id = $s OR school = $s",
                        {"s": wanted})["school"].dropna().astype(str).tolist()
    return names[0] if names else wanted


def _view(kind: str, store: Store, indicator: Indicator, years: Sequence[str], units: Sequence[str],
          groups: Sequence[str], filters: aggregate.Filters, threshold: int, content: str | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A view's cells and unit totals, in display order: years oldest first, then the table's own order
    (schools A-Z, groups in their labels' order, Unknown last: see `_clean`)."""
    source = SOURCES[indicator.source]
    layout = _layout(source, grades=kind == "value")
    aggregate.check_dimensions(source, [*units, *groups])
    split = check_split(groups)
    excluded = [g for g in split if g in excluded_dimensions(indicator)]
    if excluded:
        raise UnprotectedViewError(f"{indicator.label} is not split by {', '.join(excluded)}: it measures "
                                   "students with disabilities, so the split would repeat the measure")
    if len(split) == 2:
        if source.name not in PAIR_SOURCES:
            raise UnprotectedViewError(f"{source.unit} are too few to be split by two groups at once (privacy)")
        if filters.schools or "school" in units or (filters.grade_band and BAND in layout.keys):
            raise UnprotectedViewError("pairs of groups (such as race x sex) are shown for the whole district and "
                                       "all grades only: within a school or a grade band too many of their counts "
                                       "would have to be hidden")
    if len(years) > 1 and "school_year" not in units:
        raise UnprotectedViewError("school years are never pooled: choose one year, or compare years side by side")
    unit_keys = ("school_year", "school", *(k for k in (GRADE, CONSTRUCT) if k in layout.keys))
    unknown_units = [u for u in units if u not in unit_keys]
    if unknown_units:
        raise UnprotectedViewError(f"{', '.join(unknown_units)} is not a unit of the protected tables")
    if GRADE in units and (filters.schools or "school" in units):
        raise UnprotectedViewError("grades are compared for the whole district only (privacy)")
    if filters.groups:
        raise UnprotectedViewError("views of part of a group are not offered")
    school = _resolve_school(layout.keys, filters.schools, store)
    band = filters.grade_band if BAND in layout.keys else None
    if band is not None and band not in GRADE_BANDS:
        raise ValueError(f"unknown grade band {band!r}; use one of {', '.join(GRADE_BANDS)}")
    cells, totals = [], []
    content = content or content_key(store)
    for year in sorted(years):
        table = (rate_table if kind == "rate" else value_table)(store, indicator, year, threshold, content)
        part, total = _select(table, layout.keys, split, units, school, band)
        cells.append(part.assign(school_year=year))
        totals.append(total.assign(school_year=year))
    return _tidy(pd.concat(cells, ignore_index=True), units, split), _tidy(pd.concat(totals, ignore_index=True),
                                                                          units, ())


def _tidy(frame: pd.DataFrame, units: Sequence[str], groups: Sequence[str]) -> pd.DataFrame:
    """Unit and group columns first (the school named, ALL never shown), then the counts."""
    counts = [c for c in frame.columns
              if c not in (GEOGRAPHY, BAND, GRADE, CONSTRUCT, "school_year", CEILING, *SINGLE_SPLITS)]
    return frame[[*units, *groups, *counts]].reset_index(drop=True)


def protected_rate_cells(store: Store, indicator: Indicator, years: Sequence[str], units: Sequence[str],
                         groups: Sequence[str], filters: aggregate.Filters, threshold: int,
                         content: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A rate view's cells and unit totals from the protected tables: units, groups, denominator, numerator,
    hide_denominator, hide_numerator (in display order). `content`: the store's content_key, when the caller
    asks for many views at once."""
    return _view("rate", store, indicator, years, units, groups, filters, threshold, content)


def protected_value_cells(store: Store, indicator: Indicator, years: Sequence[str], units: Sequence[str],
                          groups: Sequence[str], filters: aggregate.Filters, threshold: int
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A score view's cells and unit totals: units, groups, n, total, total_of_squares, median, shift, hide_n."""
    return _view("value", store, indicator, years, units, groups, filters, threshold)
