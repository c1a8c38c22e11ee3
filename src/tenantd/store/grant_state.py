"""What people's grants redeem and leave, on the token path: codes and refresh tokens by their hashes, a code's
redemption, a new refresh token. These statements run on a pooled connection of the database driver itself.

Through SQLAlchemy's Connection each cost four to six times the statement (the pool's events, BEGIN, the
execution context, the result), and a refresh or code grant runs two or three of them; here each statement is
compiled once per dialect by SQLAlchemy (``store/statements.py``) and handed to the driver:

- a read is one SELECT outside any transaction (one statement sees one state of the database);
- a change is one INSERT or UPDATE, its own transaction. On SQLite the statement takes the write lock and
  releases it within the driver's call: the lock is never held while the thread waits for the GIL behind the
  worker's other threads, as a write transaction holds it across Python (which kept both workers' writers
  sleeping in SQLite's busy handler). On PostgreSQL it runs after the writers' advisory lock, as in
  ``Store.write``, so revocations and new tokens stay in one order there too.

Only sign-in state goes this way (no directory version to advance), and only values the drivers take as they
are (strings, integers, None). Conditions that must hold when a change is made are in its statement.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

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


class GrantState:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._compiled: dict[int, _Compiled] = {}   # by the id of a statement of store/statements.py

    def authorization_code(self, code_hash: str) -> AuthorizationCode | None:
        row = self._row(q.AUTHORIZATION_CODE, {"code_hash": code_hash})
        return AuthorizationCode(**row) if row else None

    def redeem_authorization_code(self, code_hash: str, now: int, grant_id: str) -> bool:
        """Mark a code redeemed under ``grant_id``; False when it already was (by this or another replica)."""
        return self._change(q.REDEEM_AUTHORIZATION_CODE, {"hash": code_hash, "now": now, "grant": grant_id}) == 1

    def refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = self._row(q.REFRESH_TOKEN, {"token_hash": token_hash})
        return RefreshToken(**row) if row else None

    def insert_refresh_token(self, token: RefreshToken) -> None:
        self._change(q.INSERT_REFRESH_TOKEN, vars(token))

    def continue_refresh_token(self, token: RefreshToken, follows: str) -> bool:
        """Insert ``token`` if the refresh token it continues (hash ``follows``) still exists; False when it
        does not (revoked, or expired and removed), and nothing is inserted."""
        return self._change(q.CONTINUE_REFRESH_TOKEN, {**_new(token), "follows": follows}) == 1

    def refresh_token_for_code(self, token: RefreshToken, code_hash: str) -> bool:
        """Insert ``token``, the first of its grant, if the code redeemed for it still names that grant; False
        when it does not (a second redemption revoked the grant, or the user's sign-ins were ended)."""
        return self._change(q.REFRESH_TOKEN_FOR_CODE, {**_new(token), "code": code_hash}) == 1

    def _row(self, statement: ClauseElement, values: Mapping[str, Any]) -> dict[str, Any] | None:
        sql, parameters = self._bound(statement, values)
        with self._cursor() as cursor:
            cursor.execute(sql, parameters)
            row = cursor.fetchone()
            return dict(zip((column[0] for column in cursor.description), row, strict=True)) if row else None

    def _change(self, statement: ClauseElement, values: Mapping[str, Any]) -> int:
        """Rows the statement changed, committed."""
        sql, parameters = self._bound(statement, values)
        with self._cursor() as cursor:
            if not self._sqlite:
                for lock in q.PG_WRITERS_LOCK:
                    cursor.execute(lock)
            cursor.execute(sql, parameters)
            changed = int(cursor.rowcount)
            if not self._sqlite:
                cursor.connection.commit()
        return changed

    def _bound(self, statement: ClauseElement, values: Mapping[str, Any]) -> tuple[str, Any]:
        compiled = self._compiled.get(id(statement))
        if compiled is None:
            table = getattr(statement, "table", None)
            if table is not None and table.name not in SIGN_IN_STATE:
                raise ValueError(f"{table.name} is not sign-in state: change it in Store.write")
            done = cast(SQLCompiler, statement.compile(dialect=self._engine.dialect))
            compiled = self._compiled[id(statement)] = (str(done), done.positiontup)
        sql, names = compiled
        return sql, values if names is None else [values[name] for name in names]

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor on a pooled connection, returned when done (PostgreSQL's open transaction, a read's or a
        failed change's, rolled back by the pool); the driver's errors as ``Store``'s."""
        dbapi = self._engine.dialect.loaded_dbapi
        try:
            connection = self._engine.raw_connection()
            try:
                cursor = connection.cursor()
                try:
                    yield cursor
                finally:
                    cursor.close()
            finally:
                connection.close()
        except dbapi.IntegrityError as exc:
            raise DuplicateKey(str(exc)) from exc
        except (dbapi.OperationalError, dbapi.InterfaceError, sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            instruments().database_errors.labels(type(exc).__name__).inc()
            raise Unavailable("The directory's database is unavailable; retry shortly.") from exc


def _new(token: RefreshToken) -> dict[str, Any]:
    """A new token's values (it has not been used): the dataclass's own fields, all plain values."""
    values = dict(vars(token))
    del values["used"]
    return values
