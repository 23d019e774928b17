"""Charts (Altair) built from suppressed result tables: one row per group, never student rows.

One visual language: every group keeps one colour in every chart (Okabe-Ito, colour-blind safe) and is also
named on the axis, so colour is never the only cue; intervals are always drawn; a reference line marks the
comparison; titles state the finding; tooltips carry n, the count and the interval. Suppressed groups are
not drawn; `findings.suppressed_groups` gives the note that goes under the chart.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from equity_metrics.constants import (
    DEFAULT_RISK_RATIO_THRESHOLD,
    DIMENSIONS,
    GROUP_COLOURS,
    OKABE_ITO,
    RACE_SHORT_LABELS,
    UNKNOWN,
    UNKNOWN_COLOUR,
)
from equity_metrics.findings import Finding, group_noun, short_reason
from equity_metrics.indicators import Indicator

CHART_WIDTH = 560
ROW_STEP = 30  # pixels per group row, so rows never crowd whatever the number of groups
GROUP_AXIS = alt.Axis(labelLimit=320, labelFontSize=12)  # group names are never cut short
_NON_RACE_PALETTE = tuple(c for c in OKABE_ITO if c not in ("#F0E442", "#000000"))  # light yellow; black hides lines


def colour_scale(dimension: str, values: Sequence[str]) -> alt.Scale:
    """The fixed colour of each value of a dimension (race: GROUP_COLOURS; others: palette by value order)."""
    domain = list(dict.fromkeys(values))
    return alt.Scale(domain=domain, range=[group_colour(dimension, v) for v in domain])


def group_colour(dimension: str, value: str) -> str:
    if value == UNKNOWN:
        return UNKNOWN_COLOUR
    if dimension == "race":
        return GROUP_COLOURS.get(value, UNKNOWN_COLOUR)
    known = list(DIMENSIONS[dimension].values) if dimension in DIMENSIONS else []
    index = known.index(value) if value in known else abs(hash(value))
    return _NON_RACE_PALETTE[index % len(_NON_RACE_PALETTE)]


def wrap_title(text: str, width: int = 90) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def _label(dimension: str, value: str) -> str:
    return RACE_SHORT_LABELS.get(value, value) if dimension == "race" else value


def group_labels(table: pd.DataFrame, groups: Sequence[str]) -> list[str]:
    return [" · ".join(_label(g, str(row[g])) for g in groups) for _, row in table[list(groups)].iterrows()]


def chart_frame(table: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """Shown rows of a result table with a display label and the colour key (the first group dimension)."""
    shown = table[~table["suppressed"].astype(bool)].copy()
    shown["group"] = group_labels(shown, groups)
    shown["colour_key"] = shown[groups[0]].astype(str)
    return shown


def hidden_frame(table: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """Rows that are not drawn, with a display label and a short reason, so no group silently vanishes."""
    hidden = table[table["suppressed"].astype(bool)]
    return pd.DataFrame({"group": group_labels(hidden, groups),
                         "reason": [short_reason(note) for note in hidden["note"]]})


def interval_layers(base: alt.Chart, low: str, high: str, tooltip: list) -> list[alt.Chart]:
    """The interval as a dark line (every group colour is light enough for it to show)."""
    return [base.mark_rule(color="#222222", strokeWidth=1.5).encode(x=f"{low}:Q", x2=f"{high}:Q", tooltip=tooltip)]


def _titled(chart: alt.Chart, title: str, subtitle: str = "") -> alt.Chart:
    return chart.properties(title=alt.TitleParams(wrap_title(title), subtitle=wrap_title(subtitle, 110) if subtitle
                                                  else [], anchor="start", fontSize=14))


def rate_chart(table: pd.DataFrame, groups: Sequence[str], indicator: Indicator, title: str,
               reference_rate: float | None = None, reference_label: str = "All students") -> alt.Chart:
    """Horizontal bars of each group's rate with its 95% interval, and a line at the reference rate."""
    data = chart_frame(table, groups)
    hidden = hidden_frame(table, groups)
    order = group_labels(table, groups)
    scale = colour_scale(groups[0], list(data["colour_key"]))
    base = alt.Chart(data).encode(y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS))
    tooltip = [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("rate:Q", title="Rate", format=".1%"),
        alt.Tooltip("rate_ci_low:Q", title="95% interval from", format=".1%"),
        alt.Tooltip("rate_ci_high:Q", title="95% interval to", format=".1%"),
        alt.Tooltip("numerator:Q", title="Students with the outcome", format=","),
        alt.Tooltip("denominator:Q", title=f"n ({indicator.population_label})", format=","),
    ]
    bars = base.mark_bar(opacity=0.9, stroke="#555555", strokeWidth=0.5).encode(
        x=alt.X("rate:Q", title=f"{indicator.label} rate", axis=alt.Axis(format="%")),
        color=alt.Color("colour_key:N", scale=scale, legend=None),
        tooltip=tooltip,
    )
    layers = [bars, *interval_layers(base, "rate_ci_low", "rate_ci_high", tooltip)]
    if not hidden.empty:
        layers.append(alt.Chart(hidden).mark_text(align="left", dx=4, color="#555555", fontStyle="italic").encode(
            y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS), x=alt.value(0), text="reason:N",
            tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("reason:N", title="Not shown")]))
    if reference_rate is not None and np.isfinite(reference_rate):
        reference = pd.DataFrame({"rate": [reference_rate], "label": [f"{reference_label}: {reference_rate:.1%}"]})
        rule = alt.Chart(reference).mark_rule(strokeDash=[4, 4], color="#444444").encode(x="rate:Q")
        text = alt.Chart(reference).mark_text(align="left", dx=4, dy=-6, color="#444444").encode(
            x="rate:Q", y=alt.value(0), text="label:N")
        layers += [rule, text]
    return _titled(alt.layer(*layers).properties(width=CHART_WIDTH, height=alt.Step(ROW_STEP)), title,
                   "Bars: rate; black lines: 95% Wilson interval; dashed line: " + reference_label.lower())


