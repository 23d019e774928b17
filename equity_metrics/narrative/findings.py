"""Findings: sentences generated from result tables, never written by hand.

A sentence states the size of a difference and its uncertainty, and claims statistical significance only
when the test showed it after the false-discovery-rate correction across every test of the same output
(Benjamini–Hochberg q < 0.05) and, for a risk ratio, its interval excludes 1. Findings are ranked
by how far a group is disadvantaged (the log of the risk ratio, oriented so that a larger value is worse for
the group), among the comparisons that are both calculated and certain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.constants import TWO_OR_MORE, UNKNOWN
from equity_metrics.measures.indicators import INDICATORS, Indicator
from equity_metrics.measures.metrics import MetricOptions

SIGNIFICANCE = 0.05

_FLAG_PHRASES = {
    "Students with disabilities": "with disabilities",
    "Students without disabilities": "without disabilities",
    "Section 504": "with a Section 504 plan",
    "Not Section 504": "without a Section 504 plan",
    "English learners": "who are English learners",
    "Not English learners": "who are not English learners",
    "Low income": "from low-income families",
    "Not low income": "not from low-income families",
}


def subject_noun(indicator: Indicator) -> str:
    """Who an indicator counts, as a plural noun: students, or for staff and applicant indicators their own
    population ("teachers", "applicants")."""
    return indicator.population_label if indicator.source in ("staff", "applicant") else "students"


def group_noun(values: dict[str, str], noun: str = "students") -> str:
    """Plural noun for a group or intersection: {'race': 'Black or African American', 'sex': 'Male'} ->
    'Black or African American male students'."""
    adjectives, phrases = [], []
    for dimension, value in values.items():
        if value == UNKNOWN:
            phrases.append(f"of unknown {dimension.replace('_', ' ')}")
        elif dimension == "race" and value == TWO_OR_MORE:
            phrases.append("of two or more races")
        elif dimension == "race":
            adjectives.append(value)
        elif dimension == "sex":
            adjectives.append(value.lower())
        elif dimension == "grade":
            phrases.append(f"in grade {value}")
        elif dimension in ("school", "school_year"):
            phrases.append(f"at {value}" if dimension == "school" else f"in {value}")
        else:
            phrases.append(_FLAG_PHRASES.get(value, value))
    text = " ".join([*adjectives, noun, *phrases]).strip()
    return text[0].upper() + text[1:]


def mid_sentence(noun: str) -> str:
    """A group noun inside a sentence: 'Students with disabilities' -> 'students with disabilities';
    names of groups ('Black or African American students') keep their capitals."""
    first = noun.split(" ", 1)[0]
    return first.lower() + noun[len(first):] if first in _COMMON_NOUNS else noun


_COMMON_NOUNS = {"Students", "Teachers", "Applicants", "Staff", "Interviewed"}


def percent(value: float, digits: int = 1) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value * 100:.{digits}f}%"


def p_text(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def times(ratio: float) -> str:
    return f"{ratio:.2f}" if ratio < 1 else f"{ratio:.1f}"


def q_text(q_value: float) -> str:
    return "q < 0.001" if q_value < 0.001 else f"q = {q_value:.3f}"


def certain(table: pd.DataFrame) -> np.ndarray:
    """Rows significant by their test once corrected for the many tests of their output (q < 0.05, the
    Benjamini–Hochberg q-value; p < 0.05 for a table without one) whose risk-ratio interval, if any, excludes 1."""
    p = table["q_value" if "q_value" in table.columns else "p_value"].to_numpy(dtype="float64")
    low = table["risk_ratio_ci_low"].to_numpy(dtype="float64")
    high = table["risk_ratio_ci_high"].to_numpy(dtype="float64")
    interval_spans_one = np.isfinite(low) & (low <= 1) & (high >= 1)
    return np.isfinite(p) & (p < SIGNIFICANCE) & ~interval_spans_one


def rate_sentence(indicator: Indicator, row: pd.Series, groups: Sequence[str],
                  options: MetricOptions = MetricOptions(), with_test: bool = True) -> str:
    """One sentence about one group's rate, from its row of a rate table."""
    who = subject_noun(indicator)
    noun = group_noun({g: str(row[g]) for g in groups}, who)
    comparison = options.comparison_phrase(who)
    if bool(row["suppressed"]) or not np.isfinite(row["rate"]):
        return f"{noun}: not shown ({row['note']})."
    measure = indicator.label[0].lower() + indicator.label[1:]
    ratio = row.get("risk_ratio", np.nan)
    if np.isfinite(ratio) and ratio >= 1:
        text = (f"{noun} were {times(ratio)} times as likely as {comparison} to {indicator.event} "
                f"({percent(row['rate'])} vs {percent(row['comparison_rate'])})")
    elif np.isfinite(ratio) and ratio > 0:
        # Below 1, say it the way round a reader grasps: "others were 3.8 times as likely as this group".
        others = comparison[0].upper() + comparison[1:]
        text = (f"{others} were {times(1 / ratio)} times as likely as {mid_sentence(noun)} to "
                f"{indicator.event} ({percent(row['comparison_rate'])} vs {percent(row['rate'])})")
    elif np.isfinite(row.get("comparison_rate", np.nan)):
        text = f"{noun}: {measure} rate {percent(row['rate'])}, against {percent(row['comparison_rate'])} for {comparison}"
    else:
        text = f"{noun}: {measure} rate {percent(row['rate'])}"
    if with_test and np.isfinite(row.get("p_value", np.nan)):
        verdict = ("the difference is statistically significant" if certain(row.to_frame().T).item()
                   else "the difference could be due to chance")
        q = row.get("q_value", np.nan)
        corrected = f", {q_text(q)} corrected for multiple tests" if np.isfinite(q) else ""
        text += f"; {verdict} ({row['test']}, {p_text(row['p_value'])}{corrected})"
    return text + "."


