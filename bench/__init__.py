"""The benchmarks and the fault scenarios, each run with `python -m bench.<name>` (see bench/README.md)."""
