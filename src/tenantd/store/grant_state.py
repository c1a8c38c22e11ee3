"""What people's grants redeem and leave, on the token path: codes and refresh tokens by their hashes, a code's
redemption with the refresh token it begins, a refresh token continuing another. These statements run on a
connection of the database driver itself.

Through SQLAlchemy's Connection each cost two to six times what the statement costs the driver (the pool's
events, BEGIN, the execution context, the result: 80 us for the refresh token's read on SQLite where the driver
takes 14), and a refresh or code grant runs two or three of them; here each statement is compiled once per
dialect by SQLAlchemy (``store/statements.py``) and handed to the driver:

- a read is one SELECT outside any transaction (one statement sees one state of the database);
- a refresh token is one INSERT, its own transaction: on SQLite the statement takes the write lock and
  releases it within the driver's call, so the lock is never held while the thread waits for the GIL behind
  the worker's other threads (as a transaction holds it across Python, which kept both workers' writers
  sleeping in SQLite's busy handler). One that continues another is inserted only while that one exists, in
  the same statement: a revocation that comes first wins;
- a code's redemption and its refresh token are one transaction: of two redemptions one wins, and a second
  one's revocation of the grant cannot come between them.

On PostgreSQL a change runs after the writers' advisory lock, as in ``Store.write``, so that revocations and new
tokens keep one order there too. Only sign-in state goes this way (no directory version moves), with values the
drivers take as they are (strings, integers, None).

``Store.quick_grant_state`` is the same on SQLite for the event loop: a connection of its own that does not wait
for a lock past a fraction of a millisecond (``Busy`` instead, and the request goes to a worker thread), and
never checkpoints the WAL (a checkpoint syncs the disk; the pool's connections do it).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from ..domain.errors import Unavailable
from ..domain.sign_in_state import AuthorizationCode, RefreshToken
from ..metrics import instruments
from . import statements as q
from .rows import DuplicateKey
from .sign_in_tables import SIGN_IN_STATE

_Compiled = tuple[str, Sequence[str] | None]   # the SQL, and its parameters' names in order when positional
_SQLITE_BUSY = 5
PAUSES = (0.0001, 0.0002, 0.0004)   # seconds: the event loop's connection waits at most this long, in all
_T = TypeVar("_T")


class Busy(Exception):
    """The statement would have waited longer for another writer's lock (``Store.quick_grant_state`` only)."""


