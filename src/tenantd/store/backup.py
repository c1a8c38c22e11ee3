"""Backup and restore of every table: one gzip'd JSON-lines file, portable between SQLite and PostgreSQL.

The first line is the header: format and version, the schema revision, when it was taken, and each
table's columns and row count. Then one line per row, tables in foreign-key order, so that a restore
inserts as it reads. A backup is one consistent snapshot read while the server goes on writing (a read
transaction on SQLite in WAL mode, a REPEATABLE READ one on PostgreSQL). Values are copied as stored:
credential hashes, and signing keys, the CA and the pepper encrypted with the master key, which the
backup does not hold.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from ..domain.errors import ConfigError
from .migrate import is_known, migrate
from .sql import Store

FORMAT = "tenantd-backup"
VERSION = 1
BATCH = 500
# The schema revision is in the header (migrations write alembic_version); the directory version only tells
# caches of a running server when to read again.
_SKIP = {"alembic_version", "directory_version"}

Progress = Callable[[int, int], None]
"""Told ``(rows done, rows in all)`` after each batch of rows a backup writes or a restore loads."""


def _silent(done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Summary:
    revision: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _kind(column: sa.Column[Any]) -> str:
    """How a column's values travel in JSON, whatever the database."""
    type_ = column.type
    if isinstance(type_, sa.LargeBinary):
        return "bytes"
    if isinstance(type_, sa.JSON):
        return "json"
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.Integer):
        return "int"
    return "text"


def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "bool":
        return bool(value)
    return value


def _decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "bool":
        return bool(value)
    return value


def _tables(conn: Connection) -> list[sa.Table]:
    """The database's own tables (as the revision it is at has them), parents before children."""
    meta = sa.MetaData()
    meta.reflect(conn)
    return [t for t in meta.sorted_tables if t.name not in _SKIP]


@contextlib.contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    with store.engine.connect() as conn:
        if not store.is_sqlite:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


# -- backup --------------------------------------------------------------------------------------------
def backup(store: Store, path: Path, progress: Progress = _silent) -> Summary:
    """Write a backup of ``store`` to ``path`` atomically (a temp file renamed over it), mode 0600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ConfigError(f"Cannot write a backup to {path}: {exc.strerror}.") from None
    try:
        with os.fdopen(fd, "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb") as out:
                summary = _write(store, out, progress)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_dir(path.parent)
    return summary


def _write(store: Store, out: gzip.GzipFile, progress: Progress) -> Summary:
    with _snapshot(store) as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        if revision is None:
            raise ConfigError("There is no tenantd database to back up here (it has no schema).")
        tables = _tables(conn)
        counts = {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()) for t in tables}
        header = {
            "format": FORMAT, "version": VERSION, "schema_revision": revision,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "dialect": store.engine.dialect.name,
            "tables": {t.name: {"columns": [[c.name, _kind(c)] for c in t.columns], "rows": counts[t.name]}
                       for t in tables},
        }
        out.write(_line(header))
        total, done = sum(counts.values()), 0
        progress(done, total)
        for table in tables:
            kinds = [_kind(c) for c in table.columns]
            rows = conn.execution_options(yield_per=BATCH).execute(
                sa.select(table).order_by(*table.primary_key.columns))
            written = 0
            for row in rows:
                out.write(_line({"t": table.name, "r": [_encode(v, k) for v, k in zip(row, kinds, strict=True)]}))
                written += 1
                if written % BATCH == 0:
                    progress(done + written, total)
            done += written
            progress(done, total)
            if written != counts[table.name]:  # cannot happen in a snapshot; a backup never mixes two states
                raise ConfigError(f"Table {table.name} changed while it was read; no backup was written.")
    return Summary(revision, counts)


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- restore -------------------------------------------------------------------------------------------
def read_header(path: Path) -> dict[str, Any]:
    """A backup's header, checked; a ConfigError says what is wrong with the file."""
    with _open(path) as lines:
        return _header(next(lines, b""))


@contextlib.contextmanager
def _open(path: Path) -> Iterator[Iterator[bytes]]:
    try:
        with gzip.open(path, "rb") as handle:
            yield iter(handle)
    except FileNotFoundError:
        raise ConfigError(f"No backup at {path}.") from None
    except (OSError, EOFError) as exc:  # not gzip, or cut short
        raise ConfigError(f"{path} is not a readable tenantd backup ({exc}).") from None


def _header(line: bytes) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ConfigError("The file is not a tenantd backup.")
    if header.get("version") != VERSION:
        raise ConfigError(f"The backup has format version {header.get('version')}; this tenantd reads {VERSION}.")
    revision = header.get("schema_revision")
    if not isinstance(revision, str) or not is_known(revision):
        raise ConfigError(f"The backup's schema revision {revision!r} is unknown to this version of tenantd "
                          "(is it from a newer one?).")
    if not isinstance(header.get("tables"), dict):
        raise ConfigError("The backup's header lists no tables.")
    if not all(_table_spec(spec) for spec in header["tables"].values()):
        raise ConfigError("The backup's header is damaged: a table lacks its columns or its row count.")
    return header


