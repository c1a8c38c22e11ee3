"""The Store: SQLAlchemy engines and transactions (``Tx`` gathers the table groups, each in its own module:
applications, principals, people, assignments, grants, keys, logs, bulk, collections, sign_in_state, roles,
memberships, owners). No directory rules here."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..domain.errors import Unavailable
from ..metrics import instruments
from . import schema as t
from . import sign_in_tables
from . import statements as q
from .applications import ApplicationRows
from .assignments import AssignmentRows
from .bulk import BulkRows
from .collections import CollectionRows
from .grant_state import GrantState
from .grants import GrantRows
from .keys import SigningKeyRows
from .logs import LogRows
from .memberships import MembershipRows
from .owners import OwnerRows
from .people import PeopleRows
from .principals import PrincipalRows
from .roles import RoleAssignmentRows
from .rows import DuplicateKey
from .sign_in_state import SignInStateRows
from .subscriptions import SubscriptionRows

__all__ = ["DuplicateKey", "Store", "Tx"]

_T = TypeVar("_T")


class Tx(CollectionRows, ApplicationRows, AssignmentRows, GrantRows, PrincipalRows, PeopleRows, SigningKeyRows,
         LogRows, BulkRows, SignInStateRows, RoleAssignmentRows, MembershipRows, OwnerRows, SubscriptionRows):
    """One transaction over every table group (each in its own module). Methods read and write rows; they
    never decide whether a change is allowed."""


class Store:
    """Engines and transactions over one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = _engine(url)
        self.grant_state = GrantState(self.engine)   # codes and refresh tokens on the token path
        # the same for the event loop: SQLite's, on a connection that never waits (None where there is none)
        database = self.engine.url.database
        on_file = self.is_sqlite and bool(database) and database != ":memory:"
        self.quick_grant_state = GrantState(self.engine, waits=False) if on_file else None
        self._marker: sqlite3.Connection | None = None   # SQLite: a connection that only asks data_version
        self._markers_opened = 0                            # its values mean nothing to another connection
        self._marker_lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        """A transaction that sees one state of the database throughout, as SQLite's do: on PostgreSQL,
        REPEATABLE READ (its default gives each statement the commits made before it, so an object could
        vanish between a page's ids and its rows), and READ ONLY, so a write here fails at once."""
        with _available(), self.engine.connect() as conn:
            if not self.is_sqlite:
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield Tx(conn)

    @contextlib.contextmanager
    def write(self, *, versioned: bool = True) -> Iterator[Tx]:
        """A write transaction: all or nothing, one at a time. On SQLite it takes the write lock up front; on
        PostgreSQL an advisory lock serialises writers the same way (across replicas too), so that a use
        case's checks still hold when it writes and writers never deadlock. A change to the directory
        advances its version (``versioned=False`` only for a restore into a schema older than the version)."""
        with _available(), self.engine.connect() as conn:
            conn = conn.execution_options(tenantd_write=True)
            with conn.begin():
                conn.info.pop(_DIRECTORY_CHANGED, None)
                tx = Tx(conn)
                yield tx
                if conn.info.pop(_DIRECTORY_CHANGED, False) and versioned:
                    tx._advance_directory_version()

    @contextlib.contextmanager
    def counters(self) -> Iterator[Tx]:
        """A short transaction of atomic upserts (counters). The database's row locks order them, so unlike
        :meth:`write` it neither takes SQLite's write lock up front nor waits for PostgreSQL's writer lock."""
        with _available(), self.engine.connect() as conn, conn.begin():
            yield Tx(conn)

    def commit_marker(self) -> tuple[int, int] | None:
        """A value that changes whenever a transaction commits to the database, from any process: SQLite's
        ``data_version`` on a connection of its own (and which connection: a new one, after ``dispose`` or in
        a forked worker, counts anew), a few microseconds without a transaction or the pool. None where no
        such cheap marker exists (PostgreSQL, an in-memory database)."""
        return self._on_marker(lambda conn: None)[0]

    def marked_directory_version(self) -> tuple[tuple[int, int] | None, int | None]:
        """``commit_marker`` and then the directory version, both on the marker's connection: a few
        microseconds, and never a wait for a lock (busy gives None). The version is None where the marker
        is, or when it could not be read."""
        return self._on_marker(_directory_version)

    def _on_marker(self, read: Callable[[sqlite3.Connection], _T]) -> tuple[tuple[int, int] | None, _T | None]:
        database = self.engine.url.database
        if not self.is_sqlite or not database or database == ":memory:":
            return None, None
        with self._marker_lock:
            try:
                if self._marker is None:
                    self._marker = sqlite3.connect(database, timeout=0, check_same_thread=False,
                                                   isolation_level=None)
                    self._markers_opened += 1
                marker = self._markers_opened, int(self._marker.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:   # then the caller reads, and a real problem surfaces there
                instruments().database_retries.labels("directory_version").inc()
                return None, None
            try:
                return marker, read(self._marker)
            except sqlite3.Error:   # busy, say: the caller reads through the pool instead
                instruments().database_retries.labels("directory_version").inc()
                return marker, None

    def dispose(self) -> None:
        with self._marker_lock:
            if self._marker is not None:
                self._marker.close()
                self._marker = None
        if self.quick_grant_state is not None:
            self.quick_grant_state.close()
        self.engine.dispose()


def _directory_version(conn: sqlite3.Connection) -> int:
    rows = conn.execute(q.DIRECTORY_VERSION_SQLITE).fetchall()   # all: no statement stays open
    return int(rows[0][0]) if rows else 0


@contextlib.contextmanager
def _available() -> Iterator[None]:
    """A database that cannot be reached, or stays locked past the busy timeout, is a temporary condition the
    adapters answer with 503 and Retry-After, not a server error."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        instruments().database_errors.labels(type(exc).__name__).inc()
        raise Unavailable("The directory's database is unavailable; retry shortly.") from exc


# Tables whose changes do not change the directory: logs, counters, signing keys (the keyring has its own view).
_UNVERSIONED = frozenset({t.sign_ins.name, t.directory_audits.name, t.auth_failures.name, t.signing_keys.name,
                          t.directory_version.name, *sign_in_tables.SIGN_IN_STATE})
_DIRECTORY_CHANGED = "tenantd_directory_changed"


def _note_directory_changes(engine: Engine) -> None:
    """Mark a connection whose statements insert, update or delete directory rows; :meth:`Store.write`
    then advances the directory version in the same transaction, whichever method made the change."""
    @sa.event.listens_for(engine, "before_execute")
    def _note(conn: Connection, clause: Any, *_args: Any) -> None:
        if isinstance(clause, sa.sql.dml.UpdateBase) and getattr(clause.table, "name", None) not in _UNVERSIONED:
            conn.info[_DIRECTORY_CHANGED] = True


def _engine(url: str) -> Engine:
    engine = _new_engine(url)
    _note_directory_changes(engine)
    return engine


def _new_engine(url: str) -> Engine:
    """The engine; its statements' parameters (password and secret hashes among them) are never logged, not
    even at --log-level debug, nor quoted in its errors."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        # Ten pooled connections: enough that a loaded worker rarely opens (with its pragmas) and closes one per
        # request, few enough that their page caches (up to 2 MB each) stay small next to a worker's memory.
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=10,
                                  max_overflow=30, hide_parameters=True)
        _sqlite_pragmas(engine)
        return engine
    engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)
    _postgresql_write_lock(engine)
    return engine


def _sqlite_pragmas(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("tenantd_write") else "BEGIN")


def _postgresql_write_lock(engine: Engine) -> None:
    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get("tenantd_write"):
            for statement in q.PG_WRITERS_LOCK:
                conn.exec_driver_sql(statement)
