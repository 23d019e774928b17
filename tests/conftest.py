"""Shared fixtures: the sample district's files, a store loaded with them (built once per session), and a
fresh copy of that store per test for anything that writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from equity_metrics.sample.district import SAMPLE_FILES
from equity_metrics.sample.files import generate_sample
from equity_metrics.sample.sample_store import SAMPLE_DIR, load_sample
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample files, or freshly generated ones if the folder is incomplete."""
    if all((SAMPLE_DIR / f.path).exists() for f in SAMPLE_FILES):
        return SAMPLE_DIR
    folder = tmp_path_factory.mktemp("sample")
    generate_sample(folder)
    return folder


@pytest.fixture(scope="session")
def sample_db_template(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A store file holding the whole sample district; never written after this fixture."""
    path = tmp_path_factory.mktemp("store") / "sample.duckdb"
    with Store(path) as store:
        load_sample(store, sample_dir)
        store.cursor().execute("CHECKPOINT")
    return path


@pytest.fixture(scope="session")
def sample_store(sample_db_template: Path) -> Store:
    """Read-only store on the sample district, shared by library tests that only read."""
    store = Store(sample_db_template, read_only=True)
    yield store
    store.close()


@pytest.fixture()
def sample_db(tmp_path: Path, sample_db_template: Path) -> Path:
    """A private, writable copy of the sample store's file."""
    path = tmp_path / "store.duckdb"
    shutil.copyfile(sample_db_template, path)
    return path


@pytest.fixture()
def empty_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "empty.duckdb")
    yield store
    store.close()


# ---- AppTest -------------------------------------------------------------------------------------------
@pytest.fixture()
def entry_point_always_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every AppTest run execute app.py (sidebar + st.navigation), as a running server does: with a
    `pages/` folder, Streamlit otherwise runs a switched-to page file on its own (legacy mode)."""
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "uses_pages_directory", PagesManager.uses_pages_directory)
    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture()
def at(monkeypatch: pytest.MonkeyPatch, sample_db: Path, entry_point_always_runs: None):
    """The app (AppTest) on a private copy of the sample store, after its first run (the Overview)."""
    from fixtures.apptest import assert_ok
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(sample_db))
    started = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    started.run()
    assert_ok(started)
    return started

