"""The board revision: every write that may change what a board shows raises one counter in
its own transaction, so a reader compares one number to know whether a board it computed is
still true, whichever process (server, CLI, worker report) wrote, on SQLite and PostgreSQL.

Raised by session events, not by each write site: a write added later that touches a board
table raises it without anyone remembering to."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Select, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from podium.store.models import BoardRevision
from podium.store.plain import SHOWN_ROW

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
        "submission_flags",  # organizers' boards mark a flagged row "under review"
        "reviews",
        "audit_events",  # attempts granted, cancels and final choices show on team pages
        "training_jobs",  # billed compute: a column, or a tie-break ([reranking])
    }
)
# what a read-only command prints (`service/outputs.py`) reads these too: their own counter
# (row SHOWN_ROW), so a question asked does not make every server recompute its boards
SHOWN_TABLES = BOARD_TABLES | {"questions", "answers", "late_reports"}
ROW_ID = 1


def first_rows() -> list[dict[str, int]]:
    """The rows a new store starts with (migrations 0013 and 0015 add them to an older one):
    the shown revision from a random number, so that a store made anew in the same folder (or
    restored) never counts through the revisions an earlier one had kept outputs for."""
    return [{"id": ROW_ID, "value": 0}, {"id": SHOWN_ROW, "value": secrets.randbelow(2**48)}]


def current(session: Session, row: int = ROW_ID) -> int:
    """The store's board revision (or, with `row=SHOWN_ROW`, the revision of what read-only
    commands show), read in `session`'s snapshot."""
    return session.scalar(statement(row)) or 0


def statement(row: int = ROW_ID) -> Select[int]:
    """The query reading a revision."""
    return select(BoardRevision.value).where(BoardRevision.id == row)


# the same as plain SQL, read once per request by every server (`StoreSessions.value`)
SQL = f"SELECT value FROM board_revision WHERE id = {ROW_ID}"


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
    _raise(session, {_table(o) for o in changed})


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        _raise(state.session, {str(getattr(table, "name", ""))})


def _raise(session: Session, tables: set[str]) -> None:
    rows = [row for row, watched in ((ROW_ID, BOARD_TABLES), (SHOWN_ROW, SHOWN_TABLES))
            if tables & watched]  # fmt: skip
    if rows:
        session.connection().execute(
            update(BoardRevision)
            .where(BoardRevision.id.in_(rows))
            .values(value=BoardRevision.value + 1)
        )
