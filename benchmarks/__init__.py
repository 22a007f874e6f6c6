"""Measured figures for feedback-router: capture latency and processing throughput.

Run ``python -m benchmarks`` (or ``make bench``); ``python -m benchmarks --help`` lists the options.
Every scenario starts the real ``feedback-router`` command in a subprocess, against a temporary
SQLite file or a temporary PostgreSQL database and a flushed Redis database, and cleans up after.
"""
