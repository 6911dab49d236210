"""Benchmarks of Casework: persisted actions per second against the raw SQLite floor, and the
monthly report on a synthetic history of up to millions of events.  ``python -m bench``."""
