"""`python -m equity_metrics goals`: every goal with its latest value and status, as the library says."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from equity_metrics import goals
from equity_metrics.cli import main
from equity_metrics.goals.model import GOAL_TABLE_COLUMNS, Goal
from equity_metrics.goals.repository import add_goal
from equity_metrics.measures import analysis
from equity_metrics.storage.store import Store


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


def test_the_goals_command_prints_a_predictor_goal(sample_db: Path) -> None:
    with Store(sample_db) as store:
        add_goal(store, Goal("oss", "race", "", "predictor", 0.05, "2027-28", baseline_year="2022-23"))
        add_goal(store, Goal("math_scale_score", "race", "", "predictor", 0.02, "2027-28"))
        association = [analysis.association_by_year(store, i, "race") for i in ("oss", "math_scale_score")]
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["goals", "--db", str(sample_db), "--format", "csv"]) == 0
    printed = pd.read_csv(io.StringIO(out.getvalue()), dtype=str, keep_default_na=False)
    assert list(printed.columns) == list(GOAL_TABLE_COLUMNS)
    assert printed["measure"].tolist() == ["predictor", "predictor"]
    assert printed["unit"].tolist() == ["Cramér's V", "eta squared"]
    assert printed["status"].tolist() == [goals.STATUS_OFF_TRACK, goals.STATUS_OFF_TRACK]
    latest = [association[0]["cramers_v"].iloc[-1], association[1]["eta_squared"].iloc[-1]]
    assert printed["value"].astype(float).tolist() == pytest.approx(latest, rel=1e-12)
    assert printed["baseline_value"].astype(float).tolist() == pytest.approx(
        [association[0]["cramers_v"].iloc[0], association[1]["eta_squared"].iloc[0]], rel=1e-12)
    for column in ("group_value", "comparison", "school", "idea_above_threshold_each_year", "idea_reasonable_progress"):
        assert printed[column].tolist() == ["", ""], column


def test_the_goals_command_on_a_store_without_goals_prints_an_empty_table(sample_db: Path) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["goals", "--db", str(sample_db), "--format", "csv"]) == 0
    assert out.getvalue().strip() == ",".join(GOAL_TABLE_COLUMNS)
