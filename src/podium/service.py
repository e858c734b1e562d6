"""Use cases of a competition. The CLI, the web app and its worker only call these."""

from __future__ import annotations

from pathlib import Path

from podium.accounts import Accounts
from podium.core import SubmitReceipt
from podium.data.huggingface import HUB_PREFIX
from podium.errors import SpecError
from podium.runqueue import Progress, RunOutcome
from podium.spec import SPEC_FILENAME, render_default_spec

__all__ = [
    "Podium",
    "Progress",
    "RunOutcome",
    "SubmitReceipt",
    "init_competition",
    "resolve_source",
]


def resolve_source(source: str) -> str:
    """A folder source relative to where the organizer typed it, not to the competition."""
    if source == "synthetic" or source.startswith(HUB_PREFIX):
        return source
    return str(Path(source).expanduser().resolve())


def init_competition(
    root: Path, *, name: str | None = None, source: str = "synthetic", force: bool = False
) -> Path:
    """Write a commented competition.toml with the seed competition's defaults."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / SPEC_FILENAME
    if target.exists() and not force:
        raise SpecError(
            "competition.toml already exists",
            where=str(target),
            hint="edit it, or pass --force to overwrite it",
        )
    source = resolve_source(source)
    target.write_text(render_default_spec(name or "XTREME four-task challenge", source), "utf-8")
    return target


class Podium(Accounts):
    """One competition folder and its store: every use case, for the CLI, web and workers."""
