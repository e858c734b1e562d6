"""Submissions: their manifest, archives, and validation of their predictions."""
