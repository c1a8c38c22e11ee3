"""The pre-fork supervisor on its own: real forked workers, real signals."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator

import pytest

from tenantd import supervisor


@pytest.fixture
def pids() -> Iterator[tuple[int, Callable[[], set[int]]]]:
    """A pipe workers write their pid to, and a reader of what was written."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)

    def written() -> set[int]:
        try:
            data = os.read(read_end, 4096)
        except BlockingIOError:
            return set()
        return {int(pid) for pid in data.split()}

    yield write_end, written
    os.close(read_end)
    os.close(write_end)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_ready_once_every_worker_answers_and_a_signal_stops_them_all(
        pids: tuple[int, Callable[[], set[int]]]) -> None:
    pipe, written = pids
    readies: list[int] = []

    def work(index: int, answering: Callable[[], None]) -> None:
        os.write(pipe, f"{os.getpid()}\n".encode())
        answering()
        while True:
            signal.pause()  # until the parent's SIGTERM (default action: exit)

    def ready() -> None:
        readies.append(1)
        os.kill(os.getpid(), signal.SIGTERM)  # what `kill <parent pid>` does

    before = signal.getsignal(signal.SIGTERM)
    supervisor.supervise(3, work, ready)
    workers = written()
    assert readies == [1] and len(workers) == 3 and os.getpid() not in workers
    assert all(_gone(pid) for pid in workers)  # exited and reaped
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_worker_that_dies_before_answering_fails_the_start(pids: tuple[int, Callable[[], set[int]]]) -> None:
    pipe, written = pids
    readies: list[int] = []

    def work(index: int, answering: Callable[[], None]) -> None:
        os.write(pipe, f"{os.getpid()}\n".encode())
        if index == 1:
            raise RuntimeError("cannot serve")
        answering()
        while True:
            signal.pause()

    with pytest.raises(supervisor.WorkerFailed, match="worker 1 exited"):
        supervisor.supervise(2, work, lambda: readies.append(1))
    workers = written()
    assert readies == [] and len(workers) == 2
    assert all(_gone(pid) for pid in workers)
