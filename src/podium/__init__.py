"""podium: internal ML competitions ranked by quality and efficiency."""

# The one place the version is written (pyproject.toml reads it): `podium --version` answers
# without asking importlib.metadata, which costs more than the rest of the answer.
__version__ = "0.1.0"