def risk_ratio_chart(table: pd.DataFrame, groups: Sequence[str], title: str, comparison_label: str,
                     threshold: float = DEFAULT_RISK_RATIO_THRESHOLD) -> alt.Chart:
    """Each group's risk ratio with its 95% Katz interval on a log scale, with lines at 1 and the threshold."""
    data = chart_frame(table, groups)
    data = data[np.isfinite(data["risk_ratio"].astype("float64"))]
    order = list(data["group"])
    scale = colour_scale(groups[0], list(data["colour_key"]))
    tooltip = [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("risk_ratio:Q", title="Risk ratio", format=".2f"),
        alt.Tooltip("risk_ratio_ci_low:Q", title="95% interval from", format=".2f"),
        alt.Tooltip("risk_ratio_ci_high:Q", title="95% interval to", format=".2f"),
        alt.Tooltip("numerator:Q", title="Students with the outcome", format=","),
        alt.Tooltip("denominator:Q", title="n", format=","),
    ]
    low = float(np.nanmin([*data["risk_ratio_ci_low"], 0.5])) if len(data) else 0.5
    high = float(np.nanmax([*data["risk_ratio_ci_high"], threshold * 1.2])) if len(data) else threshold * 1.2
    log_scale = alt.Scale(type="log", domain=[max(low * 0.9, 0.01), high * 1.1])
    x = alt.X("risk_ratio:Q", title=f"Risk ratio vs {comparison_label} (log scale)", scale=log_scale)
    base = alt.Chart(data).encode(y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS))
    intervals = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("risk_ratio_ci_low:Q", scale=log_scale), x2="risk_ratio_ci_high:Q",
        color=alt.Color("colour_key:N", scale=scale, legend=None), tooltip=tooltip)
    points = base.mark_point(filled=True, size=90).encode(
        x=x, color=alt.Color("colour_key:N", scale=scale, legend=None), tooltip=tooltip)
    lines = pd.DataFrame({"risk_ratio": [1.0, threshold],
                          "label": ["1 = same rate", f"{threshold:g} = disproportionality threshold"]})
    rules = alt.Chart(lines).mark_rule(strokeDash=[4, 4], color="#444444").encode(x="risk_ratio:Q")
    labels = alt.Chart(lines).mark_text(align="left", dx=4, dy=-6, color="#444444").encode(
        x="risk_ratio:Q", y=alt.value(0), text="label:N")
    return _titled(alt.layer(intervals, points, rules, labels).properties(width=CHART_WIDTH, height=alt.Step(ROW_STEP)),
                   title,
                   "Dots: risk ratio; lines: 95% Katz interval")


