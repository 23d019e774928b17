"""The Present page (issue 6) under AppTest, on a private copy of the sample district: the findings one per
screen (the report basket's, else the Overview's largest gaps), Previous and Next with arrow-key shortcuts,
the position kept in the session, the presentation-mode CSS, and the empty states.

What a screen shows is checked against the library run on the (unchanged) sample store: the same findings
(`findings.largest_gaps`, as pages/overview.py asks for them) turned into report items, or the basket's items.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import roster  # tests/ is on sys.path (pytest's rootdir-relative import)
from fixtures.apptest import assert_ok, charts, dataset_with, plain, spec_of
from fixtures.page_views import gifted_counts
from streamlit.testing.v1 import AppTest

from equity_metrics import cli
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import findings
from equity_metrics.reports.basket import IndicatorSpec, add_item
from equity_metrics.reports.builders import build_basket
from equity_metrics.reports.export_tables import provenance
from equity_metrics.reports.report_items import ReportItem, finding_item
from equity_metrics.storage.store import Store, delete_all
from views.presentation import KEYBOARD_HINT, PRESENTATION_CSS, PROJECTOR_HINT, clamp

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/present.py"
YEAR = "2024-25"
BLACK = "Black or African American"
OVERVIEW_SOURCE = ("The report basket is empty, so these are the Overview's largest gaps in 2024-25, each group "
                   "compared with all other students. Add findings to the report from any page to present them "
                   "instead.")
BASKET_SOURCE = "Presenting the report basket: 2 findings, in the report's order (change it on the Report page)."


# ---- helpers ---------------------------------------------------------------------------------------------
def open_present(app: AppTest) -> AppTest:
    app.switch_page(PAGE).run()
    assert_ok(app)
    return app


def sentence(app: AppTest) -> str:
    """The finding on screen: its sentence is the page's one subheader."""
    heads = [plain(s.value) for s in app.subheader]
    assert len(heads) == 1, heads
    return heads[0]


def position(app: AppTest) -> str:
    """'n of N' under the finding."""
    found = [m.value for m in app.markdown if m.value.endswith("**") and " of " in m.value]
    assert len(found) == 1, [m.value for m in app.markdown]
    return found[0].strip("*")


def captions(app: AppTest) -> list[str]:
    return [plain(c.value) for c in app.caption]


def click(app: AppTest, key: str) -> AppTest:
    app.button(key=key).click().run()
    assert_ok(app)
    return app


def assert_screen(app: AppTest, item: ReportItem, where: str, hint: str = KEYBOARD_HINT) -> None:
    """The screen shows exactly this item: title, sentence, one chart with its alt text, notes, 'n of N'."""
    assert sentence(app) == item.sentence
    assert position(app) == where
    shown = captions(app)
    assert item.title in shown
    assert item.hidden_note and item.source_note  # with the hint, one line each in the last caption
    assert shown[-1].split("  \n") == [item.hidden_note, item.source_note, hint]
    found = charts(app)
    assert len(found) == 1
    assert found[0].proto.alt == item.alt_text


@pytest.fixture()
def overview_items(sample_store: Store) -> list[ReportItem]:
    """The Overview's findings under the default sidebar (latest year, race, all other students, n 30)."""
    options = MetricOptions()
    audit = analysis.audit(sample_store, ("race",), Filters(school_years=(YEAR,)), options)
    found = findings.largest_gaps(audit, ("race",), options, limit=6, per_indicator=1)  # as pages/overview.py
    return [finding_item(f, audit, options, provenance(sample_store)) for f in found]


def app_store() -> Store:
    """The store the running app holds (one per process, cached): the test writes to it as another page would."""
    from views.cache import get_store

    return get_store()


