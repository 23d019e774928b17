"""`python -m equity_metrics exposure`: the columns other tools read, the same numbers as the library, notes on
standard error, and one-line refusals."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from fixtures.command_line import run_cli

from equity_metrics.measures.exposure import exposure_table
from equity_metrics.storage.store import Store


@pytest.mark.parametrize("by", ["race", "sex"])
def test_exposure_prints_group_students_exposure(sample_db, by):
    code, out, err = run_cli("exposure", "inexperienced_teachers", "--by", by, "--year", "2024-25", "--db",
                             str(sample_db), "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == [by, "students", "exposure"]
    with Store(sample_db, read_only=True) as store:
        expected = exposure_table(store, "inexperienced_teachers", by, "2024-25").table
    assert list(frame[by]) == list(expected[by])
    assert np.allclose(frame["exposure"].to_numpy("float64"), expected["exposure"].to_numpy("float64"), equal_nan=True)
    hidden = expected[expected["suppressed"]]
    for group in hidden[by]:
        assert f"note: {group}: " in err  # why the figure is empty, and its range when it has one
    assert "fewer than 2 years of experience" in err


def test_exposure_refuses_a_year_without_staff(sample_db):
    code, out, err = run_cli("exposure", "students_per_counselor", "--year", "2019-20", "--db", str(sample_db))
    assert code == 2 and out == ""
    assert err.startswith("error: 2019-20 has no staff file and enrollment roster together")
    assert err.count("\n") == 1
