"""Course access: "missing seats", the students a group would have in a course or program if it enrolled at
the comparison's rate. Computed only from shown (not suppressed) rates, so no hidden count leaks through."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

_EPSILON = 1e-9  # 0.25 * 400 - 90 is 10.000000000000002 or 9.999999999999998: count whole students right


def missing_seats(table: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """For each group whose rate and comparison rate are shown: max(0, comparison_rate x n - enrolled),
    rounded down. Groups with a hidden or uncalculated rate or comparison are left out (see the table's
    notes for why), never computed from hidden counts."""
    shown = ~table["suppressed"].astype(bool).to_numpy()
    rate = table["rate"].to_numpy(dtype="float64", na_value=np.nan)
    comparison = table["comparison_rate"].to_numpy(dtype="float64", na_value=np.nan)
    n = table["denominator"].to_numpy(dtype="float64", na_value=np.nan)
    a = table["numerator"].to_numpy(dtype="float64", na_value=np.nan)
    usable = shown & np.isfinite(rate) & np.isfinite(comparison) & np.isfinite(n) & np.isfinite(a)
    rows = table.loc[usable, [*groups, "denominator", "numerator", "rate", "comparison_rate"]].copy()
    expected = comparison[usable] * n[usable]
    rows["expected_at_comparison_rate"] = expected
    rows["missing_seats"] = np.maximum(0, np.floor(expected - a[usable] + _EPSILON)).astype("int64")
    return rows.reset_index(drop=True)
