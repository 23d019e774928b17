"""View components shared by every page: the indicator view, findings, notes and empty states.

The indicator view is the one pattern every domain page uses: indicator picker -> headline sentence ->
charts -> table with intervals and suppression notes -> download. Pages only choose which indicators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from equity_metrics.charts import specs as charts
from equity_metrics.core.constants import (
    DEFAULT_RISK_RATIO_THRESHOLD,
    DIMENSIONS,
    GROUP_DIMENSIONS,
    RACE_LABELS,
    UNKNOWN,
)
from equity_metrics.measures import adjusted, adjusted_gaps
from equity_metrics.measures.analysis import NoDataError, Result, reference_rate
from equity_metrics.measures.indicators import INDICATORS, Indicator
from equity_metrics.measures.metrics import ALL_OTHERS, GAP_COLUMNS, MetricOptions, rate_columns
from equity_metrics.narrative import discipline_stages, findings, score_distribution, score_gaps, wording
from equity_metrics.narrative.scope import Scope, scope
from equity_metrics.reports.export_tables import COLUMN_LABELS, P_VALUE_COLUMNS, screen_format, table_csv_bytes
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store, StoreError
from views.cache import (
    cached,
    cached_distribution,
    cached_gaps,
    cached_gaps_within,
    cached_indicators_with_data,
    cached_rates,
    cached_stages,
)
from views.chart_output import show_chart
from views.exports import export_menu, file_stem, finding_basket_button
from views.language import current_language, tr
from views.state import ViewState
from views.text import escape_markdown

T = TypeVar("T")

_COLUMN_LABELS = COLUMN_LABELS


def data_source_banner(store: Store, compact: bool = False) -> None:
    """Say plainly when the numbers come from the synthetic sample district, or mix it with real files; with
    `compact` (a slide on a projector), in one short line."""
    gettext = tr().gettext
    label = gettext("Sample data (synthetic)")
    if compact and store.holds_sample():
        mixed = "" if store.holds_only_sample() else gettext("mixed with your files, ")
        st.caption(gettext("**{sample}**: {mixed}invented students in an invented district.").format(sample=label,
                                                                                                      mixed=mixed))
    elif store.holds_only_sample():
        st.info(gettext("**{sample}.** These are invented students in an invented district, made to show how the "
                        "tool works. Load your own files on the Data page.").format(sample=label),
                icon=":material/science:")
    elif store.holds_sample():
        st.warning(gettext("**Mixed data: your files and the {sample}.** The numbers combine invented students "
                           "with yours. Remove the sample district on the Data page.").format(sample=label.lower()),
                   icon=":material/warning:")


def empty_state(message: str) -> None:
    """An empty state: `message` is the app's own Markdown (escape any data in it)."""
    st.info(message, icon=":material/upload_file:")


def indicator_picker(store: Store, indicator_ids: Sequence[str], key: str, first: str | None = None
                     ) -> Indicator | None:
    """A select box of the given indicators that have data, opening on `first` when it has data (the page's
    headline measure); None (with an empty state) when none has."""
    with_data = set(cached(cached_indicators_with_data, store))
    available = [INDICATORS[i] for i in indicator_ids if i in with_data]
    if not available:
        return None
    index = next((n for n, i in enumerate(available) if i.id == first), 0)
    chosen = st.selectbox("Indicator", available, index=index, key=key, format_func=lambda i: i.label)
    st.caption(chosen.description or describe(chosen))
    return chosen


def describe(indicator: Indicator) -> str:
    """A one-line definition for an indicator without a written description."""
    if indicator.kind == "mean":
        return f"Mean {indicator.event} of {indicator.population_label}, compared between groups."
    event = "are " + indicator.event.removeprefix("be ") if indicator.event.startswith("be ") else indicator.event
    return f"Share of {indicator.population_label} who {event}."


def dimension_label(dimension: str) -> str:
    """'race' -> 'Race/ethnicity'; a dimension outside the student-group list (e.g. a survey construct) by name."""
    return DIMENSIONS[dimension].label if dimension in DIMENSIONS else dimension.replace("_", " ").capitalize()


