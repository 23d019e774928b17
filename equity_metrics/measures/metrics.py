"""Metrics on aggregated cells: rate tables and score-gap tables, with comparisons, minimums and suppression.

Input is one row per cell (group dimensions + unit dimensions + counts or sufficient statistics) from
`aggregate.py`; output is one row per group with every measure, already suppressed. Comparisons are made
within a *unit* (a school year, a school): against all other students of the unit (IDEA) or against a
chosen group (e.g. White students; with intersections, the cell that differs only in that dimension).
Groups with an Unknown value are shown but never compared, and left out of shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core import stats
from equity_metrics.core.constants import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MIN_CELL,
    DEFAULT_MIN_N,
    DEFAULT_PRIVACY_THRESHOLD,
    UNKNOWN,
)
from equity_metrics.core.suppression import complementary_suppression, primary_suppression, small_count
from equity_metrics.measures.respondents import CLUSTER_SUMS, CLUSTERED_Z, clustered_share_test

RATE_COLUMNS = (
    "denominator", "numerator", "rate", "rate_ci_low", "rate_ci_high", "comparison_rate", "risk_ratio",
    "risk_ratio_ci_low", "risk_ratio_ci_high", "rate_difference", "p_value", "q_value", "test", "share_of_denominator",
    "share_of_numerator", "representation_index", "suppressed", "note",
)
ADJUSTED_COLUMNS = ("adjusted_risk_ratio", "adjusted_risk_ratio_ci_low", "adjusted_risk_ratio_ci_high")
# Ratios some views add after the risk ratio's interval, in this order: IDEA's alternate ratio (at a school),
# the weighted ratio (with a standard composition), the adjusted ratio (with strata).
OPTIONAL_RATIO_COLUMNS = ("alternate_risk_ratio", "weighted_risk_ratio", *ADJUSTED_COLUMNS)


def rate_columns(table: pd.DataFrame) -> list[str]:
    """RATE_COLUMNS with the optional ratios `table` has, after the risk ratio's interval."""
    columns = list(RATE_COLUMNS)
    position = columns.index("risk_ratio_ci_high") + 1
    columns[position:position] = [c for c in OPTIONAL_RATIO_COLUMNS if c in table.columns]
    return columns


GAP_COLUMNS = (
    "n", "mean", "sd", "median", "comparison_mean", "mean_difference", "hedges_g", "hedges_g_ci_low",
    "hedges_g_ci_high", "p_value", "suppressed", "note",
)
ALL_OTHERS = "all-others"


@dataclass(frozen=True)
class MetricOptions:
    """Comparison and minimums. `comparison` is ALL_OTHERS or a group label (e.g. 'White')."""

    comparison: str = ALL_OTHERS
    min_n: int = DEFAULT_MIN_N
    min_cell: int = DEFAULT_MIN_CELL
    privacy_threshold: int = DEFAULT_PRIVACY_THRESHOLD
    confidence: float = DEFAULT_CONFIDENCE

    def __post_init__(self) -> None:
        if self.privacy_threshold < 1 or self.min_n < 1 or self.min_cell < 0:
            raise ValueError("minimums must be positive")
        if not 0 < self.confidence < 1:
            raise ValueError("confidence must be between 0 and 1")

    @property
    def comparison_label(self) -> str:
        return self.comparison_phrase("students")

    def comparison_phrase(self, noun: str = "students") -> str:
        """'all other students', or 'White students'; with another noun for staff ('all other teachers')."""
        return f"all other {noun}" if self.comparison == ALL_OTHERS else f"{self.comparison} {noun}"


def _known(cells: pd.DataFrame, group_dims: Sequence[str]) -> np.ndarray:
    known = np.ones(len(cells), dtype=bool)
    for dim in group_dims:
        known &= (cells[dim] != UNKNOWN).to_numpy()
    return known


def _unit_sum(cells: pd.DataFrame, unit_dims: Sequence[str], values: np.ndarray) -> np.ndarray:
    """Sum of `values` over each cell's unit, aligned with the cells."""
    series = pd.Series(values, index=cells.index)
    if not unit_dims:
        return np.full(len(cells), series.sum())
    return series.groupby([cells[d] for d in unit_dims], sort=False, dropna=False).transform("sum").to_numpy()