_SAME_STATUS = {"school": "the same school", "disability": "the same disability status", "sex": "the same sex",
                "race": "the same race/ethnicity", "low_income": "the same income status",
                "english_learner": "the same English learner status"}


def adjusted_sentence(indicator: Indicator, row: pd.Series, groups: Sequence[str], dimension: str,
                      options: MetricOptions = MetricOptions()) -> str:
    """One sentence about a group's Mantel–Haenszel risk ratio: 'Among students of the same income status,
    Black or African American students were 2.6 times as likely as all other students to ... (95% CI ...)'."""
    who = subject_noun(indicator)
    noun = group_noun({g: str(row[g]) for g in groups}, who)
    within = _SAME_STATUS.get(dimension, f"the same {dimension.replace('_', ' ')}")
    place = f"At {within}" if dimension == "school" else f"Among {who} of {within}"
    ratio = row.get("adjusted_risk_ratio", np.nan)
    if not np.isfinite(ratio):
        return f"{noun}: no adjusted ratio ({row['note']})."
    low, high, crude = row["adjusted_risk_ratio_ci_low"], row["adjusted_risk_ratio_ci_high"], row["risk_ratio"]
    comparison = options.comparison_phrase(who)
    first, second = mid_sentence(noun), comparison
    if ratio < 1:  # said the way round a reader grasps, with the interval and crude ratio turned round too
        ratio, low, high, crude = 1 / ratio, 1 / high, 1 / low, 1 / crude
        first, second = comparison, mid_sentence(noun)
    return (f"{place}, {first} were {times(ratio)} times as likely as {second} to {indicator.event} "
            f"(95% interval {times(low)} to {times(high)}; Mantel-Haenszel; {times(crude)} before adjusting).")


def association_sentence(indicator: Indicator, dimension_label: str, summary: pd.DataFrame) -> str:
    """How much a group dimension predicts an indicator over the years, from `metrics.association` per year:
    "Race/ethnicity predicted out-of-school suspension less in 2024-25 than in 2022-23 (Cramér's V 0.142, from
    0.145); the groups differed beyond chance in every year (chi-square, p < 0.05)." """
    rows = summary[np.isfinite(summary["cramers_v"].astype("float64"))].sort_values("school_year")
    measure = indicator.label[0].lower() + indicator.label[1:]
    if rows.empty:
        return f"How much {dimension_label.lower()} predicts {measure} cannot be shown with these filters."
    last = rows.iloc[-1]
    text = f"{dimension_label} and {measure} in {last['school_year']}: Cramér's V {last['cramers_v']:.3f}"
    if len(rows) > 1:
        first = rows.iloc[0]
        change = "more" if last["cramers_v"] > first["cramers_v"] else "less"
        text = (f"{dimension_label} predicted {measure} {change} in {last['school_year']} than in "
                f"{first['school_year']} (Cramér's V {last['cramers_v']:.3f}, from {first['cramers_v']:.3f})")
    beyond = rows["p_value"].astype("float64") < SIGNIFICANCE
    verdict = ("the groups differed beyond chance in every year" if beyond.all() else
               "in no year did the groups differ beyond chance" if not beyond.any() else
               f"the groups differed beyond chance in {int(beyond.sum())} of {len(rows)} years")
    return f"{text}; {verdict} (chi-square, p < {SIGNIFICANCE})."


