"""Fixtures of the catalogue tests: a runtime on SQLite and on PostgreSQL (the store tests' own fixtures)."""

from __future__ import annotations

from ..store.conftest import database_url, rt

__all__ = ["database_url", "rt"]