def guarded(call: Callable[[], T]) -> T | None:
    """Run a library call; a missing file, an impossible comparison or a stopped query becomes a message."""
    try:
        return call()
    except NoDataError as error:
        empty_state(escape_markdown(error))
    except ValueError as error:  # e.g. a comparison group absent under these filters
        st.warning(escape_markdown(error))
    except StoreError as error:  # e.g. a query stopped at its time limit
        st.error(escape_markdown(error))
    return None


def rates_result(store: Store, state: ViewState, indicator: Indicator) -> Result | None:
    return guarded(lambda: cached(cached_rates, store, indicator.id, state.by, state.filters,
                                        state.options))


def for_source(state: ViewState, source: str) -> ViewState:
    """The sidebar state, split by race when the source cannot be split by the chosen student groups (staff
    and applicants have no disability or income flag); says so when it changes anything."""
    if state.dimension in SOURCES[source].dimensions:
        return state
    st.caption(f"{SOURCES[source].unit.capitalize()} cannot be split by {dimension_label(state.dimension).lower()}: "
               "shown by race/ethnicity, compared with all other groups.")
    return replace(state, dimension="race", comparison=ALL_OTHERS)


def enrollment_indicator(store: Store) -> str | None:
    """A student-year rate indicator with data whose population is every enrolled student (its shares of the
    population are the enrollment shares), or None."""
    with_data = set(cached(cached_indicators_with_data, store))
    return next((i.id for i in INDICATORS.values() if i.source == "student_year" and i.kind == "rate"
                 and i.population == "TRUE" and i.id in with_data), None)


def rate_indicator_ids(domains: Sequence[str] | None = None) -> list[str]:
    """Every rate indicator of the given domains (all domains when None), in catalog order."""
    return [i.id for i in INDICATORS.values() if i.kind == "rate" and (domains is None or i.domain in domains)]


def suppression_note(result: Result) -> None:
    """Name every group that is not fully shown, and why."""
    note = hidden_note(result)
    if note:
        st.caption(escape_markdown(note))


def display_table(result: Result) -> pd.DataFrame:
    """The result table with readable column names (values unchanged, already suppressed)."""
    columns = [*result.units, *result.groups, *rate_columns(result.table)]
    table = result.table[columns].rename(columns={**_COLUMN_LABELS, **{d: dimension_label(d) for d in
                                                                         (*result.units, *result.groups)}})
    return table


def styled(frame: pd.DataFrame, columns: Mapping[str, str], extra: Mapping[str, Callable[[float], str]] | None = None
           ) -> Styler:
    """A table as the reader sees it: blank where a value is hidden or not calculated (the note says why), and
    each number in its column's format (`export_tables.screen_format`: '10.7%', '+3.2 pts', '1,387', '< 0.001');
    `columns` maps the shown column names to the library's, `extra` gives formats by shown name."""
    formats = {shown: screen_format(column) for shown, column in columns.items() if shown in frame.columns}
    formats.update(extra or {})
    numeric = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c]) and c not in formats]
    formats.update({c: _count_text for c in numeric})
    return frame.style.format(na_rep="").format({c: f for c, f in formats.items() if f is not None}, na_rep="")


def _count_text(value: float) -> str:
    return f"{value:,.0f}"


def show_frame(frame: pd.DataFrame, key: str, file_name: str, labels: Mapping[str, str],
               percent: Sequence[str] = (), decimals: Mapping[str, str] | None = None) -> None:
    """Any derived table (already built from suppressed results): readable names, formats and a download."""
    shown = frame[[c for c in labels if c in frame.columns]].rename(columns=dict(labels))
    extra: dict[str, Callable[[float], str]] = {labels[c]: _percent_text for c in percent if c in labels}
    extra.update({labels[c]: _printf(f) for c, f in (decimals or {}).items()
                  if c in labels and c not in P_VALUE_COLUMNS})  # p-values read '< 0.001' everywhere
    names = {labels[c]: c for c in labels if c in frame.columns}
    st.dataframe(styled(shown, names, extra), hide_index=True, key=f"{key}_table", placeholder="")
    st.download_button("Download table (CSV)", data=table_csv_bytes(frame), file_name=file_name,
                       mime="text/csv", on_click="ignore", key=f"{key}_download", icon=":material/download:")


