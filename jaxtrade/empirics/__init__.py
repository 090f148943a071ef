"""Empirical tools: high-dimensional fixed-effects regressions (fixest-style)."""
