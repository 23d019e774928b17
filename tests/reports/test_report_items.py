"""Report items: a basket spec recomputed through the library gives the app's own sentence, chart and table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from equity_metrics.charts import specs as charts
from equity_metrics.core.constants import SAMPLE_DATA_LABEL
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import GAP_COLUMNS, RATE_COLUMNS, MetricOptions
from equity_metrics.narrative import findings, score_gaps
from equity_metrics.reports import builders, report_items
from equity_metrics.reports.basket import BasketItem, IndicatorSpec, add_item
from equity_metrics.reports.builders import build_basket, build_item
from equity_metrics.reports.export_tables import Provenance, provenance
from equity_metrics.reports.report_items import ReportItem, finding_item, indicator_item
from equity_metrics.storage.store import Store

BLACK = "Black or African American"
MADE = date(2025, 6, 30)


@pytest.fixture(scope="module")
def source(sample_store) -> Provenance:
    return provenance(sample_store, MADE)


def test_rate_item_is_the_apps_view(sample_store, source):
    item = indicator_item(sample_store, IndicatorSpec("oss"), source)
    result = analysis.rates(sample_store, "oss", ["race"])
    indicator = INDICATORS["oss"]
    assert item.sentence == findings.rate_headline(indicator, result.table, ["race"], MetricOptions())
    assert item.sentence.startswith(f"{BLACK} students were 2.9 times as likely")
    pd.testing.assert_frame_equal(item.table, result.table[["race", *RATE_COLUMNS]])
    assert item.notes == tuple(findings.suppressed_groups(result.table, ["race"])) and item.notes
    assert item.hidden_note == "Not fully shown: " + " · ".join(item.notes)
    # The chart is the one the discipline page draws for the same result.
    expected = charts.rate_chart(result.table, ["race"], indicator,
                                 "Out-of-school suspension: District, all grades, 2024-25, by race/ethnicity",
                                 float(result.totals["rate"].iloc[0]))
    assert item.chart.to_dict() == expected.to_dict()
    assert item.alt_text == ("Bar chart of the out-of-school suspension rate by race/ethnicity, 2024-25, with 95% "
                             f"intervals. {item.sentence}")
    assert item.source_note == ("Source: Sample data (synthetic), made 2025-06-30. School year 2024-25. Compared "
                                "with all other students; n-size 30, cell size 10; counts under 10 hidden.")
    assert item.title == "Out-of-school suspension by race/ethnicity: District, all grades, latest year"


def test_chosen_group_sentence(sample_store, source):
    spec = IndicatorSpec("oss", group=(("race", "Asian"),))
    item = indicator_item(sample_store, spec, source, "Asian students")
    table = analysis.rates(sample_store, "oss", ["race"]).table
    row = table[table["race"] == "Asian"].iloc[0]
    assert item.sentence == findings.rate_sentence(INDICATORS["oss"], row, ["race"], MetricOptions())
    assert item.sentence.startswith("All other students were") and item.title == "Asian students"
    hidden = table[table["suppressed"]].iloc[0]["race"]
    suppressed = indicator_item(sample_store, IndicatorSpec("oss", group=(("race", hidden),)), source)
    assert suppressed.sentence.endswith(f"not shown ({table[table['race'] == hidden].iloc[0]['note']}).")


def test_trend_item_titles_the_latest_year(sample_store, source):
    item = indicator_item(sample_store, IndicatorSpec("oss", ("school_year", "race")), source)
    table = analysis.rates(sample_store, "oss", ["school_year", "race"]).table
    latest = table[table["school_year"] == "2024-25"]
    assert item.sentence == "In 2024-25: " + findings.rate_headline(INDICATORS["oss"], latest, ["race"], MetricOptions())
    assert item.chart.to_dict()["layer"][1]["mark"]["type"] == "line"
    assert list(item.table.columns[:2]) == ["school_year", "race"] and len(item.table) == len(table)
    assert any(" in 2022-23: " in note for note in item.notes)  # hidden groups are named with their year
    assert item.alt_text.startswith("Line chart of the out-of-school suspension rate by race/ethnicity in each "
                                    "school year, 2022-23 to 2024-25")


def test_school_item_names_the_school(sample_store, source):
    item = indicator_item(sample_store, IndicatorSpec("oss", ("school", "race")), source)
    table = analysis.rates(sample_store, "oss", ["school", "race"]).table
    assert item.sentence == findings.rate_headline(INDICATORS["oss"], table, ["race", "school"], MetricOptions())
    assert " at " in item.sentence.split(" were ")[0]
    assert item.alt_text.startswith("Heatmap of the out-of-school suspension risk ratio")


def test_gap_item(sample_store, source):
    item = indicator_item(sample_store, IndicatorSpec("math_scale_score"), source)
    result = analysis.gaps(sample_store, "math_scale_score", ["race"])
    assert item.sentence == score_gaps.gap_headline(INDICATORS["math_scale_score"], result.table, ["race"],
                                                "all other students")
    assert list(item.table.columns[:len(GAP_COLUMNS) + 1]) == ["race", *GAP_COLUMNS]
    chosen = indicator_item(sample_store, IndicatorSpec("math_scale_score", group=(("race", "Asian"),)), source)
    row = result.table[result.table["race"] == "Asian"].iloc[0]
    assert chosen.sentence == score_gaps.gap_sentence(INDICATORS["math_scale_score"], row, ["race"],
                                                      "all other students")


def test_an_item_without_data_says_why(sample_store, source):
    item = indicator_item(sample_store, IndicatorSpec("oss", school_years=("1999-00",)), source)
    assert item.chart is None and item.table.empty and item.render() is None
    assert item.sentence.startswith("No ") and "1999-00" in item.sentence
    assert SAMPLE_DATA_LABEL in item.source_note


def test_render_carries_the_alt_text(sample_store, source):
    item = indicator_item(sample_store, IndicatorSpec("oss"), source)
    rendered = item.render(("svg",))
    assert rendered.alt_text == item.alt_text and "Not fully shown:" in rendered.svg
    assert "Source: Sample data (synthetic), made 2025-06-30." in rendered.svg
    assert "Datasets: enrollment_roster.xlsx" in rendered.svg  # the file names travel with a chart file
    assert "Not fully shown:" not in item.render(("svg",), with_notes=False).svg


def test_builders_are_registered_by_kind(sample_store, source, monkeypatch):
    assert builders.registered_kinds() == ("indicator", "goal", "quote")
    unknown = BasketItem(1, 1, "note", "Reduce OSS", "{}")
    placeholder = build_item(sample_store, unknown, source)
    assert placeholder.chart is None and "note" in placeholder.sentence and placeholder.title == "Reduce OSS"

    def note_builder(store, item, src):
        return ReportItem("note", item.title, f"Note {item.spec_json}", None, source_note=src.source_line)

    monkeypatch.setitem(builders.BUILDERS, "note", note_builder)
    built = build_item(sample_store, unknown, source)
    assert built.sentence == "Note {}" and built.source_note == source.source_line


def test_build_basket_in_order(sample_db: Path):
    with Store(sample_db) as store:
        add_item(store, IndicatorSpec("iss"), "ISS")
        add_item(store, IndicatorSpec("oss"), "OSS")
        items = build_basket(store)
        expected = findings.rate_headline(INDICATORS["iss"], analysis.rates(store, "iss", ["race"]).table, ["race"])
    assert [i.title for i in items] == ["ISS", "OSS"] and items[0].sentence == expected


def test_finding_item_from_an_audit(sample_store, source):
    audit = analysis.audit(sample_store, ("race",), Filters(school_years=("2024-25",)))
    finding = findings.largest_gaps(audit, ["race"], limit=1)[0]
    item = finding_item(finding, audit, MetricOptions(), source)
    rows = audit[(audit["indicator_id"] == finding.indicator_id)][["race", *RATE_COLUMNS]].reset_index(drop=True)
    pd.testing.assert_frame_equal(item.table, rows)
    assert item.sentence == finding.sentence
    assert item.title == f"{finding.indicator.domain} · {finding.indicator.label}: District, all grades, 2024-25"
    assert item.chart.to_dict() == charts.finding_chart(finding, "all other students").to_dict()
    assert item.alt_text.endswith(finding.sentence)


def test_shared_options():
    one = ReportItem("indicator", "a", "s", object(), options=MetricOptions(min_n=40))
    two = ReportItem("indicator", "b", "s", object(), options=MetricOptions(min_n=40))
    other = ReportItem("indicator", "c", "s", object(), options=MetricOptions())
    assert report_items.shared_options([one, two]) == MetricOptions(min_n=40)
    assert report_items.shared_options([one, other]) is None