# ---- the Overview's findings, one per screen -------------------------------------------------------------
def test_present_steps_through_the_overviews_findings(at: AppTest, overview_items: list[ReportItem],
                                                     sample_store: Store) -> None:
    assert len(overview_items) == 6
    assert overview_items[0].sentence.startswith(
        "All other students were 3.8 times as likely as Black or African American students to be identified as "
        "gifted (10.5% vs 2.7%)")  # grades 2-12, where the sample district identifies anyone
    open_present(at)
    assert [t.value for t in at.title] == ["Present"]
    assert at.toggle(key="presentation_mode").value is False
    assert not at.html  # no projector CSS in the preview

    # First screen: the source, then the first finding, its chart big (stretched) with its alt text.
    assert_screen(at, overview_items[0], "1 of 6")
    assert captions(at)[0] == OVERVIEW_SOURCE
    first = overview_items[0]
    data = dataset_with(charts(at)[0], "rate")
    assert data["who"].tolist() == ["Black or African American students", "All other students"]
    a, n, c, m = gifted_counts(sample_store)
    assert data["rate"].tolist() == pytest.approx([a / n, c / m])
    assert first.alt_text.endswith(first.sentence)

    # Keyboard: arrow-key shortcuts on focusable buttons; Previous is off on the first screen.
    previous, following = at.button(key="present_previous"), at.button(key="present_next")
    assert (previous.label, previous.proto.shortcut, previous.disabled) == ("Previous", "left", True)
    assert (following.label, following.proto.shortcut, following.disabled) == ("Next", "right", False)

    click(at, "present_next")
    assert_screen(at, overview_items[1], "2 of 6")
    assert OVERVIEW_SOURCE not in captions(at)  # said on the first screen only
    assert at.button(key="present_previous").disabled is False

    click(at, "present_previous")
    assert_screen(at, overview_items[0], "1 of 6")

    # The presentation stops at its last finding.
    for _ in range(5):
        click(at, "present_next")
    assert_screen(at, overview_items[5], "6 of 6")
    assert at.button(key="present_next").disabled is True
    assert at.button(key="present_previous").disabled is False


def test_the_position_survives_reruns_and_other_pages(at: AppTest, overview_items: list[ReportItem]) -> None:
    open_present(at)
    click(at, "present_next")
    click(at, "present_next")
    at.run()
    assert_screen(at, overview_items[2], "3 of 6")

    at.switch_page("pages/overview.py").run()
    assert_ok(at)
    assert [t.value for t in at.title] == ["Overview"]
    open_present(at)
    assert_screen(at, overview_items[2], "3 of 6")

    # Other findings (another school year) start again at the first one.
    at.sidebar.selectbox(key="filter_year").select("2023-24").run()
    assert_ok(at)
    assert position(at) == "1 of 6"
    assert captions(at)[0] == OVERVIEW_SOURCE.replace("in 2024-25", "in 2023-24")
    assert captions(at)[1].endswith(": District, all grades, 2023-24")


def test_clamp_stops_at_the_ends() -> None:
    assert [clamp(p, 6) for p in (-1, 0, 3, 5, 6, 40)] == [0, 0, 3, 5, 5, 5]
    assert clamp(2, 0) == 0
    assert clamp(1, 1) == 0


# ---- the report basket ---------------------------------------------------------------------------------
def test_the_basket_is_presented_when_it_holds_items(at: AppTest) -> None:
    open_present(at)
    click(at, "present_next")
    assert position(at) == "2 of 6"

    store = app_store()
    add_item(store, IndicatorSpec("oss"))
    add_item(store, IndicatorSpec("math_scale_score"))
    expected = build_basket(store)
    assert [item.title for item in expected] == ["Out-of-school suspension by race/ethnicity: District, all grades, latest year",
                                                 "Math scale score by race/ethnicity: District, all grades, latest year"]
    assert expected[0].sentence == (
        "Black or African American students were 2.9 times as likely as all other students to receive an "
        "out-of-school suspension (11.8% vs 4.0%); the difference is statistically significant (chi-square, "
        "p < 0.001, q < 0.001 corrected for multiple tests).")

    at.run()  # another deck: back to its first finding
    assert_ok(at)
    assert captions(at)[0] == BASKET_SOURCE
    assert_screen(at, expected[0], "1 of 2")

    click(at, "present_next")
    assert_screen(at, expected[1], "2 of 2")
    assert expected[1].sentence.startswith(
        "Black or African American students' mean math scale score was 46 points below all other students'")
    assert at.button(key="present_next").disabled is True


