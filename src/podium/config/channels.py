"""`[notify]`: the Apprise URLs where news goes, for everyone and per team.

URLs may name `${ENV_VAR}`s, so tokens and passwords stay out of competition.toml. A URL whose
variables are all set is checked when read; an unset one is an error only when a message is sent
(a shell that never sends news needs none of them). URLs are shown only as `scheme://…` (never
the secret part).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class NotifySpec(BaseModel):
    """Where news goes: `urls` hear everything public, `teams` their own team's runs."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(
        default_factory=list,
        description="Apprise URLs for everyone's news (leaderboard changes, stages opening "
        "and closing, the final revealed); ${ENV_VAR} is replaced from the environment",
    )
    teams: dict[str, list[str]] = Field(
        default_factory=dict,
        description="per team name, Apprise URLs for its own news (its runs scored or failed), "
        'e.g. "Deep Percept" = ["mailto://..."]',
    )
    tries: int = Field(default=5, ge=1, le=50, description="sending tries before giving up")
    retry_seconds: float = Field(
        default=30.0, gt=0, le=86400, description="wait before the 2nd try; doubles each time"
    )
    timeout_seconds: float = Field(
        default=5.0, gt=0, le=120, description="connect and read time-out of one sending try"
    )

    @model_validator(mode="after")
    def _usable(self) -> NotifySpec:
        for where, url in self.destinations():
            check_url(url, where)
        return self

    def destinations(self) -> Iterator[tuple[str, str]]:
        """(where it is written, raw URL) of every configured URL."""
        for i, url in enumerate(self.urls):
            yield f"notify.urls[{i}]", url
        for team, urls in self.teams.items():
            for i, url in enumerate(urls):
                yield f'notify.teams."{team}"[{i}]', url

    def channel(self, team: str | None) -> list[str]:
        """The raw URLs of everyone's channel (`team` None) or of one team's."""
        return list(self.urls) if team is None else list(self.teams.get(team, ()))


class UnsetVariable(ValueError):
    """A `${NAME}` the environment does not hold (an error only when sending)."""


def expand(url: str, env: Mapping[str, str] | None = None) -> str:
    """`url` with every `${NAME}` replaced; ValueError naming a malformed one, UnsetVariable
    a missing one."""
    env = os.environ if env is None else env

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if not _NAME.match(name):
            raise ValueError(f"${{{name}}} is not an environment variable name")
        if name not in env:
            raise UnsetVariable(
                f"the environment variable {name} is not set (export it in the shell that "
                "sends news, e.g. that of `podium serve`; `podium notify test` tries every URL)"
            )
        return env[name]

    return _VARIABLE.sub(value, url)


def secrets_of(url: str, env: Mapping[str, str] | None = None) -> list[str]:
    """The values `url` takes from the environment (to blank out of error messages)."""
    env = os.environ if env is None else env
    return [env[n] for n in _VARIABLE.findall(url) if env.get(n)]


def shown(url: str) -> str:
    """How a URL is printed: its scheme only, since anything after it may be a secret (the
    scheme of what `${VAR}`s expand to, when they are set)."""
    with contextlib.suppress(ValueError):
        url = expand(url)
    scheme, sep, _ = url.partition("://")
    return f"{scheme}://…" if sep and scheme.isalnum() else "(not a URL)"


def check_url(url: str, where: str) -> None:
    """ValueError naming `where` unless `url` expands and Apprise accepts it; a URL naming an
    unset variable is checked when sent (its variables' names are checked now)."""
    import apprise  # only competitions that notify pay for it

    for name in _VARIABLE.findall(url):
        if not _NAME.match(name):
            raise ValueError(f"{where}: ${{{name}}} is not an environment variable name")
    try:
        real = expand(url)
    except UnsetVariable:
        return
    except ValueError as err:
        raise ValueError(f"{where}: {err} (export it, or write the value in the URL)") from None
    if not apprise.Apprise().add(real):
        raise ValueError(
            f"{where}: Apprise cannot use {shown(url)} (unknown service or malformed URL; "
            "see https://github.com/caronc/apprise/wiki for the URL of each service)"
        )
