"""The whole audit written the straightforward way in pandas, as a baseline for the library's `analysis.audit`.

It computes the same numbers as the library for every rate indicator x race, by school and year, against all
other students: counts, rate, Wilson interval, comparison rate, risk ratio with its Katz interval, difference,
chi-square or Fisher's exact test (scipy, row by row for the small tables), shares of the population and of
the outcome, representation index, and the same suppression (small counts, then complementary suppression in
rounds along race and along schools). It does not write the notes column.

Its input is what a pandas user would hold in memory: one DataFrame per analysis table with the unit and
group columns and, per indicator, two 0/1 columns (in the population; in it with the event), read from the
store before timing. Before timing, the case checks that its per-group counts equal the library's
(`aggregate.rate_cells`, unsuppressed) exactly, and that its whole table equals `analysis.audit`'s (same rows,
same hidden cells, numbers to 1e-9, p-values to 1e-6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from benchmarks.common import Prepared
from benchmarks.district import DEFAULT_SCHOOLS, ensure_store, read_meta
from equity_metrics.core.constants import DIMENSIONS, UNKNOWN
from equity_metrics.core.stats import two_by_two_test
from equity_metrics.measures import aggregate, analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store

KEYS = ["school_year", "school", "race"]
UNITS = ["indicator_id", "school_year", "school"]
DIMS = [*UNITS, "race"]
LINES = ["race", "school"]  # totals are public along groups, and along schools within the district
MIN_N, MIN_CELL, THRESHOLD, Z = 30, 10, 10, 1.959963984540054
COMPARED = ["rate", "rate_ci_low", "rate_ci_high", "comparison_rate", "risk_ratio", "risk_ratio_ci_low",
            "risk_ratio_ci_high", "rate_difference", "share_of_denominator", "share_of_numerator",
            "representation_index"]


# ---- the pandas implementation ------------------------------------------------------------------------
def count_cells(frame: pd.DataFrame, indicator_ids: list[str]) -> pd.DataFrame:
    """Denominator and numerator of every indicator in every (year, school, race) cell with students."""
    columns = [f"p__{i}" for i in indicator_ids] + [f"e__{i}" for i in indicator_ids]
    sums = frame.groupby(KEYS, sort=False)[columns].sum().reset_index()
    parts = []
    for indicator_id in indicator_ids:
        part = sums[KEYS].assign(indicator_id=indicator_id, denominator=sums[f"p__{indicator_id}"],
                                 numerator=sums[f"e__{indicator_id}"])
        parts.append(part[part["denominator"] > 0])
    return pd.concat(parts, ignore_index=True)[[*DIMS, "denominator", "numerator"]]


def display_order(cells: pd.DataFrame, indicator_order: list[str]) -> pd.DataFrame:
    """Indicators in catalog order, years and schools A-Z, races in federal order, Unknown last."""
    races = {label: position for position, label in enumerate(DIMENSIONS["race"].values)}
    keys = pd.DataFrame({
        "i": cells["indicator_id"].map({i: k for k, i in enumerate(indicator_order)}),
        "y": cells["school_year"], "su": cells["school"] == UNKNOWN, "s": cells["school"],
        "r": cells["race"].map(races).fillna(len(races)), "ru": cells["race"] == UNKNOWN, "rn": cells["race"],
    })
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return cells.loc[order].reset_index(drop=True)


def small(counts: pd.Series) -> pd.Series:
    return (counts >= 1) & (counts < THRESHOLD)


def complementary(cells: pd.DataFrame, counts: pd.Series, hidden: pd.Series) -> pd.Series:
    """Hide more cells until no line (cells differing in one line dimension only) has exactly one hidden."""
    hidden = hidden.copy()
    if not hidden.any() or len(cells) < 2:
        return hidden
    line_ids = {along: cells.groupby([d for d in DIMS if d != along], sort=False).ngroup() for along in LINES}
    while True:
        changed = False
        for line in line_ids.values():
            hidden_in_line = hidden.groupby(line).transform("sum")
            size = line.groupby(line).transform("size")
            needs = (hidden_in_line == 1) & (size > 1) & ~hidden
            if not needs.any():
                continue
            candidates = pd.DataFrame({"line": line[needs], "count": counts[needs], "position": line[needs].index})
            smallest = candidates.sort_values(["line", "count", "position"]).drop_duplicates("line")
            hidden.loc[smallest["position"]] = True
            changed = True
        if not changed:
            return hidden


def protect(cells: pd.DataFrame, counts: pd.Series, primary: pd.Series, known: pd.Series) -> pd.Series:
    """Complementary suppression against both public totals: all groups, and the known groups only."""
    hidden = primary.copy()
    while True:
        before = hidden.copy()
        if not known.all():
            hidden[known] |= complementary(cells[known], counts[known], hidden[known])
        hidden = complementary(cells, counts, hidden)
        if hidden.equals(before):
            return hidden


def two_by_two(a: pd.Series, n: pd.Series, c: pd.Series, m: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Pearson chi-square (no continuity correction) when every expected count is at least 5, else Fisher's
    exact test, two-sided: chi-square for all rows at once, scipy's fisher_exact row by row for the rest."""
    events, non_events, total = a + c, (n - a) + (m - c), n + m
    use_chi = np.minimum(n, m) * np.minimum(events, non_events) >= 5 * total
    chi2 = total * (a * (m - c) - (n - a) * c) ** 2 / (n * m * events * non_events)
    p_values = pd.Series(scipy_stats.chi2.sf(chi2.where(use_chi), 1), index=a.index)
    tests = pd.Series(np.where(use_chi, "chi-square", "Fisher's exact"), index=a.index, dtype=object)
    fisher = a.index[~use_chi]
    p_values[fisher] = [scipy_stats.fisher_exact([[a[i], n[i] - a[i]], [c[i], m[i] - c[i]]]).pvalue for i in fisher]
    return p_values, tests


