"""The Aequitas baseline, run inside benchmarks/.venv-aequitas (Aequitas pins pandas < 3):

    benchmarks/.venv-aequitas/bin/python benchmarks/aequitas_measure.py MANIFEST.json

The manifest (written by `benchmarks.bench_aequitas`) names Parquet files, one per analysis table, each with a
`cell` column (school year, school and race joined: the unit and the group) and per indicator two 0/1 columns,
`p__<id>` (in the population) and `e__<id>` (in it, with the event). For every indicator, Aequitas'
`Group().get_crosstabs` computes the per-group counts and rates of the population's rows, with the event as
both score and label: `group_size` is the denominator, `group_label_pos` the numerator and `prev` the rate.
Using the cell as the one attribute gets every school and year in one call per indicator, the fastest way to
ask Aequitas for them (one call per school and year would be thousands of calls). Aequitas has no "all other
students" comparison, no intervals, tests or suppression, so only the rates are compared.

Loading the files is untimed; then the loop over indicators runs once untimed and `repeat` times timed. Prints
one JSON line: times, peak memory (max RSS of this process) and versions; writes the per-group table to the
manifest's `out` (Parquet).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time

import aequitas
import pandas as pd
from aequitas.group import Group


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def crosstabs(frames: list[tuple[pd.DataFrame, list[str]]]) -> pd.DataFrame:
    group = Group()
    parts = []
    for frame, indicator_ids in frames:
        for indicator_id in indicator_ids:
            rows = frame[frame[f"p__{indicator_id}"]]
            event = rows[f"e__{indicator_id}"].astype(int)
            table, _ = group.get_crosstabs(pd.DataFrame({"cell": rows["cell"], "score": event, "label_value": event}),
                                           attr_cols=["cell"])
            parts.append(table[["attribute_value", "group_size", "group_label_pos", "prev"]]
                         .assign(indicator_id=indicator_id))
    return pd.concat(parts, ignore_index=True)


def main() -> int:
    start = rss()  # after the imports, before any data (as `start_rss` of the other cases)
    with open(sys.argv[1]) as handle:
        manifest = json.load(handle)
    frames = []
    for source in manifest["sources"]:
        frame = pd.read_parquet(source["file"], engine="fastparquet")
        frame["cell"] = frame["cell"].astype(object)  # Aequitas accepts only object or str attribute columns
        frames.append((frame, source["indicators"]))
    times = []
    result = None
    for attempt in range(manifest["repeat"] + 1):
        started = time.perf_counter()
        result = crosstabs(frames)
        if attempt:
            times.append(time.perf_counter() - started)
    result.to_parquet(manifest["out"], engine="fastparquet")
    print(json.dumps({
        "median_s": statistics.median(times), "times_s": times,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "start_rss": start,
        "versions": f"aequitas {aequitas.__version__}, pandas {pd.__version__}, Python {sys.version.split()[0]}",
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
