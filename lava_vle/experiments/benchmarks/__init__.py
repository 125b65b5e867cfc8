"""Benchmark scripts: each writes JSON results and a plot (not timed tests)."""
