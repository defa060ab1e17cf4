"""Benchmarks: ``python -m analytics.bench NAME [options]``, one module per benchmark.

Each module ``analytics/bench/NAME.py`` has ``main(argv) -> int``, prints its figures beside a
baseline measured in the same run, and caches its generated data under ``bench_data/`` (gitignored).
"""
