"""A chaos fleet member in Python, run by the chaos runner (scripts/chaos) beside Node members."""
