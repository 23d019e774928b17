"""Tables as the reader sees them (issue 16): hidden cells blank, percentages with one decimal, differences in
points, counts with separators, p-values as '< 0.001'."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_metrics.reports.export_tables import p_text, screen_format
from views.components import styled


def test_screen_formats() -> None:
    assert screen_format("rate")(0.10738) == "10.7%"
    assert screen_format("rate_difference")(0.0321) == "+3.2 pts"
    assert screen_format("rate_difference")(-0.005) == "-0.5 pts"
    assert screen_format("denominator")(1387) == "1,387"
    assert screen_format("risk_ratio")(2.345) == "2.35" and screen_format("adjusted_risk_ratio")(1.0) == "1.00"
    assert screen_format("p_value")(0.0000004) == "< 0.001" == p_text(0.001 - 1e-12)
    assert screen_format("q_value")(0.0456) == "0.046"
    assert screen_format("note") is None


def test_a_styled_table_is_blank_where_hidden() -> None:
    frame = pd.DataFrame({"Race": ["Asian", "White"], "Students": pd.array([1387, pd.NA], dtype="Int64"),
                          "Rate": [0.10738, np.nan], "Difference (pts)": [0.0321, np.nan],
                          "p-value": [0.00001, np.nan], "Note": ["", "hidden (privacy)"]})
    names = {"Race": "race", "Students": "denominator", "Rate": "rate", "Difference (pts)": "rate_difference",
             "p-value": "p_value", "Note": "note"}
    text = styled(frame, names).to_string(delimiter="|")
    lines = [line.split("|")[1:] for line in text.strip().splitlines()[1:]]
    assert lines[0] == ["Asian", "1,387", "10.7%", "+3.2 pts", "< 0.001", ""]
    assert lines[1] == ["White", "", "", "", "", "hidden (privacy)"]
    assert "None" not in text and "nan" not in text.lower().replace("hidden", "")


def test_the_quick_csv_download_neutralises_formulas() -> None:
    import csv
    import io

    from equity_metrics.reports.export_tables import table_csv_bytes

    frame = pd.DataFrame({"school": ['=HYPERLINK("http://x")', "+1 Oak", "-3.5", "Oak"], "n": [1, 2, 3, 4]})
    rows = list(csv.reader(io.StringIO(table_csv_bytes(frame).decode("utf-8"))))
    assert rows == [["school", "n"], ['\'=HYPERLINK("http://x")', "1"], ["'+1 Oak", "2"], ["-3.5", "3"], ["Oak", "4"]]
