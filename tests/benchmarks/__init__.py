"""Benchmarks of xivo.confd (scripts, not timed tests): run them with scripts/benchmark."""
