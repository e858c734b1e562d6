"""Forming teams: reading a roster (`roster`) and pairing people with CP-SAT (`pairing`)."""

# The defaults `podium team pair` shows in its help, here so that the help imports nothing more
SENIOR_YEARS = 5.0  # years of experience from which a person counts as senior
DEFAULT_TIME_LIMIT = 30.0  # seconds the solver may use
