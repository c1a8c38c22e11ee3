"""IMDS's per-host limits (``rate`` requests in any one second, ``concurrency`` at once), kept in memory that
every worker process shares, so N workers enforce the configured limits and not N times them.

The counts live in a table in a shared memory map (an unlinked temporary file, mapped before the workers
fork, so each inherits it) and every change to it happens under a POSIX record lock on that file: the
kernel drops the lock of a process that dies, so a worker killed mid-request cannot wedge the others. Each
slot holds one host: a tag (a hash of its key), the times of its last ``rate`` requests (exact sliding
window, as one process counted before) and its requests in flight per worker, so a restarted worker clears
what its predecessor left behind. A host finds its slot by probing a few places from its hash; a slot
whose host has been idle for a second is reused. When every probed slot is busy with other hosts (more
than a few thousand hosts busy in the same second), the host shares the first one's budget: limits get
stricter, never looser. The cost is two ``fcntl`` calls and a few dozen memory reads per request.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

SLOTS = 4096
MAX_WORDS = 4 * 1024 * 1024   # 32 MB at most, whatever the rate
PROBES = 16
WINDOW = 1.0


class RateLimited(Exception):
    pass


class HostLimiter:
    """The limits of every host, shared by ``workers`` processes forked after it was made; 0 turns one off.

    A worker calls ``adopt(index)`` after the fork with its own index (0 <= index < workers)."""

    def __init__(self, rate: int = 20, concurrency: int = 5, workers: int = 1, slots: int = SLOTS) -> None:
        self.rate = max(rate, 0)
        self.concurrency = max(concurrency, 0)
        self.workers = max(workers, 1)
        self._stride = 2 + self.workers + self.rate   # tag, head, in flight per worker, request times
        self._slots = max(64, min(slots, MAX_WORDS // self._stride))
        self._worker = 0
        self._epoch = time.monotonic() - 10 * WINDOW  # times are stored after it, so a zero is long ago
        self._thread_lock = threading.Lock()          # POSIX record locks do not exclude a process's threads
        self._file = tempfile.TemporaryFile()         # noqa: SIM115 - mapped for the limiter's life
        self._file.truncate(self._slots * self._stride * 8)
        self._fd = self._file.fileno()
        self._map = mmap.mmap(self._fd, self._slots * self._stride * 8)
        self._ints = memoryview(self._map).cast("q")
        self._times = memoryview(self._map).cast("d")

    @property
    def active(self) -> bool:
        return bool(self.rate or self.concurrency)

    def adopt(self, worker: int) -> None:
        """Become worker ``worker``: requests it had in flight before a restart are over."""
        if not 0 <= worker < self.workers:
            raise ValueError(f"worker {worker} of {self.workers}")
        with self._locked():
            self._worker = worker
            for slot in range(self._slots):
                self._ints[slot * self._stride + 2 + worker] = 0

    def slot(self, host_key: str) -> _Held:
        """``with`` or ``async with``: hold one of ``host_key``'s request slots; RateLimited when none is left."""
        return _Held(self, host_key)

    def in_flight(self, host_key: str) -> int:
        """Requests of ``host_key`` in flight in all workers (for tests and diagnostics)."""
        with self._locked():
            base = self._find(_tag(host_key), time.monotonic() - self._epoch, claim=False)
            return 0 if base is None else self._in_flight(base)

    # -- the table, always under the lock -------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def _enter(self, host_key: str) -> int:
        ints, times = self._ints, self._times
        tag = _tag(host_key)
        with self._thread_lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                now = time.monotonic() - self._epoch
                base = self._find(tag, now, claim=True)
                assert base is not None
                head = ints[base + 1]
                oldest = base + 2 + self.workers + head  # the time of the request ``rate`` requests ago
                if self.rate and times[oldest] > now - WINDOW:
                    raise RateLimited
                if self.concurrency and self._in_flight(base) >= self.concurrency:
                    raise RateLimited
                if self.rate:
                    times[oldest] = now
                    ints[base + 1] = (head + 1) % self.rate
                ints[base + 2 + self._worker] += 1
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)
        return base

    def _leave(self, base: int) -> None:
        cell = base + 2 + self._worker
        with self._thread_lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                self._ints[cell] = max(self._ints[cell] - 1, 0)
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def _in_flight(self, base: int) -> int:
        return sum(self._ints[base + 2:base + 2 + self.workers])

    def _idle(self, base: int, now: float) -> bool:
        if self._in_flight(base):
            return False
        if not self.rate:
            return True
        newest = base + 2 + self.workers + (self._ints[base + 1] - 1) % self.rate
        return self._times[newest] <= now - WINDOW

    def _find(self, tag: int, now: float, *, claim: bool) -> int | None:
        """The slot of ``tag``; with ``claim``, a free one taken over for it when it has none."""
        start, slots, stride, ints = tag % self._slots, self._slots, self._stride, self._ints
        for i in range(PROBES):
            base = ((start + i) % slots) * stride
            if ints[base] == tag:
                return base
        if not claim:
            return None
        bases = [((start + i) % slots) * stride for i in range(PROBES)]
        for base in bases:
            if self._ints[base] == 0 or self._idle(base, now):
                self._ints[base] = tag
                self._ints[base + 1] = 0
                for cell in range(base + 2, base + self._stride):
                    self._ints[cell] = 0
                return base
        return bases[0]  # every probed slot is busy: share the first one's budget (stricter, never looser)


class _Held:
    """One request's slot of a host, while the ``with`` (in a worker thread) or ``async with`` lasts."""

    __slots__ = ("_base", "_key", "_limiter")

    def __init__(self, limiter: HostLimiter, host_key: str) -> None:
        self._limiter = limiter
        self._key = host_key
        self._base: int | None = None

    def __enter__(self) -> None:
        if self._limiter.active:
            self._base = self._limiter._enter(self._key)

    def __exit__(self, *_exc: object) -> None:
        if self._base is not None:
            self._limiter._leave(self._base)
            self._base = None

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


def _tag(host_key: str) -> int:
    """A non-zero 63-bit hash of the host's key (zero marks an empty slot)."""
    value = int.from_bytes(hashlib.blake2b(host_key.encode(), digest_size=8).digest(), "big") >> 1
    return value or 1
