"""Models: one package per model (parameters, solvers, simulation, moments)."""
