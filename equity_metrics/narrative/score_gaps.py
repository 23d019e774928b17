"""Score gaps in words (the sentence that titles a gap chart, from a row of a `gaps` table), and score gaps
compared within each school or grade (`gaps_within`), with the sentence that titles them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from equity_metrics.measures import analysis, metrics, protected
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import Indicator, get_indicator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative.findings import group_noun, mid_sentence
from equity_metrics.storage.store import Store

MINUS = "\u2212"


def _signed(value: float) -> str:
    text = f"{abs(value):.2f}"
    return f"{MINUS}{text}" if value < 0 and text != "0.00" else text


def _possessive(noun: str) -> str:
    return noun + ("'" if noun.endswith("s") else "'s")


def gap_sentence(indicator: Indicator, row: pd.Series, groups: Sequence[str], comparison_label: str) -> str:
    """"Black or African American students' mean math scale score was 45 points below all other students'
    (Hedges' g −0.49, 95% CI −0.55 to −0.43)." A row without a shown gap says so."""
    noun = group_noun({g: str(row[g]) for g in groups})
    difference = float(row.get("mean_difference", np.nan))
    if bool(row["suppressed"]) or not np.isfinite(difference):
        return f"{noun}: no gap shown ({row['note'] or 'not calculated'})."
    unit = indicator.unit or "points"
    amount = abs(difference) * indicator.scale
    size = f"{amount:,.0f}" if amount >= 10 else f"{amount:,.1f}"
    measure = indicator.event
    if size.strip("0.,") == "":
        where = f"the same as {_possessive(comparison_label)}"
    else:
        where = f"{size} {unit} {'below' if difference < 0 else 'above'} {_possessive(comparison_label)}"
    interval = (f"Hedges' g {_signed(row['hedges_g'])}, 95% CI {_signed(row['hedges_g_ci_low'])} to "
                f"{_signed(row['hedges_g_ci_high'])}")
    return f"{_possessive(noun)} mean {measure} was {where} ({interval})."


_CONTROL_PHRASES = {"low_income": "income status", "disability": "disability status",
                    "english_learner": "English learner status", "section_504": "Section 504 status", "sex": "sex"}


def _points(value: float, indicator: Indicator) -> str:
    amount = abs(value) * indicator.scale
    size = f"{amount:,.0f}" if amount >= 10 else f"{amount:,.1f}"
    return f"{size} {indicator.unit or 'points'} {'below' if value < 0 else 'above'}"


def adjusted_gap_sentence(indicator: Indicator, row: pd.Series, groups: Sequence[str], comparison_label: str,
                          controls: Sequence[str]) -> str:
    """"Compared within the same school and with students of the same income status, Black or African
    American students' mean math scale score was 37 points below all other students' (95% CI ...; 46 points
    below before adjusting)." A row without an adjusted gap says so."""
    noun = group_noun({g: str(row[g]) for g in groups})
    adjusted = float(row.get("adjusted_mean_difference", np.nan))
    if not np.isfinite(adjusted):
        return f"{noun}: no adjusted gap ({row['note'] or 'not calculated'})."
    same = " and ".join(_CONTROL_PHRASES.get(c, c.replace("_", " ")) for c in controls)
    within = "Compared within the same school" + (f" and with students of the same {same}" if same else "")
    low, high = float(row["adjusted_mean_difference_ci_low"]), float(row["adjusted_mean_difference_ci_high"])
    interval = (f"95% CI {_signed(low * indicator.scale)} to {_signed(high * indicator.scale)}; regression with "
                f"school fixed effects, errors clustered by school; {_points(float(row['mean_difference']), indicator)}"
                " before adjusting")
    sentence = (f"{within}, {_possessive(noun)} mean {indicator.event} was {_points(adjusted, indicator)} "
                f"{_possessive(comparison_label)} ({interval}).")
    if not same:  # school alone: the crude gap splits into a part within schools and a part between them
        between = float(row["mean_difference"]) - adjusted
        sentence += (f" The rest of the gap, {_signed(between * indicator.scale)} {indicator.unit or 'points'}, "
                     "lies between schools: the groups attend different schools.")
    return sentence


def largest_gap(table: pd.DataFrame, indicator: Indicator) -> pd.Series | None:
    """The shown row with the largest disadvantage in Hedges' g (the lowest g when higher is better)."""
    g = table["hedges_g"].to_numpy(dtype="float64", na_value=np.nan)
    shown = ~table["suppressed"].astype(bool).to_numpy() & np.isfinite(g)
    if not shown.any():
        return None
    oriented = np.where(shown, g if indicator.higher_is_worse else -g, -np.inf)
    return table.iloc[int(np.argmax(oriented))]


def gap_headline(indicator: Indicator, table: pd.DataFrame, groups: Sequence[str], comparison_label: str) -> str:
    row = largest_gap(table, indicator)
    if row is None:
        return f"{indicator.label}: no group could be compared with these filters."
    return gap_sentence(indicator, row, groups, comparison_label)


# ---- gaps within each school or grade ------------------------------------------------------------------------
WITHIN_UNITS: tuple[str, ...] = ("school", "grade")
_GAP_VALUES = ("mean", "sd", "median", "comparison_mean", "mean_difference", "hedges_g", "hedges_g_ci_low",
               "hedges_g_ci_high", "p_value", "median_gap_sd")
_COMPLEMENTARY = "hidden so a suppressed count cannot be recovered (complementary suppression)"


def gaps_within(store: Store, indicator_id: str, unit: str, by: Sequence[str] = ("race",),
                filters: Filters = Filters(), options: MetricOptions = MetricOptions(),
                reference_sd: float | None = None) -> analysis.Result:
    """Score gaps by group compared within each school or each grade (never across them): the gap table of
    `metrics.gap_table` with the unit as its unit, in one school year (the filters', else the latest).

    Counts come from the score's protected table (`protected`), which holds every school and the district's
    grades with the rest, so no hidden count can be recovered from the district's own numbers.
    """
    if unit not in WITHIN_UNITS:
        raise ValueError(f"gaps can be compared within {' or '.join(WITHIN_UNITS)}, not {unit!r}")
    indicator = get_indicator(indicator_id)
    if indicator.kind != "mean":
        raise ValueError(f"{indicator.id} is a rate: gaps within a {unit} need a score")
    units, groups = analysis.split_dimensions(by)
    if units or not groups:
        raise ValueError(f"split by student groups only (e.g. race): the gaps are compared within each {unit}")
    filters = analysis.resolve_filters(store, indicator, filters, [])
    cells, totals = protected.protected_value_cells(store, indicator, filters.school_years, [unit], groups, filters,
                                                    options.privacy_threshold)
    if cells.empty:
        raise analysis.NoDataError(f"No {indicator.population_label} match these filters for {indicator.label}.")
    groups = list(protected.check_split(groups))
    table = metrics.gap_table(cells, groups, [unit], options, reference_sd, totals).drop(columns=["hide_n"],
                                                                                        errors="ignore")
    return analysis.Result(indicator, tuple(groups), (unit,), filters, options, table,
                           metrics.eta_squared_by_unit(cells, groups, [unit], totals))


def _place(unit: str, value: str) -> str:
    return f"in grade {value}" if unit == "grade" else f"at {value}"


def within_headline(indicator: Indicator, table: pd.DataFrame, unit: str, groups: Sequence[str],
                    comparison_label: str) -> str:
    """"In grade 7, Black or African American students' mean math scale score was 52 points below all other
    students' (Hedges' g −0.61, 95% CI −0.80 to −0.42). Their mean was below in 6 of the 7 grades with a
    comparison." The largest disadvantage, then how often the same group is on the same side: no test claimed."""
    row = largest_gap(table, indicator)
    word = "grade" if unit == "grade" else "school"
    if row is None:
        return f"{indicator.label}: no group could be compared within a {word} with these filters."
    place = _place(unit, str(row[unit]))
    sentence = f"{place[0].upper()}{place[1:]}, {mid_sentence(gap_sentence(indicator, row, groups, comparison_label))}"
    same = np.ones(len(table), dtype=bool)
    for group in groups:
        same &= (table[group].astype(str) == str(row[group])).to_numpy()
    difference = table["mean_difference"].to_numpy(dtype="float64", na_value=np.nan)
    compared = same & np.isfinite(difference)
    side = np.sign(float(row["mean_difference"]))
    if side == 0 or compared.sum() < 2:
        return sentence
    on_side, total = int((np.sign(difference[compared]) == side).sum()), int(compared.sum())
    how_many = f"all {total}" if on_side == total else f"{on_side} of the {total}"
    noun = group_noun({g: str(row[g]) for g in groups})
    return (f"{sentence} {noun} had a mean {'below' if side < 0 else 'above'} {_possessive(comparison_label)} in "
            f"{how_many} {word}s with a comparison.")


def unit_hidden_notes(table: pd.DataFrame, groups: Sequence[str], unit: str) -> list[str]:
    """Every row not fully shown, gathered by reason: "fewer than 10 students: hidden (privacy): American Indian
    or Alaska Native students in grade 3, ...", so no group vanishes silently from a long table."""
    rows = table[table["suppressed"].astype(bool) | (table["note"] != "")]
    gathered: dict[str, list[str]] = {}
    for _, row in rows.iterrows():
        if not row["note"] or row["note"] == "comparison group":
            continue
        gathered.setdefault(row["note"], []).append(mid_sentence(group_noun({**{g: str(row[g]) for g in groups},
                                                                              unit: str(row[unit])})))
    return [f"{note}: {', '.join(nouns)}" for note, nouns in gathered.items()]
