"""Forming teams: reading a roster (`roster`) and pairing people with CP-SAT (`pairing`)."""
