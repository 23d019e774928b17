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

from equity_metrics.core.constants import (
    DEFAULT_RISK_RATIO_THRESHOLD,
    DIMENSIONS,
    GROUP_COLOURS,
    OKABE_ITO,
    RACE_SHORT_LABELS,
    UNKNOWN,
    UNKNOWN_COLOUR,
)
from equity_metrics.core.i18n import translator
from equity_metrics.measures.indicators import Indicator
from equity_metrics.narrative import wording
from equity_metrics.narrative.findings import Finding, short_reason

CHART_WIDTH = 560
ROW_STEP = 30  # pixels per group row, so rows never crowd whatever the number of groups
# Trend lines: each group its own dash and marker besides its colour (in the groups' order).
TREND_DASHES: tuple[tuple[int, ...], ...] = ((1, 0), (8, 4), (2, 3), (10, 3, 2, 3), (4, 4), (12, 6), (1, 5),
                                            (6, 2, 2, 2, 2, 2))
TREND_SHAPES: tuple[str, ...] = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge",
                                 "stroke")
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
    return [base.mark_rule(color="#222222", strokeWidth=1.5).encode(x=alt.X(f"{low}:Q"), x2=alt.X2(f"{high}:Q"), tooltip=tooltip)]


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
            y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS), x=alt.value(0), text=alt.Text("reason:N"),
            tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("reason:N", title="Not shown")]))
    subtitle = "Bars: rate; black lines: 95% Wilson interval"
    if reference_rate is not None and np.isfinite(reference_rate):
        reference = pd.DataFrame({"rate": [reference_rate], "label": [f"{reference_label}: {reference_rate:.1%}"]})
        rule = alt.Chart(reference).mark_rule(strokeDash=[4, 4], color="#444444").encode(x=alt.X("rate:Q"))
        text = alt.Chart(reference).mark_text(align="left", dx=4, dy=-6, color="#444444").encode(
            x=alt.X("rate:Q"), y=alt.value(0), text=alt.Text("label:N"))
        layers += [rule, text]
        subtitle += "; dashed line: " + reference_label.lower()
    return _titled(alt.layer(*layers).properties(width=CHART_WIDTH, height=alt.Step(ROW_STEP)), title, subtitle)


def risk_ratio_chart(table: pd.DataFrame, groups: Sequence[str], title: str, comparison_label: str,
                     threshold: float | None = DEFAULT_RISK_RATIO_THRESHOLD) -> alt.Chart:
    """Each group's risk ratio with its 95% Katz interval on a log scale, with a line at 1 and, where a rule
    applies (discipline, special education), one at the disproportionality threshold (None: no such line)."""
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
    reach = threshold * 1.2 if threshold is not None else 2.0
    high = float(np.nanmax([*data["risk_ratio_ci_high"], reach])) if len(data) else reach
    log_scale = alt.Scale(type="log", domain=[max(low * 0.9, 0.01), high * 1.1])
    x = alt.X("risk_ratio:Q", title=f"Risk ratio vs {comparison_label} (log scale)", scale=log_scale)
    base = alt.Chart(data).encode(y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS))
    intervals = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("risk_ratio_ci_low:Q", scale=log_scale), x2=alt.X2("risk_ratio_ci_high:Q"),
        color=alt.Color("colour_key:N", scale=scale, legend=None), tooltip=tooltip)
    points = base.mark_point(filled=True, size=90).encode(
        x=x, color=alt.Color("colour_key:N", scale=scale, legend=None), tooltip=tooltip)
    lines = pd.DataFrame({"risk_ratio": [1.0], "label": ["1 = same rate"]})
    if threshold is not None:
        lines = pd.DataFrame({"risk_ratio": [1.0, threshold],
                              "label": ["1 = same rate", f"{threshold:g} = disproportionality threshold"]})
    rules = alt.Chart(lines).mark_rule(strokeDash=[4, 4], color="#444444").encode(x=alt.X("risk_ratio:Q"))
    labels = alt.Chart(lines).mark_text(align="left", dx=4, dy=-6, color="#444444").encode(
        x=alt.X("risk_ratio:Q"), y=alt.value(0), text=alt.Text("label:N"))
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


