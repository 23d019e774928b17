"""The Overview page under AppTest on the synthetic sample district: its widgets, defaults, titles and numbers,
checked against the library and plain SQL.
"""

from __future__ import annotations

import re

import pytest
from fixtures.apptest import assert_ok, charts, dataset_with, metric, plain
from fixtures.page_views import (
    BLACK,
    YEAR,
    enrolled,
    gifted_counts,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store


def test_overview(at: AppTest, sample_store: Store) -> None:
    assert at.title[0].value == "Overview"
    assert "Sample data (synthetic)" in at.info[0].value

    assert metric(at, "School year") == YEAR
    students = enrolled(sample_store, YEAR)
    assert students == 15_330
    assert metric(at, "Students in view") == f"{students:,}" == "15,330"

    filters, options = Filters(school_years=(YEAR,)), MetricOptions()
    audit = analysis.audit(sample_store, ("race",), filters, options)
    assert metric(at, "Indicators with data") == str(audit["indicator_id"].nunique())
    expected = findings.largest_gaps(audit, ("race",), options, limit=6, per_indicator=1)  # as pages/overview.py
    assert expected, "the sample district should show at least one certain gap"

    # One bordered card per finding: a bold "Domain · Indicator (year)" line, the sentence, a chart.
    headers = [plain(m.value) for m in at.markdown if re.fullmatch(r"\*\*.+ · .+\*\* \(.+\d{4}\\?-\d{2}\)", m.value)]
    assert headers == [f"**{f.indicator.domain} · {f.indicator.label}** (District, all grades, {f.school_year})"
                       for f in expected]
    sentences = [plain(m.value) for m in at.markdown]
    for finding in expected:
        assert finding.sentence in sentences
    found_charts = charts(at)
    assert len(found_charts) == len(expected) >= 1
    assert len({f.indicator_id for f in expected}) == len(expected)  # one finding per indicator
    for chart, finding in zip(found_charts, expected, strict=True):
        data = dataset_with(chart, "rate")
        assert data["rate"].tolist() == pytest.approx([finding.rate, finding.comparison_rate])
        assert data["who"].tolist() == [findings.group_noun(finding.group), "All other students"]
        assert f"{finding.indicator.label} rate" in chart.proto.spec

    # Independent check of one finding: gifted identification straight from the enrollment table.
    gifted = [f for f in expected if f.indicator_id == "gifted_identification" and f.group == {"race": BLACK}]
    assert gifted, [f.sentence for f in expected]
    # (only grades where the district identifies anyone that year can be identified: docs/methods.md)
    a, n, c, m = gifted_counts(sample_store)
    ratio = (a / n) / (c / m)
    # A risk ratio below 1 is said the other way round: others were 1/RR times as likely.
    assert gifted[0].sentence.startswith(
        f"All other students were {1 / ratio:.1f} times as likely as {BLACK} students to be identified as gifted "
        f"({c / m:.1%} vs {a / n:.1%}); the difference is statistically significant")


def test_overview_follows_the_year_filter(at: AppTest, sample_store: Store) -> None:
    at.sidebar.selectbox(key="filter_year").select("2023-24").run()
    assert_ok(at)
    assert metric(at, "School year") == "2023-24"
    assert metric(at, "Students in view") == f"{enrolled(sample_store, '2023-24'):,}" == "15,423"
    assert "in 2023-24" in at.caption[0].value
    headers = [plain(m.value) for m in at.markdown if m.value.startswith("**")]
    assert headers and all(h.endswith("(District, all grades, 2023-24)") for h in headers)
    assert len(charts(at)) == len(headers)


def test_a_finding_of_the_overview_goes_in_the_report_and_schools_and_trends_export(at: AppTest) -> None:
    """Issue 16: export and add-to-report on the Overview's findings, the Schools heatmap and Trends."""
    first = next(m.value for m in at.markdown if m.value.startswith("**") and " · " in m.value)
    at.button(key="overview_finding_0_basket").click().run()
    assert_ok(at)
    at.switch_page("pages/report.py").run()
    assert_ok(at)
    cards = [plain(m.value) for m in at.markdown if m.value.startswith("**1. ")]
    label = re.search(r" · (.+?)\*\* \(", plain(first)).group(1)
    assert len(cards) == 1 and cards[0].startswith(f"**1. {label} by ") and "District, all grades" in cards[0], (
        cards, first)
    for page, key in (("pages/schools.py", "schools"), ("pages/trends.py", "trends")):
        at.switch_page(page).run()
        assert_ok(at)
        labels = [element.proto.label for element in at.get("download_button")]
        assert {"Excel workbook (.xlsx)", "CSV", "PNG", "SVG", "PDF"} <= set(labels), (page, labels)
        assert at.button(key=f"{key}_basket").label == "Add to report"
