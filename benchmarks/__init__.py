"""Speed and memory benchmarks of Equity Explorer (not part of the test suite). Run `python -m benchmarks.run`;
see benchmarks/README.md."""
