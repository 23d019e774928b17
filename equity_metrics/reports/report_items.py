"""Report items: a basket spec recomputed from the store as what a slide or a report section shows.

A `ReportItem` holds a title, the generated sentence (the same headline the app shows), the Altair chart,
the suppressed table, the notes naming every group not fully shown, a source note and the chart's alt text.
Numbers are always recomputed through `analysis`, so an item shows what the store holds now. Builders are
kept in a registry by item kind: "indicator" is registered here; another module registers its own kind
with `register_builder` (e.g. `register_builder("goal", build_goal_item)`) without editing this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import pandas as pd

from equity_metrics.charts import chart_files
from equity_metrics.charts import specs as charts
from equity_metrics.core.i18n import translator
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import DimensionError
from equity_metrics.measures.indicators import Indicator, get_indicator
from equity_metrics.measures.metrics import GAP_COLUMNS, RATE_COLUMNS, MetricOptions
from equity_metrics.narrative import findings, score_gaps, wording
from equity_metrics.narrative.findings import Finding
from equity_metrics.narrative.scope import scope
from equity_metrics.reports.basket import INDICATOR_KIND, BasketItem, IndicatorSpec
from equity_metrics.reports.export_tables import Provenance, column_label
from equity_metrics.storage.store import Store


@dataclass(frozen=True, eq=False)  # holds a frame and a chart: compared by identity
class ReportItem:
    """One finding as a report shows it. `chart` is None when nothing can be drawn (the sentence says why)."""

    kind: str
    title: str
    sentence: str
    chart: alt.TopLevelMixin | None
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    source_note: str = ""
    alt_text: str = ""
    options: MetricOptions = field(default_factory=MetricOptions)
    source: Provenance | None = None  # the datasets behind the numbers (named under a chart file)
    lang: str = "en"  # the language of its words

    @property
    def hidden_note(self) -> str:
        """'Not fully shown: group: reason · ...' (empty when every group is shown), as under the app's charts."""
        if not self.notes:
            return ""
        return translator(self.lang).gettext("Not fully shown: {groups}").format(groups=" · ".join(self.notes))

    def render(self, formats: Sequence[chart_files.Format] = chart_files.FORMATS,
               with_notes: bool = True) -> chart_files.RenderedChart | None:
        """The chart as files (with the hidden-groups note, the source note and the dataset names under it,
        unless `with_notes` is False because the page around it says them), with its alt text; None without a
        chart."""
        if self.chart is None:
            return None
        files = (translator(self.lang).gettext("Datasets: {files}.").format(files=self.source.files)
                 if self.source is not None and self.source.files else "")
        notes = (self.hidden_note, self.source_note, files) if with_notes else ()
        return chart_files.render(self.chart, self.alt_text, formats, notes)


def unavailable_item(kind: str, title: str, reason: str, source: Provenance) -> ReportItem:
    """An item whose numbers cannot be computed now (e.g. its data was deleted): the reason, no chart."""
    return ReportItem(kind, title, reason, None, source_note=source_note(source, MetricOptions()), alt_text=reason,
                      source=source)


def shared_options(items: Sequence[ReportItem]) -> MetricOptions | None:
    """The options every item used, or None when they differ (each item's source note then says its own)."""
    distinct = {item.options for item in items if item.chart is not None}
    return distinct.pop() if len(distinct) == 1 else None


def source_note(source: Provenance, options: MetricOptions, years: Sequence[str] = (), lang: str = "en") -> str:
    """Where the numbers come from (the data and the date; the file names are on the report's first page),
    which years, whom groups are compared with and the minimums that applied."""
    tr = translator(lang)
    values = {"data": source.label_in(tr), "made": tr.date(source.created), "years": ", ".join(years),
              "comparison": wording.comparison_phrase(options, "students", tr), "min_n": options.min_n,
              "min_cell": options.min_cell, "threshold": options.privacy_threshold}
    if years:
        return tr.gettext("Source: {data}, made {made}. School year {years}. Compared with {comparison}; n-size "
                          "{min_n}, cell size {min_cell}; counts under {threshold} hidden.").format(**values)
    return tr.gettext("Source: {data}, made {made}. Compared with {comparison}; n-size {min_n}, cell size "
                      "{min_cell}; counts under {threshold} hidden.").format(**values)


def _dimension_words(dimension: str) -> str:
    return column_label(dimension).lower()


def _chosen_rows(table: pd.DataFrame, group: Sequence[tuple[str, str]]) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for dimension, value in group:
        mask &= (table[dimension].astype(str) == value).to_numpy()
    return table[mask]


def _rate_sentence(indicator: Indicator, table: pd.DataFrame, dims: list[str], groups: list[str],
                   options: MetricOptions, group: Sequence[tuple[str, str]]) -> str:
    """The headline of the table, or with a chosen group, the sentence about that group."""
    if not group:
        return findings.rate_headline(indicator, table, dims, options)
    rows = _chosen_rows(table, group)
    if rows.empty:
        noun = findings.group_noun(dict(group), findings.subject_noun(indicator))
        return f"{noun}: no {indicator.label.lower()} data under these filters."
    if len(rows) == 1:
        return findings.rate_sentence(indicator, rows.iloc[0], dims, options)
    return findings.rate_headline(indicator, rows, dims, options)


