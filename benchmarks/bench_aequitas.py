"""Aequitas computing the same per-group rates as the audit, in its own environment (see aequitas_venv.py
and aequitas_measure.py).

This case runs in the app's environment: it writes the district's inputs as Parquet (untimed), runs
`aequitas_measure.py` under benchmarks/.venv-aequitas, and checks every per-group count and rate Aequitas
returns against the library's unsuppressed cells (`aggregate.rate_cells`) before reporting. Time and peak
memory are the Aequitas process's own. When the environment cannot be created, the case reports why instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from benchmarks import aequitas_venv
from benchmarks.common import BENCH_DIR
from benchmarks.district import DEFAULT_SCHOOLS, ensure_store, read_meta
from benchmarks.pandas_audit import DIMS, KEYS
from equity_metrics.measures import aggregate, analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store

SEPARATOR = "\x1f"  # joins school year, school and race into one attribute value (in no name)


def _years(library: pd.DataFrame, indicator_id: str) -> tuple[str, ...]:
    return tuple(sorted(set(library.loc[library["indicator_id"] == indicator_id, "school_year"])))


def _write_inputs(store: Store, library: pd.DataFrame, folder: Path) -> list[dict]:
    sources = []
    audited = list(dict.fromkeys(library["indicator_id"]))
    for name, source in SOURCES.items():
        ids = [i for i in audited if INDICATORS[i].source == name]
        if not ids:
            continue
        columns = []
        for indicator_id in ids:
            indicator = INDICATORS[indicator_id]
            listed = ", ".join("'" + y.replace("'", "''") + "'" for y in _years(library, indicator_id))
            population = f"coalesce(({indicator.population}), FALSE) AND school_year IN ({listed})"
            columns.append(f'({population}) AS "p__{indicator_id}"')
            columns.append(f'({population}) AND coalesce(({indicator.value}), FALSE) AS "e__{indicator_id}"')
        cell = f" || '{SEPARATOR}' || ".join(KEYS)
        with warnings.catch_warnings():  # DuckDB warns that Arrow from execute() copies: fine here
            warnings.simplefilter("ignore")
            table = store.cursor().execute(f"SELECT {cell} AS cell, {', '.join(columns)} FROM {source.table}").to_arrow_table()
        path = folder / f"{name}.parquet"
        pq.write_table(table, path)
        del table
        sources.append({"file": str(path), "indicators": ids})
    return sources


def _check(store: Store, library: pd.DataFrame, result: pd.DataFrame) -> int:
    """Aequitas' group sizes and positives must equal the library's denominators and numerators, its rates
    their ratio; returns the number of cells compared."""
    result = result.copy()
    result[KEYS] = result["attribute_value"].str.split(SEPARATOR, expand=True)
    compared = 0
    for indicator_id in dict.fromkeys(library["indicator_id"]):
        cells = aggregate.rate_cells(store, [INDICATORS[indicator_id]], KEYS,
                                     Filters(school_years=_years(library, indicator_id)))
        theirs = result[result["indicator_id"] == indicator_id]
        merged = cells.merge(theirs, on=[*KEYS, "indicator_id"], how="outer", indicator=True)
        bad = merged[(merged["_merge"] != "both") | (merged["denominator"] != merged["group_size"])
                     | (merged["numerator"] != merged["group_label_pos"])
                     | ((merged["prev"] - merged["numerator"] / merged["denominator"]).abs() > 1e-12)]
        if len(bad):
            raise AssertionError(f"{indicator_id}: Aequitas differs from the library in {len(bad)} cells:\n"
                                 f"{bad[[*DIMS, 'denominator', 'group_size', 'numerator', 'group_label_pos']].head()}")
        compared += len(merged)
    return compared


def aequitas_case(rows: int, schools: int = DEFAULT_SCHOOLS, repeat: int = 5) -> dict:
    python, detail = aequitas_venv.ensure()
    if python is None:
        return {"skipped": detail}
    path = ensure_store(rows, schools)
    folder = Path(tempfile.mkdtemp(prefix="equity-bench-aequitas-"))
    try:
        with Store(path, read_only=True) as store:
            library = analysis.audit(store, tuple(KEYS))
            manifest = {"sources": _write_inputs(store, library, folder), "repeat": repeat,
                        "out": str(folder / "result.parquet")}
            (folder / "manifest.json").write_text(json.dumps(manifest))
            completed = subprocess.run([str(python), str(BENCH_DIR / "aequitas_measure.py"),
                                        str(folder / "manifest.json")], capture_output=True, text=True)
            if completed.returncode != 0:
                return {"skipped": "aequitas_measure.py failed: " + " ".join(completed.stderr.strip().splitlines()[-3:])}
            measured = json.loads(completed.stdout.strip().splitlines()[-1])
            compared = _check(store, library, pd.read_parquet(manifest["out"]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    meta = read_meta(path)
    return {**measured, "data_rows": meta["counts"]["facts_student_year"], "arrow_bytes": meta["arrow_bytes_total"],
            "checked": f"group sizes, positives and rates of {compared:,} cells equal the library's ({detail})"}
