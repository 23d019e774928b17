"""The app on a store that holds only a CRDC school file, and the Data page's CRDC import and code review."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.apptest import assert_ok, charts, plain
from streamlit.testing.v1 import AppTest

from equity_metrics.ingest.importer import SourceSpec, import_sources
from equity_metrics.ingest.kinds import guess_mapping
from equity_metrics.ingest.readers import read_source
from equity_metrics.measures import analysis
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store
from tests.fixtures.crdc import CRDC_FILE_NAME, CRDC_YEAR, write_crdc

ROOT = Path(__file__).resolve().parents[2]
CSV_MIME = "text/csv"


def first_headline(app: AppTest) -> str:
    heads = [plain(m.value.removeprefix("#### ")) for m in app.markdown if m.value.startswith("#### ")]
    assert heads, "no headline"
    return heads[0]


@pytest.fixture()
def crdc_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_point_always_runs: None) -> tuple[AppTest, str]:
    """The app on a store holding only the CRDC file, and the Discipline page's expected headline (computed
    by the library before the app opens the store): the page opens on out-of-school suspension."""
    path = write_crdc(tmp_path)
    db = tmp_path / "crdc.duckdb"
    with Store(db) as store:
        source = read_source(path)
        import_sources(store, [SourceSpec(path, guess_mapping("counts", source.columns, file_name=path.name))])
        assert "oss" in [i.id for i in analysis.indicators_with_data(store)]
        result = analysis.rates(store, "oss", ("race",))
        expected = findings.rate_headline(result.indicator, result.table, result.groups, result.options)
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert_ok(app)
    return app, expected


@pytest.mark.parametrize(("page", "indicator_id"), [("pages/discipline.py", None), ("pages/course_access.py", None)])
def test_domain_pages_work_on_a_crdc_only_store(crdc_app, page: str, indicator_id: str | None) -> None:
    app, _ = crdc_app
    app.switch_page(page).run()
    assert_ok(app)
    assert charts(app), "no chart drawn"
    assert first_headline(app)


def test_overview_and_discipline_numbers_on_a_crdc_only_store(crdc_app) -> None:
    app, expected = crdc_app
    assert app.sidebar.selectbox[0].value == CRDC_YEAR
    assert any("Out-of-school suspension" in m.value or "out-of-school" in m.value for m in app.markdown)
    app.switch_page("pages/discipline.py").run()
    assert_ok(app)
    assert first_headline(app) == expected


def test_the_data_page_imports_a_crdc_file_with_its_year(at, tmp_path: Path) -> None:
    at.switch_page("pages/data.py").run()
    path = write_crdc(tmp_path)
    at.file_uploader[0].set_value((CRDC_FILE_NAME, path.read_bytes(), CSV_MIME)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="upload_kind").value == "counts"
    assert at.text_input(key="upload_year").value == CRDC_YEAR
    assert any("wide columns are turned into rows" in c.value for c in at.caption)
    at.button(key="upload_import").click().run()
    assert any("rows imported as Aggregated counts" in m.value for m in at.markdown), [m.value for m in at.markdown]


def test_the_data_page_asks_what_unknown_codes_mean(at, tmp_path: Path) -> None:
    at.switch_page("pages/data.py").run()
    path = tmp_path / "roster_2031.csv"
    path.write_text("Year,Student ID,School,Grade,Race,Sex\n2031-32,9001,S1,5,Blk,F\n2031-32,9002,S1,5,Blk,M\n"
                    "2031-32,9003,S1,5,White,F\n2031-32,9004,S1,5,Zz,M\n")
    at.file_uploader[0].set_value((path.name, path.read_bytes(), CSV_MIME)).run()
    assert at.selectbox(key="upload_kind").value == "enrollment"
    editor = at.data_editor(key="codes_0_enrollment_race")
    assert editor.value[["Code in your file", "Rows"]].values.tolist() == [["Blk", 2], ["Zz", 1]]
    at.session_state["codes_0_enrollment_race"] = {
        "edited_rows": {0: {"Means": "Black or African American"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="upload_import").click().run()
    lines = [m.value for m in at.markdown]
    assert any("4 of 4 rows imported as Enrollment roster" in line for line in lines), lines
    assert any("'Zz' x1" in line for line in lines), lines  # left blank: missing, and said so
    assert not any("'Blk'" in line for line in lines)
