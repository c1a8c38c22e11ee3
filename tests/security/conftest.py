"""Fixtures of the catalogue tests: a runtime on SQLite and on PostgreSQL (the store tests' own fixture;
``database_url`` is the whole suite's)."""

from __future__ import annotations

from ..store.conftest import rt

__all__ = ["rt"]