def finding_chart(finding: Finding, comparison_label: str = "all other students", lang: str = "en") -> alt.Chart:
    """A small chart for one finding: the group's rate against the comparison's, with the group's interval
    (its words in `lang`; `comparison_label` is the English one, translated here)."""
    tr = translator(lang)
    group = wording.group_noun(finding.group, "students", tr)
    other = wording.capitalized(comparison_label if tr.english else
                                tr.gettext("all other {noun}").format(noun=tr.term("students"))
                                if comparison_label == "all other students" else tr.term(comparison_label))
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
    tooltip = [alt.Tooltip("who:N", title=tr.gettext("Group")),
               alt.Tooltip("rate:Q", format=".1%", title=tr.gettext("Rate")),
               alt.Tooltip("low:Q", format=".1%", title=tr.gettext("95% interval from")),
               alt.Tooltip("high:Q", format=".1%", title=tr.gettext("95% interval to")),
               alt.Tooltip("count:Q", title=tr.gettext("Students with the outcome"), format=","),
               alt.Tooltip("n:Q", title="n", format=",")]
    base = alt.Chart(data).encode(y=alt.Y("who:N", title=None, sort=[group, other], axis=GROUP_AXIS))
    bars = base.mark_bar(stroke="#555555", strokeWidth=0.5).encode(
        x=alt.X("rate:Q", title=tr.gettext("{indicator} rate").format(indicator=tr.term(finding.indicator.label)),
                axis=alt.Axis(format="%")),
        color=alt.Color("colour_key:N", scale=scale, legend=None),
        tooltip=tooltip,
    )
    return alt.layer(bars, *interval_layers(base, "low", "high", tooltip)).properties(width=420,
                                                                                     height=alt.Step(ROW_STEP))


def gap_tooltip(indicator: Indicator, comparison_label: str) -> list[alt.Tooltip]:
    """The tooltip of a score-gap mark: the group, both means, the difference, Hedges' g with its interval, n."""
    unit = f" ({indicator.unit})" if indicator.unit else ""
    return [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("mean:Q", title=f"Mean{unit}", format=",.1f"),
        alt.Tooltip("comparison_mean:Q", title=f"Mean of {comparison_label}", format=",.1f"),
        alt.Tooltip("mean_difference:Q", title=f"Difference{unit}", format="+,.1f"),
        alt.Tooltip("hedges_g:Q", title="Hedges' g", format="+.2f"),
        alt.Tooltip("hedges_g_ci_low:Q", title="95% interval from", format="+.2f"),
        alt.Tooltip("hedges_g_ci_high:Q", title="95% interval to", format="+.2f"),
        alt.Tooltip("n:Q", title=f"n ({indicator.population_label})", format=","),
    ]


def gap_chart(table: pd.DataFrame, groups: Sequence[str], indicator: Indicator, title: str,
              comparison_label: str) -> alt.Chart:
    """Each group's Hedges' g vs the comparison with its 95% interval, and a line at 0 (no gap); the
    tooltip carries the mean difference in the indicator's unit and n. Hidden groups are not drawn."""
    data = chart_frame(table, groups)
    data = data[np.isfinite(data["hedges_g"].astype("float64"))]
    order = list(data["group"])
    scale = colour_scale(groups[0], list(data["colour_key"]))
    tooltip = gap_tooltip(indicator, comparison_label)
    base = alt.Chart(data).encode(y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS))
    x = alt.X("hedges_g:Q", title=f"Hedges' g vs {comparison_label} (below 0: lower mean)")
    intervals = base.mark_rule(strokeWidth=2, color="#222222").encode(
        x=alt.X("hedges_g_ci_low:Q"), x2=alt.X2("hedges_g_ci_high:Q"), tooltip=tooltip)
    points = base.mark_point(filled=True, size=110, stroke="#222222", strokeWidth=0.7).encode(
        x=x, color=alt.Color("colour_key:N", scale=scale, legend=None), tooltip=tooltip)
    zero = pd.DataFrame({"hedges_g": [0.0], "label": ["0 = same mean"]})
    rule = alt.Chart(zero).mark_rule(strokeDash=[4, 4], color="#444444").encode(x=alt.X("hedges_g:Q"))
    text = alt.Chart(zero).mark_text(align="left", dx=4, dy=-6, color="#444444").encode(
        x=alt.X("hedges_g:Q"), y=alt.value(0), text=alt.Text("label:N"))
    return _titled(alt.layer(intervals, points, rule, text).properties(width=CHART_WIDTH, height=alt.Step(ROW_STEP)),
                   title, "Dots: standardized mean difference (Hedges' g); lines: 95% interval")