def _reference_values(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str],
                      comparison: str, columns: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """For a chosen comparison group: each cell's reference cell values, and which cells are the reference."""
    holders = [d for d in group_dims if comparison in set(cells[d])]
    if not holders:
        raise ValueError(f"comparison group {comparison!r} is not a value of {', '.join(group_dims)}")
    dim = holders[0]
    keys = [d for d in (*unit_dims, *group_dims) if d != dim]
    reference = cells.loc[cells[dim] == comparison, [*keys, *columns]]
    reference = reference.rename(columns={c: f"ref_{c}" for c in columns})
    merged = cells[keys].merge(reference, on=keys, how="left") if keys else cells[[]].assign(
        **{f"ref_{c}": reference[f"ref_{c}"].iloc[0] for c in columns})
    return merged[[f"ref_{c}" for c in columns]].reset_index(drop=True), (cells[dim] == comparison).to_numpy()


def line_dimensions(group_dims: Sequence[str], unit_dims: Sequence[str]) -> list[str]:
    """Dimensions along which totals are published: the groups, and schools within the district."""
    return [*group_dims, *(["school"] if "school" in unit_dims else [])]


def protect(cells: pd.DataFrame, counts: str, primary: np.ndarray, dims: Sequence[str],
            lines: Sequence[str], known: np.ndarray) -> np.ndarray:
    """Complementary suppression against both published totals of a line: all groups, and the known
    groups only (the base of shares and of "all other students" comparisons)."""
    hidden = np.array(primary, dtype=bool)
    known_index = np.flatnonzero(known)
    while True:
        before = hidden.copy()
        if len(known_index) < len(cells):
            known_hidden = complementary_suppression(cells.iloc[known_index], counts, hidden[known_index], dims, lines)
            hidden[known_index] |= known_hidden
        hidden = complementary_suppression(cells, counts, hidden, dims, lines)
        if (hidden == before).all():
            return hidden


def _join_notes(*parts: np.ndarray) -> np.ndarray:
    """Join the non-empty notes of each row with '; ' (elementwise over whole columns)."""
    out = np.full(len(parts[0]) if parts else 0, "", dtype=object)
    for part in parts:
        part = np.asarray(part, dtype=object)
        present = part != ""
        out = np.where(present & (out != ""), out + "; " + part, np.where(present, part, out))
    return out


def _note(condition: np.ndarray, text: str | np.ndarray) -> np.ndarray:
    out = np.full(len(condition), "", dtype=object)
    mask = np.asarray(condition, dtype=bool)
    out[mask] = text[mask] if isinstance(text, np.ndarray) else text
    return out


PROTECTION_COLUMNS = ("hide_denominator", "hide_numerator")
COMPARISON_BELOW_MINIMUMS = "comparison group below the minimums: risk ratio not calculated"
PROTECTED_NOTE_GROUP = "group's counts hidden (privacy: a small count, or one that would reveal one)"
PROTECTED_NOTE_COUNT = "count hidden (privacy: a small count, or one that would reveal one)"


def _unit_values(cells: pd.DataFrame, totals: pd.DataFrame, unit_dims: Sequence[str],
                 columns: Sequence[str]) -> list[np.ndarray]:
    """Each cell's unit total of every column (from the protected table's margins)."""
    if not unit_dims:
        return [np.full(len(cells), float(totals[c].iloc[0]) if len(totals) else np.nan) for c in columns]
    merged = cells[list(unit_dims)].merge(totals[[*unit_dims, *columns]], on=list(unit_dims), how="left")
    return [merged[c].to_numpy(dtype="float64") for c in columns]


