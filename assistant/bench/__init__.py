"""Benchmarks behind `assistant bench …` (speed and accuracy targets, as JSON): one module per
subject, run by assistant/cli/bench.py."""