def trend_chart(table: pd.DataFrame, dimension: str, indicator: Indicator, title: str) -> alt.Chart:
    """Each group's rate by school year (one line per group, its colour everywhere) with its 95% interval as
    a band. Only shown (not suppressed) values are drawn; hidden years leave a gap in the line."""
    data = chart_frame(table, [dimension])
    data = data[np.isfinite(data["rate"].astype("float64"))]
    keys = list(dict.fromkeys(data["colour_key"]))
    scale = colour_scale(dimension, keys)
    years = sorted(table["school_year"].astype(str).unique())
    tooltip = [
        alt.Tooltip("group:N", title="Group"), alt.Tooltip("school_year:N", title="School year"),
        alt.Tooltip("rate:Q", title="Rate", format=".1%"),
        alt.Tooltip("rate_ci_low:Q", title="95% interval from", format=".1%"),
        alt.Tooltip("rate_ci_high:Q", title="95% interval to", format=".1%"),
        alt.Tooltip("risk_ratio:Q", title="Risk ratio", format=".2f"),
        alt.Tooltip("numerator:Q", title="Students with the outcome", format=","),
        alt.Tooltip("denominator:Q", title=f"n ({indicator.population_label})", format=","),
    ]
    x = alt.X("school_year:N", sort=years, title="School year", axis=alt.Axis(labelAngle=0))
    legend = alt.Legend(orient="right", labelExpr=_legend_labels(dimension, keys), labelLimit=260, symbolSize=140,
                        symbolStrokeWidth=2.5, symbolOpacity=1)
    colour = alt.Color("colour_key:N", scale=scale, title=None, legend=legend)
    # Colour, dash and marker each tell the groups apart (two blues side by side stay two lines), one legend.
    dash = alt.StrokeDash("colour_key:N", title=None, legend=legend,
                          scale=alt.Scale(domain=keys, range=[TREND_DASHES[i % len(TREND_DASHES)]
                                                              for i in range(len(keys))]))
    shape = alt.Shape("colour_key:N", title=None, legend=legend,
                      scale=alt.Scale(domain=keys, range=[TREND_SHAPES[i % len(TREND_SHAPES)]
                                                          for i in range(len(keys))]))
    base = alt.Chart(data).encode(x=x, color=colour, detail=alt.Detail("group:N"))
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("rate_ci_low:Q"), y2=alt.Y2("rate_ci_high:Q"), tooltip=tooltip)
    y = alt.Y("rate:Q", title=f"{indicator.label} rate", axis=alt.Axis(format="%"))
    line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=70), strokeWidth=2.5).encode(
        y=y, strokeDash=dash, shape=shape, tooltip=tooltip)
    # One legend: colour, dash and marker share the field, its labels and its title.
    chart = alt.layer(band, line)
    return _titled(chart.properties(width=CHART_WIDTH, height=320), title,
                   "Lines: rate in each school year (each group its own colour, dash and marker); shaded bands: "
                   "95% Wilson interval")


