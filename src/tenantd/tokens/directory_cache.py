"""The token path's directory reads, kept in memory while the directory stays as it was.

Every write transaction that changes the directory advances the store's directory version in the same
commit (``store/sql.py``). A token request reads that version once (one small read) and takes the client,
the resource and the roles from memory while they were read under it; any other version, written by this
process, another worker or a replica, drops them all. So a change shows in the very next token everywhere,
exactly as when every request read the directory, for one read instead of six or seven. On SQLite not even
that: while the database's commit marker (``Store.commit_marker``) is the one taken just before the version
was last read, nothing was committed since, by any process, and the version is still the same; after a
commit, the version is read again on the marker's own connection, in microseconds.

Entries are read after the version they are filed under, so none is older than its version says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from ..store import Store, Tx

_T = TypeVar("_T")
LIMIT = 10_000   # entries kept; past it the cache starts again (a new version does the same)
_MISSING = object()


class NotInMemory(Exception):
    """A memory-only view (``DirectoryView.in_memory``) was asked for what only a read would give."""


class DirectoryCache:
    def __init__(self, store: Store, limit: int = LIMIT) -> None:
        self._store = store
        self._limit = limit
        self._lock = threading.Lock()
        # (version, entries read under it), replaced as one: a reader never pairs a version with another's entries
        self._state: tuple[int, dict[Hashable, Any]] = (-1, {})
        self._checked: tuple[tuple[int, int], int] | None = None   # (commit marker, the version read after it)

    def view(self) -> DirectoryView:
        """The directory as of now; forgets everything read under an older version."""
        return self.quick_view() or self._read()

    def quick_view(self) -> DirectoryView | None:
        """The directory as of now without a wait, fast enough for an event loop; else None. From memory
        while the store shows that nothing was committed since its version was last read; after a commit
        (the sign-in log's, say), from one read of the version on the store's own marker connection, which
        takes microseconds and never waits for a lock (SQLite only)."""
        checked = self._checked
        if checked is not None and checked[1] == self._state[0] and self._store.commit_marker() == checked[0]:
            return DirectoryView(self, checked[1])
        marker, version = self._store.marked_directory_version()
        return None if marker is None or version is None else self._settle(marker, version)

    def _read(self) -> DirectoryView:
        marker = self._store.commit_marker()   # before the read: a commit in between changes it again
        with self._store.read() as tx:
            version = tx.directory_version()
        return self._settle(marker, version)

    def _settle(self, marker: tuple[int, int] | None, version: int) -> DirectoryView:
        """The view of ``version``, read after ``marker`` was taken; newer than what is kept, it replaces it."""
        with self._lock:
            if version > self._state[0]:
                self._state = (version, {})
            if marker is not None and version == self._state[0]:
                self._checked = (marker, version)
        return DirectoryView(self, version)

    def _get(self, version: int, key: Hashable) -> Any:
        # An entry of a newer version than the caller's is newer than what it would read itself: usable.
        current, entries = self._state
        return entries.get(key, _MISSING) if version <= current else _MISSING

    def _put(self, version: int, key: Hashable, value: Any) -> None:
        with self._lock:
            current, entries = self._state
            if version != current:   # read under another version: not provably current for this one
                return
            if len(entries) >= self._limit:
                entries = {}
                self._state = (current, entries)
            entries[key] = value


class DirectoryView:
    """One request's look at the directory: reads through the cache, under the version read at its start."""

    def __init__(self, cache: DirectoryCache, version: int, *, reads: bool = True) -> None:
        self._cache = cache
        self.version = version
        self._reads = reads

    def in_memory(self) -> DirectoryView:
        """This view without reads: ``get`` raises NotInMemory instead (for an answer on the event loop)."""
        return DirectoryView(self._cache, self.version, reads=False)

    def cached(self, key: Hashable) -> Any:
        """What ``get`` would return for ``key`` without reading, or None when it would have to read."""
        found = self._cache._get(self.version, key)
        return None if found is _MISSING else found

    def get(self, key: Hashable, read: Callable[[Tx], _T]) -> _T:
        """The value ``read`` returns for ``key`` (in a read transaction of its own), from memory when it was
        read under this version. Values must be immutable: every request shares them. None (nothing found)
        is not kept, so names that match nothing cannot fill the cache."""
        found = self._cache._get(self.version, key)
        if found is not _MISSING:
            return found
        if not self._reads:
            raise NotInMemory(key)
        with self._cache._store.read() as tx:
            value = read(tx)
        if value is not None:
            self._cache._put(self.version, key, value)
        return value