def _percent_text(value: float) -> str:
    return f"{value:.1%}"


def _printf(spec: str) -> Callable[[float], str]:
    return lambda value: spec % value


def show_table(result: Result, key: str) -> None:
    columns = [*result.units, *result.groups, *rate_columns(result.table)]
    table = display_table(result)
    names = dict(zip(table.columns, columns, strict=True))
    st.dataframe(styled(table, names), hide_index=True, key=f"{key}_table", placeholder="")
    st.download_button("Download table (CSV)", data=table_csv_bytes(result.table),
                       file_name=f"{file_stem(result)}.csv", mime="text/csv",
                       on_click="ignore", key=f"{key}_download", icon=":material/download:")


def result_scope(result: Result | Any) -> Scope:
    """What a result shows (school or district, grades, years, groups); any result with `filters`, `groups`
    and `units`."""
    return scope(result.filters, result.groups, result.units)


def scope_caption(result: Result | Any) -> None:
    """One line under a headline: 'Maple Grove Middle, grades 6-8, 2024-25, by race/ethnicity'."""
    st.caption(escape_markdown(result_scope(result).words()))


def hidden_note(result: Result) -> str:
    """'Not fully shown: group: reason · ...' for the groups of a result that are hidden (empty when none)."""
    notes = findings.suppressed_groups(result.table, result.groups)
    return "Not fully shown: " + " · ".join(notes) if notes else ""


def rate_charts(result: Result, key: str, threshold: float | None = DEFAULT_RISK_RATIO_THRESHOLD,
                store: Store | None = None) -> None:
    """Headline, rate chart, risk-ratio chart and composition chart for one rate result; with the store, the
    export menu (table, rate chart, add to report)."""
    indicator, groups, options = result.indicator, list(result.groups), result.options
    title = findings.rate_headline(indicator, result.table, groups, options)
    show_headline(title)
    scope_caption(result)
    year = result_scope(result).words()
    rate = charts.rate_chart(result.table, groups, indicator, f"{indicator.label}: {year}",
                             reference_rate(result))
    show_chart(rate, key=f"{key}_rate_chart", alt=title)
    ratio = charts.risk_ratio_chart(result.table, groups, f"Risk ratio vs {options.comparison_label}, {year}",
                                    options.comparison_label, threshold)
    show_chart(ratio, key=f"{key}_ratio_chart", alt=f"Risk ratios of {indicator.label.lower()} by group")
    composition = charts.composition_chart(
        result.table, groups, indicator, f"Share of {indicator.population_label} vs share of "
        f"{indicator.label.lower()}, {year}")
    show_chart(composition, key=f"{key}_composition_chart",
                    alt=f"Share of enrollment and share of {indicator.label.lower()} by group")
    suppression_note(result)
    if store is not None:
        export_menu(store, result, key, rate, title, [hidden_note(result)])


def show_headline(sentence: str) -> None:
    """A generated sentence (it may name schools and groups from the data) as the view's heading."""
    st.markdown(f"#### {escape_markdown(sentence)}")


def indicator_view(store: Store, state: ViewState, indicator_ids: Sequence[str], key: str,
                   empty_message: str, threshold: float | None = DEFAULT_RISK_RATIO_THRESHOLD,
                   first: str | None = None) -> Result | None:
    """The shared page body: picker (opening on `first`) -> headline -> charts (with the disproportionality
    line at `threshold`, None where no such rule applies) -> table -> download."""
    indicator = indicator_picker(store, indicator_ids, key=f"{key}_indicator", first=first)
    if indicator is None:
        empty_state(empty_message)
        return None
    result = rates_result(store, state, indicator)
    if result is None:
        return None
    rate_charts(result, key, threshold, store)
    result = adjusted_view(store, result, key) or result
    with st.expander("Table: every group, with intervals and tests", expanded=False):
        show_table(result, key)
    return result


