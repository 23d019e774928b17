"""The questions the app and the command line ask, answered the same way for both.

`rates` and `gaps` take an indicator id, the dimensions to split by and the filters, aggregate in SQL, and
return suppressed result tables. `school_year`, `school`, and for surveys `construct` and `respondent_type`, in
`by` become *units*: groups are compared within the same year, school or construct, never across. With no
year filtered, the latest year with data is used.
`audit` computes every indicator with data at once, one query per source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equity_metrics.core import stats
from equity_metrics.core.codes import COUNT_MEASURES
from equity_metrics.measures import adjusted, adjusted_gaps, aggregate, metrics, protected, rules
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS, Indicator, get_indicator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.storage import caches
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store

UNIT_DIMENSIONS = ("school_year", "school", "construct", "respondent_type")  # compared within, never across
PERSONS_SOURCES = tuple(protected.PERSONS)  # sources whose rows are answers of respondents


class NoDataError(LookupError):
    """The store holds no data for what was asked; the message says which file to load."""


@dataclass(frozen=True)
class Result:
    """A suppressed result table and what produced it."""

    indicator: Indicator
    groups: tuple[str, ...]
    units: tuple[str, ...]
    filters: Filters
    options: MetricOptions
    table: pd.DataFrame
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)  # per unit: Cramér's V or eta squared
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)  # per unit: all students (rates only)

    @property
    def school_years(self) -> tuple[str, ...]:
        return self.filters.school_years


def split_dimensions(by: Sequence[str]) -> tuple[list[str], list[str]]:
    """Separate the unit dimensions (school year, school) from the group dimensions."""
    units = [d for d in UNIT_DIMENSIONS if d in by]
    groups = [d for d in by if d not in UNIT_DIMENSIONS]
    return units, groups


_EMPTY_HINTS = {
    "enrollment": "an enrollment roster",
    "discipline": "a discipline file (and the enrollment roster)",
    "courses": "a course enrollment file (and the enrollment roster)",
    "marks": "a course marks file (and the enrollment roster)",
    "assessments": "assessment results (and the enrollment roster for demographics)",
    "special_education": "a special education file (and the enrollment roster)",
    "interventions": "a referrals and interventions file (and the enrollment roster)",
    "staff": "a staff file",
    "applicants": "an applicant file",
    "survey": "climate survey responses",
    "graduation": "a graduation outcomes file (cohort counts per school and group)",
}


required_kind = aggregate.required_kind


def years_with_data(store: Store, indicator: Indicator, years: dict[str, set[str]] | None = None) -> list[str]:
    """School years in which the indicator can be measured, oldest first: its source and its required kind
    hold rows, or aggregated counts (report card, CRDC) give its measure. `years`: data_years(store), when the
    caller already has it (the audit asks for every indicator)."""
    years = data_years(store) if years is None else years
    both = years.get(required_kind(indicator), set()) & years.get(SOURCES[indicator.source].table, set())
    if indicator.count_measure:
        both |= years.get(_COUNTS_KEY + indicator.count_measure, set())
    return sorted(both)


_COUNTS_KEY = "counts:"


def data_years(store: Store) -> dict[str, set[str]]:
    """School years present in every canonical table and every analysis table, and per measure of the
    aggregated counts (key "counts:<measure>"), in one query (cached per store file and data version)."""
    key = store.cache_key()
    cached = _DATA_YEARS.get(key)
    if cached is None:
        tables = [*KINDS, *(s.table for s in SOURCES.values())]
        tables = [t for t in tables if "school_year" in _columns(store, t)]
        selects = [f"SELECT '{t}' AS t, school_year FROM (SELECT DISTINCT school_year FROM \"{t}\")" for t in tables]
        selects += [f"SELECT '{_COUNTS_KEY}{m}', school_year FROM (SELECT DISTINCT school_year FROM facts_counts "
                    f"WHERE \"{m}\" IS NOT NULL AND enrollment IS NOT NULL)" for m in COUNT_MEASURES if m != "enrollment"]
        rows = store.cursor().execute(" UNION ALL ".join(selects)).fetchall()
        cached = {t: set() for t in tables}
        for table, year in rows:
            if year is not None:
                cached.setdefault(table, set()).add(str(year))
        _DATA_YEARS.clear()
        _DATA_YEARS[key] = cached
    return cached


_DATA_YEARS: dict[str, dict[str, set[str]]] = {}


@caches.register
def forget_cached_years() -> None:
    """Drop the cached years (after a store file is erased, a new one at the same path starts afresh)."""
    _DATA_YEARS.clear()


def _columns(store: Store, table: str) -> set[str]:
    return set(store.query("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                           [table])["column_name"])


def resolve_filters(store: Store, indicator: Indicator, filters: Filters, units: Sequence[str],
                    years_by_table: dict[str, set[str]] | None = None) -> Filters:
    """Keep only years in which the indicator has data; with none chosen, the latest such year (or, when
    years are compared as units, all of them). A missing file is never reported as zero events."""
    years = years_with_data(store, indicator, years_by_table)
    kind = required_kind(indicator)
    if not years:
        raise NoDataError(f"No data for {indicator.label}: load {_EMPTY_HINTS[kind]} on the Data page.")
    if filters.school_years:
        kept = [y for y in filters.school_years if y in years]
        if not kept:
            raise NoDataError(
                f"No {KINDS[kind].label.lower()} for {', '.join(filters.school_years)}, so {indicator.label.lower()} "
                f"cannot be measured (years with data: {', '.join(years)}). Load {_EMPTY_HINTS[kind]} for that year "
                "on the Data page."
            )
        return filters.with_years(kept)
    return filters.with_years(years if "school_year" in units else [years[-1]])


def rates(store: Store, indicator_id: str, by: Sequence[str] = ("race",), filters: Filters = Filters(),
          options: MetricOptions = MetricOptions(), adjust: Sequence[str] = (),
          standard_shares: Mapping[str, float] | None = None) -> Result:
    """Rates, risk ratios, tests and shares for a rate indicator, by group; with `adjust` (e.g. ["school"] or
    ["disability"]), the Mantel–Haenszel risk ratio stratified by it beside the crude one (`adjusted`); with
    `standard_shares` (e.g. the State's composition by race), the weighted risk ratio
    (`rules.weighted_risk_ratios`)."""
    indicator = get_indicator(indicator_id)
    if indicator.kind != "rate":
        raise ValueError(f"{indicator.id} is a mean; use gaps")
    units, groups = split_dimensions(by)
    if not groups:
        raise ValueError("split by at least one student-group dimension (e.g. race)")
    filters = resolve_filters(store, indicator, filters, units)
    cells, totals = protected.protected_rate_cells(store, indicator, filters.school_years, units, groups, filters,
                                                   options.privacy_threshold)
    if cells.empty:
        raise NoDataError(f"No {indicator.population_label} match these filters for {indicator.label}.")
    groups = list(protected.check_split(groups))
    table = metrics.rate_table(cells, groups, units, options, totals, noun=indicator.population_label).drop(
        columns=list(metrics.PROTECTION_COLUMNS), errors="ignore")
    if (filters.schools or "school" in units) and options.comparison == metrics.ALL_OTHERS:
        table = _with_alternate_risk_ratio(store, indicator, table, units, groups, filters, options)
    shown = shown_totals(totals, units)
    if standard_shares is not None:
        if len(groups) != 1:
            raise ValueError("the weighted risk ratio is for one group dimension (e.g. race)")
        table = rules.weighted_risk_ratios(table, groups[0], standard_shares, shown, units)
    if adjust:
        strata = adjusted.adjustment_strata(store, indicator, adjust, units, groups, filters,
                                            options.privacy_threshold)
        table = adjusted.adjusted_risk_ratios(table, shown, strata, units, groups, options)
    return Result(indicator, tuple(groups), tuple(units), filters, options, table,
                  metrics.association(cells, groups, units, totals), shown)


def _with_alternate_risk_ratio(store: Store, indicator: Indicator, table: pd.DataFrame, units: Sequence[str],
                               groups: Sequence[str], filters: Filters, options: MetricOptions) -> pd.DataFrame:
    """A school view's table with the IDEA alternate risk ratio (`rules.alternate_risk_ratio_at_school`),
    against the district's view of the same groups, years and grade band."""
    district_units = [u for u in units if u != "school"]
    district = Filters(school_years=filters.school_years, grade_band=filters.grade_band)
    cells, totals = protected.protected_rate_cells(store, indicator, district.school_years, district_units, groups,
                                                   district, options.privacy_threshold)
    district_table = metrics.rate_table(cells, groups, district_units, options, totals)
    return rules.alternate_risk_ratio_at_school(table, district_table, shown_totals(totals, district_units), units,
                                                groups, options)


def shown_totals(totals: pd.DataFrame, units: Sequence[str]) -> pd.DataFrame:
    """Per unit: all students, with the outcome and the rate, as the protected table shows them."""
    out = totals[list(units)].copy()
    hide_n = totals["hide_denominator"].to_numpy(dtype=bool)
    hide_a = totals["hide_numerator"].to_numpy(dtype=bool) | hide_n
    n = totals["denominator"].to_numpy(dtype="float64")
    a = totals["numerator"].to_numpy(dtype="float64")
    out["denominator"] = pd.array(np.where(hide_n, np.nan, n), dtype="Int64")
    out["numerator"] = pd.array(np.where(hide_a, np.nan, a), dtype="Int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(hide_a, np.nan, a / n)
    return out.reset_index(drop=True)


def gaps(store: Store, indicator_id: str, by: Sequence[str] = ("race",), filters: Filters = Filters(),
         options: MetricOptions = MetricOptions(), reference_sd: float | None = None,
         adjust: Sequence[str] = ()) -> Result:
    """Means, SDs, medians, differences and Hedges' g for an indicator, by group (rates as 0/1 values);
    `reference_sd` scales the median gap (e.g. the state's SD); with `adjust` (controls such as low_income),
    the gap adjusted by regression with school fixed effects beside the crude one (`adjusted_gaps`)."""
    indicator = get_indicator(indicator_id)
    units, groups = split_dimensions(by)
    if not groups:
        raise ValueError("split by at least one student-group dimension (e.g. race)")
    filters = resolve_filters(store, indicator, filters, units)
    if indicator.kind == "rate":
        indicator = _as_mean(indicator)
    cells, totals = protected.protected_value_cells(store, indicator, filters.school_years, units, groups, filters,
                                                    options.privacy_threshold)
    groups = list(protected.check_split(groups))
    if cells.empty:
        raise NoDataError(f"No {indicator.population_label} match these filters for {indicator.label}.")
    table = metrics.gap_table(cells, groups, units, options, reference_sd, totals).drop(columns=["hide_n"],
                                                                                       errors="ignore")
    if adjust:
        table = _with_adjusted_gaps(store, indicator, table, units, groups, filters, options, adjust)
    return Result(get_indicator(indicator_id), tuple(groups), tuple(units), filters, options, table,
                  metrics.eta_squared_by_unit(cells, groups, units, totals))


def _with_adjusted_gaps(store: Store, indicator: Indicator, table: pd.DataFrame, units: Sequence[str],
                        groups: Sequence[str], filters: Filters, options: MetricOptions,
                        adjust: Sequence[str]) -> pd.DataFrame:
    """The gap table with the regression-adjusted gap (`adjusted_gaps`): one group dimension, one year, the
    district; `school` in `adjust` is accepted (school fixed effects are always in the model)."""
    controls = [d for d in adjust if d != adjusted_gaps.SCHOOL]
    wrong = [d for d in controls if d not in adjusted_gaps.CONTROLS or d in groups]
    if wrong:
        raise ValueError(f"cannot adjust gaps for {', '.join(wrong)}; choose from "
                         f"{', '.join((adjusted_gaps.SCHOOL, *adjusted_gaps.CONTROLS))}, other than the groups compared")
    if units or len(groups) != 1 or PERSONS_SOURCES.count(indicator.source):
        raise protected.UnprotectedViewError("adjusted gaps are offered for one group dimension of students, for "
                                             "one school year and the whole district")
    aggregate.check_dimensions(SOURCES[indicator.source], [*controls, adjusted_gaps.SCHOOL])
    return adjusted_gaps.adjusted_gap_columns(store, indicator, table, groups[0], controls, filters, options,
                                              options.confidence)


def _as_mean(indicator: Indicator) -> Indicator:
    """A rate indicator read as the mean of its 0/1 event."""
    return Indicator(indicator.id, indicator.label, indicator.domain, "mean", indicator.source,
                     f"CAST(coalesce({indicator.value}, FALSE) AS DOUBLE)", indicator.event, indicator.population,
                     indicator.population_label, indicator.higher_is_worse)


def indicators_with_data(store: Store, filters: Filters = Filters()) -> list[Indicator]:
    """Indicators measurable under the filters: their required data exists in a chosen year (any year when
    none is chosen) and their population is not empty. One count query per source."""
    available = []
    years_by_table = data_years(store)
    for source_name, source in SOURCES.items():
        candidates = []
        for indicator in (i for i in INDICATORS.values() if i.source == source_name):
            years = years_with_data(store, indicator, years_by_table)
            if years and (not filters.school_years or set(years) & set(filters.school_years)):
                candidates.append(indicator)
        if not candidates:
            continue
        where, params = aggregate.filter_sql(filters, source)
        counts = ", ".join(f"count(*) FILTER (WHERE {i.population})" for i in candidates)
        row = store.cursor().execute(f"SELECT {counts} FROM {source.table} WHERE {where}", params).fetchone()
        available.extend(i for i, count in zip(candidates, row, strict=True) if count or _counted(store, i, filters))
    return available


def _counted(store: Store, indicator: Indicator, filters: Filters) -> bool:
    """True when aggregated counts measure the indicator under the filters (no grade band: counts have none)."""
    if not indicator.count_measure or filters.grade_band:
        return False
    where, params = aggregate.filter_sql(filters, SOURCES["counts"])
    measure = f'"{indicator.count_measure}"'
    return bool(store.scalar(f"SELECT count(*) > 0 FROM facts_counts WHERE {where} AND {measure} IS NOT NULL", params))


def audit(store: Store, by: Sequence[str] = ("race",), filters: Filters = Filters(),
          options: MetricOptions = MetricOptions(), indicators: Sequence[Indicator] | None = None) -> pd.DataFrame:
    """Every rate indicator with data, by group, in one frame (indicator_id first).

    Indicators sharing a source and a resolved set of years are computed in one query and one metric pass
    (indicator_id is one more unit), so the whole audit is a handful of queries.
    """
    units, groups = split_dimensions(by)
    chosen = [i for i in (indicators or INDICATORS.values()) if i.kind == "rate"]
    batches: dict[tuple[str, Filters], list[Indicator]] = {}
    years_by_table = data_years(store)  # once: each lookup of it asks the store for its data version
    for indicator in chosen:
        usable_groups = [g for g in groups if g in SOURCES[indicator.source].dimensions]
        if not usable_groups or set(usable_groups) & set(protected.excluded_dimensions(indicator)):
            continue
        if any(u not in SOURCES[indicator.source].dimensions for u in units):
            continue  # e.g. applicants have no school
        try:
            resolved = resolve_filters(store, indicator, filters, units, years_by_table)
        except NoDataError:
            continue
        batches.setdefault((indicator.source, resolved), []).append(indicator)
    frames = []
    content = protected.content_key(store)  # once: each lookup asks the store for its data version
    for (source_name, source_filters), of_source in batches.items():
        usable_groups = [g for g in groups if g in SOURCES[source_name].dimensions]
        parts = [protected.protected_rate_cells(store, i, source_filters.school_years, units, usable_groups,
                                                source_filters, options.privacy_threshold, content)
                 for i in of_source]
        cells = pd.concat([c.assign(indicator_id=i.id) for i, (c, _) in zip(of_source, parts, strict=True)],
                          ignore_index=True)
        totals = pd.concat([t.assign(indicator_id=i.id) for i, (_, t) in zip(of_source, parts, strict=True)],
                           ignore_index=True)
        if cells.empty:
            continue
        # indicator_id is one more unit: every indicator is compared on its own, from its own protected table.
        table = metrics.rate_table(cells[["indicator_id", *[c for c in cells.columns if c != "indicator_id"]]],
                                   usable_groups, ["indicator_id", *units], options, totals)
        table = table.drop(columns=list(metrics.PROTECTION_COLUMNS), errors="ignore")
        if "school_year" not in table.columns:
            table.insert(1, "school_year", ", ".join(source_filters.school_years))
        frames.append(table)
    if not frames:
        return pd.DataFrame()
    audited = pd.concat(frames, ignore_index=True)
    audited["q_value"] = stats.benjamini_hochberg(audited["p_value"].to_numpy(dtype="float64"))  # one family
    return audited


ASSOCIATION_COLUMNS = ("school_year", "students", "groups", "chi_square", "df", "p_value", "cramers_v")


def association_by_year(store: Store, indicator_id: str, dimension: str = "race", filters: Filters = Filters(),
                        options: MetricOptions = MetricOptions()) -> pd.DataFrame:
    """How much a group dimension predicts an indicator, one row per school year (every year with data, or the
    filters' years): ASSOCIATION_COLUMNS, chi-square across the groups (a rate's events), and `eta_squared`
    for a mean (the share of the variance between groups). Hidden groups are pooled into one row computed
    from shown totals (`metrics.association`); a year whose total is hidden has no figures."""
    indicator = get_indicator(indicator_id)
    if dimension in UNIT_DIMENSIONS or "," in dimension:
        raise ValueError(f"association is measured across the groups of one dimension (e.g. race), not {dimension!r}")
    by = ("school_year", dimension)
    if indicator.kind == "rate":
        summary = rates(store, indicator_id, by, filters, options).summary.rename(columns={"dof": "df"})
        frame = summary.reindex(columns=list(ASSOCIATION_COLUMNS))
    else:
        frame = gaps(store, indicator_id, by, filters, options).summary.reindex(
            columns=[*ASSOCIATION_COLUMNS, "eta_squared"])
    return frame.astype({"students": "Int64", "groups": "Int64", "df": "Int64"}).reset_index(drop=True)


def reference_rate(result: Result) -> float | None:
    """The rate of all students in a result, when it is one unit and that rate may be shown (a chart's
    reference line)."""
    if len(result.totals) != 1 or "rate" not in result.totals:
        return None
    rate = float(result.totals["rate"].iloc[0])
    return rate if np.isfinite(rate) else None
