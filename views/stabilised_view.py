"""Stabilised rates (empirical Bayes) beside each school's raw rate: off by default, with the caveat, and the
reliability flag in its own column, apart from the privacy note. Every number comes from
`equity_metrics.measures.stabilised`; this module only lays it out."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from equity_metrics.measures import stabilised
from equity_metrics.measures.analysis import Result
from equity_metrics.reports.export_tables import COLUMN_LABELS
from views.components import dimension_label, show_frame
from views.text import escape_markdown

TOGGLE_LABEL = "Stabilised rates (empirical Bayes)"
RELIABILITY_LABEL = "Reliability (RSE over 30% is unreliable)"
_RATE_COLUMNS = ("denominator", "numerator", "rate", "rate_ci_low", "rate_ci_high")
_PERCENT = ("rate", "rate_ci_low", "rate_ci_high", "stabilised_rate", "stabilised_rate_ci_low",
            "stabilised_rate_ci_high")
_PRIOR_LABELS = {"schools": "Shown schools", "students": "Students", "prior_mean": "Typical school's rate",
                 "strength": "Prior weight (students)", "method": "Fitted by", "note": "Note"}


def stabilised_view(result: Result, key: str, across: str = "school") -> pd.DataFrame | None:
    """A toggle (off by default); when on, the table of raw and stabilised rates by school, the caveat, the
    reliability column and how each group's prior was fitted. Returns the table shown (None when off)."""
    reason = stabilised.not_offered(result.indicator)
    on = st.toggle(TOGGLE_LABEL, value=False, key=f"{key}_stabilised", disabled=bool(reason),
                   help="Pulls each school's rate toward the typical school of the same group, more for small "
                        "schools. Off by default: the observed rates are the ones to report.")
    if reason:
        st.caption(reason)
    if not on or reason:
        return None
    keys = stabilised.prior_keys(result.units, result.groups, across)
    done = stabilised.stabilised_rates(result.table, keys, result.options.confidence)
    table = stabilised.reliability(done.table)
    table["reliability"] = [stabilised.reliability_text(r) for r in table["relative_standard_error"]]
    if not (done.priors["method"] != stabilised.NO_PRIOR).any():
        st.caption(f"No group has {stabilised.MIN_SCHOOLS} or more schools with a shown rate (and some variety in "
                   "it), so no rate is stabilised here.")
    flipped = stabilised.reorderings(table, keys)
    order = (f" Here it changes the order of {flipped} pair{'s' if flipped != 1 else ''} of schools."
             if flipped else " Here it changes the order of no pair of schools.")
    st.caption(escape_markdown(stabilised.CAVEAT + order + " Reliability (the relative standard error of the "
                               "observed rate) is a statistical warning, separate from the privacy note."))
    dims = [*result.units, *result.groups]
    labels = {**{d: dimension_label(d) for d in dims}, **{c: COLUMN_LABELS[c] for c in _RATE_COLUMNS},
              **{c: stabilised.COLUMN_LABELS[c] for c in stabilised.STABILISED_COLUMNS[:3]},
              "reliability": RELIABILITY_LABEL, "note": "Privacy and minimums"}
    show_frame(table, f"{key}_stabilised", f"{result.indicator.id}_{'_'.join(dims)}_stabilised.csv", labels,
               percent=_PERCENT)
    with st.expander("How the stabilised rates were fitted", expanded=False):
        st.caption("One beta prior per group, fitted across the schools whose rate is shown (maximum likelihood "
                   "of the beta-binomial; the method of moments when that fails). Hidden cells are not used "
                   "and get no stabilised rate.")
        priors = done.priors.assign(strength=done.priors["alpha"] + done.priors["beta"])
        prior_labels = {**{k: dimension_label(k) for k in keys}, **_PRIOR_LABELS}
        show_frame(priors, f"{key}_priors", f"{result.indicator.id}_priors.csv", prior_labels,
                   percent=("prior_mean",), decimals={"strength": "%.1f"})
    return table
