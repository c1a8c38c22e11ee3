"""``backup`` and ``restore``: a consistent copy of the whole store in one file, read from the database
directly (safe while the server runs), and loaded into a new data directory or an empty database; both
count the rows on a terminal."""

from __future__ import annotations

from pathlib import Path

import typer

from ..domain.errors import ConfigError
from .context import Options, data_dir_from
from .output import esc, say
from .progress import counting

DATA_OPTION = typer.Option(None, "--data", help="Data directory (instead of tenantd's --data before the command).")
MASTER_KEY_NOTE = ("The backup does not contain the master key: keep master.key (or TENANTD_MASTER_KEY) "
                   "apart from it; a restore needs the same key.")


def _data_dir(ctx: typer.Context, data: str | None) -> Path:
    opts: Options = ctx.obj
    return data_dir_from(data) if data else opts.data


def backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Where to write the backup (gzip'd JSON lines, mode 0600)."),
    data: str = DATA_OPTION,
    database: str = typer.Option(None, "--database", envvar="TENANTD_DATABASE",
                                 help="Database URL (default: SQLite in the data directory)."),
) -> None:
    """Back up every object, credential hash, signing key, the CA and settings, while the server runs."""
    from ..runtime import sqlite_url
    from ..store import Store
    from ..store.backup import backup as write_backup

    data_dir = _data_dir(ctx, data)
    if database is None and not (data_dir / "tenantd.db").is_file():
        raise ConfigError(f"No tenantd database in {data_dir}: pass --data DIR or --database URL.")
    store = Store(database or sqlite_url(data_dir))
    try:
        with counting("backing up rows") as progress:
            summary = write_backup(store, file, progress)
    finally:
        store.dispose()
    say(f"backup written to {esc(file)}: {summary.total} rows in {len(summary.rows)} tables "
        f"(schema {esc(summary.revision)})")
    say(f"[yellow]note:[/yellow] {MASTER_KEY_NOTE} The file holds credential hashes and encrypted keys: "
        "keep it private.")


def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A file written by `tenantd backup`."),
    data: str = DATA_OPTION,
    database: str = typer.Option(None, "--database", envvar="TENANTD_DATABASE",
                                 help="An empty database to restore into (default: SQLite in the data directory)."),
) -> None:
    """Restore a backup into a new data directory (or an empty database); refuses one that holds data."""
    from ..runtime import sqlite_url
    from ..store import Store
    from ..store.backup import read_header
    from ..store.backup import restore as load_backup
    from ..store.migrate import head

    data_dir = _data_dir(ctx, data)
    header = read_header(file)  # a bad file is refused before anything is created
    if database is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        data_dir.chmod(0o700)
    store = Store(database or sqlite_url(data_dir))
    target = esc(store.engine.url.render_as_string(hide_password=True) if database else data_dir)
    try:
        with counting("restoring rows") as progress:
            summary = load_backup(file, store, progress)
    finally:
        store.dispose()
    say(f"restored {summary.total} rows in {len(summary.rows)} tables into {target} "
        f"(taken {esc(header['created'])} at schema {esc(summary.revision)}, now at {esc(head())})")
    key_file = data_dir / "master.key"
    where = "TENANTD_MASTER_KEY" if database else f"{key_file} (or set TENANTD_MASTER_KEY)"
    say(f"[yellow]note:[/yellow] The backup does not contain the master key: start tenantd with the original "
        f"one, copied to {esc(where)}; a different key is refused at start. The stored public URL is kept "
        "(`tenantd up --public-url` changes it); the CLI gets a new admin secret on first start.")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
