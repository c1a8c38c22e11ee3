"""The commit marker the directory cache trusts: on SQLite it changes with every commit of any connection
and with every new marker connection (values of two connections are not comparable); PostgreSQL has none."""

from __future__ import annotations

from tenantd.store import Store
from tenantd.store.migrate import migrate


def test_the_commit_marker_moves_with_every_commit_and_every_new_connection(database_url: str) -> None:
    store, other = Store(database_url), Store(database_url)
    try:
        migrate(store)
        before = store.commit_marker()
        if not store.is_sqlite:
            assert before is None
            return
        assert before is not None and store.commit_marker() == before
        with store.read() as tx:   # reads are not commits
            tx.directory_version()
        assert store.commit_marker() == before
        with other.write() as tx:   # another process's commit
            tx.insert_secret("marker-test", b"x")
        after = store.commit_marker()
        assert after != before
        store.dispose()   # a new marker connection (as in a forked worker) starts a new count
        assert store.commit_marker() not in (before, after)
    finally:
        store.dispose()
        other.dispose()