def association_chart(summary: pd.DataFrame, title: str, dimension_label: str) -> alt.Chart:
    """Cramér's V by school year (how much the group dimension predicts the outcome: 0 none, 1 fully), one
    line; tooltips with the students, groups, chi-square and p. Years with no figure leave a gap."""
    data = summary[np.isfinite(summary["cramers_v"].astype("float64"))].copy()
    data["school_year"] = data["school_year"].astype(str)
    tooltip = [alt.Tooltip("school_year:N", title="School year"),
               alt.Tooltip("cramers_v:Q", title="Cramér's V", format=".3f"),
               alt.Tooltip("students:Q", title="n (students)", format=","),
               alt.Tooltip("groups:Q", title="Groups compared"),
               alt.Tooltip("chi_square:Q", title="Chi-square", format=",.1f"),
               alt.Tooltip("p_value:Q", title="p", format=".2g")]
    years = sorted(summary["school_year"].astype(str).unique())
    chart = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(filled=True, size=60), strokeWidth=2.5,
                                      color="#555555").encode(
        x=alt.X("school_year:N", sort=years, title="School year", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cramers_v:Q", title=f"Cramér's V ({dimension_label})", scale=alt.Scale(domainMin=0)),
        tooltip=tooltip)
    return _titled(chart.properties(width=CHART_WIDTH, height=220), title,
                   "0: the group tells nothing about the outcome; larger: the group predicts it more")


def _legend_labels(dimension: str, values: Sequence[str]) -> str:
    """A Vega expression showing a value's short label in the legend (the colour key is the full value)."""
    cases = " : ".join(f"datum.label === {_js(v)} ? {_js(_label(dimension, v))}" for v in values)
    return f"{cases} : datum.label" if cases else "datum.label"


def _js(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


HEATMAP_SCHEME = "blueorange"  # diverging, colour-blind safe; blue below 1, orange above
HIDDEN_CELL = "#BDBDBD"


def heatmap_chart(table: pd.DataFrame, dimension: str, indicator: Indicator, title: str,
                  comparison_label: str) -> alt.Chart:
    """School x group cells coloured by risk ratio (log scale, diverging around 1). Suppressed cells are grey
    with the text 'hidden'; shown cells without a ratio are light grey with 'no ratio'. Never blank."""
    frame = table.copy()
    frame["group"] = group_labels(frame, [dimension])
    hidden = frame["suppressed"].astype(bool).to_numpy()
    ratio = frame["risk_ratio"].astype("float64").to_numpy()
    frame["status"] = np.where(hidden, "hidden", np.where(np.isfinite(ratio), "ratio", "no ratio"))
    frame["cell_text"] = np.where(hidden, "hidden", np.where(np.isfinite(ratio), [f"{r:.2f}" for r in ratio],
                                                             "no ratio"))
    frame["reason"] = [note or ("" if s == "ratio" else "not compared") for note, s in zip(frame["note"],
                                                                                              frame["status"],
                                                                                              strict=True)]
    group_order = list(dict.fromkeys(frame["group"]))
    school_order = list(dict.fromkeys(frame["school"].astype(str)))
    tooltip = [
        alt.Tooltip("school:N", title="School"), alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("denominator:Q", title=f"n ({indicator.population_label})", format=","),
        alt.Tooltip("numerator:Q", title="Students with the outcome", format=","),
        alt.Tooltip("rate:Q", title="Rate", format=".1%"),
        alt.Tooltip("risk_ratio:Q", title=f"Risk ratio vs {comparison_label}", format=".2f"),
        alt.Tooltip("risk_ratio_ci_low:Q", title="RR 95% interval from", format=".2f"),
        alt.Tooltip("risk_ratio_ci_high:Q", title="RR 95% interval to", format=".2f"),
        alt.Tooltip("reason:N", title="Note"),
    ]
    finite = ratio[np.isfinite(ratio) & (ratio > 0)]
    reach = float(np.max(np.abs(np.log(finite)))) if len(finite) else np.log(2.0)
    reach = max(reach, np.log(1.5))
    base = alt.Chart(frame).encode(
        x=alt.X("group:N", sort=group_order, title=None,
                axis=alt.Axis(labelAngle=-25, labelLimit=220, orient="top", labelOverlap=False, labelFontSize=12,
                              labelColor="#222222", labelAlign="left")),
        y=alt.Y("school:N", sort=school_order, title=None, axis=GROUP_AXIS),
    )
    grey = base.transform_filter("datum.status !== 'ratio'").mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("status:N", scale=alt.Scale(domain=["hidden", "no ratio"], range=[HIDDEN_CELL, "#EEEEEE"]),
                        legend=alt.Legend(title="No colour", orient="bottom")),
        tooltip=tooltip)
    coloured = base.transform_filter("datum.status === 'ratio'").mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("risk_ratio:Q", title=f"Risk ratio vs {comparison_label}",
                        scale=alt.Scale(type="log", scheme=HEATMAP_SCHEME, domainMid=1,
                                        domain=[float(np.exp(-reach)), float(np.exp(reach))]),
                        legend=alt.Legend(orient="bottom", format=".2f", gradientLength=260,
                                          values=[float(np.exp(-reach)), 1.0, float(np.exp(reach))])),
        tooltip=tooltip)
    dark = f"datum.status === 'ratio' && abs(log(datum.risk_ratio)) > {0.6 * reach:.6f}"
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("cell_text:N"), color=alt.condition(dark, alt.value("white"), alt.value("#111111")), tooltip=tooltip)
    chart = alt.layer(grey, coloured, text).resolve_scale(color="independent").properties(
        width=alt.Step(104), height=alt.Step(34))
    return _titled(chart, title, f"Cell colour: risk ratio vs {comparison_label} in the same school (orange: higher, "
                                 "blue: lower, on a log scale); grey: hidden to protect privacy or too few students")


