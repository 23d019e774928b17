"""Run one case in this (fresh) process and print its result line: `python -m benchmarks.child
benchmarks.bench_audit:audit --rows 1000000 --repeat 5`. The orchestrator (`benchmarks.run`) starts one such
process per case, so each peak memory reading belongs to one case."""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys

from benchmarks.common import Prepared, current_rss, emit, time_case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", help="module:function returning a Prepared case (or a finished result dict)")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--schools", type=int)
    args = parser.parse_args(argv)
    module_name, function_name = args.case.split(":")
    module = importlib.import_module(module_name)
    start_rss = current_rss()  # after the imports: the interpreter and libraries, before any data
    function = getattr(module, function_name)
    kwargs = {"schools": args.schools} if args.schools else {}
    if "repeat" in inspect.signature(function).parameters:  # a case that times itself
        kwargs["repeat"] = args.repeat
    case = function(args.rows, **kwargs)
    # A case that measured itself (e.g. in another interpreter) returns its result instead.
    result = time_case(case, args.repeat, start_rss) if isinstance(case, Prepared) else {"start_rss": start_rss, **case}
    emit({"case": args.case, "rows": args.rows, "repeat": args.repeat, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
