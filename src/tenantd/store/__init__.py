"""Persistence behind a small interface: SQLAlchemy Core tables, Alembic migrations, SQLite or PostgreSQL."""

from .sql import Store, Tx

__all__ = ["Store", "Tx"]