def share_comparison_chart(frame: pd.DataFrame, dimension: str, measures: dict[str, str], title: str,
                           subtitle: str = "") -> alt.Chart:
    """Two or more shares per group side by side (e.g. share of staff vs share of students): `measures` maps a
    column of `frame` to its label. Lighter bar first; the group colour throughout."""
    labels = list(measures.values())
    long = pd.concat([
        frame.assign(measure=label, share=frame[column].astype("float64")) for column, label in measures.items()
    ])
    long = long[np.isfinite(long["share"])]
    long["group"] = [_label(dimension, str(v)) for v in long[dimension]]
    long["colour_key"] = long[dimension].astype(str)
    order = list(dict.fromkeys(long["group"]))
    scale = alt.Scale(domain=list(dict.fromkeys(long["colour_key"])),
                      range=[group_colour(dimension, v) for v in dict.fromkeys(long["colour_key"])])
    chart = alt.Chart(long).mark_bar(stroke="#555555", strokeWidth=0.5).encode(
        y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS),
        yOffset=alt.YOffset("measure:N", sort=labels),
        x=alt.X("share:Q", title="Share", axis=alt.Axis(format="%")),
        color=alt.Color("colour_key:N", scale=scale, legend=None),
        opacity=alt.Opacity("measure:N", sort=labels, scale=alt.Scale(range=[0.35, 1.0]),
                            legend=alt.Legend(title=None, orient="bottom", labelLimit=0, symbolFillColor="#555555")),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")],
    )
    return _titled(chart.properties(width=CHART_WIDTH, height=alt.Step(ROW_STEP / 2)), title, subtitle)


def impact_ratio_chart(table: pd.DataFrame, dimension: str, title: str, threshold: float = 0.8) -> alt.Chart:
    """Four-fifths rule: each group's impact ratio per selection stage (rows: stage · group), with a line at
    the threshold. `table` has columns stage, the dimension, impact_ratio, rate, numerator, denominator."""
    data = table[np.isfinite(table["impact_ratio"].astype("float64"))].copy()
    data["group"] = [f"{stage} · {_label(dimension, str(v))}" for stage, v in zip(data["stage"], data[dimension],
                                                                                  strict=True)]
    data["colour_key"] = data[dimension].astype(str)
    order = list(data["group"])
    scale = colour_scale(dimension, list(data["colour_key"]))
    tooltip = [alt.Tooltip("group:N", title="Stage · group"),
               alt.Tooltip("impact_ratio:Q", title="Impact ratio", format=".2f"),
               alt.Tooltip("rate:Q", title="Selection rate", format=".1%"),
               alt.Tooltip("numerator:Q", title="Selected", format=","),
               alt.Tooltip("denominator:Q", title="n (applicants at this stage)", format=",")]
    bars = alt.Chart(data).mark_bar(stroke="#555555", strokeWidth=0.5).encode(
        y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS),
        x=alt.X("impact_ratio:Q", title="Selection rate / highest group's rate", scale=alt.Scale(domain=[0, 1.05])),
        color=alt.Color("colour_key:N", scale=scale, legend=None), tooltip=tooltip)
    line = pd.DataFrame({"x": [threshold], "label": [f"{threshold:g} = four-fifths line"]})
    rule = alt.Chart(line).mark_rule(strokeDash=[4, 4], color="#444444").encode(x=alt.X("x:Q"))
    text = alt.Chart(line).mark_text(align="left", dx=4, dy=-6, color="#444444").encode(
        x=alt.X("x:Q"), y=alt.value(0), text=alt.Text("label:N"))
    return _titled(alt.layer(bars, rule, text).properties(width=CHART_WIDTH, height=alt.Step(22)), title,
                   "Bars below the line: adverse impact is indicated (EEOC four-fifths rule)")


def faceted_rate_chart(table: pd.DataFrame, facet: str, groups: Sequence[str], indicator: Indicator,
                       title: str) -> alt.Chart:
    """One rate chart per value of `facet` (e.g. each survey construct), stacked, each group in its colour."""
    panels = [rate_chart(table[table[facet] == value], groups, indicator, f"{value}")
              for value in dict.fromkeys(table[facet])]
    # Each panel keeps its own colour scale: a shared one would paint every panel with the first panel's
    # colours whenever the panels show different groups.
    return alt.vconcat(*panels, spacing=28).resolve_scale(x="shared", color="independent").properties(
        title=alt.TitleParams(wrap_title(title), anchor="start", fontSize=15))