def weighted_view(store: Store, result: Result, key: str) -> None:
    """The weighted risk ratio (IDEA Data Center) against a standard composition the user enters (the State's
    enrollment shares by race), beside the crude ratio; nothing until shares are entered."""
    if list(result.groups) != ["race"] or result.units:
        return
    with st.expander("Weighted risk ratio: enter the State's composition", expanded=False):
        st.caption("The weighted risk ratio weights every group's rate by its share of a standard population, "
                   "usually the State's enrollment, so districts with different compositions compare alike. "
                   "Groups whose counts are hidden are weighted together, at their pooled rate.")
        columns = st.columns(4)
        shares = {race: columns[i % 4].number_input(f"{race} (%)", min_value=0.0, max_value=100.0, value=0.0,
                                                   step=0.1, key=f"{key}_{i}")
                  for i, race in enumerate(RACE_LABELS)}
        if sum(shares.values()) <= 0:
            st.caption("Enter the shares (they need not add to 100: they are scaled to their total).")
            return
        weighted = guarded(lambda: cached(cached_rates, store, result.indicator.id, result.groups,
                                                result.filters, result.options, (),
                                                tuple((race, share / 100) for race, share in shares.items())))
        if weighted is None:
            return
        show_frame(weighted.table, key, f"{result.indicator.id}_weighted_risk_ratio.csv",
                   {"race": "Race/ethnicity", "rate": "Rate", "risk_ratio": "Risk ratio",
                    "weighted_risk_ratio": COLUMN_LABELS["weighted_risk_ratio"], "note": "Note"},
                   percent=("rate",), decimals={"risk_ratio": "%.2f", "weighted_risk_ratio": "%.2f"})


_NOT_ADJUSTED = "Nothing (the crude ratios)"


def adjusted_view(store: Store, result: Result, key: str) -> Result | None:
    """"Is it poverty, is it the school?": the risk ratios adjusted for a dimension the user picks
    (Mantel–Haenszel), one sentence per group beside the crude ratio; the result with the adjusted columns, or
    None when nothing is picked or offered."""
    offered = adjusted.offered_adjustments(result.groups, result.units, result.filters)
    if not offered:
        return None
    labels = {dimension_label(d): d for d in offered}
    chosen = st.selectbox("Adjust the risk ratios for", [_NOT_ADJUSTED, *labels], key=f"{key}_adjust",
                          help="Compares each group with the others within the same school, or the same disability "
                               "status, and so on (Mantel-Haenszel), to see whether that explains the gap.")
    if chosen == _NOT_ADJUSTED:
        return None
    dimension = labels[chosen]
    adjusted_result = guarded(lambda: cached(cached_rates, store, result.indicator.id,
                                                   (*result.units, *result.groups), result.filters, result.options,
                                                   (dimension,)))
    if adjusted_result is None:
        return None
    table = adjusted_result.table
    for _, row in table[table["adjusted_risk_ratio"].notna()].iterrows():
        st.markdown(escape_markdown(findings.adjusted_sentence(result.indicator, row, list(result.groups),
                                                               dimension, result.options)))
    st.caption("Adjusted ratios rest only on shown counts: where a count within a stratum is hidden, those strata "
               "are pooled into one; a group whose strata are all hidden gets no adjusted ratio.")
    return adjusted_result


def closer_look(views: Mapping[str, Callable[[], object]], key: str, prompt: str = "Look closer") -> None:
    """A row of choices below the main view; only the chosen one is computed and drawn (each is a few charts,
    so the page stays quick when the sidebar changes)."""
    chosen = st.segmented_control(prompt, list(views), default=None, key=key,
                                  help="Each closer look is computed when you pick it.")
    if chosen is None:
        st.caption(f"{prompt}: pick one of {', '.join(views)}.")
        return
    views[chosen]()


