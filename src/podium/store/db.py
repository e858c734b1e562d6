"""Engine factory and migrations. One writer at a time on every backend, so that a check and
the write it guards (an attempt reservation: count, then insert; an evaluator claiming the next
queued submission) cannot race with another writer, while reads never wait for writers (or each
other). SQLite: WAL, and write transactions BEGIN IMMEDIATE. PostgreSQL: write transactions
first take one transaction-scoped advisory lock (released at commit or rollback), reads see one
snapshot for their whole transaction (REPEATABLE READ, as a SQLite read transaction does), and
every session reads and writes times in UTC."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from podium.core.errors import MissingExtraError
from podium.store import revision
from podium.store.models import Base, BoardRevision
from podium.store.plain import head_revision as head_revision  # its callers import it here

if TYPE_CHECKING:  # alembic is imported by the commands that migrate, not by the readers
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
READ_ONLY = "podium_read_only"
# The key of PostgreSQL's advisory lock that write transactions hold: any fixed 64-bit number
# ("podium" in ASCII); advisory locks are per database, so stores on one server do not share it.
WRITE_LOCK_KEY = 0x706F6469756D
LOCK_TIMEOUT_MS = 30_000  # like SQLite's busy timeout: a stuck writer is an error, not a hang


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def create_store_engine(url: str) -> Engine:
    """An engine for the store; SQLite connections are tuned for one-machine concurrency."""
    if url.startswith("postgresql"):
        return _postgresql_engine(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _postgresql_engine(url: str) -> Engine:
    """Sessions in UTC with a lock timeout; write transactions serialised by one advisory lock,
    read transactions on one snapshot (they never take the lock, and never wait)."""
    options = f"-c timezone=UTC -c lock_timeout={LOCK_TIMEOUT_MS}"
    try:
        engine = create_engine(url, pool_pre_ping=True, connect_args={"options": options})
    except ModuleNotFoundError as err:  # the driver: psycopg comes with podium[postgres]
        raise MissingExtraError("postgres", "a PostgreSQL store", err.name) from None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY, False):
            # one snapshot: a leaderboard never mixes rows from before and after a commit
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        else:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")

    return engine


class StoreSessions:
    """`sessions()` for reads, `sessions.begin()` for writes (the only ones that lock). Both
    raise the board revision in any transaction that writes a board table. Inside
    `snapshot()`, every read of the thread shares one read transaction: a page made of
    several answers sees one moment."""

    def __init__(self, engine: Engine) -> None:
        self._read = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self._write = sessionmaker(engine, expire_on_commit=False)
        self._engine = engine.execution_options(**{READ_ONLY: True})
        for factory in (self._read, self._write):
            revision.watch(factory)
        self._shared = threading.local()

    def __call__(self) -> AbstractContextManager[Session]:
        shared: Session | None = getattr(self._shared, "session", None)
        return nullcontext(shared) if shared is not None else self._read()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read of this thread in the block is one read transaction."""
        if getattr(self._shared, "session", None) is not None:
            yield  # already inside one
            return
        with self._read() as session:
            self._shared.session = session
            try:
                yield
            finally:
                self._shared.session = None

    def begin(self) -> AbstractContextManager[Session]:
        return self._write.begin()

    def value(self, sql: str) -> Any:
        """The first value of one plain SQL read (no parameters) on a pooled connection,
        without an ORM session or a statement to compile: a check made per request, such as
        the board revision. Inside `snapshot()`, read in the thread's snapshot."""
        shared: Session | None = getattr(self._shared, "session", None)
        if shared is not None:
            return shared.execute(text(sql)).scalar()
        conn = self._engine.raw_connection()
        try:
            cursor = conn.cursor()
            cursor.execute(sql)
            row = cursor.fetchone()
            cursor.close()
        finally:
            conn.close()  # back to the pool, its transaction (PostgreSQL) rolled back
        return None if row is None else row[0]


def session_factory(engine: Engine) -> StoreSessions:
    return StoreSessions(engine)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


_ALEMBIC = threading.Lock()  # alembic's `context` is a module global: one upgrade at a time


def upgrade(engine: Engine) -> None:
    """Bring the store's schema to the newest migration (idempotent). Serialised within a
    process: the server's threads each open the competition. A store already at the newest
    is left as it is without loading Alembic (a sixth of every writing command's start); an
    empty one is made at the newest at once (`_create_at_head`), also without Alembic."""
    if stored_revision(engine) == head_revision():
        return
    with _ALEMBIC:
        if _create_at_head(engine):
            return
        from alembic import command

        command.upgrade(alembic_config(engine), "head")


# the table Alembic keeps its revision in, as Alembic makes it
_VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _create_at_head(engine: Engine) -> bool:
    """An empty database gets the models' tables, the rows a store starts with and the newest
    revision in one write transaction: what running every migration from the first builds
    (tests/store/test_migrations.py compares the two), in a sixth of the time. False, and
    nothing written, where any table exists (a store from before, or one just made by a
    concurrent process: the write transaction waits for it and then sees its tables)."""
    with engine.begin() as conn:
        if inspect(conn).get_table_names():
            return False
        Base.metadata.create_all(conn)
        _VERSION_TABLE.create(conn)
        conn.execute(insert(_VERSION_TABLE).values(version_num=head_revision()))
        conn.execute(insert(BoardRevision), revision.first_rows())
    return True


def stored_revision(engine: Engine) -> str | None:
    """The schema the store is at (None: never migrated, or not a podium store)."""
    try:
        with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no alembic_version table yet
        return None
