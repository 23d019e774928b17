"""Score gaps in words: the sentence that titles a gap chart, generated from a row of a `gaps` table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from equity_metrics.findings import group_noun
from equity_metrics.indicators import Indicator

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


def largest_gap(table: pd.DataFrame, indicator: Indicator) -> pd.Series | None:
    """The shown row with the largest disadvantage in Hedges' g (the lowest g when higher is better)."""
    g = table["hedges_g"].to_numpy(dtype="float64", na_value=np.nan)
    shown = ~table["suppressed"].astype(bool).to_numpy() & np.isfinite(g)
    if not shown.any():
        return None
    oriented = np.where(shown, g if indicator.higher_is_worse else -g, -np.inf)
    return table.iloc[int(np.argmax(oriented))]


def headline(indicator: Indicator, table: pd.DataFrame, groups: Sequence[str], comparison_label: str) -> str:
    row = largest_gap(table, indicator)
    if row is None:
        return f"{indicator.label}: no group could be compared with these filters."
    return gap_sentence(indicator, row, groups, comparison_label)
