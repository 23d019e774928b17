"""The one cached store of the app process, and cached library calls keyed by the store's data version.

Every session shares one `Store` (one DuckDB file, one cursor per thread). Results are cached per data
version, so an import or deletion invalidates them without clearing anything by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st

from equity_metrics.ingest.uploads import remove_stale_uploads
from equity_metrics.measures import aggregate, analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.disproportionality import disproportionality_table
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.measures.rules import MultiYearRule
from equity_metrics.narrative import discipline_stages, score_distribution, score_gaps
from equity_metrics.sample.sample_store import open_store_with_data
from equity_metrics.storage.store import Store, default_db_path


def get_store() -> Store:
    """The process's store ($EQUITY_EXPLORER_DB or the user's data folder); on first start with an empty
    store, the sample district is loaded."""
    return _open_store(str(default_db_path()))


T = TypeVar("T")


@st.cache_resource(show_spinner="Opening the data store (the first start loads the sample district)…")
def _open_store(path: str) -> Store:
    return open_store_with_data(Path(path))


@st.cache_resource(show_spinner=False)
def remove_leftover_uploads() -> tuple[str, ...]:
    """Once per server process: delete the upload copies that earlier server processes left in the temporary
    folder (a crash, a killed server); the folders of this server and of other running ones are kept."""
    return tuple(str(folder) for folder in remove_stale_uploads())


@st.cache_data(show_spinner=False, max_entries=512)
def cached_rates(_store: Store, cache_key: str, indicator_id: str, by: tuple[str, ...], filters: Filters,
                 options: MetricOptions, adjust: tuple[str, ...] = (),
                 standard_shares: tuple[tuple[str, float], ...] | None = None) -> analysis.Result:
    del cache_key  # the store file and data version: part of the cache key only
    return analysis.rates(_store, indicator_id, by, filters, options, adjust,
                          dict(standard_shares) if standard_shares is not None else None)


@st.cache_data(show_spinner=False, max_entries=512)
def cached_gaps(_store: Store, cache_key: str, indicator_id: str, by: tuple[str, ...], filters: Filters,
                options: MetricOptions, adjust: tuple[str, ...] = ()) -> analysis.Result:
    del cache_key
    return analysis.gaps(_store, indicator_id, by, filters, options, adjust=adjust)


# Said while a result is computed for the first time (a cache miss): a year's first view proves its tables.
FIRST_TIME = ("Computing every indicator… The first view of a school year also checks, table by table, that no "
              "hidden count can be worked out from the others: on a large district that takes minutes, once.")


@st.cache_data(show_spinner=FIRST_TIME, max_entries=64)
def cached_audit(_store: Store, cache_key: str, by: tuple[str, ...], filters: Filters, options: MetricOptions):
    del cache_key
    return analysis.audit(_store, by, filters, options)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_indicators_with_data(_store: Store, cache_key: str) -> list[str]:
    del cache_key
    return [i.id for i in analysis.indicators_with_data(_store)]


@st.cache_data(show_spinner=False, max_entries=64)
def cached_disproportionality(_store: Store, cache_key: str, indicator_ids: tuple[str, ...], filters: Filters,
                              options: MetricOptions, rule: MultiYearRule) -> pd.DataFrame:
    """The IDEA significant-disproportionality table over the indicators with data (by school year and race)."""
    del cache_key
    tables = {}
    for indicator_id in indicator_ids:
        try:
            tables[indicator_id] = analysis.rates(_store, indicator_id, ("school_year", "race"), filters, options).table
        except analysis.NoDataError:
            continue
    return disproportionality_table(tables, options, rule)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_school_years(_store: Store, cache_key: str) -> list[str]:
    del cache_key
    return aggregate.school_years(_store)


@st.cache_data(show_spinner=False, max_entries=128)
def cached_stages(_store: Store, cache_key: str, by: tuple[str, ...], filters: Filters,
                  options: MetricOptions) -> discipline_stages.StagedRates:
    """Discipline stages (referral to expulsion) by group, per enrolled student and of students referred."""
    del cache_key
    return discipline_stages.staged_rates(_store, by, filters, options)


@st.cache_data(show_spinner=False, max_entries=128)
def cached_distribution(_store: Store, cache_key: str, indicator_id: str, by: tuple[str, ...], filters: Filters,
                        options: MetricOptions) -> score_distribution.Distribution:
    """Score percentiles (10th to 90th) by group, suppressed like the gap table."""
    del cache_key
    return score_distribution.score_distribution(_store, indicator_id, by, filters, options)


@st.cache_data(show_spinner=False, max_entries=128)
def cached_gaps_within(_store: Store, cache_key: str, indicator_id: str, unit: str, by: tuple[str, ...],
                       filters: Filters, options: MetricOptions) -> analysis.Result:
    """Score gaps by group compared within each school or grade."""
    del cache_key
    return score_gaps.gaps_within(_store, indicator_id, unit, by, filters, options)


def cached(function: Callable[..., T], store: Store, *args: object, **kwargs: object) -> T:
    """Call one of the cached_* functions above with the store's cache key (its file and data version), so
    no page passes the key by hand."""
    return function(store, store.cache_key(), *args, **kwargs)
