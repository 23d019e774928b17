"""Fixtures of the page tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.apptest import assert_ok
from streamlit.testing.v1 import AppTest

from equity_metrics.storage.store import Store, delete_dataset


@pytest.fixture()
def roster_only(monkeypatch: pytest.MonkeyPatch, sample_db, entry_point_always_runs: None) -> AppTest:
    """The app on a store holding only the sample's enrollment rosters (every other file deleted)."""
    with Store(sample_db) as store:
        for dataset_id, kind in store.query("SELECT dataset_id, kind FROM datasets").itertuples(index=False):
            if kind != "enrollment":
                delete_dataset(store, int(dataset_id))
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(sample_db))
    app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120)
    app.run()
    assert_ok(app)
    return app
