"""Robustness tests (issue 15): invalid inputs get clear errors; solvers flag bad lanes and outputs."""