def library_tests(a: pd.Series, n: pd.Series, c: pd.Series, m: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The same tests through the library's vectorised `stats.two_by_two_test` (Fisher's test for all small
    tables at once): the pandas baseline without its one row-by-row step."""
    p_values, tests = two_by_two_test(a.to_numpy(), n.to_numpy(), c.to_numpy(), m.to_numpy())
    return pd.Series(p_values, index=a.index), pd.Series(tests, index=a.index, dtype=object)


def pandas_audit(frames: list[tuple[pd.DataFrame, list[str]]], tests=two_by_two) -> pd.DataFrame:
    """Every indicator x race, by school and year, against all other students of the school and year."""
    order = [i for _, ids in frames for i in ids]
    cells = display_order(pd.concat([count_cells(frame, ids) for frame, ids in frames], ignore_index=True), order)
    a, n = cells["numerator"].astype("float64"), cells["denominator"].astype("float64")
    known = cells["race"] != UNKNOWN
    unit = [cells[u] for u in UNITS]
    unit_a = a.where(known, 0).groupby(unit, sort=False).transform("sum")
    unit_n = n.where(known, 0).groupby(unit, sort=False).transform("sum")
    c, m = (unit_a - a).where(known), (unit_n - n).where(known)
    comparable = known & (m > 0)
    rate_ok = n >= MIN_N
    comparison_ok = comparable & (m >= MIN_N)
    ratio_ok = rate_ok & comparison_ok & (a >= MIN_CELL) & (c >= MIN_CELL)

    rate, comparison_rate = a / n, c / m
    centre, half = rate + Z**2 / (2 * n), Z * np.sqrt(rate * (1 - rate) / n + Z**2 / (4 * n**2))
    wilson_low, wilson_high = (centre - half) / (1 + Z**2 / n), (centre + half) / (1 + Z**2 / n)
    ratio = rate / comparison_rate.where(comparison_rate > 0)
    se = np.sqrt(1 / a - 1 / n + 1 / c - 1 / m)
    katz_ok = (a > 0) & (c > 0)
    katz_low, katz_high = (ratio * np.exp(-Z * se)).where(katz_ok), (ratio * np.exp(Z * se)).where(katz_ok)
    tested = rate_ok & comparison_ok
    p_values, test_names = tests(a[tested], n[tested], c[tested], m[tested])
    share_n = (n / unit_n.where(unit_n > 0)).where(known)
    share_a = (a / unit_a.where(unit_a > 0)).where(known)

    hide_n = protect(cells, n, small(n), known)
    primary = small(a) | small(n - a) | small(n) | hide_n
    hide_a = protect(cells, a, primary, known)
    suppressed = hide_a | ~rate_ok
    show_rate = ~suppressed
    show_comparison = show_rate & comparison_ok
    show_ratio = show_comparison & ratio_ok
    table = cells[DIMS].copy()
    table["denominator"] = n.mask(hide_n).astype("Int64")
    table["numerator"] = a.mask(hide_a).astype("Int64")
    table["rate"] = rate.where(show_rate)
    table["rate_ci_low"] = wilson_low.clip(0, 1).where(show_rate)
    table["rate_ci_high"] = wilson_high.clip(0, 1).where(show_rate)
    table["comparison_rate"] = comparison_rate.where(show_comparison)
    table["risk_ratio"] = ratio.where(show_ratio)
    table["risk_ratio_ci_low"] = katz_low.where(show_ratio)
    table["risk_ratio_ci_high"] = katz_high.where(show_ratio)
    table["rate_difference"] = (rate - comparison_rate).where(show_comparison)
    table["p_value"] = p_values.reindex(cells.index).where(show_comparison)
    table["test"] = test_names.reindex(cells.index).where(show_comparison, "")
    table["share_of_denominator"] = share_n.mask(hide_n)
    table["share_of_numerator"] = share_a.mask(hide_a)
    table["representation_index"] = (share_a / share_n).mask(hide_a)
    table["suppressed"] = suppressed
    return table


# ---- the case: inputs, checks, timing -------------------------------------------------------------------
def input_frames(store: Store, library: pd.DataFrame) -> list[tuple[pd.DataFrame, list[str]]]:
    """Per analysis table, the unit and group columns and two 0/1 columns per indicator the library
    audited, restricted to the school years the library used for it."""
    frames = []
    audited = list(dict.fromkeys(library["indicator_id"]))
    for name, source in SOURCES.items():
        ids = [i for i in audited if INDICATORS[i].source == name]
        if not ids:
            continue
        columns = []
        for indicator_id in ids:
            indicator = INDICATORS[indicator_id]
            years = sorted(set(library.loc[library["indicator_id"] == indicator_id, "school_year"]))
            listed = ", ".join("'" + y.replace("'", "''") + "'" for y in years)
            population = f"coalesce(({indicator.population}), FALSE) AND school_year IN ({listed})"
            columns.append(f'({population}) AS "p__{indicator_id}"')
            columns.append(f'({population}) AND coalesce(({indicator.value}), FALSE) AS "e__{indicator_id}"')
        frame = store.query(f"SELECT {', '.join(KEYS)}, {', '.join(columns)} FROM {source.table}")
        frames.append((frame, ids))
    return frames


def check_counts(store: Store, frames: list[tuple[pd.DataFrame, list[str]]], library: pd.DataFrame) -> int:
    """The per-group counts must equal the library's unsuppressed cells exactly; returns the cells compared."""
    compared = 0
    for frame, ids in frames:
        ours = count_cells(frame, ids)
        for indicator_id in ids:
            years = tuple(sorted(set(library.loc[library["indicator_id"] == indicator_id, "school_year"])))
            theirs = aggregate.rate_cells(store, [INDICATORS[indicator_id]], KEYS, Filters(school_years=years))
            mine = ours[ours["indicator_id"] == indicator_id]
            merged = mine.merge(theirs, on=DIMS, how="outer", suffixes=("", "_library"), indicator=True)
            unmatched = merged[merged["_merge"] != "both"]
            differ = merged[(merged["denominator"] != merged["denominator_library"])
                            | (merged["numerator"] != merged["numerator_library"])]
            if len(unmatched) or len(differ):
                raise AssertionError(f"{indicator_id}: counts differ from the library's:\n"
                                     f"{pd.concat([unmatched, differ]).head(10)}")
            compared += len(merged)
    return compared