def _brief_reason(note: str) -> str:
    """One word for a narrow panel's row that is not drawn."""
    reason = short_reason(note)
    return "hidden" if "privacy" in reason else "too few" if "too few" in reason else "not shown"


STAGE_PANEL_WIDTH = 150


def staged_rate_chart(table: pd.DataFrame, groups: Sequence[str], title: str, population_label: str,
                      subtitle: str = "") -> alt.HConcatChart:
    """One panel per stage (columns `stage_label`, in order), one row per group: the rate with its 95%
    interval, each panel on its own scale, so a group is read across the stages. Rows not drawn say why."""
    labels = list(dict.fromkeys(table["stage_label"]))
    first = table[table["stage_label"] == labels[0]] if labels else table
    order = group_labels(first, groups)
    panels = []
    for index, label in enumerate(labels):
        part = table[table["stage_label"] == label]
        data = chart_frame(part, groups)
        hidden = hidden_frame(part, groups).assign(reason=[_brief_reason(n) for n in
                                                           part.loc[part["suppressed"].astype(bool), "note"]])
        axis = GROUP_AXIS if index == 0 else None
        y = alt.Y("group:N", sort=order, title=None, axis=axis)
        tooltip = [
            alt.Tooltip("group:N", title="Group"), alt.Tooltip("stage_label:N", title="Stage"),
            alt.Tooltip("rate:Q", title="Rate", format=".1%"),
            alt.Tooltip("rate_ci_low:Q", title="95% interval from", format=".1%"),
            alt.Tooltip("rate_ci_high:Q", title="95% interval to", format=".1%"),
            alt.Tooltip("numerator:Q", title="Students at this stage", format=","),
            alt.Tooltip("denominator:Q", title=f"n ({population_label})", format=","),
        ]
        high = float(np.nanmax([*data["rate_ci_high"].astype("float64"), 0.01])) if len(data) else 0.01
        x = alt.X("rate:Q", title=label, axis=alt.Axis(format="%", tickCount=3), scale=alt.Scale(domain=[0, high]))
        base = alt.Chart(data).encode(y=y)
        bars = base.mark_bar(opacity=0.9, stroke="#555555", strokeWidth=0.5).encode(
            x=x, color=alt.Color("colour_key:N", scale=colour_scale(groups[0], list(data["colour_key"])), legend=None),
            tooltip=tooltip)
        layers = [bars, *interval_layers(base, "rate_ci_low", "rate_ci_high", tooltip)]
        if not hidden.empty:
            layers.append(alt.Chart(hidden).mark_text(align="left", dx=4, color="#555555", fontStyle="italic").encode(
                y=y, x=alt.value(0), text=alt.Text("reason:N"),
                tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("reason:N", title="Not shown")]))
        panels.append(alt.layer(*layers).properties(width=STAGE_PANEL_WIDTH, height=alt.Step(ROW_STEP)))
    chart = alt.hconcat(*panels, spacing=10).resolve_scale(x="independent", color="independent")
    return _titled(chart, title, subtitle or "Bars: rate at each stage; black lines: 95% Wilson interval; each panel "
                                             "has its own scale")


