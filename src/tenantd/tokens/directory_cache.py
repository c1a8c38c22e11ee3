"""The token path's directory reads, kept in memory while the directory stays as it was.

Every write transaction that changes the directory advances the store's directory version in the same
commit (``store/sql.py``). A token request reads that version once (one small read) and takes the client,
the resource and the roles from memory while they were read under it; any other version, written by this
process, another worker or a replica, drops them all. So a change shows in the very next token everywhere,
exactly as when every request read the directory, for one read instead of six or seven. On SQLite not even
that: while the database's commit marker (``Store.commit_marker``) is the one taken just before the version
was last read, nothing was committed since, by any process, and the version is still the same.

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
        return self.unchanged() or self._read()

    def unchanged(self) -> DirectoryView | None:
        """The directory as of now without any read, when the store shows that nothing was committed since
        its version was last read; else None. Fast enough for an event loop."""
        checked = self._checked
        if checked is None or checked[1] != self._state[0] or self._store.commit_marker() != checked[0]:
            return None
        return DirectoryView(self, checked[1])

    def _read(self) -> DirectoryView:
        marker = self._store.commit_marker()   # before the read: a commit in between changes it again
        with self._store.read() as tx:
            version = tx.directory_version()
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

    def __init__(self, cache: DirectoryCache, version: int) -> None:
        self._cache = cache
        self.version = version

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
        with self._cache._store.read() as tx:
            value = read(tx)
        if value is not None:
            self._cache._put(self.version, key, value)
        return value
