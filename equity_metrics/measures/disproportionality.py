"""IDEA significant disproportionality (34 CFR 300.647): for each special-education indicator and each race
group, the risk ratio vs all other students in each year, the minimums that applied, the threshold, and
whether the ratio was above it in each of the last K years (`rules.multi_year_flags`). Works on suppressed
rate tables split by (school_year, race), so privacy rules still hold."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from equity_metrics.core.constants import UNKNOWN
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.measures.rules import MultiYearRule, multi_year_flags

COLUMNS = ("indicator_id", "race", "latest_year", "denominator", "numerator", "risk_ratio", "risk_ratio_ci_low",
           "risk_ratio_ci_high", "min_n", "min_cell", "threshold", "above_threshold_latest",
           "above_threshold_each_year", "reasonable_progress", "years_above", "note")


def disproportionality_table(tables: Mapping[str, pd.DataFrame], options: MetricOptions,
                             rule: MultiYearRule = MultiYearRule()) -> pd.DataFrame:
    """One row per indicator x known race group: the latest year's n, count and risk ratio (with interval),
    the n-size and cell size that applied, the threshold, whether the latest ratio is above it, the multi-year
    flag, reasonable progress, each year's ratio (columns named by year) and the latest year's note."""
    frames = []
    for indicator_id, table in tables.items():
        known = table[table["race"] != UNKNOWN]
        if known.empty:
            continue
        years = sorted(known["school_year"].astype(str).unique())
        flags = multi_year_flags(known, ["race"], rule)
        latest = known[known["school_year"].astype(str) == years[-1]].set_index("race")
        out = pd.DataFrame({"indicator_id": indicator_id, "race": flags["race"], "latest_year": years[-1]})
        for column in ("denominator", "numerator", "risk_ratio", "risk_ratio_ci_low", "risk_ratio_ci_high", "note"):
            out[column] = latest[column].reindex(flags["race"]).to_numpy()
        out["min_n"] = options.min_n
        out["min_cell"] = options.min_cell
        out["threshold"] = rule.threshold
        ratios = out["risk_ratio"].to_numpy(dtype="float64", na_value=np.nan)
        rounded = np.round(ratios, 10)
        out["above_threshold_latest"] = (rounded >= rule.threshold) if rule.inclusive else (rounded > rule.threshold)
        out["above_threshold_each_year"] = flags["above_threshold_each_year"].to_numpy()
        out["reasonable_progress"] = flags["reasonable_progress"].to_numpy()
        year_values = np.round(flags[years].to_numpy(dtype="float64"), 10)
        above = (year_values >= rule.threshold) if rule.inclusive else (year_values > rule.threshold)
        out["years_above"] = above.sum(axis=1)
        for year in years:
            out[f"risk_ratio_{year}"] = flags[year].to_numpy()
        frames.append(out)
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(frames, ignore_index=True)