class GrantState:
    def __init__(self, engine: Engine, *, waits: bool = True) -> None:
        """``waits``: on the pool's connections, as long as the database's busy timeout; else (SQLite only) on
        a connection of this object's own, for at most the ``PAUSES``."""
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._waits = waits
        self._compiled: dict[int, _Compiled] = {}   # by the id of a statement of store/statements.py
        self._own: sqlite3.Connection | None = None
        self._own_lock = threading.Lock()

    def authorization_code(self, code_hash: str) -> AuthorizationCode | None:
        row = self._row(q.AUTHORIZATION_CODE, {"code_hash": code_hash})
        return AuthorizationCode(**row) if row else None

    def redeem_authorization_code(self, code_hash: str, now: int, grant_id: str,
                                  token: RefreshToken | None = None) -> bool:
        """Mark a code redeemed under ``grant_id``, and store ``token``, the first of the grant, with it; False
        (and nothing written) when the code was redeemed already, by this or another replica."""
        def redeem(cursor: Any) -> bool:
            self._begin(cursor)
            redeemed = self._run(cursor, q.REDEEM_AUTHORIZATION_CODE,
                                 {"hash": code_hash, "now": now, "grant": grant_id}) == 1
            if redeemed and token is not None:
                self._run(cursor, q.INSERT_REFRESH_TOKEN, vars(token))
            self._end(cursor, commit=redeemed)
            return redeemed
        return self._using(redeem)

    def refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = self._row(q.REFRESH_TOKEN, {"token_hash": token_hash})
        return RefreshToken(**row) if row else None

    def insert_refresh_token(self, token: RefreshToken) -> None:
        self._change(q.INSERT_REFRESH_TOKEN, vars(token))

    def continue_refresh_token(self, token: RefreshToken, follows: str) -> bool:
        """Insert ``token`` if the refresh token it continues (hash ``follows``) still exists; False when it
        does not (revoked, or expired and removed), and nothing is inserted."""
        values = dict(vars(token), follows=follows)
        del values["used"]   # a new token has not been used
        return self._change(q.CONTINUE_REFRESH_TOKEN, values) == 1

    def close(self) -> None:
        with self._own_lock:
            if self._own is not None:
                self._own.close()
                self._own = None

    def _row(self, statement: ClauseElement, values: Mapping[str, Any]) -> dict[str, Any] | None:
        def read(cursor: Any) -> dict[str, Any] | None:
            self._run(cursor, statement, values)
            row = cursor.fetchone()
            return dict(zip((column[0] for column in cursor.description), row, strict=True)) if row else None
        return self._using(read)

    def _change(self, statement: ClauseElement, values: Mapping[str, Any]) -> int:
        """Rows the statement changed, committed (alone, on SQLite: see the module's docstring)."""
        def change(cursor: Any) -> int:
            if not self._sqlite:
                self._begin(cursor)
            changed = self._run(cursor, statement, values)
            if not self._sqlite:
                self._end(cursor, commit=True)
            return changed
        return self._using(change)

    def _begin(self, cursor: Any) -> None:
        """A write transaction: SQLite's write lock up front; PostgreSQL's (implicit) after the writers' lock."""
        for statement in ("BEGIN IMMEDIATE",) if self._sqlite else q.PG_WRITERS_LOCK:
            cursor.execute(statement)

    def _end(self, cursor: Any, *, commit: bool) -> None:
        if self._sqlite:
            cursor.execute("COMMIT" if commit else "ROLLBACK")
        elif commit:
            cursor.connection.commit()
        else:
            cursor.connection.rollback()

    def _run(self, cursor: Any, statement: ClauseElement, values: Mapping[str, Any]) -> int:
        compiled = self._compiled.get(id(statement))
        if compiled is None:
            table = getattr(statement, "table", None)
            if table is not None and table.name not in SIGN_IN_STATE:
                raise ValueError(f"{table.name} is not sign-in state: change it in Store.write")
            done = cast(SQLCompiler, statement.compile(dialect=self._engine.dialect))
            compiled = self._compiled[id(statement)] = (str(done), done.positiontup)
        sql, names = compiled
        cursor.execute(sql, values if names is None else [values[name] for name in names])
        return int(cursor.rowcount)

    def _using(self, work: Callable[[Any], _T]) -> _T:
        """``work`` on a cursor. Without waiting, it is tried again a few times after short pauses while another
        writer holds the lock (as long as a few of its statements: far shorter than SQLite's first sleep of a
        millisecond), then Busy."""
        for pause in () if self._waits else PAUSES:
            try:
                with self._cursor() as cursor:
                    return work(cursor)
            except Busy:
                time.sleep(pause)
        with self._cursor() as cursor:
            return work(cursor)

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor on a connection, returned when done (a transaction left open, by a read on PostgreSQL or
        by a failure, is rolled back); the driver's errors as ``Store``'s."""
        dbapi = self._engine.dialect.loaded_dbapi
        try:
            with self._connection() as connection:
                cursor = connection.cursor()
                try:
                    yield cursor
                finally:
                    cursor.close()
        except dbapi.IntegrityError as exc:
            raise DuplicateKey(str(exc)) from exc
        except sqlite3.OperationalError as exc:
            if not self._waits and exc.sqlite_errorcode & 0xFF == _SQLITE_BUSY:
                raise Busy() from exc
            raise _unavailable(exc) from exc
        except (dbapi.OperationalError, dbapi.InterfaceError, sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise _unavailable(exc) from exc

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        if self._waits:
            pooled = self._engine.raw_connection()
            try:
                yield pooled
            finally:
                pooled.close()
            return
        with self._own_lock:
            if self._own is None:
                self._own = _connect_without_wait(str(self._engine.url.database))
            try:
                yield self._own
            finally:
                if self._own.in_transaction:
                    self._own.rollback()


def _connect_without_wait(database: str) -> sqlite3.Connection:
    connection = sqlite3.connect(database, timeout=0, check_same_thread=False, isolation_level=None)
    for pragma in ("synchronous=NORMAL", "foreign_keys=ON", "wal_autocheckpoint=0"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def _unavailable(exc: Exception) -> Unavailable:
    instruments().database_errors.labels(type(exc).__name__).inc()
    return Unavailable("The directory's database is unavailable; retry shortly.")