def rate_table(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str] = (),
               options: MetricOptions = MetricOptions(), totals: pd.DataFrame | None = None,
               noun: str = "students") -> pd.DataFrame:
    """Every rate measure per group, suppressed: unit and group columns, then RATE_COLUMNS.

    With `totals` (the unit totals of a protected table) and the cells' hide_denominator/hide_numerator
    flags, the protected table's suppression is used, "all other students" are all other students of the
    unit (Unknown included) and shares are of all students; a comparison or share is shown only where the
    unit total it rests on is shown. Without them (tables built outside the store), the cells are
    suppressed here and compared with the known groups."""
    group_dims, unit_dims = list(group_dims), list(unit_dims)
    cells = cells.reset_index(drop=True)
    a = cells["numerator"].to_numpy(dtype="float64")
    n = cells["denominator"].to_numpy(dtype="float64")
    known = _known(cells, group_dims)
    protected = totals is not None and all(c in cells.columns for c in PROTECTION_COLUMNS)
    unit_a, unit_n, unit_all, total_hidden = _rate_unit_totals(cells, unit_dims, totals if protected else None, known)
    c, m, is_reference, ta, tn, tc, tm = _rate_comparison(cells, group_dims, unit_dims, options,
                                                          totals if protected else None, known, unit_a, unit_n)
    comparable = known & ~is_reference & np.isfinite(m) & (m > 0)

    rate_ok = n >= options.min_n
    comparison_ok = comparable & (m >= options.min_n)
    ratio_ok = rate_ok & comparison_ok & (a >= options.min_cell) & (c >= options.min_cell)
    test_ok = rate_ok & comparison_ok

    with np.errstate(divide="ignore", invalid="ignore"):
        rate = stats.rate(a, n)
        low, high = stats.wilson_interval(ta, tn, options.confidence)
        comparison_rate = stats.rate(c, m)
        ratio = stats.risk_ratio(a, n, c, m)
        ratio_low, ratio_high = stats.katz_interval(ta, tn, tc, tm, options.confidence)
        difference = stats.rate_difference(a, n, c, m)
    p_value, test = stats.two_by_two_test(np.where(test_ok, ta, 0), np.where(test_ok, tn, 0),
                                          np.where(test_ok, tc, 0), np.where(test_ok, tm, 0))
    if _clustered(cells, totals if protected else None):
        p_value, test = _clustered_test(cells, group_dims, unit_dims, options, totals if protected else None,
                                        known, test_ok)
    share_n = np.where(known, n / np.where(unit_n > 0, unit_n, np.nan), np.nan)
    share_a = np.where(known, a / np.where(unit_a > 0, unit_a, np.nan), np.nan)

    dims = [*unit_dims, *group_dims]
    hide_n, hide_a, hide_comparison = _rate_hidden(cells, group_dims, unit_dims, options, protected, known)
    hide_comparison_total = total_hidden if options.comparison == ALL_OTHERS else np.zeros(len(cells), dtype=bool)
    not_computed = ~rate_ok
    suppressed = hide_a | not_computed

    table = cells[dims].copy()
    table["denominator"] = pd.array(np.where(hide_n, np.nan, n), dtype="Int64")
    table["numerator"] = pd.array(np.where(hide_a, np.nan, a), dtype="Int64")
    show_rate = ~suppressed
    table["rate"] = np.where(show_rate, rate, np.nan)
    table["rate_ci_low"] = np.where(show_rate, low, np.nan)
    table["rate_ci_high"] = np.where(show_rate, high, np.nan)
    show_comparison = show_rate & comparison_ok & ~hide_comparison & ~hide_comparison_total
    table["comparison_rate"] = np.where(show_comparison, comparison_rate, np.nan)
    show_ratio = show_comparison & ratio_ok
    table["risk_ratio"] = np.where(show_ratio, ratio, np.nan)
    table["risk_ratio_ci_low"] = np.where(show_ratio, ratio_low, np.nan)
    table["risk_ratio_ci_high"] = np.where(show_ratio, ratio_high, np.nan)
    table["rate_difference"] = np.where(show_comparison, difference, np.nan)
    show_test = show_comparison & test_ok
    table["p_value"] = np.where(show_test, p_value, np.nan)
    table["q_value"] = stats.benjamini_hochberg(table["p_value"].to_numpy(dtype="float64"))  # this table's family
    table["test"] = np.where(show_test, test, "")
    table["share_of_denominator"] = np.where(hide_n | total_hidden, np.nan, share_n)
    table["share_of_numerator"] = np.where(hide_a | total_hidden, np.nan, share_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["representation_index"] = np.where(hide_a | total_hidden, np.nan,
                                                 stats.representation_index(share_a, share_n))
    table["suppressed"] = suppressed
    table["note"] = _rate_notes(
        options, protected, a, n, hide_n=hide_n, hide_a=hide_a, show_rate=show_rate, comparable=comparable,
        ratio_missing=show_rate & comparable & ~ratio_ok & ~hide_comparison, hide_comparison=hide_comparison,
        hide_comparison_total=hide_comparison_total, is_reference=is_reference, known=known,
        total_hidden=total_hidden, unit_all=unit_all, noun=noun)
    return table


_RESPONDENT_COLUMNS = ("numerator", "denominator", "persons", *CLUSTER_SUMS)


def _clustered(cells: pd.DataFrame, totals: pd.DataFrame | None) -> bool:
    """Whether a survey's comparisons are tested clustered by respondent: its cells (and the protected
    table's unit totals, when given) carry each cell's respondents and cluster sums."""
    return all(c in cells.columns for c in _RESPONDENT_COLUMNS) and (
        totals is None or all(c in totals.columns for c in _RESPONDENT_COLUMNS))


def _clustered_test(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str], options: MetricOptions,
                    totals: pd.DataFrame | None, known: np.ndarray, test_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`rate_table`'s p-values for survey answers: the group's favourable share against its comparison's (all
    other respondents of the unit, or the chosen group), standard errors clustered by respondent
    (`respondents.clustered_share_test`), so that a respondent's many answers count as one person's."""
    own = [cells[c].to_numpy(dtype="float64") for c in _RESPONDENT_COLUMNS]
    if options.comparison == ALL_OTHERS:
        unit = (_unit_values(cells, totals, unit_dims, _RESPONDENT_COLUMNS) if totals is not None else
                [_unit_sum(cells, unit_dims, np.where(known, x, 0.0)) for x in own])
        other = [u - x for u, x in zip(unit, own, strict=True)]
    else:
        reference, _ = _reference_values(cells, group_dims, unit_dims, options.comparison, _RESPONDENT_COLUMNS)
        other = [reference[f"ref_{c}"].to_numpy(dtype="float64") for c in _RESPONDENT_COLUMNS]
    _, _, p_value = clustered_share_test(tuple(own), tuple(other))
    p_value = np.where(test_ok, p_value, np.nan)
    return p_value, np.where(np.isfinite(p_value), CLUSTERED_Z, "")


def _rate_unit_totals(cells: pd.DataFrame, unit_dims: Sequence[str], totals: pd.DataFrame | None,
                      known: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's unit totals for `rate_table`: events and students of the comparison base, all students, and
    whether the unit's total is hidden. From a protected table's `totals` (all students, Unknown included), or
    else summed over the known groups of `cells`."""
    if totals is not None:
        unit_a, unit_n, total_a_hidden, total_n_hidden = _unit_values(
            cells, totals.astype({c: "float64" for c in PROTECTION_COLUMNS}), unit_dims,
            ["numerator", "denominator", *PROTECTION_COLUMNS])
        return unit_a, unit_n, unit_n, (total_a_hidden > 0) | (total_n_hidden > 0)
    a = cells["numerator"].to_numpy(dtype="float64")
    n = cells["denominator"].to_numpy(dtype="float64")
    unit_a = _unit_sum(cells, unit_dims, np.where(known, a, 0.0))
    unit_n = _unit_sum(cells, unit_dims, np.where(known, n, 0.0))
    return unit_a, unit_n, _unit_sum(cells, unit_dims, n), np.zeros(len(cells), dtype=bool)


