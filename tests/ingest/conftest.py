"""Fixtures of the import tests: the small two-student store (a template and a private copy), the Data page on
it, and guards that turn a regression into a failing test instead of an aborted process."""

from __future__ import annotations

import shutil
from pathlib import Path

import fastexcel
import pytest
from fixtures.hostile_store import two_student_store


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding a two-student roster, checkpointed and closed."""
    return two_student_store(tmp_path_factory.mktemp("hostile_store"))


@pytest.fixture()
def db(tmp_path: Path, template_db: Path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture()
def no_sheet_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard must refuse before fastexcel builds a sheet (a regression fails here, instead of aborting)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("fastexcel was asked to load a sheet the guard should have refused")
    monkeypatch.setattr(fastexcel.ExcelReader, "load_sheet", refuse)


@pytest.fixture()
def no_workbook_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard must refuse before fastexcel opens the workbook (opening it loads the shared strings)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("fastexcel was asked to open a workbook the guard should have refused")
    monkeypatch.setattr(fastexcel, "read_excel", refuse)


@pytest.fixture()
def data_page(db: Path, monkeypatch: pytest.MonkeyPatch, entry_point_always_runs: None):  # noqa: ANN201
    """The app (AppTest) on the small two-student store, switched to the Data page (faster than the sample)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("pages/data.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app
