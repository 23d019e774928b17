"""What every measurement shares: the cache folder, how a case is timed, and how memory is read.

A *case* is one thing measured at one size (e.g. the library's audit of 1,000,000 student-years). It runs in a
fresh process (`python -m benchmarks.child`), so its peak memory (`resource.getrusage` max RSS) is its own:
`setup` prepares everything that is not measured, then `run` is called once untimed (warm-up: file cache,
DuckDB buffers, imports) and `repeat` times timed; the median is reported. This module imports only the
standard library, so the orchestrator (`benchmarks.run`) stays small.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
RESULT_PREFIX = "BENCH-RESULT "
MIB = 1024 * 1024


def cache_dir() -> Path:
    """Generated data lives outside the repository: $EQUITY_BENCH_CACHE, else ~/.cache/equity-explorer-bench."""
    folder = Path(os.environ.get("EQUITY_BENCH_CACHE") or Path.home() / ".cache" / "equity-explorer-bench")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def source_hash(*paths: Path, extra: str = "") -> str:
    """Short hash of some source files (and extra text): cached data is rebuilt when its generator changes."""
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def current_rss() -> int:
    """Resident memory of this process now, in bytes (Linux /proc; else the peak so far)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return peak_rss()


def peak_rss() -> int:
    """Peak resident memory of this process, in bytes (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def high_water_mark() -> int | None:
    """VmHWM of this process (Linux), in bytes: a cross-check of `peak_rss` kept in the JSON results."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


@dataclass
class Prepared:
    """A case ready to time: `run` is what is measured; `before_each` (untimed) runs before every call."""

    run: Callable[[], Any]
    before_each: Callable[[], None] | None = None
    check: Callable[[Any], None] | None = None  # called with the warm-up's return value (untimed)
    info: dict[str, Any] = field(default_factory=dict)  # facts about the data and checks made, for the report
    close: Callable[[], None] | None = None


SLOW_SECONDS = 60.0  # a case whose warm-up takes longer gets at most SLOW_REPEAT timed calls
SLOW_REPEAT = 3


def time_case(prepared: Prepared, repeat: int, start_rss: int) -> dict[str, Any]:
    """Warm up once (checking its result), then time `repeat` calls (at most SLOW_REPEAT when the warm-up took
    over SLOW_SECONDS); return the times, their median and the memory readings."""
    if prepared.before_each is not None:
        prepared.before_each()
    started = time.perf_counter()
    value = prepared.run()
    warm_up = time.perf_counter() - started
    if prepared.check is not None:
        prepared.check(value)
    del value
    if warm_up > SLOW_SECONDS:
        repeat = min(repeat, SLOW_REPEAT)
    times = []
    for _ in range(repeat):
        if prepared.before_each is not None:
            prepared.before_each()
        started = time.perf_counter()
        prepared.run()
        times.append(time.perf_counter() - started)
    if prepared.close is not None:
        prepared.close()
    return {
        "median_s": statistics.median(times),
        "times_s": times,
        "warm_up_s": warm_up,
        "peak_rss": peak_rss(),
        "vm_hwm": high_water_mark(),
        "start_rss": start_rss,
        **prepared.info,
    }


def emit(result: dict[str, Any]) -> None:
    """Hand a case's result to the orchestrator: one line on stdout, whatever else the case printed."""
    sys.stdout.write(RESULT_PREFIX + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


def parse_result(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    return None