def findings_list(found: Sequence[findings.Finding], key: str, comparison_label: str, store: Store | None = None,
                  options: MetricOptions | None = None) -> None:
    """Each finding as its sentence and a small chart; with the store, an "Add to report" button under each."""
    for index, finding in enumerate(found):
        with st.container(border=True):
            where = wording.finding_where(finding.group, finding.school_year, tr())
            st.markdown(f"**{tr().term(finding.indicator.domain)} · {tr().term(finding.indicator.label)}** "
                        f"({escape_markdown(where)})")
            st.markdown(escape_markdown(finding.sentence))
            show_chart(charts.finding_chart(finding, comparison_label, current_language()), key=f"{key}_{index}",
                            alt=finding.sentence)
            if store is not None:
                finding_basket_button(store, finding, options or MetricOptions(), f"{key}_{index}")


_GAP_LABELS = {**{c: COLUMN_LABELS[c] for c in GAP_COLUMNS if c in COLUMN_LABELS}, "p_value": "p-value (Welch)"}


def gap_view(store: Store, state: ViewState, indicator_ids: Sequence[str], key: str,
             empty_message: str) -> Result | None:
    """Score gaps: picker -> generated sentence -> Hedges' g chart -> eta squared -> table -> download."""
    indicator = indicator_picker(store, indicator_ids, key=f"{key}_indicator")
    if indicator is None:
        empty_state(empty_message)
        return None
    result = guarded(lambda: cached(cached_gaps, store, indicator.id, state.by, state.filters,
                                         state.options))
    if result is None:
        return None
    groups, comparison = list(result.groups), result.options.comparison_label
    title = score_gaps.gap_headline(indicator, result.table, groups, comparison)
    show_headline(title)
    scope_caption(result)
    year = result_scope(result).words()
    chart = charts.gap_chart(result.table, groups, indicator, f"{indicator.label}: gap vs {comparison}, {year}",
                             comparison)
    show_chart(chart, key=f"{key}_gap_chart", alt=title)
    suppression_note(result)
    export_menu(store, result, key, chart, title, [hidden_note(result)])
    if not result.summary.empty and "eta_squared" in result.summary:
        eta = float(result.summary["eta_squared"].iloc[0])
        st.metric(f"Share of the score variation between {dimension_label(groups[0]).lower()} groups",
                  f"{eta:.1%}", help="Eta squared: the share of the variation in scores that lies between the "
                                     "groups (known groups); 0% when group says nothing about scores.")
    result = adjusted_gap_view(store, state, result, key) or result
    with st.expander("Table: every group, with means, SDs and Hedges' g", expanded=False):
        labels = {**{d: dimension_label(d) for d in (*result.units, *groups)},
                  **{c: _GAP_LABELS[c] for c in GAP_COLUMNS if c in _GAP_LABELS}}
        if adjusted_gaps.ADJUSTED_GAP_COLUMNS[0] in result.table.columns:
            position = list(labels).index("mean_difference") + 1
            items = list(labels.items())
            labels = dict(items[:position] + [(c, COLUMN_LABELS[c]) for c in adjusted_gaps.ADJUSTED_GAP_COLUMNS]
                          + items[position:])
        show_frame(result.table, key, f"{indicator.id}_gaps.csv", labels,
                   decimals={"mean": "%.1f", "sd": "%.1f", "comparison_mean": "%.1f", "mean_difference": "%+.1f",
                             "hedges_g": "%+.2f", "hedges_g_ci_low": "%+.2f", "hedges_g_ci_high": "%+.2f",
                             "p_value": "%.4f", **dict.fromkeys(adjusted_gaps.ADJUSTED_GAP_COLUMNS[:3], "%+.1f"),
                             "adjusted_p_value": "%.4f"})
    return result