def _table_spec(spec: Any) -> bool:
    """A header's entry for one table: ``{"columns": [[name, kind], ...], "rows": n}``."""
    return (isinstance(spec, dict) and type(spec.get("rows")) is int and isinstance(spec.get("columns"), list)
            and all(isinstance(c, list) and len(c) == 2 for c in spec["columns"]))


def restore(path: Path, store: Store, progress: Progress = _silent) -> Summary:
    """Load a backup into an empty database: migrate it to the backup's schema revision, insert every row
    in one transaction (checking each table's row count), then migrate to the newest schema."""
    header = read_header(path)
    revision = header["schema_revision"]
    _refuse_non_empty(store, revision)
    migrate(store, revision)
    with _open(path) as lines, store.write(versioned=False) as tx:   # the schema may predate the version
        next(lines)
        loaded = _load(tx.conn, header, lines, progress)
        expected = {name: int(spec["rows"]) for name, spec in header["tables"].items()}
        if loaded != expected:
            wrong = sorted(n for n in expected.keys() | loaded.keys() if loaded.get(n, 0) != expected.get(n, 0))
            raise ConfigError(f"The backup is incomplete or damaged: row counts differ for {', '.join(wrong)}; "
                              "nothing was restored.")
        if not store.is_sqlite:
            _reset_sequences(tx.conn)
    migrate(store)
    return Summary(revision, loaded)


def _refuse_non_empty(store: Store, revision: str) -> None:
    with store.engine.connect() as conn, conn.begin():
        current = MigrationContext.configure(conn).get_current_revision()
        tables = _tables(conn)
        for table in tables:
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None:
                raise ConfigError(f"The target database is not empty (table {table.name} has rows): restore into "
                                  "a new data directory or an empty database.")
        if (current is None and tables) or current not in (None, revision):
            raise ConfigError(f"The target database already has a schema ({current or 'not tenantd'}; the backup's "
                              f"is {revision}): restore into a new data directory or an empty database.")


def _load(conn: Connection, header: dict[str, Any], lines: Iterable[bytes], progress: Progress) -> dict[str, int]:
    targets = {t.name: t for t in _tables(conn)}
    specs: dict[str, tuple[sa.Table, list[str], list[str]]] = {}
    for name, spec in header["tables"].items():
        if name not in targets:
            raise ConfigError(f"The backup has a table '{name}' the schema it names does not have.")
        columns = [c for c, _ in spec["columns"]]
        unknown = set(columns) - set(targets[name].columns.keys())
        if unknown:
            raise ConfigError(f"The backup's table '{name}' has columns the schema lacks: {sorted(unknown)}.")
        specs[name] = (targets[name], columns, [k for _, k in spec["columns"]])
    counts = dict.fromkeys(specs, 0)
    total = sum(spec["rows"] for spec in header["tables"].values())
    progress(0, total)
    batch: list[dict[str, Any]] = []
    current: str | None = None
    for raw in lines:
        try:
            record = json.loads(raw)
            name, values = record["t"], record["r"]
            _, columns, kinds = specs[name]
        except (ValueError, KeyError, TypeError):
            raise ConfigError("The backup has a damaged row line; nothing was restored.") from None
        if name != current or len(batch) >= BATCH:
            _insert(conn, specs, current, batch)
            progress(sum(counts.values()), total)
            batch, current = [], name
        if len(values) != len(columns):
            raise ConfigError(f"A row of table '{name}' has the wrong number of values; nothing was restored.")
        batch.append({c: _decode(v, k) for c, v, k in zip(columns, values, kinds, strict=True)})
        counts[name] += 1
    _insert(conn, specs, current, batch)
    progress(sum(counts.values()), total)
    return counts


def _insert(conn: Connection, specs: dict[str, tuple[sa.Table, list[str], list[str]]], name: str | None,
            rows: list[dict[str, Any]]) -> None:
    if name is not None and rows:
        try:
            conn.execute(specs[name][0].insert(), rows)
        except sa.exc.IntegrityError as exc:
            raise ConfigError(f"The backup's rows of table '{name}' do not fit together ({exc.orig}); "
                              "nothing was restored.") from None


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: move any serial column's sequence past the restored values."""
    for table in _tables(conn):
        for column in table.columns:
            sequence = conn.execute(sa.select(sa.func.pg_get_serial_sequence(table.name, column.name))).scalar()
            if sequence:
                conn.execute(sa.select(sa.func.setval(sequence, sa.select(sa.func.coalesce(sa.func.max(column), 0))
                                                      .scalar_subquery() + 1, False)))
