"""A bounded cache of the tokens a validator accepted: a client sends the same token with every request for
an hour, and a hit costs a dict lookup instead of parsing and an RSA verification.

An entry counts only while the token's own lifetime holds (the validator re-checks ``exp`` and ``nbf``, with
its clock, on every hit) and only under the keys that verified it: any change to a discovery document's keys
or issuer clears the whole cache. When full, the oldest entry goes first.
"""

from __future__ import annotations

import threading

from .claims import Claims


class AcceptedTokens:
    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("cache_size must be 0 (no cache) or more")
        self.size = size
        self._entries: dict[str, Claims] = {}
        self._lock = threading.Lock()   # for writers; a lookup is one atomic dict.get

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> Claims | None:
        return self._entries.get(token)

    def add(self, token: str, claims: Claims) -> Claims:
        if self.size:
            with self._lock:
                while len(self._entries) >= self.size:
                    del self._entries[next(iter(self._entries))]
                self._entries[token] = claims
        return claims

    def discard(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
