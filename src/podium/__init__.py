"""podium: internal ML competitions ranked by quality and efficiency."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("podium")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
