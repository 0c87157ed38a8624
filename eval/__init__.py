"""Benchmarks and metrics behind `kb eval` and the performance scripts."""