def adjusted_gap_view(store: Store, state: ViewState, result: Result, key: str) -> Result | None:
    """"Is it poverty?" for scores: the gap adjusted by regression for the controls the user picks, with
    school fixed effects; one sentence per group; the result with the adjusted columns, or None."""
    source = SOURCES[result.indicator.source]
    offered = [adjusted_gaps.SCHOOL, *(c for c in adjusted_gaps.CONTROLS if c in source.dimensions
                                       and c not in result.groups)]
    if (not offered or result.units or len(result.groups) != 1 or state.schools
            or result.indicator.source == "survey"):
        return None
    labels = {dimension_label(c): c for c in offered}
    chosen = st.multiselect("Adjust the gap for", list(labels), key=f"{key}_adjust",
                            help="Compares students within the same school (School alone: how much of the gap "
                                 "lies within schools and how much between them) and, for each status you pick, "
                                 "with the same status (least squares with school fixed effects, errors clustered "
                                 "by school), to see how much of the gap these explain.")
    if not chosen:
        return None
    controls = tuple(labels[c] for c in chosen)
    adjusted_result = guarded(lambda: cached(cached_gaps, store, result.indicator.id, result.groups,
                                                  result.filters, result.options, controls))
    if adjusted_result is None:
        return None
    table = adjusted_result.table
    for _, row in table[table["adjusted_mean_difference"].notna()].iterrows():
        st.markdown(escape_markdown(score_gaps.adjusted_gap_sentence(
            result.indicator, row, list(result.groups), result.options.comparison_label,
            [c for c in controls if c != adjusted_gaps.SCHOOL])))
    return adjusted_result


def facet_view(store: Store, state: ViewState, indicator: Indicator, facet: str, key: str) -> Result | None:
    """Rates by a facet and the sidebar's groups: one panel per facet value, the groups' bars in each, a
    finding, the hidden groups, and the table. A facet that is a student-group dimension (sex, disability)
    makes intersections (race x sex: Black girls vs all other students, or vs White girls when White students
    are the comparison) and the finding is the largest certain disadvantage; another facet (a survey construct,
    compared within itself) names the lowest (or highest, when higher is worse) shown rate."""
    result = guarded(lambda: cached(cached_rates, store, indicator.id, (facet, state.dimension),
                                          state.filters, state.options))
    if result is None:
        return None
    table, groups = result.table, list(result.groups)
    intersection = facet in GROUP_DIMENSIONS
    year = result_scope(result).where()

    def noun(row: pd.Series) -> str:
        if intersection:
            return findings.group_noun({state.dimension: str(row[state.dimension]), facet: str(row[facet])})
        return f"{row[facet]} · {findings.group_noun({state.dimension: str(row[state.dimension])})}"

    shown = table[~table["suppressed"].astype(bool) & table["rate"].notna() & (table[state.dimension] != UNKNOWN)]
    if intersection:
        title = findings.rate_headline(indicator, table, [state.dimension, facet], result.options)
        chart_title = (f"{indicator.label} by {_lower(dimension_label(state.dimension))} and "
                       f"{_lower(dimension_label(facet))}, {year}")
    elif shown.empty:
        title = f"{indicator.label} by {dimension_label(facet).lower()}: no group can be shown with these filters"
        chart_title = f"{indicator.label} by {dimension_label(facet).lower()} and group, {year}"
    else:
        row = shown.loc[shown["rate"].idxmax() if indicator.higher_is_worse else shown["rate"].idxmin()]
        word = "highest" if indicator.higher_is_worse else "lowest"
        title = (f"The {word} rate: {findings.group_noun({state.dimension: str(row[state.dimension])})} on "
                 f"{row[facet]}, {findings.percent(row['rate'])} ({year})")
        chart_title = f"{indicator.label} by {dimension_label(facet).lower()} and group, {year}"
    show_headline(title)
    scope_caption(result)
    # Within a panel the facet is fixed: rows are named, and coloured, by the sidebar's groups alone.
    chart = (charts.intersection_chart(table, facet, [state.dimension], indicator, chart_title) if intersection
             else charts.faceted_rate_chart(table, facet, groups, indicator, chart_title))
    show_chart(chart, key=f"{key}_facet_chart", alt=title)
    _notes([f"{noun(row)}: {row['note']}" for _, row in table[table["suppressed"].astype(bool)].iterrows()])
    with st.expander(f"Table: every {dimension_label(facet).lower()} and group", expanded=False):
        show_frame(table, key, f"{indicator.id}_by_{facet}.csv",
                   {**{d: dimension_label(d) for d in (*result.units, *groups)}, "denominator": "n",
                    "numerator": "With outcome",
                    "rate": "Rate", "rate_ci_low": "95% CI low", "rate_ci_high": "95% CI high",
                    **({"risk_ratio": "Risk ratio", "risk_ratio_ci_low": "RR 95% CI low",
                        "risk_ratio_ci_high": "RR 95% CI high", "p_value": "p-value", "test": "Test"}
                       if intersection else {}),
                    "note": "Note"},
                   percent=("rate", "rate_ci_low", "rate_ci_high"),
                   decimals={"risk_ratio": "%.2f", "risk_ratio_ci_low": "%.2f", "risk_ratio_ci_high": "%.2f",
                             "p_value": "%.4f"})
    return result


