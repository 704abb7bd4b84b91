"""Benchmarks that print Markdown tables (``make bench``); see bench/README.md."""
