"""Benchmarks of the hot paths, kept out of the app: `python -m tests.bench` (`make bench`).

Their goals and the log of past runs: RESULTS.md beside this file.
"""