def composition_chart(table: pd.DataFrame, groups: Sequence[str], indicator: Indicator, title: str) -> alt.Chart:
    """Share of the population vs share of the outcome, per group (over-represented where the dark bar is longer)."""
    data = chart_frame(table, groups)
    data = data[np.isfinite(data["share_of_numerator"].astype("float64"))
                & np.isfinite(data["share_of_denominator"].astype("float64"))]
    population = f"Share of {indicator.population_label}"
    outcome = f"Share of {indicator.label.lower()}"
    long = pd.concat([
        data.assign(measure=population, share=data["share_of_denominator"]),
        data.assign(measure=outcome, share=data["share_of_numerator"]),
    ])[["group", "colour_key", "measure", "share", "representation_index", "numerator", "denominator"]]
    order = list(data["group"])
    scale = colour_scale(groups[0], list(data["colour_key"]))
    chart = alt.Chart(long).mark_bar().encode(
        y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS),
        yOffset=alt.YOffset("measure:N", sort=[population, outcome]),
        x=alt.X("share:Q", title="Share", axis=alt.Axis(format="%")),
        color=alt.Color("colour_key:N", scale=scale, legend=None),
        opacity=alt.Opacity("measure:N", sort=[population, outcome], scale=alt.Scale(range=[0.35, 1.0]),
                            legend=alt.Legend(title=None, orient="bottom", labelLimit=0, symbolFillColor="#555555")),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("share:Q", title="Share", format=".1%"),
                 alt.Tooltip("representation_index:Q", title="Representation index", format=".2f"),
                 alt.Tooltip("numerator:Q", title="Students with the outcome", format=","),
                 alt.Tooltip("denominator:Q", title="n", format=",")],
    )
    subtitle = ("Light bar: share of the population; dark bar: share of the outcome. A dark bar longer than the "
                "light one means the group is over-represented.")
    return _titled(chart.properties(width=CHART_WIDTH, height=alt.Step(ROW_STEP / 2)), title, subtitle)


def finding_chart(finding: Finding, comparison_label: str = "all other students") -> alt.Chart:
    """A small chart for one finding: the group's rate against the comparison's, with the group's interval."""
    group = group_noun(finding.group)
    other = comparison_label[0].upper() + comparison_label[1:]
    dimension = next(iter(finding.group))
    data = pd.DataFrame({
        "who": [group, other],
        "rate": [finding.rate, finding.comparison_rate],
        "low": [finding.rate_ci_low, np.nan],
        "high": [finding.rate_ci_high, np.nan],
        "colour_key": [finding.group[dimension], other],
        "n": [finding.denominator, np.nan],
        "count": [finding.numerator, np.nan],
    })
    scale = alt.Scale(domain=[finding.group[dimension], other],
                      range=[group_colour(dimension, finding.group[dimension]), "#BBBBBB"])
    tooltip = [alt.Tooltip("who:N", title="Group"), alt.Tooltip("rate:Q", format=".1%", title="Rate"),
               alt.Tooltip("low:Q", format=".1%", title="95% interval from"),
               alt.Tooltip("high:Q", format=".1%", title="95% interval to"),
               alt.Tooltip("count:Q", title="Students with the outcome", format=","),
               alt.Tooltip("n:Q", title="n", format=",")]
    base = alt.Chart(data).encode(y=alt.Y("who:N", title=None, sort=[group, other], axis=GROUP_AXIS))
    bars = base.mark_bar(stroke="#555555", strokeWidth=0.5).encode(
        x=alt.X("rate:Q", title=finding.indicator.label + " rate", axis=alt.Axis(format="%")),
        color=alt.Color("colour_key:N", scale=scale, legend=None),
        tooltip=tooltip,
    )
    return alt.layer(bars, *interval_layers(base, "low", "high", tooltip)).properties(width=420,
                                                                                     height=alt.Step(ROW_STEP))