def _rate_comparison(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str],
                     options: MetricOptions, totals: pd.DataFrame | None, known: np.ndarray, unit_a: np.ndarray,
                     unit_n: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each cell's comparison counts for `rate_table` (events c of m students; NaN where the cell is not
    compared), which cells are the comparison group, and the counts intervals and tests rest on (ta, tn, tc,
    tm): respondents for a survey, each answer weighted by respondents per answer (a design effect of the
    answers per respondent, as if one person's answers were one answer)."""
    a = cells["numerator"].to_numpy(dtype="float64")
    n = cells["denominator"].to_numpy(dtype="float64")
    persons = "persons" in cells.columns  # answers of survey respondents: tests and intervals count people
    if options.comparison == ALL_OTHERS:
        c, m = unit_a - a, unit_n - n
        is_reference = np.zeros(len(cells), dtype=bool)
        if persons:
            unit_p = (_unit_values(cells, totals, unit_dims, ["persons"])[0] if totals is not None else
                      _unit_sum(cells, unit_dims, np.where(known, cells["persons"].to_numpy(dtype="float64"), 0.0)))
            comparison_persons = unit_p - cells["persons"].to_numpy(dtype="float64")
    else:
        reference, is_reference = _reference_values(cells, group_dims, unit_dims, options.comparison,
                                                    ["numerator", "denominator", *(["persons"] if persons else [])])
        c = reference["ref_numerator"].to_numpy(dtype="float64")
        m = reference["ref_denominator"].to_numpy(dtype="float64")
        if persons:
            comparison_persons = reference["ref_persons"].to_numpy(dtype="float64")
    comparable = known & ~is_reference & np.isfinite(m) & (m > 0)
    c, m = np.where(comparable, c, np.nan), np.where(comparable, m, np.nan)
    if not persons:
        return c, m, is_reference, a, n, c, m
    p = cells["persons"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return (c, m, is_reference, np.round(a * p / n), p, np.round(c * comparison_persons / m),
                comparison_persons)


def _rate_hidden(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str], options: MetricOptions,
                 protected: bool, known: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Privacy for `rate_table`: which denominators and numerators are hidden (the protected table's flags, or
    small counts and enough others that none can be recovered from totals), and which comparisons are hidden
    because a shown reference rate would disclose a hidden reference count."""
    if protected:
        hide_n = cells["hide_denominator"].to_numpy(dtype=bool)
        hide_a = cells["hide_numerator"].to_numpy(dtype=bool) | hide_n
    else:
        a = cells["numerator"].to_numpy(dtype="float64")
        n = cells["denominator"].to_numpy(dtype="float64")
        dims, lines = [*unit_dims, *group_dims], line_dimensions(group_dims, unit_dims)
        hide_n = protect(cells, "denominator", small_count(n, options.privacy_threshold), dims, lines, known)
        primary = primary_suppression(a, n, options.privacy_threshold) | hide_n
        hide_a = protect(cells, "numerator", primary, dims, lines, known)
    hide_comparison = np.zeros(len(cells), dtype=bool)
    if options.comparison != ALL_OTHERS:
        reference_hidden, _ = _reference_values(cells.assign(_hidden=hide_a.astype(float)), group_dims, unit_dims,
                                                options.comparison, ["_hidden"])
        hide_comparison = reference_hidden["ref__hidden"].fillna(0).to_numpy() > 0
    return hide_n, hide_a, hide_comparison


def _rate_notes(options: MetricOptions, protected: bool, a: np.ndarray, n: np.ndarray, *, hide_n: np.ndarray,
                hide_a: np.ndarray, show_rate: np.ndarray, comparable: np.ndarray, ratio_missing: np.ndarray,
                hide_comparison: np.ndarray, hide_comparison_total: np.ndarray, is_reference: np.ndarray,
                known: np.ndarray, total_hidden: np.ndarray, unit_all: np.ndarray, noun: str = "students") -> np.ndarray:
    """`rate_table`'s note column: why a count is hidden, a measure not calculated, or a group not compared
    (`noun`: who is counted: students, teachers, applicants, answers)."""
    unknown_share = np.where(unit_all > 0, n / np.where(unit_all > 0, unit_all, np.nan), np.nan)
    return _join_notes(
        *_rate_privacy_notes(options.privacy_threshold, protected, a, n, hide_n, hide_a),
        _note(~(n >= options.min_n) & ~hide_n, f"fewer than {options.min_n} {noun}: rate not calculated (n-size)"),
        _note(ratio_missing & (a < options.min_cell),
              f"fewer than {options.min_cell} with the event: risk ratio not calculated (cell size)"),
        # (not where the comparison's count is hidden: "below the minimums" would narrow it)
        _note(ratio_missing & (a >= options.min_cell) & ~hide_comparison_total, COMPARISON_BELOW_MINIMUMS),
        _note(show_rate & (hide_comparison | (hide_comparison_total & comparable)),
              "comparison group's count is suppressed"),
        _note(is_reference, "comparison group"),
        _note(~known & (hide_n | total_hidden), "not compared"),
        _note(~known & ~hide_n & ~total_hidden, np.char.add(np.char.add("not compared; ",
              np.char.mod("%.1f", np.nan_to_num(unknown_share) * 100)), f"% of {noun}")),
    )


def _rate_privacy_notes(threshold: int, protected: bool, a: np.ndarray, n: np.ndarray, hide_n: np.ndarray,
                        hide_a: np.ndarray) -> tuple[np.ndarray, ...]:
    """Why each hidden count is hidden. With a protected table, one reason for every hidden count: which ones
    are small is itself not shown."""
    if protected:
        return _note(hide_n, PROTECTED_NOTE_GROUP), _note(hide_a & ~hide_n, PROTECTED_NOTE_COUNT)
    primary_a = primary_suppression(a, n, threshold)
    return (
        _note(hide_n & small_count(n, threshold), f"fewer than {threshold} students: counts hidden (privacy)"),
        _note(primary_a & ~small_count(n, threshold), f"count under {threshold} hidden (privacy)"),
        _note(hide_a & ~primary_a, "hidden so a suppressed count cannot be recovered (complementary suppression)"),
    )


def unit_totals(cells: pd.DataFrame, unit_dims: Sequence[str], options: MetricOptions = MetricOptions()) -> pd.DataFrame:
    """Per unit: all students (known and unknown groups), with the outcome and the rate; the count and
    rate are hidden when the total itself is a small count (or its complement is)."""
    keys = list(unit_dims)
    sums = (cells.groupby(keys, sort=True)[["denominator", "numerator"]].sum().reset_index() if keys
            else cells[["denominator", "numerator"]].sum().to_frame().T)
    a = sums["numerator"].to_numpy(dtype="float64")
    n = sums["denominator"].to_numpy(dtype="float64")
    hidden = primary_suppression(a, n, options.privacy_threshold)
    sums["numerator"] = pd.array(np.where(hidden, np.nan, a), dtype="Int64")
    sums["denominator"] = pd.array(np.where(small_count(n, options.privacy_threshold), np.nan, n), dtype="Int64")
    sums["rate"] = np.where(hidden, np.nan, stats.rate(a, n))
    return sums


def association(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str] = (),
                totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per unit: chi-square test of independence across the known groups, and Cramér's V.

    With a protected table's `totals`, hidden groups are pooled into one row (the unit's total minus every
    shown group), so the figures rest on shown counts only; `pooled_groups` says how many were pooled, and a
    unit whose total is hidden gets none. `students` is the unit's total. Survey answers are counted by their
    respondents, as in `rate_table` (each group's answers weighted by its respondents per answer), and
    `students` is then the respondents."""
    columns = ("numerator", "denominator", *(["persons"] if "persons" in cells.columns else []))
    return _by_unit(cells, group_dims, unit_dims, totals, columns, _chi_square_row)


def _chi_square_row(sums: dict[str, np.ndarray]) -> dict[str, float]:
    a, n = sums["numerator"], sums["denominator"]
    if "persons" in sums:
        with np.errstate(divide="ignore", invalid="ignore"):
            a, n = np.round(a * sums["persons"] / n), sums["persons"]
    chi2, dof, p = stats.chi_square_independence(a, n)
    return {"chi_square": chi2, "dof": dof, "p_value": p, "cramers_v": stats.cramers_v(a, n)}


def _by_unit(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str], totals: pd.DataFrame | None,
             columns: Sequence[str], measure) -> pd.DataFrame:
    """One row per unit: `measure` over the known groups' additive sums (`columns`), hidden groups pooled."""
    cells = cells.reset_index(drop=True)
    flags = [c for c in (*PROTECTION_COLUMNS, "hide_n") if c in cells.columns]
    hidden = cells[flags].astype(bool).any(axis=1).to_numpy() if flags else np.zeros(len(cells), dtype=bool)
    cells = cells.assign(_known=_known(cells, group_dims), _hidden=hidden)
    rows = []
    grouped = cells.groupby(list(unit_dims), sort=True) if unit_dims else [((), cells)]
    for key, part in grouped:
        key = key if isinstance(key, tuple) else (key,)
        row = {**dict(zip(unit_dims, key, strict=True))}
        total = _unit_total(totals, unit_dims, key, columns) if totals is not None else None
        shown = part[part["_known"] & ~part["_hidden"]]
        sums = {c: shown[c].to_numpy(dtype="float64") for c in columns}
        pooled = int((part["_known"] & part["_hidden"]).sum())
        if pooled and total is None:
            rows.append({**row, "students": np.nan, "groups": len(part[part["_known"]]), "pooled_groups": pooled})
            continue  # a hidden group and no shown total to pool it from
        if pooled:
            rest = {c: total[c] - float(part.loc[~part["_hidden"], c].astype("float64").sum()) for c in columns}
            if rest[columns[-1]] > 0:
                sums = {c: np.append(sums[c], rest[c]) for c in columns}
        students = total[columns[-1]] if total is not None else float(part[columns[-1]].astype("float64").sum())
        rows.append({**row, "students": students, "groups": len(sums[columns[0]]), "pooled_groups": pooled,
                     **measure(sums)})
    return pd.DataFrame(rows)


def _unit_total(totals: pd.DataFrame, unit_dims: Sequence[str], key: tuple, columns: Sequence[str]
                ) -> dict[str, float] | None:
    """A unit's shown totals, or None when any of them is hidden."""
    match = totals
    for dim, value in zip(unit_dims, key, strict=True):
        match = match[match[dim].astype(str) == str(value)]
    if len(match) != 1:
        return None
    row = match.iloc[0]
    if any(bool(row[c]) for c in (*PROTECTION_COLUMNS, "hide_n") if c in match.columns):
        return None
    return {c: float(row[c]) for c in columns}


def gap_table(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str] = (),
              options: MetricOptions = MetricOptions(), reference_sd: float | None = None,
              totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every score-gap measure per group, suppressed: unit and group columns, then GAP_COLUMNS, plus
    `median_gap_sd`: the gap between the group's median and the chosen comparison group's median, divided by
    `reference_sd` (e.g. the state's SD, OpenSDP form) or, when none is given, the unit's SD of all known
    students. Only with a chosen comparison group (the median of "all others" is not a sum of cells)."""
    group_dims, unit_dims = list(group_dims), list(unit_dims)
    cells = cells.reset_index(drop=True)
    n = cells["n"].to_numpy(dtype="float64")
    total = cells["total"].to_numpy(dtype="float64")
    squares = cells["total_of_squares"].to_numpy(dtype="float64")
    shift = cells["shift"].to_numpy(dtype="float64")
    known = _known(cells, group_dims)
    protected = totals is not None and "hide_n" in cells.columns
    unit_n, unit_total, unit_squares, total_hidden = _gap_unit_sums(cells, unit_dims, totals if protected else None,
                                                                    known)
    cn, ct, cq, is_reference, ref_median = _gap_comparison(cells, group_dims, unit_dims, options.comparison,
                                                           (unit_n, unit_total, unit_squares))
    comparable = known & ~is_reference & np.isfinite(cn) & (cn > 0)
    mean, sd = stats.mean_sd_from_sums(n, total, squares)
    comparison_mean, comparison_sd = stats.mean_sd_from_sums(cn, ct, cq)
    mean, comparison_mean = mean + shift, comparison_mean + shift
    _, unit_sd = stats.mean_sd_from_sums(unit_n, unit_total, unit_squares)

    computed = n >= options.min_n
    compare_ok = computed & comparable & (cn >= options.min_n)
    flat = _flat(mean, sd) | _flat(comparison_mean, comparison_sd)  # no spread: no effect size or test
    tn, tcn = _people(cells, totals, unit_dims, group_dims, options, n, cn) if "persons" in cells.columns else (n, cn)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = stats.hedges_g(mean, sd, n, comparison_mean, comparison_sd, cn)
        g_low, g_high = stats.hedges_g_interval(g, tn, tcn, options.confidence)
        p_value = stats.welch_t_test(mean, sd, tn, comparison_mean, comparison_sd, tcn)
        scale = unit_sd if reference_sd is None else np.full(len(cells), float(reference_sd))
        median_gap = stats.median_gap_in_sd(cells["median"].to_numpy(dtype="float64"), ref_median, scale)

    hidden, hide_total = _gap_hidden(cells, group_dims, unit_dims, options, protected, known, total_hidden)
    suppressed = hidden | ~computed
    show = ~suppressed
    show_compare = show & compare_ok & ~hide_total
    show_effect = show_compare & ~flat
    table = cells[[*unit_dims, *group_dims]].copy()
    table["n"] = pd.array(np.where(hidden, np.nan, n), dtype="Int64")
    table["mean"] = np.where(show, mean, np.nan)
    table["sd"] = np.where(show, sd, np.nan)
    table["median"] = np.where(show, cells["median"].to_numpy(dtype="float64"), np.nan)
    table["comparison_mean"] = np.where(show_compare, comparison_mean, np.nan)
    table["mean_difference"] = np.where(show_compare, mean - comparison_mean, np.nan)
    table["hedges_g"] = np.where(show_effect, g, np.nan)
    table["hedges_g_ci_low"] = np.where(show_effect, g_low, np.nan)
    table["hedges_g_ci_high"] = np.where(show_effect, g_high, np.nan)
    table["p_value"] = np.where(show_effect, p_value, np.nan)
    table["suppressed"] = suppressed
    threshold = options.privacy_threshold
    privacy_notes = (_note(hidden, PROTECTED_NOTE_GROUP),) if protected else (
        _note(hidden & small_count(n, threshold), f"fewer than {threshold} students: hidden (privacy)"),
        _note(hidden & ~small_count(n, threshold), "hidden so a suppressed count cannot be recovered "
                                                   "(complementary suppression)"))
    table["note"] = _join_notes(
        *privacy_notes,
        _note(~computed & ~hidden, f"fewer than {options.min_n} students: not calculated (n-size)"),
        _note(show & comparable & ~compare_ok, "comparison group below the minimums"),
        _note(show & comparable & compare_ok & hide_total, "comparison group's count is suppressed"),
        _note(show_compare & flat, "no spread in a group's values (standard deviation 0): no effect size or test"),
        _note(is_reference, "comparison group"),
        _note(~known, "not compared"),
    )
    table["median_gap_sd"] = np.where(show_compare, median_gap, np.nan)
    return table


def _gap_unit_sums(cells: pd.DataFrame, unit_dims: Sequence[str], totals: pd.DataFrame | None, known: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's unit sums for `gap_table` (n, total, total of squares) and whether the unit's total is
    hidden: a protected table's margins (all students of the unit, Unknown included), or else the known
    groups' sums."""
    if totals is not None:
        unit_n, unit_total, unit_squares, total_hidden = _unit_values(
            cells, totals.astype({"hide_n": "float64"}), unit_dims, ["n", "total", "total_of_squares", "hide_n"])
        return unit_n, unit_total, unit_squares, total_hidden > 0
    sums = [_unit_sum(cells, unit_dims, np.where(known, cells[c].to_numpy(dtype="float64"), 0.0))
            for c in ("n", "total", "total_of_squares")]
    return sums[0], sums[1], sums[2], np.zeros(len(cells), dtype=bool)


def _gap_comparison(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str], comparison: str,
                    unit_sums: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Each cell's comparison sums for `gap_table` (n, total, total of squares), which cells are the comparison
    group, and the comparison group's median (NaN against all others: a median is not a sum of cells)."""
    if comparison == ALL_OTHERS:
        n, total, squares = (cells[c].to_numpy(dtype="float64") for c in ("n", "total", "total_of_squares"))
        cn, ct, cq = stats.complement_sums(n, total, squares, *unit_sums)
        return cn, ct, cq, np.zeros(len(cells), dtype=bool), np.full(len(cells), np.nan)
    reference, is_reference = _reference_values(cells, group_dims, unit_dims, comparison,
                                                ["n", "total", "total_of_squares", "median"])
    return (*(reference[f"ref_{c}"].to_numpy(dtype="float64") for c in ("n", "total", "total_of_squares")),
            is_reference, reference["ref_median"].to_numpy(dtype="float64"))


def _gap_hidden(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str], options: MetricOptions,
                protected: bool, known: np.ndarray, total_hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Privacy for `gap_table`: which groups' n are hidden, and where a comparison would rest on a hidden count
    (the unit's total against all others, the reference group's n against a chosen group)."""
    if protected:
        hidden = cells["hide_n"].to_numpy(dtype=bool)
    else:
        n = cells["n"].to_numpy(dtype="float64")
        hidden = protect(cells, "n", small_count(n, options.privacy_threshold), [*unit_dims, *group_dims],
                         line_dimensions(group_dims, unit_dims), known)
    if options.comparison == ALL_OTHERS:
        return hidden, total_hidden
    reference_hidden, _ = _reference_values(cells.assign(_hidden=hidden.astype(float)), group_dims, unit_dims,
                                            options.comparison, ["_hidden"])
    return hidden, reference_hidden["ref__hidden"].fillna(0).to_numpy() > 0


def _people(cells: pd.DataFrame, totals: pd.DataFrame | None, unit_dims: Sequence[str], group_dims: Sequence[str],
            options: MetricOptions, n: np.ndarray, cn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sizes a survey's interval and test rest on: its respondents (the group's, and the comparison's),
    not its answers, as in `rate_table`."""
    persons = cells["persons"].to_numpy(dtype="float64")
    if options.comparison == ALL_OTHERS:
        unit_p = (_unit_values(cells, totals, unit_dims, ["persons"])[0] if totals is not None else
                  _unit_sum(cells, unit_dims, np.where(_known(cells, group_dims), persons, 0.0)))
        return persons, unit_p - persons
    reference, _ = _reference_values(cells, group_dims, unit_dims, options.comparison, ["persons"])
    return persons, reference["ref_persons"].to_numpy(dtype="float64")


FLAT_SD = 1e-6  # an SD below this share of the mean's size is rounding error in sums of squares, not spread


def _flat(mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Groups whose values do not vary (an SD of 0, or a floating-point remainder such as 5e-7)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(sd) & (sd <= FLAT_SD * np.maximum(np.abs(np.nan_to_num(mean)), 1.0))


def eta_squared_by_unit(cells: pd.DataFrame, group_dims: Sequence[str], unit_dims: Sequence[str] = (),
                        totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per unit: the share of variance explained by group (eta squared) over the known groups, hidden groups
    pooled as in `association`."""
    return _by_unit(cells, group_dims, unit_dims, totals, ("total", "total_of_squares", "n"), _eta_row)


def _eta_row(sums: dict[str, np.ndarray]) -> dict[str, float]:
    return {"eta_squared": float(stats.eta_squared(sums["n"], sums["total"], sums["total_of_squares"]))}
