"""The export menu and the Report page: add a finding from a page, see it in the report, build the files."""

from __future__ import annotations

from fixtures.apptest import assert_ok, plain

from equity_metrics.reports.basket import IndicatorSpec


def download_labels(app) -> list[str]:
    return [element.proto.label for element in app.get("download_button")]


def test_every_result_has_its_export_menu(at) -> None:
    at.switch_page("pages/discipline.py").run()
    assert_ok(at)
    labels = download_labels(at)
    for label in ("Excel workbook (.xlsx)", "CSV", "PNG", "SVG", "PDF"):
        assert label in labels, labels
    assert at.button(key="discipline_basket").label == "Add to report"


def test_a_finding_added_on_a_page_is_in_the_report_with_its_sentence(at) -> None:
    at.switch_page("pages/report.py").run()
    assert_ok(at)
    assert any("The report is empty" in box.value for box in at.info)

    at.switch_page("pages/discipline.py").run()
    sentence = plain([m.value for m in at.markdown if m.value.startswith("#### ")][0].removeprefix("#### "))
    year = at.sidebar.selectbox(key="filter_year").value
    at.button(key="discipline_basket").click().run()
    assert_ok(at)
    at.switch_page("pages/report.py").run()
    assert_ok(at)
    cards = [plain(m.value) for m in at.markdown if m.value.startswith("**1. ")]
    assert cards == [f"**1. {IndicatorSpec('oss', ('race',), (year,)).default_title()}**"]
    assert cards == [f"**1. Out-of-school suspension by race/ethnicity: District, all grades, {year}**"]
    assert any(plain(m.value) == sentence for m in at.markdown), sentence
    assert {"Slide deck (.pptx)", "Report (.html, opens offline)"} <= set(download_labels(at))

    at.button(key="basket_clear").click().run()
    assert any("The report is empty" in box.value for box in at.info)