@dataclass(frozen=True)
class Finding:
    """One group's gap on one indicator, with its sentence."""

    indicator_id: str
    group: dict[str, str]
    school_year: str
    rate: float
    rate_ci_low: float
    rate_ci_high: float
    comparison_rate: float
    risk_ratio: float
    risk_ratio_ci_low: float
    risk_ratio_ci_high: float
    numerator: int
    denominator: int
    p_value: float
    test: str
    sentence: str
    disadvantage: float

    @property
    def indicator(self) -> Indicator:
        return INDICATORS[self.indicator_id]


def largest_gaps(table: pd.DataFrame, groups: Sequence[str], options: MetricOptions = MetricOptions(),
                 limit: int = 5, certain_only: bool = True, per_indicator: int | None = None) -> list[Finding]:
    """The largest disadvantages in a rate table (one indicator, or an audit frame with indicator_id);
    `per_indicator` caps how many findings one indicator may give, so a scorecard spans domains."""
    frame = table.copy()
    if "indicator_id" not in frame.columns:
        raise ValueError("the table needs an indicator_id column")
    frame = frame[np.isfinite(frame["risk_ratio"].astype("float64"))]
    if frame.empty:
        return []
    sign = np.where([INDICATORS[i].higher_is_worse for i in frame["indicator_id"]], 1.0, -1.0)
    frame["disadvantage"] = sign * np.log(frame["risk_ratio"].to_numpy(dtype="float64"))
    frame = frame[frame["disadvantage"] > 0]
    if certain_only:
        frame = frame[certain(frame)]
    frame = frame.sort_values("disadvantage", ascending=False, kind="stable")
    if per_indicator is not None:
        frame = frame.groupby("indicator_id", sort=False).head(per_indicator)
    frame = frame.head(limit)
    findings = []
    for _, row in frame.iterrows():
        indicator = INDICATORS[row["indicator_id"]]
        findings.append(Finding(
            indicator_id=indicator.id,
            group={g: str(row[g]) for g in groups},
            school_year=str(row.get("school_year", "")),
            rate=float(row["rate"]), rate_ci_low=float(row["rate_ci_low"]), rate_ci_high=float(row["rate_ci_high"]),
            comparison_rate=float(row["comparison_rate"]),
            risk_ratio=float(row["risk_ratio"]), risk_ratio_ci_low=float(row["risk_ratio_ci_low"]),
            risk_ratio_ci_high=float(row["risk_ratio_ci_high"]),
            numerator=int(row["numerator"]), denominator=int(row["denominator"]),
            p_value=float(row["p_value"]), test=str(row["test"]),
            sentence=rate_sentence(indicator, row, groups, options),
            disadvantage=float(row["disadvantage"]),
        ))
    return findings


def rate_headline(indicator: Indicator, table: pd.DataFrame, groups: Sequence[str],
             options: MetricOptions = MetricOptions()) -> str:
    """The chart title: the largest certain disadvantage, else the largest calculated one, else a plain note."""
    framed = table.assign(indicator_id=indicator.id)
    for only_certain in (True, False):
        found = largest_gaps(framed, groups, options, limit=1, certain_only=only_certain)
        if found:
            return found[0].sentence if only_certain else rate_sentence(indicator, _row_of(framed, found[0], groups),
                                                                   groups, options)
    return (f"{indicator.label}: no group could be compared with these filters, or no group's rate was above "
            "its comparison's.")


def _row_of(table: pd.DataFrame, finding: Finding, groups: Sequence[str]) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for g in groups:
        mask &= (table[g] == finding.group[g]).to_numpy()
    return table[mask].iloc[0]


def short_reason(note: str) -> str:
    """A few words for a chart row that is not drawn: why it is hidden or not calculated."""
    if "privacy" in note or "complementary" in note:
        return "hidden to protect privacy"
    if "n-size" in note:
        return "too few students to calculate"
    return "not shown"


def suppressed_groups(table: pd.DataFrame, groups: Sequence[str]) -> list[str]:
    """'Group: reason' for every row not fully shown, so no group is dropped silently."""
    rows = table[table["suppressed"] | (table["note"] != "")]
    return [f"{group_noun({g: str(row[g]) for g in groups})}: {row['note']}" for _, row in rows.iterrows()
            if row["note"] and row["note"] != "comparison group"]


