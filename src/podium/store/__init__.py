"""The store: SQLAlchemy 2 models, engine factory and Alembic migrations (`plain`: the few
reads a replaying command makes with the standard library; names here load on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podium.store.db import create_store_engine, session_factory, upgrade

__all__ = ["create_store_engine", "session_factory", "upgrade"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from podium.store import db

    return getattr(db, name)
