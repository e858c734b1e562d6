"""Errors meant for people: what was wrong, where, and what to do."""

from __future__ import annotations


class PodiumError(Exception):
    """Base of every error podium reports to a user instead of a traceback."""

    def __init__(self, what: str, *, where: str | None = None, hint: str | None = None) -> None:
        self.what = what
        self.where = where
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [f"{self.where}: {self.what}" if self.where else self.what]
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class SpecError(PodiumError):
    """A competition.toml or submission podium.toml is invalid."""


class DataError(PodiumError):
    """A data file cannot be read or does not fit its task."""


class SubmissionError(PodiumError):
    """A submission is malformed or broke the contract; counts against the team."""


class PredictionError(SubmissionError):
    """Predictions are missing, duplicated or outside the label set."""


class PlatformError(PodiumError):
    """The platform (not the submission) failed; the attempt is released and retried."""


class NotFoundError(PodiumError):
    """A named thing (team, stage, task, submission) does not exist."""


class InputError(PodiumError):
    """A person's text or field is unusable (empty, too long): say which and the limit."""


class RuleError(PodiumError):
    """A request breaks a competition rule (attempts, closed stage, hidden results)."""


class AuthenticationError(PodiumError):
    """No valid token or session: sign in first."""


class ForbiddenError(PodiumError):
    """Signed in, but the thing belongs to someone else (another team, the organizers)."""


class MissingExtraError(PodiumError):
    """A feature whose optional dependencies (a `podium[extra]`) are not installed."""

    def __init__(self, extra: str, feature: str, module: str | None = None) -> None:
        self.extra = extra
        missing = f" ({module} is not installed)" if module else ""
        super().__init__(
            f"{feature} needs the optional extra podium[{extra}]{missing}",
            hint=f"pip install 'podium[{extra}]'",
        )
