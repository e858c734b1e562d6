"""The board revision: every write that may change what a board shows raises one counter in
its own transaction, so a reader compares one number to know whether a board it computed is
still true, whichever process (server, CLI, worker report) wrote, on SQLite and PostgreSQL.

Raised by session events, not by each write site: a write added later that touches a board
table raises it without anyone remembering to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from podium.store.models import BoardRevision

# what leaderboards, charts, the huddle, the hall of fame and team pages read; tokens,
# workers, news, questions and leases do not change a board
BOARD_TABLES = frozenset(
    {
        "competitions",
        "stages",
        "teams",
        "members",
        "submissions",
        "runs",
        "measurements",
        "scores",
        "hall_of_fame",
        "calibrations",
        "reference_timings",
        "training_jobs",  # billed compute: a column, or a tie-break ([reranking])
    }
)
ROW_ID = 1


def current(session: Session) -> int:
    """The store's board revision, read in `session`'s snapshot."""
    return session.scalar(select(BoardRevision.value).where(BoardRevision.id == ROW_ID)) or 0


def watch(factory: sessionmaker[Session]) -> None:
    """Raise the revision in every transaction of `factory` that writes a board table."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "do_orm_execute", _on_execute)


def _table(obj: Any) -> str:
    return str(getattr(obj, "__tablename__", ""))


def _after_flush(session: Session, _context: Any) -> None:
    # new, dirty and deleted still hold the flushed objects and their history here; a row
    # merely assigned its own values again (a competition opened once more) changes nothing
    changed = (
        *session.new,
        *session.deleted,
        *(o for o in session.dirty if session.is_modified(o, include_collections=False)),
    )
    if any(_table(o) in BOARD_TABLES for o in changed):
        _raise(session)


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in BOARD_TABLES:
            _raise(state.session)


def _raise(session: Session) -> None:
    session.connection().execute(
        update(BoardRevision)
        .where(BoardRevision.id == ROW_ID)
        .values(value=BoardRevision.value + 1)
    )