def check_table(ours: pd.DataFrame, library: pd.DataFrame) -> None:
    """Same rows, same hidden cells, same numbers."""
    merged = ours.merge(library, on=DIMS, how="outer", suffixes=("", "_library"), indicator=True)
    problems = []
    if (merged["_merge"] != "both").any():
        problems.append(f"rows only on one side: {merged.loc[merged['_merge'] != 'both', DIMS].head().to_dict('records')}")
    for column in ("denominator", "numerator", "suppressed", "test"):
        left, right = merged[column], merged[f"{column}_library"]
        same = (left == right).fillna(False) | (left.isna() & right.isna())
        if not same.all():
            problems.append(f"{column}: {int((~same).sum())} cells differ, e.g. "
                            f"{merged.loc[~same, [*DIMS, column, column + '_library']].head(3).to_dict('records')}")
    for column, tolerance in [*((c, 1e-9) for c in COMPARED), ("p_value", 1e-6)]:
        left, right = merged[column].astype("float64"), merged[f"{column}_library"].astype("float64")
        same = np.isclose(left, right, rtol=tolerance, atol=1e-12, equal_nan=True)
        if not same.all():
            problems.append(f"{column}: {int((~same).sum())} cells differ, e.g. "
                            f"{merged.loc[~same, [*DIMS, column, column + '_library']].head(3).to_dict('records')}")
    if problems:
        raise AssertionError("the pandas audit differs from analysis.audit:\n" + "\n".join(problems))


def _case(rows: int, schools: int, tests) -> Prepared:
    path = ensure_store(rows, schools)
    with Store(path, read_only=True) as store:
        library = analysis.audit(store, tuple(KEYS))
        frames = input_frames(store, library)
        compared = check_counts(store, frames, library)
    check_table(pandas_audit(frames, tests), library)
    meta = read_meta(path)
    return Prepared(lambda: pandas_audit(frames, tests), info={
        "data_rows": meta["counts"]["facts_student_year"], "arrow_bytes": meta["arrow_bytes_total"],
        "result_rows": len(library),
        "checked": f"per-group counts of {compared:,} cells equal the library's; whole table equal "
                   "(hidden cells, numbers to 1e-9, p-values to 1e-6)",
    })


def pandas_case(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    """The straightforward pandas audit (scipy's fisher_exact row by row for the small tables)."""
    return _case(rows, schools, two_by_two)


def pandas_vectorised_tests_case(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    """The same with the library's vectorised tests: what the rest of the pandas audit costs."""
    return _case(rows, schools, library_tests)