def _lower(label: str) -> str:
    """'Disability (IDEA)' -> 'disability (IDEA)': only the first letter, so acronyms keep their capitals."""
    return label[:1].lower() + label[1:]


def intersection_view(store: Store, state: ViewState, indicator: Indicator, facet: str, key: str) -> Result | None:
    """Race/ethnicity x another student-group dimension (sex, disability) for one rate indicator. The sidebar's
    comparison is kept when it is a value of either dimension (White: Black girls vs White girls), else all
    other students (said in a caption)."""
    values = (*DIMENSIONS["race"].values, *DIMENSIONS[facet].values)
    comparison = state.comparison if state.comparison in values else ALL_OTHERS
    if comparison != state.comparison:
        st.caption(f"Each group is compared with all other students ({state.comparison} students are not a "
                   f"{_lower(dimension_label('race'))} or {_lower(dimension_label(facet))} group).")
    return facet_view(store, replace(state, dimension="race", comparison=comparison), indicator, facet, key)


_STAGE_LABELS = {
    "basis": "Of", "stage_label": "Stage", "denominator": "n", "numerator": "Students at the stage", "rate": "Rate",
    "rate_ci_low": "95% CI low", "rate_ci_high": "95% CI high", "comparison_rate": "Comparison rate",
    "risk_ratio": "Risk ratio", "risk_ratio_ci_low": "RR 95% CI low", "risk_ratio_ci_high": "RR 95% CI high",
    "p_value": "p-value", "test": "Test", "note": "Note",
}


def stage_view(store: Store, state: ViewState, key: str) -> discipline_stages.StagedRates | None:
    """Discipline stages, referral to expulsion: the headline and the chart per enrolled student, then (with
    referrals on file) the share of referred students given each sanction, the hidden groups under each chart,
    and the table."""
    result = guarded(lambda: cached(cached_stages, store, state.by, state.filters, state.options))
    if result is None:
        return None
    groups, year = list(result.groups), result_scope(result).words()
    title = discipline_stages.stage_headline(result)
    show_headline(title)
    scope_caption(result)
    per_student = charts.staged_rate_chart(
        result.per_student, groups, f"Each discipline stage per enrolled student: {year}", "enrolled students",
        "Bars: share of enrolled students with at least one such action; black lines: 95% Wilson interval; each "
        "panel has its own scale")
    show_chart(per_student, key=f"{key}_per_student_chart", alt=title)
    _notes(discipline_stages.stage_hidden_notes(result, discipline_stages.PER_STUDENT))
    conditional = discipline_stages.conditional_headline(result)
    if not result.referral_recorded:
        st.caption(escape_markdown(conditional))
    else:
        show_headline(conditional)
        of_referred = charts.staged_rate_chart(
            result.of_referred, groups, f"Of the students referred, the share given each sanction: {year}",
            "students referred", "Bars: share of the group's referred students given the sanction at least once; "
            "black lines: 95% Wilson interval; each panel has its own scale")
        show_chart(of_referred, key=f"{key}_of_referred_chart", alt=conditional)
        _notes(discipline_stages.stage_hidden_notes(result, discipline_stages.OF_REFERRED))
    with st.expander("Table: every stage and group, with intervals and tests", expanded=False):
        show_frame(result.table, key, "discipline_stages.csv",
                   {**_STAGE_LABELS, **{d: dimension_label(d) for d in (*result.units, *groups)}},
                   percent=("rate", "rate_ci_low", "rate_ci_high", "comparison_rate"),
                   decimals={"risk_ratio": "%.2f", "risk_ratio_ci_low": "%.2f", "risk_ratio_ci_high": "%.2f",
                             "p_value": "%.4f"})
    return result


