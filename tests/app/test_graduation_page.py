"""Issue 13: the Achievement page shows the graduation rate by race from a published graduation file, with
small counts hidden as everywhere (AppTest over a store holding only the graduation file of our own)."""

from __future__ import annotations

import csv
import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from fixtures.apptest import assert_ok
from streamlit.testing.v1 import AppTest

from equity_metrics.cli import main

ROOT = Path(__file__).resolve().parents[2]
ROWS = [["DBN", "School Name", "Demographic", "Cohort", "Total Cohort", "Total Grads - n", "Total Grads - % of cohort"],
        ["01X001", "North High", "Total Cohort", "2019", "1,200", "900", "75"],
        ["01X001", "North High", "Black", "2019", "400", "280", "70"],
        ["01X001", "North High", "Hispanic", "2019", "300", "210", "70"],
        ["01X001", "North High", "Asian", "2019", "25", "5", "20"],
        ["02X002", "South High", "Total Cohort", "2019", "500", "350", "70"],
        ["02X002", "South High", "Black", "2019", "200", "120", "60"]]


def test_the_achievement_page_shows_graduation_by_race(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "graduation.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    db = tmp_path / "store.duckdb"
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        assert main(["import", str(path), "--db", str(db)]) == 0
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/achievement.py").run()
    assert_ok(at)
    assert at.selectbox(key="graduation_indicator").options == ["Graduation rate (cohort)"]
    table = next(f.value for f in at.dataframe if "Race/ethnicity" in f.value.columns).set_index("Race/ethnicity")
    assert table["n"].to_dict() == {"Hispanic or Latino": 300, "Asian": 25, "Black or African American": 600}
    black = table.loc["Black or African American"]
    assert black["With outcome"] == 400 and black["Rate"] == pytest.approx(400 / 600)
    # compared with all other students: (900 + 350 - 400) of (1,200 + 500 - 600)
    assert black["Comparison rate"] == pytest.approx(850 / 1100)
    # 5 Asian graduates are a small count: hidden, and Hispanic's with it (else 900 - 280 - 210 - the rest)
    assert table["Suppressed"].to_dict() == {"Hispanic or Latino": True, "Asian": True,
                                            "Black or African American": False}
    assert table.loc[["Asian", "Hispanic or Latino"], "With outcome"].isna().all()
