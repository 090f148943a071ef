"""Robustness tests: invalid inputs and edge cases get clear errors."""
