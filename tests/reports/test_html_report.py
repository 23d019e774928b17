"""Self-contained HTML reports, read back with html.parser: offline (no script, no link, no URL fetched),
charts as inline SVG with alt text, escaped text, suppressed values empty."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from fixtures.html_page import Page, assert_offline

from equity_metrics.charts import specs as charts
from equity_metrics.core.constants import SAMPLE_DATA_LABEL
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.reports import html_report
from equity_metrics.reports.basket import IndicatorSpec, add_item
from equity_metrics.reports.builders import build_basket
from equity_metrics.reports.export_tables import Provenance
from equity_metrics.reports.report_items import ReportItem
from equity_metrics.storage.store import Store

SOURCE = Provenance(("roster.xlsx [2024-25]", "discipline.csv"), date(2025, 6, 30), holds_sample=True,
                    only_sample=True)
EVIL_SCHOOL = "<script>alert(1)</script> & Co"


def hand_table() -> pd.DataFrame:
    return pd.DataFrame({
        "school": ["North", EVIL_SCHOOL, "South"],
        "race": ["Black or African American", "Black or African American", "White"],
        "denominator": pd.array([400, 37, 900], dtype="Int64"),
        "numerator": pd.array([50, pd.NA, 45], dtype="Int64"),
        "rate": [0.125, np.nan, 0.05], "rate_ci_low": [0.096, np.nan, 0.037], "rate_ci_high": [0.16, np.nan, 0.066],
        "risk_ratio": [2.5, np.nan, 0.4], "suppressed": [False, True, False],
        "note": ["", "count under 10 hidden (privacy)", ""],
    })


def hand_item(title: str = "OSS by school") -> ReportItem:
    table = hand_table()
    chart = charts.rate_chart(table, ["school"], INDICATORS["oss"], "OSS by school")
    return ReportItem("indicator", title, "North's rate was 12.5% (vs 5.0%).", chart, table,
                      (f"{EVIL_SCHOOL}: count under 10 hidden (privacy)",), "Source: hand-made, 2025-06-30.",
                      'Bar chart of OSS by school, "quoted". North\'s rate was 12.5%.')


def test_report_is_self_contained_and_escaped():
    text = html_report.build_report(f"Report <{EVIL_SCHOOL}>", [hand_item(), hand_item("Second")], SOURCE, "For the board",
                                    [html_report.TableSection("Table", hand_table()[["school", "rate", "note"]], "Cap")])
    page = Page(text)
    assert_offline(page)
    assert "<script>" not in text and "@import" not in text and "url(" not in text
    assert len(page.named("style")) == 1 and page.named("html")[0]["lang"] == "en"
    svgs = page.named("svg")
    assert len(svgs) == 2
    assert all(s["role"] == "img" and s["aria-label"] == hand_item().alt_text for s in svgs)
    assert page.all_text.count(hand_item().alt_text) == 2  # the <title> inside each SVG
    assert f"Report <{EVIL_SCHOOL}>" in page.all_text  # shown as text, not run
    assert EVIL_SCHOOL in page.all_text
    assert "North's rate was 12.5% (vs 5.0%)." in page.all_text
    assert f"Not fully shown: {EVIL_SCHOOL}: count under 10 hidden (privacy)" in page.all_text
    assert SAMPLE_DATA_LABEL in page.all_text and "roster.xlsx [2024-25], discipline.csv" in page.all_text
    assert "2025-06-30" in page.all_text and "Counts from 1 to 9 are never shown" in page.all_text


def test_tables_show_the_library_values_and_hide_suppressed_ones():
    page = Page(html_report.table_html(hand_table()[["school", "race", "denominator", "numerator", "rate",
                                                     "risk_ratio", "note"]], "Caption"))
    assert page.rows[0] == ["School", "Race/ethnicity", "n", "With outcome", "Rate", "Risk ratio", "Note"]
    assert page.rows[1] == ["North", "Black or African American", "400", "50", "12.5%", "2.50", ""]
    assert page.rows[2] == [EVIL_SCHOOL, "Black or African American", "37", "", "", "",
                            "count under 10 hidden (privacy)"]
    assert page.rows[3] == ["South", "White", "900", "45", "5.0%", "0.40", ""]


def test_labelled_svg():
    svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="5"><rect/></svg>'
    assert html_report.labelled_svg(svg, 'A "b" <c>') == (
        '<svg role="img" aria-label="A &quot;b&quot; &lt;c&gt;" xmlns="http://www.w3.org/2000/svg" width="10" '
        'height="5"><title>A &quot;b&quot; &lt;c&gt;</title><rect/></svg>')


def test_no_sample_banner_for_own_data():
    own = Provenance(("roster.csv",), date(2025, 1, 2))
    page = Page(html_report.build_report("R", [], own))
    assert SAMPLE_DATA_LABEL not in page.all_text and "Your district's files: roster.csv" in page.all_text
    assert not page.named("svg")


def test_basket_report(sample_db: Path):
    with Store(sample_db) as store:
        add_item(store, IndicatorSpec("oss"), "Out-of-school suspension")
        add_item(store, IndicatorSpec("oss", ("school", "race")), "By school")
        expected = build_basket(store)
        text = html_report.basket_report(store, "Board report")
    page = Page(text)
    assert_offline(page)
    assert [s["aria-label"] for s in page.named("svg")] == [item.alt_text for item in expected]
    for item in expected:
        assert item.title in page.all_text and item.sentence in page.all_text
    oss = expected[0].table
    rows = {r[0]: r for r in page.rows if r and r[0] in set(oss["race"])}
    for _, row in oss.iterrows():
        shown = rows[row["race"]]
        assert shown[1] == ("" if pd.isna(row["denominator"]) else f"{int(row['denominator']):,}")
        assert shown[2] == ("" if pd.isna(row["numerator"]) else f"{int(row['numerator']):,}")
        assert shown[3] == ("" if pd.isna(row["rate"]) else f"{row['rate'] * 100:.1f}%")
