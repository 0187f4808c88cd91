"""`make eval`: composition quality, measured. Scenarios x automatic checks, a pass rate per check."""