# ---- presentation mode -----------------------------------------------------------------------------------
def sizes(node: object, key: str) -> set[float]:
    """Every value of `key` in a chart spec outside its config (e.g. the group axis's labelFontSize)."""
    if isinstance(node, list):
        return set().union(*(sizes(value, key) for value in node))
    if not isinstance(node, dict):
        return set()
    found = {node[key]} if key in node else set()
    return found.union(*(sizes(value, key) for name, value in node.items() if name != "config"))


def test_presentation_mode_hides_the_controls_and_enlarges(at: AppTest, overview_items: list[ReportItem]) -> None:
    open_present(at)
    preview = spec_of(charts(at)[0])
    assert "axis" not in preview.get("config", {})
    assert sizes(preview, "labelFontSize") == {12}  # the library's group axis
    assert sizes(preview, "step") == {30}  # pixels per group row
    rates = dataset_with(charts(at)[0], "rate")["rate"].tolist()

    at.toggle(key="presentation_mode").set_value(True).run()
    assert_ok(at)  # the sidebar is still drawn (its filters keep their values); the CSS hides it
    assert [h.value for h in at.html] == [PRESENTATION_CSS]
    for selector in ('[data-testid="stSidebar"]', '[data-testid="stHeader"]', '[data-testid="stToolbar"]'):
        assert selector in PRESENTATION_CSS.split("display: none")[0]
    assert not at.title  # the slide's own heading is the title
    assert_screen(at, overview_items[0], "1 of 6", PROJECTOR_HINT)
    assert captions(at)[0] == "**Sample data (synthetic)**: invented students in an invented district."
    assert not at.info  # the sample's banner is that one line on a slide
    presented = spec_of(charts(at)[0])
    assert presented["config"]["axis"] == {"labelFontSize": 18, "titleFontSize": 20}
    assert presented["config"]["title"] == {"fontSize": 24, "subtitleFontSize": 16}
    assert sizes(presented, "labelFontSize") == {18}  # 1.5 times the chart's own sizes
    assert sizes(presented, "step") == {45}
    assert dataset_with(charts(at)[0], "rate")["rate"].tolist() == rates  # the same data

    click(at, "present_next")  # stepping keeps the mode
    assert [h.value for h in at.html] == [PRESENTATION_CSS]
    assert_screen(at, overview_items[1], "2 of 6", PROJECTOR_HINT)

    at.toggle(key="presentation_mode").set_value(False).run()
    assert_ok(at)
    assert not at.html
    assert [t.value for t in at.title] == ["Present"]
    assert position(at) == "2 of 6"


# ---- empty states ----------------------------------------------------------------------------------------
def test_no_data_gives_a_friendly_message(at: AppTest) -> None:
    delete_all(app_store())  # as "Delete all datasets" on the Data page
    open_present(at)
    assert [box.value for box in at.info] == [
        "Nothing to present yet: load an enrollment roster (and discipline, course or test files) on the Data page, "
        "or add findings to the report from any page."]
    assert not at.subheader and not charts(at) and not at.button


def test_no_certain_gap_gives_a_friendly_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 entry_point_always_runs: None) -> None:
    """A district that loaded one small roster (120 students: every group under the n-size of 30)."""
    db = tmp_path / "roster.duckdb"
    assert cli.main(["import", str(roster.write_roster(tmp_path / "roster_2025-26.xlsx")), "--db", str(db)]) == 0
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert_ok(app)
    open_present(app)
    assert [box.value for box in app.info] == [
        "Nothing to present: the report basket is empty and no statistically certain gap above parity was found "
        "with these filters. Add findings to the report from any page, or change the filters."]
    assert not app.subheader and not charts(app)
