"""Robustness tests: solver flags, domain rules and bracketing under adverse parameters."""
