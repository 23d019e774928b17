"""`python -m equity_metrics goals`: every goal with its latest value and status, as the library says."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from equity_metrics import goals
from equity_metrics.cli import main
from equity_metrics.goals import GOAL_TABLE_COLUMNS, Goal, add_goal
from equity_metrics.store import Store


def test_the_goals_command_prints_the_library_table(sample_db: Path) -> None:
    with Store(sample_db) as store:
        add_goal(store, Goal("oss", "race", "Black or African American", "risk_ratio", 2.0, "2027-28",
                             owner="Director of student services"))
        add_goal(store, Goal("ap_enrollment", "race", "Hispanic or Latino", "rate_gap", 3.0, "2026-27"))
        expected = goals.goals_table(store)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["goals", "--db", str(sample_db), "--format", "csv"]) == 0
    printed = pd.read_csv(io.StringIO(out.getvalue()), dtype=str, keep_default_na=False)
    assert list(printed.columns) == list(GOAL_TABLE_COLUMNS)
    assert len(printed) == 2
    assert printed["status"].tolist() == expected["status"].astype(str).tolist()
    assert printed["owner"].tolist() == ["Director of student services", ""]
    assert printed["value"].astype(float).tolist() == pytest.approx(expected["value"].astype(float).tolist(), rel=1e-12)


def test_the_goals_command_on_a_store_without_goals_prints_an_empty_table(sample_db: Path) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["goals", "--db", str(sample_db), "--format", "csv"]) == 0
    assert out.getvalue().strip() == ",".join(GOAL_TABLE_COLUMNS)
