"""News where people already are: an outbox of messages for the `[notify]` Apprise URLs.

A fact (a run scored, a stage opened) writes its messages to the outbox beside it; a deliverer
(the server's thread, or a CLI command at its end) sends them later, so a slow or broken
chat service never holds up evaluation, and a restart loses nothing. Failed sends are retried
with a doubling wait, then marked failed; each failure is logged without the URL's secrets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import desc, select, update
from sqlalchemy.orm import Session

from podium.config.channels import expand, secrets_of, shown
from podium.core.errors import SpecError
from podium.core.suggest import did_you_mean
from podium.rules.closing import CloseReport
from podium.rules.problems import summary_lines
from podium.service.context import Competition
from podium.service.reads import NewsItem, news_item
from podium.store.models import OutboxMessage, Team, utcnow

log = logging.getLogger("podium.news")

# (raw URL, title, body, time-out in seconds) -> None when sent, else why not
Sender = Callable[[str, str, str, float], str | None]
CLAIM = timedelta(minutes=2)  # a sender that dies mid-send leaves its message for later
BOARD_LINES = 10


@dataclass(frozen=True)
class Delivered:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0  # gave up after the last try
    retrying: int = 0


@dataclass(frozen=True)
class TestResult:
    where: str
    url: str  # shown without secrets
    error: str | None


class News:
    """Publishes news to the outbox and delivers it; every service announces through here."""

    def __init__(self, competition: Competition, send: Sender | None = None) -> None:
        self.c = competition
        self._send = send or send_with_apprise
        self.published = 0  # messages this process wrote (a CLI command delivers them at exit)

    # -- publishing -------------------------------------------------------------------------

    def publish(
        self,
        kind: str,
        text: str,
        *,
        team: str | None = None,
        title: str | None = None,
        stage: str | None = None,
        data: dict[str, Any] | None = None,
        session: Session | None = None,
    ) -> int:
        """Queue `text` for everyone's channel (`team` None) or one team's; how many
        destinations it went to. With `session`, in the transaction of the fact itself."""
        fields = {"competition_id": self.c.id, "kind": kind, "team": team, "stage": stage,
                  "title": (title or text)[:300], "body": text, "data": data or {}}  # fmt: skip
        rows = [
            OutboxMessage(
                **fields, destination=url, status="pending", tries=0, next_try_at=utcnow()
            )
            for url in self.c.spec.notify.channel(team)
        ]
        if not rows:
            return 0
        if session is not None:
            session.add_all(rows)
        else:
            with self.c.sessions.begin() as s:
                s.add_all(rows)
        self.published += len(rows)
        return len(rows)

    def stage_opened(self, s: Session, stage: str) -> None:
        attempts = self.c.spec.stage(stage).attempts
        text = f"Stage {stage} is open: {attempts} attempt(s) per team. {self._name}"
        self.publish("stage_opened", text, stage=stage, session=s)

    def stage_closed(self, s: Session, stage: str) -> None:
        text = f"Stage {stage} is closed; its results are being made final. {self._name}"
        self.publish("stage_closed", text, stage=stage, session=s)

    def final_revealed(
        self, winners: Sequence[tuple[int, str, float]], changes: Sequence[str] = ()
    ) -> None:
        places = "; ".join(f"{place}. {team} ({score:.2f})" for place, team, score in winners)
        text = f"The final of {self.c.spec.name} is revealed: {places or 'no scored team'}."
        if changes:
            text += " The photo finish changed: " + "; ".join(changes)
        self.publish("final_revealed", text, data={"winners": [w[1] for w in winners]})

    def stage_won(self, stage: str, report: CloseReport) -> None:
        """A stage's results are final: who won (if the stage declares a winner), and what
        the photo finish changed."""
        if report.winners:
            _, team, score = report.winners[0]
            text = f"Stage {stage}'s results are final: {team} wins ({score:.2f} points)."
        else:
            text = f"Stage {stage}'s results are final."
        if report.changes:
            text += " The photo finish changed: " + "; ".join(report.changes)
        winners = [w[1] for w in report.winners]
        self.publish("stage_won", text, stage=stage, data={"winners": winners})

    def run_ended(
        self,
        *,
        team: str,
        stage: str,
        submission_id: int,
        status: str,
        reason: str | None,
        score: float | None,
        duration: str | None,
        hidden: bool,
    ) -> None:
        """A team's run ended with a result (scored) or a fault of its own (failed); of a hidden
        stage only that it ended (its pages show no more until revealed)."""
        head = f"{team}: submission {submission_id} in stage {stage}"
        if hidden:
            text = f"{head} has finished; its results are shown when revealed."
        elif status == "scored":
            shown_score = "-" if score is None else f"{score:.2f}"
            text = f"{head} scored {shown_score} in {duration or '-'}."
        else:  # a line per kind of error, not every problem line
            text = f"{head} failed: {'; '.join(summary_lines(reason)) or 'no reason given'}"
        kind = "run_ended" if hidden else f"run_{status}"
        self.publish(kind, text, team=team, stage=stage, data={"submission_id": submission_id})

    def ranking(self, stage: str, rows: Sequence[tuple[int, str, float]]) -> bool:
        """Announce a public leaderboard whose order of teams differs from the last one
        announced for `stage`; whether it did."""
        order = [team for _, team, _ in rows]
        with self.c.sessions() as s:
            last = s.scalar(
                select(OutboxMessage.data)
                .where(
                    OutboxMessage.competition_id == self.c.id,
                    OutboxMessage.kind == "leaderboard",
                    OutboxMessage.stage == stage,
                )
                .order_by(desc(OutboxMessage.id))
                .limit(1)
            )
        if last is not None and last.get("order") == order:
            return False
        lines = [f"{place}. {team} ({score:.2f})" for place, team, score in rows[:BOARD_LINES]]
        more = f" (+{len(rows) - BOARD_LINES} more)" if len(rows) > BOARD_LINES else ""
        text = f"The leaderboard of stage {stage} changed: " + "; ".join(lines) + more
        return bool(self.publish("leaderboard", text, stage=stage, data={"order": order}))

    @property
    def _name(self) -> str:
        return f"({self.c.spec.name})"

    # -- delivering -------------------------------------------------------------------------

    def deliver(self, *, within: float | None = None, limit: int = 100) -> Delivered:
        """Send what is due, oldest first, until none is left, `limit` were tried, or `within`
        seconds passed (what is left stays pending)."""
        deadline = None if within is None else time.monotonic() + within
        counts = {"sent": 0, "failed": 0, "pending": 0}
        for _ in range(limit):
            if deadline is not None and time.monotonic() >= deadline:
                break
            claimed = self._claim()
            if claimed is None:
                break
            row_id, url, title, body = claimed
            try:
                error = self._send(url, title, body, self.c.spec.notify.timeout_seconds)
            except Exception as err:  # a sender must never take the deliverer down
                error = f"{type(err).__name__}: {err}"
            counts[self._record(row_id, error)] += 1
        return Delivered(counts["sent"], counts["failed"], counts["pending"])

    def _claim(self) -> tuple[int, str, str, str] | None:
        """The oldest due message, made not due for CLAIM so no other deliverer sends it."""
        now = utcnow()
        with self.c.sessions.begin() as s:
            due = (
                OutboxMessage.competition_id == self.c.id,
                OutboxMessage.status == "pending",
                OutboxMessage.next_try_at <= now,
            )
            query = select(OutboxMessage.id).where(*due).order_by(OutboxMessage.id).limit(20)
            for row_id in list(s.scalars(query)):
                taken = s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row_id, *due)
                    .values(next_try_at=now + CLAIM)
                    .execution_options(synchronize_session=False)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    row = s.get_one(OutboxMessage, row_id)
                    return row.id, row.destination, row.title, row.body
        return None

    def _record(self, row_id: int, error: str | None) -> str:
        notify = self.c.spec.notify
        with self.c.sessions.begin() as s:
            row = s.get_one(OutboxMessage, row_id)
            row.tries += 1
            if error is None:
                row.status, row.sent_at = "sent", utcnow()
                return "sent"
            row.last_error = error[:2000]
            where = f"message {row.id} ({row.kind}) to {shown(row.destination)}"
            if row.tries >= notify.tries:
                row.status = "failed"
                log.error("%s failed %d times, giving up: %s", where, row.tries, error)
                return "failed"
            wait = notify.retry_seconds * 2 ** (row.tries - 1)
            row.next_try_at = utcnow() + timedelta(seconds=wait)
            log.warning("%s failed (try %d of %d, next in %gs): %s",
                        where, row.tries, notify.tries, wait, error)  # fmt: skip
            return "pending"

    def outbox(self, limit: int = 50) -> list[NewsItem]:
        """The latest messages, newest first."""
        with self.c.sessions() as s:
            query = select(OutboxMessage).where(OutboxMessage.competition_id == self.c.id)
            rows = s.scalars(query.order_by(desc(OutboxMessage.id)).limit(limit))
            return [news_item(row) for row in rows]

    def send_test(self) -> list[TestResult]:
        """A test message sent now to every configured URL (not through the outbox)."""
        self.check_teams()
        text = f"A test message from podium ({self.c.spec.name}): this channel works."
        timeout = self.c.spec.notify.timeout_seconds
        return [
            TestResult(where, shown(url), self._send(url, "podium test", text, timeout))
            for where, url in self.c.spec.notify.destinations()
        ]

    def check_teams(self) -> None:
        """SpecError, with the closest names, for a [notify.teams] name no team has."""
        with self.c.sessions() as s:
            names = list(s.scalars(self.c.scoped(select(Team.name), via=Team)))
        for name in self.c.spec.notify.teams:
            if name not in names:
                raise SpecError(
                    f'notify.teams."{name}": no team is named {name!r}',
                    where=str(self.c.layout.spec_file),
                    hint=did_you_mean(name, names) if names else "add the team first",
                )


def send_with_apprise(url: str, title: str, body: str, timeout: float) -> str | None:
    """Send one message to one Apprise URL; None when sent, else the reason (secrets from the
    environment blanked out)."""
    import apprise

    try:
        real = expand(url)
    except ValueError as err:
        return str(err)
    hub = apprise.Apprise()
    if not hub.add(with_timeouts(real, timeout)):
        return f"Apprise cannot use {shown(url)}"
    capture = apprise.LogCapture(level=logging.WARNING, fmt="%(message)s")  # type: ignore[no-untyped-call]
    with capture as output:
        ok = hub.notify(body=body, title=title)
        lines = [line for line in output.getvalue().splitlines() if line.strip()]
    if ok:
        return None
    reason = " / ".join(lines[-2:]) or "Apprise reported a failure"
    for secret in secrets_of(url):
        reason = reason.replace(secret, "***")
    return reason


def with_timeouts(url: str, timeout: float) -> str:
    """Apprise's connect (cto) and read (rto) time-outs, unless the URL sets its own."""
    if "cto=" in url or "rto=" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}cto={timeout:g}&rto={timeout:g}"
