"""The per-host managed identity limits shared by worker processes: real forked processes on one limiter,
as `--workers N` runs them."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from multiprocessing.connection import Connection
from typing import Any

import pytest

from tenantd.http.host_limits import HostLimiter, RateLimited

FORK = multiprocessing.get_context("fork")


async def _take(limiter: HostLimiter, host: str, count: int, stack: AsyncExitStack) -> int:
    """Take up to ``count`` of ``host``'s slots, keeping them open on ``stack``; how many were granted."""
    granted = 0
    for _ in range(count):
        try:
            await stack.enter_async_context(limiter.slot(host))
            granted += 1
        except RateLimited:
            pass
    return granted


def _worker(limiter: HostLimiter, index: int, host: str, count: int, pipe: Connection) -> None:
    """Worker ``index``: take ``count`` slots, report how many were granted, hold them until told."""
    async def run() -> None:
        limiter.adopt(index)
        async with AsyncExitStack() as stack:
            pipe.send(await _take(limiter, host, count, stack))
            pipe.recv()
    asyncio.run(run())


def _in_another_worker(limiter: HostLimiter, index: int, host: str, count: int) -> tuple[Any, Connection, int]:
    here, there = FORK.Pipe()
    proc = FORK.Process(target=_worker, args=(limiter, index, host, count, there))
    proc.start()
    assert here.poll(10), "the worker did not answer"
    return proc, here, here.recv()


def _run(limiter: HostLimiter, body: Callable[[AsyncExitStack], Any]) -> Any:
    async def run() -> Any:
        async with AsyncExitStack() as stack:
            return await body(stack)
    return asyncio.run(run())


def test_two_workers_share_a_hosts_concurrency() -> None:
    limiter = HostLimiter(rate=0, concurrency=5, workers=2)
    proc, pipe, granted = _in_another_worker(limiter, 1, "host-a", 3)
    try:
        assert granted == 3
        assert limiter.in_flight("host-a") == 3

        async def here(stack: AsyncExitStack) -> tuple[int, int]:
            return await _take(limiter, "host-a", 5, stack), await _take(limiter, "host-b", 5, stack)

        assert _run(limiter, here) == (2, 5)  # 3 there + 2 here = 5 for host-a; host-b has its own 5
        assert limiter.in_flight("host-a") == 3  # this process's slots were given back
    finally:
        pipe.send("done")
        proc.join(10)
    assert limiter.in_flight("host-a") == 0


def test_two_workers_share_a_hosts_rate() -> None:
    limiter = HostLimiter(rate=10, concurrency=0, workers=2)
    proc, pipe, granted = _in_another_worker(limiter, 1, "host-a", 6)
    pipe.send("done")
    proc.join(10)
    assert granted == 6

    async def here(stack: AsyncExitStack) -> int:
        return await _take(limiter, "host-a", 10, stack)

    assert _run(limiter, here) == 4  # 10 in the second, whichever worker took them


def test_a_killed_workers_slots_are_freed_by_its_replacement() -> None:
    limiter = HostLimiter(rate=0, concurrency=5, workers=2)
    proc, _pipe, granted = _in_another_worker(limiter, 1, "host-a", 5)
    assert granted == 5
    os.kill(proc.pid, signal.SIGKILL)  # killed while holding its slots (and maybe the table's lock)
    proc.join(10)
    assert limiter.in_flight("host-a") == 5  # nobody gave them back...
    replacement = FORK.Process(target=limiter.adopt, args=(1,))
    replacement.start()
    replacement.join(10)
    assert replacement.exitcode == 0
    assert limiter.in_flight("host-a") == 0  # ...until worker 1 started again


def test_slots_of_idle_hosts_are_reused() -> None:
    limiter = HostLimiter(rate=0, concurrency=1, workers=1, slots=64)

    async def many(stack: AsyncExitStack) -> int:
        granted = 0
        for n in range(2000):  # far more hosts than slots, one after the other
            async with AsyncExitStack() as inner:
                granted += await _take(limiter, f"host-{n}", 1, inner)
        return granted

    assert _run(limiter, many) == 2000


def test_hosts_that_find_no_slot_of_their_own_share_a_budget_never_exceed_it() -> None:
    limiter = HostLimiter(rate=0, concurrency=1, workers=1, slots=64)

    async def crowded(stack: AsyncExitStack) -> tuple[int, int]:
        granted = sum([await _take(limiter, f"host-{n}", 2, stack) for n in range(200)])
        return granted, await _take(limiter, "host-0", 1, stack)

    granted, again = _run(limiter, crowded)
    assert granted <= 64 and again == 0  # at most one in flight per slot, and host-0 holds its one


@pytest.mark.parametrize("worker", [-1, 2])
def test_a_worker_index_out_of_range_is_refused(worker: int) -> None:
    with pytest.raises(ValueError):
        HostLimiter(workers=2).adopt(worker)
