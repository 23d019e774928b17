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

from equity_metrics.core.i18n import Translator, translator
from equity_metrics.measures.indicators import INDICATORS, Indicator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import wording
from equity_metrics.narrative.wording import english_group_noun as group_noun
from equity_metrics.narrative.wording import english_mid_sentence as mid_sentence

SIGNIFICANCE = 0.05

def subject_noun(indicator: Indicator) -> str:
    """Who an indicator counts, as a plural noun: students, or for staff and applicant indicators their own
    population ("teachers", "applicants")."""
    return indicator.population_label if indicator.source in ("staff", "applicant") else "students"


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
                  options: MetricOptions = MetricOptions(), with_test: bool = True, lang: str = "en") -> str:
    """One sentence about one group's rate, from its row of a rate table, in a language ('en', 'es', 'zh'):
    each shape of sentence is one template of the catalogue, filled with named values."""
    tr = translator(lang)
    who = subject_noun(indicator)
    noun = wording.group_noun({g: str(row[g]) for g in groups}, who, tr)
    comparison = wording.comparison_phrase(options, who, tr)
    if bool(row["suppressed"]) or not np.isfinite(row["rate"]):
        return tr.gettext("{group}: not shown ({note}).").format(group=noun, note=wording.note(row["note"], tr))
    measure, event = wording.measure_words(indicator, tr), wording.event(indicator, tr)
    rate, other_rate = tr.percent(row["rate"]), tr.percent(row.get("comparison_rate", np.nan))
    ratio = row.get("risk_ratio", np.nan)
    if np.isfinite(ratio) and ratio >= 1:
        text = tr.gettext("{group} were {ratio} times as likely as {comparison} to {event} ({rate} vs "
                          "{comparison_rate})").format(group=noun, ratio=wording.times(ratio, tr), comparison=comparison,
                                                       event=event, rate=rate, comparison_rate=other_rate)
    elif np.isfinite(ratio) and ratio > 0:
        # Below 1, say it the way round a reader grasps: "others were 3.8 times as likely as this group".
        text = tr.gettext("{comparison} were {ratio} times as likely as {group} to {event} ({comparison_rate} vs "
                          "{rate})").format(comparison=wording.capitalized(comparison), ratio=wording.times(1 / ratio, tr),
                                            group=wording.mid_sentence(noun, tr), event=event, rate=rate,
                                            comparison_rate=other_rate)
    elif np.isfinite(row.get("comparison_rate", np.nan)):
        text = tr.gettext("{group}: {measure} rate {rate}, against {comparison_rate} for {comparison}").format(
            group=noun, measure=measure, rate=rate, comparison_rate=other_rate, comparison=comparison)
    else:
        text = tr.gettext("{group}: {measure} rate {rate}").format(group=noun, measure=measure, rate=rate)
    if with_test and np.isfinite(row.get("p_value", np.nan)):
        text += _test_clause(row, tr)
    return tr.gettext("{sentence}.").format(sentence=text)


def _test_clause(row: pd.Series, tr: Translator) -> str:
    """'; the difference is statistically significant (chi-square, p < 0.001, q < 0.001 corrected for multiple
    tests)', one template for each verdict, with or without a q-value."""
    significant = certain(row.to_frame().T).item()
    q = row.get("q_value", np.nan)
    values = {"test": wording.test_name(str(row["test"]), tr), "p": wording.p_text(row["p_value"], tr)}
    if np.isfinite(q):
        values["q"] = wording.q_text(q, tr)
        message = (tr.gettext("; the difference is statistically significant ({test}, {p}, {q} corrected for "
                              "multiple tests)") if significant else
                   tr.gettext("; the difference could be due to chance ({test}, {p}, {q} corrected for multiple "
                              "tests)"))
    else:
        message = (tr.gettext("; the difference is statistically significant ({test}, {p})") if significant
                   else tr.gettext("; the difference could be due to chance ({test}, {p})"))
    return message.format(**values)


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
                 limit: int = 5, certain_only: bool = True, per_indicator: int | None = None,
                 lang: str = "en") -> list[Finding]:
    """The largest disadvantages in a rate table (one indicator, or an audit frame with indicator_id);
    `per_indicator` caps how many findings one indicator may give, so a scorecard spans domains. Sentences
    in `lang`."""
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
            sentence=rate_sentence(indicator, row, groups, options, lang=lang),
            disadvantage=float(row["disadvantage"]),
        ))
    return findings


def rate_headline(indicator: Indicator, table: pd.DataFrame, groups: Sequence[str],
                  options: MetricOptions = MetricOptions(), lang: str = "en") -> str:
    """The chart title: the largest certain disadvantage, else the largest calculated one, else a plain note."""
    framed = table.assign(indicator_id=indicator.id)
    for only_certain in (True, False):
        found = largest_gaps(framed, groups, options, limit=1, certain_only=only_certain, lang=lang)
        if found:
            return found[0].sentence if only_certain else rate_sentence(indicator, _row_of(framed, found[0], groups),
                                                                        groups, options, lang=lang)
    tr = translator(lang)
    return tr.gettext("{indicator}: no group could be compared with these filters, or no group's rate was above "
                      "its comparison's.").format(indicator=wording.indicator_label(indicator, tr))


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


def suppressed_groups(table: pd.DataFrame, groups: Sequence[str], lang: str = "en") -> list[str]:
    """'Group: reason' for every row not fully shown, so no group is dropped silently."""
    tr = translator(lang)
    rows = table[table["suppressed"] | (table["note"] != "")]
    return [tr.gettext("{group}: {note}").format(group=wording.group_noun({g: str(row[g]) for g in groups}, "students", tr),
                                                  note=wording.note(row["note"], tr))
            for _, row in rows.iterrows() if row["note"] and row["note"] != "comparison group"]


