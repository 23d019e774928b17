"""Run every benchmark and write the table of medians (one command; see benchmarks/README.md):

    python -m benchmarks.run [--sizes 100000,1000000,5000000] [--repeat 5] [--excel-rows 1048575]
                             [--only csv,excel,audit,pandas,aequitas,page,browser,extras] [--out benchmarks/results/latest.md]

For each size it makes (once, in the cache folder) the district's store and its roster as CSV, then runs
every case in its own fresh process (`benchmarks.child`), so each case's peak memory is its own. The Excel
cases run once, on a sheet of `--excel-rows` data rows (Excel's largest: 1,048,575 below the header). The
Aequitas case creates benchmarks/.venv-aequitas on first use. Writes the Markdown table (with the machine it ran
on) to --out and every reading to the same name with .json; prints the table. This process imports only the
standard library, so it stays small while the cases run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import MIB, ROOT, parse_result

GROUPS = ("csv", "excel", "audit", "pandas", "aequitas", "page", "browser", "extras")


@dataclass(frozen=True)
class Case:
    key: str  # short name, unique per size
    group: str  # selected with --only
    target: str  # benchmarks.<module>:<function>
    label: str
    baseline: str | None = None  # key of the case this one is compared with
    role: str = "library"  # library | baseline


def cases_for_size() -> list[Case]:
    return [
        Case("csv_bare", "csv", "benchmarks.bench_import:csv_bare", "CSV: DuckDB `read_csv` to Arrow (bare read)",
             role="baseline"),
        Case("csv_read", "csv", "benchmarks.bench_import:csv_read", "CSV: library read (`readers.read_source`)",
             "csv_bare"),
        Case("csv_store", "csv", "benchmarks.bench_import:csv_store",
             "CSV: read + store (`import_into`, no rebuild)", "csv_bare"),
        Case("csv_import", "csv", "benchmarks.bench_import:csv_import",
             "CSV: whole import (`import_sources`, with rebuild)", "csv_bare"),
        Case("audit", "audit", "benchmarks.bench_audit:audit",
             "Whole audit: library (`analysis.audit`, every indicator x race, by school and year)"),
        Case("first_protection", "audit", "benchmarks.bench_audit:first_protection",
             "Whole audit right after an import: every protected table built and proven"),
        Case("pandas", "pandas", "benchmarks.pandas_audit:pandas_case",
             "Whole audit: straightforward pandas (same numbers; scipy Fisher row by row)", "audit", "baseline"),
        Case("pandas_vec", "pandas", "benchmarks.pandas_audit:pandas_vectorised_tests_case",
             "Whole audit: pandas with the library's vectorised tests", "audit", "baseline"),
        Case("aequitas", "aequitas", "benchmarks.bench_aequitas:aequitas_case",
             "Per-group rates: Aequitas 1.1.0 `get_crosstabs` (own venv)", "audit", "baseline"),
        Case("page", "page", "benchmarks.bench_page:discipline_rerun",
             "Page rerun (AppTest): Discipline after a sidebar filter change"),
        Case("browser_first_load", "browser", "benchmarks.bench_browser:first_load",
             "Browser (Chromium): a new tab opens the app, until the Overview's charts are drawn"),
        Case("browser_filter", "browser", "benchmarks.bench_browser:filter_change",
             "Browser (Chromium): Discipline after a sidebar filter change, until its charts are drawn"),
        Case("browser_switch", "browser", "benchmarks.bench_browser:page_switch",
             "Browser (Chromium): a click between Discipline and Course access, until the charts are drawn"),
        Case("rebuild", "extras", "benchmarks.bench_audit:rebuild", "Rebuild the analysis tables (`rebuild_facts`)"),
        Case("one_indicator", "extras", "benchmarks.bench_audit:one_indicator",
             "One indicator (OSS) x race, latest year (`analysis.rates`)"),
        Case("one_gap", "extras", "benchmarks.bench_audit:one_gap",
             "One score gap (math) x race, by school and year (`analysis.gaps`)"),
    ]


def excel_cases() -> list[Case]:
    return [
        Case("xlsx_bare", "excel", "benchmarks.bench_import:xlsx_bare", "Excel: fastexcel sheet to Arrow (bare read)",
             role="baseline"),
        Case("xlsx_read", "excel", "benchmarks.bench_import:xlsx_read", "Excel: library read (`readers.read_source`)",
             "xlsx_bare"),
        Case("xlsx_store", "excel", "benchmarks.bench_import:xlsx_store",
             "Excel: read + store (`import_into`, no rebuild)", "xlsx_bare"),
        Case("xlsx_import", "excel", "benchmarks.bench_import:xlsx_import",
             "Excel: whole import (`import_sources`, with rebuild)", "xlsx_bare"),
    ]


# ---- running -------------------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def prepare(what: str, rows: int, schools: int, timeout: float) -> dict:
    """Make (or find) one generated file in the cache folder, in a separate process."""
    _say(f"preparing {what} of {rows:,} rows (cached after the first time)")
    completed = subprocess.run([sys.executable, "-m", "benchmarks.district", what, "--rows", str(rows),
                                "--schools", str(schools)], cwd=ROOT, env=_env(), capture_output=True, text=True,
                               timeout=timeout)
    if completed.returncode != 0:
        raise SystemExit(f"could not prepare the {what} of {rows:,} rows:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_case(case: Case, rows: int, args: argparse.Namespace) -> dict:
    _say(f"{case.key} at {rows:,} rows ...")
    command = [sys.executable, "-m", "benchmarks.child", case.target, "--rows", str(rows),
               "--repeat", str(args.repeat), "--schools", str(args.schools)]
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {args.timeout:g} s"}
    result = parse_result(completed.stdout) if completed.returncode == 0 else None
    if result is None:
        lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
        return {"error": " / ".join(lines[-3:]) or f"exit status {completed.returncode}"}
    _say(f"  {case.key}: median {result.get('median_s', float('nan')):.3f} s "
         f"({time.perf_counter() - started:.0f} s with setup)" if "median_s" in result else f"  {case.key}: {result}")
    return result


# ---- the table -------------------------------------------------------------------------------------------
def _mib(value: float | None) -> str:
    return "" if value is None else f"{value / MIB:,.0f}"


def _judge(case: Case, rows: int, result: dict, results: dict[str, dict]) -> tuple[str, str, str]:
    """(comparison with the baseline, target, met?) for one row."""
    seconds = result.get("median_s")
    base = results.get(case.baseline or "", {}).get("median_s")
    compared, target, met = "", "", ""
    if case.baseline and seconds and base:
        if case.role == "library":  # library time as a multiple of the bare read
            compared = f"{seconds / base:.2f}x the bare read"
        else:  # the baseline's time as a multiple of the library's
            compared = f"{seconds / base:.1f}x the library's time"
    if case.key in ("csv_import", "xlsx_import") and seconds and base:
        target, met = "<= 1.3x the bare read", _yes(seconds <= 1.3 * base)
    elif case.key == "audit" and seconds:
        target = "< 0.5 s at 1,000,000 rows" if rows == 1_000_000 else ""
        met = _yes(seconds < 0.5) if rows == 1_000_000 else ""
    elif case.key == "pandas" and seconds and base:
        target, met = "library >= 2x faster", _yes(seconds >= 2 * base)
    elif case.key == "aequitas" and seconds and base:
        target, met = "library >= 10x faster", _yes(seconds >= 10 * base)
    elif case.key == "page" and seconds and rows == 1_000_000:
        target, met = "< 0.15 s at 1,000,000 rows", _yes(seconds < 0.15)
    return compared, target, met


def _yes(condition: bool) -> str:
    return "yes" if condition else "**no**"


def _memory(case: Case, result: dict) -> tuple[str, str]:
    """(peak - start as a multiple of the data in Arrow, met?) for library rows (target < 3x)."""
    arrow, peak, start = result.get("arrow_bytes"), result.get("peak_rss"), result.get("start_rss")
    if not (arrow and peak and start):
        return "", ""
    ratio = (peak - start) / arrow
    return f"{ratio:.1f}x", (_yes(ratio < 3) if case.role == "library" else "")


HEADER = ("| rows | measurement | median s | compared | peak MiB | peak - start MiB | data in Arrow MiB "
          "| (peak - start) / Arrow | time target | met | memory < 3x Arrow |\n|---|---|---|---|---|---|---|---|---|---|---|")


def table_rows(rows: int, cases: list[Case], results: dict[str, dict], repeat: int) -> list[str]:
    lines = []
    for case in cases:
        result = results.get(case.key)
        if result is None:
            continue
        shown_rows = f"{result.get('data_rows', rows):,}"
        if "error" in result or "skipped" in result:
            reason = result.get("error") or result.get("skipped")
            lines.append(f"| {shown_rows} | {case.label} | not measured: {reason} | | | | | | | | |")
            continue
        compared, target, met = _judge(case, rows, result, results)
        ratio, memory_met = _memory(case, result)
        runs = len(result.get("times_s", ()))
        median = f"{result['median_s']:.3f}" + (f" ({runs} runs)" if runs != repeat else "")
        lines.append(
            f"| {shown_rows} | {case.label} | {median} | {compared} | {_mib(result.get('peak_rss'))} "
            f"| {_mib(result.get('peak_rss', 0) - result.get('start_rss', 0))} | {_mib(result.get('arrow_bytes'))} "
            f"| {ratio} | {target} | {met} | {memory_met} |"
        )
    return lines


def machine() -> dict:
    info = {"platform": platform.platform(), "machine": platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "load_average_at_start": os.getloadavg()}
    try:
        with open("/proc/cpuinfo") as handle:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
        with open("/proc/meminfo") as handle:
            info["memory_gib"] = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = subprocess.run(
        [sys.executable, "-c", "import duckdb, pandas, pyarrow, numpy, scipy, streamlit, altair, fastexcel; "
         "print(f'DuckDB {duckdb.__version__}, pandas {pandas.__version__}, pyarrow {pyarrow.__version__}, "
         "numpy {numpy.__version__}, scipy {scipy.__version__}, Streamlit {streamlit.__version__}, "
         "Altair {altair.__version__}, fastexcel {fastexcel.__version__}')"],
        capture_output=True, text=True)
    info["packages"] = versions.stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True)
    info["commit"] = (commit.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    return info


def render(info: dict, sections: list[tuple[str, list[str]]], args: argparse.Namespace) -> str:
    out = [
        f"## Results ({info['date']})", "",
        f"Machine: {info.get('cpu', info['machine'])}, {info['cores']} cores, {info.get('memory_gib', '?')} GiB, "
        f"{info['platform']}; Python {info['python']}; {info['packages']}. Commit {info['commit']}. Load average "
        f"at start {info['load_average_at_start'][0]:.2f}, at end {info['load_average_at_end'][0]:.2f}.", "",
        f"Medians of {args.repeat} timed runs (fewer where shown: a case whose warm-up took over a minute gets 3) "
        f"after one untimed warm-up, each case in its own process; districts of {args.schools} schools. "
        f"Command: `{info['command']}`.", "",
    ]
    for title, lines in sections:
        if lines:
            out += [f"### {title}", "", HEADER, *lines, ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,5000000", help="student-year rows, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (after one warm-up)")
    parser.add_argument("--excel-rows", type=int, default=1_048_575, help="data rows of the Excel sheet")
    parser.add_argument("--schools", type=int, default=60, help="schools in each district")
    parser.add_argument("--only", default=",".join(GROUPS), help=f"groups to run, of {', '.join(GROUPS)}")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed for one case")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "latest.md"))
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    only = {g.strip() for g in args.only.split(",") if g.strip()}
    if only - set(GROUPS):
        parser.error(f"unknown group(s) {', '.join(sorted(only - set(GROUPS)))}; use {', '.join(GROUPS)}")

    info = machine()
    info["date"] = dt.date.today().isoformat()
    info["command"] = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    sections: list[tuple[str, list[str]]] = []
    raw: dict[str, dict] = {}
    for rows in sizes:
        chosen = [c for c in cases_for_size() if c.group in only]
        if not chosen:
            continue
        if only & {"audit", "pandas", "aequitas", "page", "extras"}:
            prepare("store", rows, args.schools, args.timeout)
        if "csv" in only:
            prepare("csv", rows, args.schools, args.timeout)
        results = {case.key: run_case(case, rows, args) for case in chosen}
        raw[str(rows)] = results
        sections.append((f"{rows:,} student-year rows", table_rows(rows, chosen, results, args.repeat)))
    if "excel" in only:
        prepare("xlsx", args.excel_rows, args.schools, max(args.timeout, 7200))
        results = {case.key: run_case(case, args.excel_rows, args) for case in excel_cases()}
        raw[f"xlsx-{args.excel_rows}"] = results
        sections.append((f"Excel: one sheet of {args.excel_rows + 1:,} rows (header included)",
                         table_rows(args.excel_rows, excel_cases(), results, args.repeat)))
    info["load_average_at_end"] = os.getloadavg()

    text = render(info, sections, args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps({"machine": info, "results": raw}, indent=2, default=str))
    print(text)
    _say(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
