"""The library's own questions on a district's store: the whole audit, and (as extras) rebuilding the analysis
tables, one indicator by race and one score-gap table.

- `audit`: `analysis.audit(store, ("school_year", "school", "race"))`, every rate indicator with data x race,
  by school and year, suppressed: what the Overview computes for a district, and the pandas and Aequitas
  baselines compute too.
- `first_protection`: the same audit right after an import, when no protected table is cached yet: every
  indicator's table of every year is built and proven (`protected`, `disclosure`).
- `rebuild`: `facts.rebuild_facts` in one transaction (what every import and deletion ends with), on a private
  copy of the store.
- `one_indicator`: `analysis.rates(store, "oss", ["race"])`, the latest year.
- `one_gap`: `analysis.gaps(store, "math_scale_score", ["school_year", "school", "race"])`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import Prepared
from benchmarks.district import DEFAULT_SCHOOLS, ensure_store, read_meta
from equity_metrics.measures import analysis, protected
from equity_metrics.measures.aggregate import Filters
from equity_metrics.storage.facts import rebuild_facts
from equity_metrics.storage.store import Store

BY = ("school_year", "school", "race")


def _info(path: Path) -> dict:
    meta = read_meta(path)
    return {"data_rows": meta["counts"]["facts_student_year"], "arrow_bytes": meta["arrow_bytes_total"],
            "test_results": meta["counts"]["facts_assessment"]}


def _open(rows: int, schools: int) -> tuple[Store, Path]:
    path = ensure_store(rows, schools)
    return Store(path, read_only=True), path


def audit(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    store, path = _open(rows, schools)
    table = analysis.audit(store, BY)
    return Prepared(lambda: analysis.audit(store, BY), close=store.close,
                    info={**_info(path), "result_rows": len(table), "indicators": int(table["indicator_id"].nunique())})


def first_protection(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    """The whole audit right after an import: every indicator's protected table of every year built and proven
    (the cache is emptied before each run)."""
    store, path = _open(rows, schools)

    def run() -> object:
        protected.forget_protected_tables()
        return analysis.audit(store, BY)

    return Prepared(run, close=store.close, info=_info(path))


def one_indicator(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    store, path = _open(rows, schools)
    return Prepared(lambda: analysis.rates(store, "oss", ["race"]), close=store.close, info=_info(path))


def one_gap(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    store, path = _open(rows, schools)
    return Prepared(lambda: analysis.gaps(store, "math_scale_score", list(BY), Filters()), close=store.close,
                    info=_info(path))


def rebuild(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    source = ensure_store(rows, schools)
    folder = Path(tempfile.mkdtemp(prefix="equity-bench-rebuild-"))
    shutil.copyfile(source, folder / "store.duckdb")
    store = Store(folder / "store.duckdb")

    def run() -> None:
        with store.transaction() as cursor:
            rebuild_facts(cursor)

    def close() -> None:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)

    return Prepared(run, close=close, info=_info(source))
