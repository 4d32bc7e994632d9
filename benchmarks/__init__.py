"""Benchmarks print one JSON line each; never run as tests. `python -m benchmarks.<name>` or run the file."""
