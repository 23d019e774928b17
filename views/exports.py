"""Export controls shared by every page: one "Export" menu per result with the table (XLSX, CSV), the chart
(PNG, SVG, PDF, rendered on this computer only when clicked) and "Add to report", which puts the result in
the report basket kept in the store. Everything exported comes from the suppressed result tables."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import streamlit as st

from equity_metrics.charts import chart_files
from equity_metrics.measures.analysis import Result
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative.findings import Finding
from equity_metrics.narrative.scope import scope_slug
from equity_metrics.reports.basket import IndicatorSpec, add_item, list_items
from equity_metrics.reports.export_tables import csv_bytes, provenance, result_sheet, xlsx_bytes
from equity_metrics.storage.store import Store
from views.language import _ as gettext

_XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def result_spec(result: Result) -> IndicatorSpec | None:
    """The basket spec that recomputes this result, or None when the basket cannot hold its split."""
    try:
        return IndicatorSpec(result.indicator.id, (*result.units, *result.groups), result.filters.school_years,
                             result.filters.schools, result.filters.grade_band, result.options)
    except ValueError:
        return None


def finding_spec(finding: Finding, options: MetricOptions) -> IndicatorSpec | None:
    """The basket spec of one finding (the Overview's): its indicator by its group's dimension in its year and
    school, the finding's group chosen; None when the basket cannot hold it."""
    group = {d: v for d, v in finding.group.items() if d != "school"}
    schools = (finding.group["school"],) if "school" in finding.group else ()
    try:
        return IndicatorSpec(finding.indicator_id, tuple(group), (finding.school_year,), schools, None, options,
                             tuple(group.items()))
    except ValueError:
        return None


def finding_basket_button(store: Store, finding: Finding, options: MetricOptions, key: str) -> None:
    """"Add to report" under one finding."""
    spec = finding_spec(finding, options)
    if spec is not None and st.button(gettext("Add to report"), key=f"{key}_basket", icon=":material/playlist_add:"):
        add_item(store, spec)
        st.toast(gettext("Added to the report ({count} items). Open the Report page to build the deck.").format(
            count=len(list_items(store))), icon=":material/playlist_add_check:")


def file_stem(result: Result) -> str:
    """'oss_maple-grove-middle_grades-6-8_2024-25_race': the indicator, then what the result shows."""
    return scope_slug(result.indicator.id, result.filters, result.groups, result.units)


def export_menu(store: Store, result: Result, key: str, chart: alt.TopLevelMixin | None = None, alt_text: str = "",
                notes: Sequence[str] = ()) -> None:
    """The export menu of one result: its table, its chart (when given) with `notes` under it, and the basket."""
    stem = file_stem(result)
    source = provenance(store)
    with st.popover("Export or add to report", icon=":material/ios_share:"):
        st.markdown("**Table**")
        sheet = result_sheet(result)
        st.download_button("Excel workbook (.xlsx)", data=lambda: xlsx_bytes([sheet], source, result.options),
                           file_name=f"{stem}.xlsx", mime=_XLSX_MIME, on_click="ignore", key=f"{key}_xlsx",
                           icon=":material/table_view:")
        st.download_button("CSV", data=lambda: csv_bytes(sheet.frame, source), file_name=f"{stem}.csv",
                           mime="text/csv", on_click="ignore", key=f"{key}_csv", icon=":material/csv:")
        if chart is not None:
            st.markdown("**Chart** (as on screen, with the finding above it and the notes under it)")
            under = [n for n in (*notes, source.source_line) if n]
            for fmt in chart_files.FORMATS:
                st.download_button(fmt.upper(), data=_renderer(chart, alt_text, fmt, under), file_name=f"{stem}.{fmt}",
                                   mime=chart_files.MIME_TYPES[fmt], on_click="ignore", key=f"{key}_{fmt}",
                                   icon=":material/image:")
        basket_button(store, result, key)


def _renderer(chart: alt.TopLevelMixin, alt_text: str, fmt: str, notes: Sequence[str]):
    """A callable rendering the chart file when the download is clicked (not on every rerun)."""
    def render() -> bytes:  # the finding above the chart, the notes and the data source under it
        return chart_files.render(chart, alt_text, (fmt,), notes, headline=alt_text).data(fmt)

    return render


def basket_button(store: Store, result: Result, key: str) -> None:
    """"Add to report": the result's spec goes into the basket (once); says how many items it holds."""
    spec = result_spec(result)
    if spec is None:
        st.caption("This view cannot go in the report basket (it compares more than one kind of unit).")
        return
    if st.button("Add to report", key=f"{key}_basket", icon=":material/playlist_add:"):
        add_item(store, spec)
        st.toast(f"Added to the report ({len(list_items(store))} items). Open the Report page to build the deck.",
                 icon=":material/playlist_add_check:")
