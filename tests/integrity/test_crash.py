"""Crash safety: a stream of acknowledged writes, then a crash in the middle of it; after a restart every
acknowledged write is there, every transaction is all or nothing, and the store is consistent.

SQLite (WAL): tenantd is SIGKILLed. PostgreSQL, on a cluster of the test's own: the database is stopped
``-m immediate`` under the writes and started again (tenantd reconnects by itself), then tenantd is
SIGKILLed and restarted on the same database."""

from __future__ import annotations

from pathlib import Path

from tenantd.runtime import sqlite_url
from tenantd.store import Store

from ..support import Server, start_server
from .consistency import problems
from .pgcluster import pg_cluster
from .stream import Stream, missing


def _kill(server: Server) -> None:
    server.proc.kill()
    server.proc.wait(timeout=10)
    (server.data / "server.json").unlink()  # a killed server leaves it behind


def _check_after_restart(data: Path, database: str, streams: list[Stream], *args: str) -> Server:
    restarted = start_server(data, *args)
    try:
        for stream in streams:
            assert missing(database, stream.acked) == []
        assert problems(database) == []
        acked = streams[-1].acked
        sample = next(i for i in reversed(acked.apps) if i not in acked.deleted)
        with restarted.http() as client:  # and the restarted server serves it
            got = client.get(f"/v1.0/applications/{sample}",
                             headers={"Authorization": f"Bearer {restarted.admin_token()}"})
        assert got.status_code == 200 and tuple(got.json()["identifierUris"]) == acked.apps[sample]
    except BaseException:
        restarted.stop()
        raise
    return restarted


def test_sqlite_survives_sigkill_mid_write_again_and_again(tmp_path: Path) -> None:
    data = tmp_path / "tenantd"
    server, streams = start_server(data), []
    try:
        for _ in range(3):
            stream = Stream(server, writers=6)
            with stream.running():
                stream.wait_for(40)
                _kill(server)
            streams.append(stream)
            server = _check_after_restart(data, sqlite_url(data), streams)
    finally:
        server.stop()


def test_sqlite_connections_write_through_the_wal_with_synchronous_normal(tmp_path: Path) -> None:
    """What a SIGKILL rarely shows (the kill seldom lands inside a commit, and the OS keeps what was written):
    every connection, reading or writing, commits atomically through the WAL and syncs it at checkpoints, so
    that a power loss may lose the last commits but cannot corrupt the database."""
    store = Store(sqlite_url(tmp_path))
    try:
        for transaction in (store.read, store.write):
            with transaction() as tx:
                assert tx.conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert tx.conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        store.dispose()


def test_postgresql_survives_an_immediate_stop_and_sigkill_mid_write(tmp_path: Path) -> None:
    data = tmp_path / "tenantd"
    with pg_cluster() as cluster:
        server = start_server(data, "--database", cluster.url)
        stream = Stream(server)
        try:
            with stream.running():
                stream.wait_for(40)
                cluster.crash()
                before = stream.acked.count()
                cluster.start()
                stream.wait_for(40)  # tenantd writes again on the recovered database
                assert stream.acked.count() > before
                _kill(server)
        finally:
            server.stop()
        assert missing(cluster.url, stream.acked) == []
        _check_after_restart(data, cluster.url, [stream], "--database", cluster.url).stop()
