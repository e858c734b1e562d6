"""The store: SQLAlchemy 2 models, engine factory and Alembic migrations."""

from podium.store.db import create_store_engine, session_factory, upgrade

__all__ = ["create_store_engine", "session_factory", "upgrade"]
