"""Use cases of a competition, as small services around one context (`Podium` holds them).

The CLI, the web app and the workers only call these.
"""

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