def distribution_chart(table: pd.DataFrame, groups: Sequence[str], indicator: Indicator, title: str) -> alt.Chart:
    """A box plot per group drawn from percentiles only: box from the 25th to the 75th, line from the 10th to
    the 90th, a dark tick at the median. No individual score, no minimum or maximum; hidden groups say why."""
    data = chart_frame(table, groups)
    data = data[np.isfinite(data["median"].astype("float64"))]
    hidden = hidden_frame(table, groups)
    order = group_labels(table, groups)
    scale = colour_scale(groups[0], list(data["colour_key"]))
    unit = f" ({indicator.unit})" if indicator.unit else ""
    tooltip = [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("n:Q", title=f"n ({indicator.population_label})", format=","),
        alt.Tooltip("p90:Q", title="90th percentile", format=",.1f"),
        alt.Tooltip("p75:Q", title="75th percentile", format=",.1f"),
        alt.Tooltip("median:Q", title="Median", format=",.1f"),
        alt.Tooltip("p25:Q", title="25th percentile", format=",.1f"),
        alt.Tooltip("p10:Q", title="10th percentile", format=",.1f"),
    ]
    x_scale = alt.Scale(zero=False, nice=True)
    y = alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS)
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    whiskers = base.mark_rule(color="#222222", strokeWidth=1.5).encode(
        x=alt.X("p10:Q", title=f"{indicator.label}{unit}", scale=x_scale), x2=alt.X2("p90:Q"))
    boxes = base.mark_bar(size=ROW_STEP * 0.6, stroke="#444444", strokeWidth=0.7).encode(
        x=alt.X("p25:Q", scale=x_scale), x2=alt.X2("p75:Q"), color=alt.Color("colour_key:N", scale=scale, legend=None))
    medians = base.mark_tick(color="#111111", thickness=2.5, size=ROW_STEP * 0.75).encode(x=alt.X("median:Q",
                                                                                               scale=x_scale))
    layers = [whiskers, boxes, medians]
    if not hidden.empty:
        layers.append(alt.Chart(hidden).mark_text(align="left", dx=4, color="#555555", fontStyle="italic").encode(
            y=y, x=alt.value(0), text=alt.Text("reason:N"),
            tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("reason:N", title="Not shown")]))
    return _titled(alt.layer(*layers).properties(width=CHART_WIDTH, height=alt.Step(ROW_STEP)), title,
                   "Box: middle half of scores (25th to 75th percentile); line: 10th to 90th percentile; dark tick: "
                   "median. Individual, lowest and highest scores are never shown.")


def unit_gap_chart(table: pd.DataFrame, unit: str, groups: Sequence[str], indicator: Indicator, title: str,
                   comparison_label: str) -> alt.HConcatChart:
    """Gaps compared within each school or grade: one panel per group (its colour, its name on top), one row
    per school or grade, Hedges' g with its 95% interval and a line at 0, on one shared scale."""
    data = chart_frame(table, groups)
    data = data[np.isfinite(data["hedges_g"].astype("float64"))].copy()
    data["place"] = [f"Grade {v}" if unit == "grade" else str(v) for v in data[unit]]
    places = list(dict.fromkeys(f"Grade {v}" if unit == "grade" else str(v) for v in table[unit]))
    panel_groups = list(dict.fromkeys(data["group"]))
    tooltip = [alt.Tooltip("place:N", title=unit.capitalize()), *gap_tooltip(indicator, comparison_label)]
    low = float(np.nanmin([*data["hedges_g_ci_low"].astype("float64"), -0.5]))
    high = float(np.nanmax([*data["hedges_g_ci_high"].astype("float64"), 0.5]))
    x_scale = alt.Scale(domain=[low, high], nice=True)
    panels = []
    for index, group in enumerate(panel_groups):
        part = data[data["group"] == group]
        colour = group_colour(groups[0], str(part["colour_key"].iloc[0]))
        y = alt.Y("place:N", sort=places, title=None, axis=GROUP_AXIS if index == 0 else alt.Axis(labels=False,
                                                                                                ticks=False))
        base = alt.Chart(part).encode(y=y, tooltip=tooltip)
        intervals = base.mark_rule(strokeWidth=2, color="#222222").encode(x=alt.X("hedges_g_ci_low:Q", scale=x_scale),
                                                                          x2=alt.X2("hedges_g_ci_high:Q"))
        points = base.mark_point(filled=True, size=90, stroke="#222222", strokeWidth=0.7, color=colour,
                                 opacity=1).encode(x=alt.X("hedges_g:Q", title="Hedges' g", scale=x_scale))
        zero = alt.Chart(pd.DataFrame({"hedges_g": [0.0]})).mark_rule(strokeDash=[4, 4], color="#444444").encode(
            x=alt.X("hedges_g:Q", scale=x_scale))
        panels.append(alt.layer(intervals, points, zero).properties(
            width=STAGE_PANEL_WIDTH, height=alt.Step(ROW_STEP * 0.8), title=alt.TitleParams(group, fontSize=12)))
    chart = alt.hconcat(*panels, spacing=8).resolve_scale(y="shared")
    return _titled(chart, title, f"Dots: Hedges' g vs {comparison_label} of the same {unit} (below 0: lower mean); "
                                 "lines: 95% interval; dashed line: no gap")


def intersection_chart(table: pd.DataFrame, facet: str, groups: Sequence[str], indicator: Indicator,
                       title: str) -> alt.VConcatChart:
    """Intersections (race x sex): one rate panel per value of `facet`, each group in its own fixed colour."""
    return faceted_rate_chart(table, facet, groups, indicator, title)