def _rate_item(store: Store, spec: IndicatorSpec, title: str, source: Provenance) -> ReportItem:
    indicator, options = get_indicator(spec.indicator_id), spec.options
    result = analysis.rates(store, spec.indicator_id, spec.by, spec.filters, options)
    table, groups, units = result.table, list(result.groups), list(result.units)
    years = list(result.school_years)
    comparison, where = options.comparison_label, scope(result.filters, groups, units).where()
    if units == ["school_year"]:
        latest = table[table["school_year"].astype(str) == years[-1]]
        sentence = f"In {years[-1]}: " + _rate_sentence(indicator, latest, groups, groups, options, spec.group)
        span = f"{years[0]} to {years[-1]}" if len(years) > 1 else years[0]
        chart = charts.trend_chart(table, groups[0], indicator,
                                   f"{indicator.label} by {_dimension_words(groups[0])}: {where}")
        described = (f"Line chart of the {indicator.label.lower()} rate by {_dimension_words(groups[0])} in each "
                     f"school year, {span}, with 95% intervals")
    elif units == ["school"]:
        sentence = _rate_sentence(indicator, table, [*groups, "school"], groups, options, spec.group)
        chart = charts.heatmap_chart(table, groups[0], indicator,
                                     f"{indicator.label}: risk ratio by school and {_dimension_words(groups[0])}, "
                                     f"{where}", comparison)
        described = (f"Heatmap of the {indicator.label.lower()} risk ratio vs {comparison} by school and "
                     f"{_dimension_words(groups[0])}, {', '.join(years)}")
    else:
        sentence = _rate_sentence(indicator, table, groups, groups, options, spec.group)
        chart = charts.rate_chart(table, groups, indicator, f"{indicator.label}: {scope(result.filters, groups, units).words()}",
                                  analysis.reference_rate(result))
        described = (f"Bar chart of the {indicator.label.lower()} rate by "
                     f"{' and '.join(_dimension_words(g) for g in groups)}, {', '.join(years)}, with 95% intervals")
    shown = table[[*units, *groups, *RATE_COLUMNS]]
    return ReportItem(INDICATOR_KIND, title, sentence, chart, shown,
                      tuple(findings.suppressed_groups(table, [*groups, *units])),
                      source_note(source, options, years), f"{described}. {sentence}", options, source)


def _gap_item(store: Store, spec: IndicatorSpec, title: str, source: Provenance) -> ReportItem:
    indicator, options = get_indicator(spec.indicator_id), spec.options
    result = analysis.gaps(store, spec.indicator_id, spec.by, spec.filters, options)
    table, groups, units = result.table, list(result.groups), list(result.units)
    years, comparison = list(result.school_years), options.comparison_label
    where = scope(result.filters, groups, units).where()
    rows = _chosen_rows(table, spec.group) if spec.group else pd.DataFrame()
    if len(rows) == 1:
        sentence = score_gaps.gap_sentence(indicator, rows.iloc[0], groups, comparison)
    else:
        sentence = score_gaps.gap_headline(indicator, table, groups, comparison)
    chart = charts.gap_chart(table, groups, indicator, f"{indicator.label}: gap vs {comparison}, {where}",
                             comparison)
    described = (f"Chart of the {indicator.label.lower()} gap (Hedges' g with 95% intervals) by "
                 f"{' and '.join(_dimension_words(g) for g in groups)} vs {comparison}, {', '.join(years)}")
    columns = [*units, *groups, *GAP_COLUMNS, *(["median_gap_sd"] if "median_gap_sd" in table else [])]
    return ReportItem(INDICATOR_KIND, title, sentence, chart, table[columns],
                      tuple(findings.suppressed_groups(table, [*groups, *units])),
                      source_note(source, options, years), f"{described}. {sentence}", options, source)


def indicator_item(store: Store, spec: IndicatorSpec, source: Provenance, title: str | None = None) -> ReportItem:
    """An indicator spec recomputed: rates (bar chart; trend by year; heatmap by school) or score gaps."""
    title = title or spec.default_title()
    build = _rate_item if get_indicator(spec.indicator_id).kind == "rate" else _gap_item
    try:
        return build(store, spec, title, source)
    except (analysis.NoDataError, DimensionError, ValueError) as error:
        return unavailable_item(INDICATOR_KIND, title, str(error), source)


def build_indicator_item(store: Store, item: BasketItem, source: Provenance) -> ReportItem:
    return indicator_item(store, item.indicator_spec(), source, item.title)


def finding_item(finding: Finding, table: pd.DataFrame, options: MetricOptions, source: Provenance,
                 lang: str = "en") -> ReportItem:
    """One finding of an audit (`findings.largest_gaps`, its sentence already in `lang`): its sentence, the
    small group-vs-comparison chart and its indicator's rows of the audit table (`table`, with indicator_id and
    school_year columns)."""
    indicator, tr = finding.indicator, translator(lang)
    groups = list(finding.group)
    rows = table[(table["indicator_id"] == finding.indicator_id)
                 & (table["school_year"].astype(str) == finding.school_year)]
    noun = wording.mid_sentence(wording.group_noun(finding.group, findings.subject_noun(indicator), tr), tr)
    comparison = wording.comparison_phrase(options, "students", tr)
    described = tr.gettext("Bar chart of the {measure} rate of {group} and of {comparison}, {year}, with the "
                           "group's 95% interval").format(measure=wording.measure_words(indicator, tr), group=noun,
                                                          comparison=comparison, year=finding.school_year)
    title = tr.gettext("{domain} · {indicator}: {where}").format(
        domain=tr.term(indicator.domain), indicator=tr.term(indicator.label),
        where=wording.finding_where(finding.group, finding.school_year, tr))
    return ReportItem("finding", title, finding.sentence,
                      charts.finding_chart(finding, options.comparison_label, lang),
                      rows[[*groups, *RATE_COLUMNS]].reset_index(drop=True),
                      tuple(findings.suppressed_groups(rows, groups, lang)),
                      source_note(source, options, [finding.school_year], lang),
                      tr.gettext("{description}. {sentence}").format(description=described, sentence=finding.sentence),
                      options, source, lang)