def _notes(notes: Sequence[str]) -> None:
    """The groups not fully shown ('group: reason', from the data) in one caption."""
    if notes:
        st.caption(escape_markdown("Not fully shown: " + " · ".join(notes)))


_DISTRIBUTION_LABELS = {"n": "n", "p10": "10th percentile", "p25": "25th percentile", "median": "Median",
                        "p75": "75th percentile", "p90": "90th percentile", "note": "Note"}


def distribution_view(store: Store, state: ViewState, indicator: Indicator, key: str) -> \
        score_distribution.Distribution | None:
    """Score distributions by group (percentiles only, computed in SQL): sentence, box plot, hidden groups,
    table."""
    result = guarded(lambda: cached(cached_distribution, store, indicator.id, state.by, state.filters,
                                                 state.options))
    if result is None:
        return None
    groups, year = list(result.groups), result_scope(result).words()
    title = score_distribution.distribution_headline(result)
    show_headline(title)
    scope_caption(result)
    chart = charts.distribution_chart(result.table, groups, indicator, f"{indicator.label}, distribution: {year}")
    show_chart(chart, key=f"{key}_distribution_chart", alt=title)
    _notes(findings.suppressed_groups(result.table, groups))
    with st.expander("Table: percentiles of every group", expanded=False):
        show_frame(result.table, key, f"{indicator.id}_distribution.csv",
                   {**{d: dimension_label(d) for d in (*result.units, *groups)}, **_DISTRIBUTION_LABELS},
                   decimals={c: "%.1f" for c in score_distribution.QUANTILE_COLUMNS})
    return result


def unit_gap_view(store: Store, state: ViewState, indicator: Indicator, unit: str, key: str) -> Result | None:
    """Score gaps compared within each school or grade: sentence, one panel per group, hidden groups, table."""
    result = guarded(lambda: cached(cached_gaps_within, store, indicator.id, unit, state.by,
                                                state.filters, state.options))
    if result is None:
        return None
    groups, comparison = list(result.groups), result.options.comparison_label
    year = result_scope(result).where()
    title = score_gaps.within_headline(indicator, result.table, unit, groups, comparison)
    show_headline(title)
    scope_caption(result)
    chart = charts.unit_gap_chart(result.table, unit, groups, indicator,
                                  f"{indicator.label}: gaps within each {dimension_label(unit).lower()}, {year}",
                                  comparison)
    show_chart(chart, key=f"{key}_unit_gap_chart", alt=title)
    _notes(score_gaps.unit_hidden_notes(result.table, groups, unit))
    with st.expander(f"Table: every {dimension_label(unit).lower()} and group", expanded=False):
        labels = {**{d: dimension_label(d) for d in (*result.units, *groups)},
                  **{c: _GAP_LABELS[c] for c in GAP_COLUMNS if c in _GAP_LABELS}}
        show_frame(result.table, key, f"{indicator.id}_gaps_by_{unit}.csv", labels,
                   decimals={"mean": "%.1f", "sd": "%.1f", "comparison_mean": "%.1f", "mean_difference": "%+.1f",
                             "hedges_g": "%+.2f", "hedges_g_ci_low": "%+.2f", "hedges_g_ci_high": "%+.2f",
                             "p_value": "%.4f"})
    return result
