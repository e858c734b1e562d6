"""Use cases of a competition, as small services around one context (`Podium` holds them).

The CLI, the web app and the workers only call these. Names are imported on first use, so a
command replaying a kept output (`service/outputs.py`) loads no SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podium.service.evaluation import Progress, RunOutcome
    from podium.service.podium import Podium
    from podium.service.setup import init_competition, resolve_source
    from podium.service.submissions import SubmitReceipt

__all__ = [
    "Podium",
    "Progress",
    "RunOutcome",
    "SubmitReceipt",
    "init_competition",
    "resolve_source",
]


def __getattr__(name: str) -> Any:
    if name == "Podium":
        from podium.service.podium import Podium

        return Podium
    if name in ("Progress", "RunOutcome"):
        from podium.service import evaluation

        return getattr(evaluation, name)
    if name in ("init_competition", "resolve_source"):
        from podium.service import setup

        return getattr(setup, name)
    if name == "SubmitReceipt":
        from podium.service.submissions import SubmitReceipt

        return SubmitReceipt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
