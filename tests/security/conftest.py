"""Fixtures of the catalogue tests: a runtime on SQLite and on PostgreSQL (the store tests' own fixture;
``database_url`` is the whole suite's), and a server on each (the HTTP tests' ``tenantd``)."""

from __future__ import annotations

from ..http.conftest import tenantd
from ..store.conftest import rt

__all__ = ["rt", "tenantd"]
