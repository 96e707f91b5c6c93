"""The Python member of the languages bench (scripts/bench/languages)."""
