"""A small pre-fork supervisor: N worker processes forked from a parent that has done the start-up work once
(migrations, bootstrap, binding the sockets, the shared rate-limit table), so every worker inherits the
listening sockets and serves them all.

The parent only supervises: it reports ready once every worker said it answers, restarts a worker that
dies (after a pause when it died young, so a crash loop does not spin), and on SIGINT or SIGTERM sends
SIGTERM to every worker once (a second signal: again, which makes them stop at once) and waits for them.
Workers ignore SIGINT, which a terminal sends to the whole process group, so Ctrl-C stops them through the
parent exactly once; on Linux a worker also gets SIGTERM when the parent dies, so none is left orphaned.
Signals the caller names (SIGHUP: reload the TLS certificate) are passed on to every worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

STOP_TIMEOUT = 15.0     # how long stopping workers get before they are killed
YOUNG = 2.0             # a worker that dies this soon after its start is restarted only after RESTART_PAUSE
RESTART_PAUSE = 1.0
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1

Work = Callable[[int, Callable[[], None]], None]  # (worker index, "I answer") -> serves until told to stop


class WorkerFailed(RuntimeError):
    """A worker died before every worker was ready: the server cannot start."""


@dataclass
class _Worker:
    index: int
    pid: int
    started: float


@dataclass
class _State:
    workers: dict[int, _Worker] = field(default_factory=dict)   # pid -> worker
    ready: set[int] = field(default_factory=set)                # indexes that said they answer
    stopping: int = 0                                           # signals received
    restart_at: dict[int, float] = field(default_factory=dict)  # index -> when to fork it again
    forwarded: tuple[signal.Signals, ...] = ()                  # signals passed on to the workers
    on_exit: Callable[[int], None] = lambda pid: None           # told each reaped worker's pid


def supervise(count: int, work: Work, on_ready: Callable[[], None], forwarded: tuple[signal.Signals, ...] = (),
              on_exit: Callable[[int], None] = lambda pid: None) -> None:
    """Run ``work`` in ``count`` forked workers until SIGINT/SIGTERM; ``on_ready`` runs (in the parent) once
    all of them answer, ``on_exit`` with the pid of each worker that exited. Each of ``forwarded`` (SIGHUP,
    say) is passed on to every worker, which ignores it until ``work`` handles it. Raises WorkerFailed when a
    worker dies before every worker answered."""
    state = _State(forwarded=forwarded, on_exit=on_exit)
    read_end, write_end = os.pipe()

    def stop(_signum: int, _frame: object) -> None:
        state.stopping += 1
        _signal_all(state, signal.SIGTERM)

    def forward(signum: int, _frame: object) -> None:
        _signal_all(state, signum)

    previous = {sig: signal.signal(sig, stop) for sig in _SIGNALS}
    previous.update({sig: signal.signal(sig, forward) for sig in forwarded})
    announced = False
    try:
        for index in range(count):
            _fork(state, index, work, read_end, write_end)
        while state.workers or (not state.stopping and state.restart_at):
            for index in _readiness(read_end):
                state.ready.add(index)
            if not announced and not state.stopping and len(state.ready) == count:
                announced = True
                on_ready()
            for worker, status in _reaped(state):
                state.ready.discard(worker.index)
                if state.stopping:
                    continue
                if not announced:
                    state.stopping += 1
                    _signal_all(state, signal.SIGTERM)
                    _wait_all(state)
                    raise WorkerFailed(f"worker {worker.index} exited ({_describe(status)}) before it answered")
                young = time.monotonic() - worker.started < YOUNG
                print(f"tenantd: worker {worker.index} (pid {worker.pid}) exited ({_describe(status)}); "
                      "restarting it", file=sys.stderr, flush=True)
                state.restart_at[worker.index] = time.monotonic() + (RESTART_PAUSE if young else 0.0)
            for index, when in list(state.restart_at.items()):
                if state.stopping:
                    state.restart_at.clear()
                elif when <= time.monotonic():
                    del state.restart_at[index]
                    _fork(state, index, work, read_end, write_end)
            if state.stopping:
                _wait_all(state)
    finally:
        if state.workers:  # leaving on an error of the parent's own: no worker outlives it
            _signal_all(state, signal.SIGKILL)
            _wait_all(state)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(read_end)
        os.close(write_end)


def _fork(state: _State, index: int, work: Work, read_end: int, write_end: int) -> None:
    parent = os.getpid()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, (*_SIGNALS, *state.forwarded))  # none reaches a half-made worker
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        raise
    if pid:
        state.workers[pid] = _Worker(index, pid, time.monotonic())
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return
    code = 1
    try:
        os.close(read_end)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for sig in state.forwarded:   # not the parent's handler: ignored until the work handles it
            signal.signal(sig, signal.SIG_IGN)
        _die_with(parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

        def answering() -> None:
            os.write(write_end, struct.pack("!I", index))

        work(index, answering)
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with(parent: int) -> None:
    """Linux: SIGTERM this worker when the parent dies (elsewhere the parent's own stop has to do)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _readiness(read_end: int, timeout: float = 0.1) -> list[int]:
    """Indexes of workers that said they answer, waiting up to ``timeout`` for the first."""
    readable, _, _ = select.select([read_end], [], [], timeout)
    if not readable:
        return []
    data = os.read(read_end, 4096)  # each message is one atomic 4-byte write, so reads hold whole messages
    return [value for (value,) in struct.iter_unpack("!I", data)]


def _reaped(state: _State) -> list[tuple[_Worker, int]]:
    """Workers that have exited, with their wait status (only the workers: other children are not ours)."""
    done = []
    for pid in list(state.workers):
        try:
            found, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            found, status = pid, 0
        if found:
            done.append((state.workers.pop(pid), status))
            state.on_exit(pid)
    return done


def _signal_all(state: _State, sig: int) -> None:
    for pid in list(state.workers):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_all(state: _State) -> None:
    """Wait for every worker to exit, killing those still there after STOP_TIMEOUT."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while state.workers:
        _reaped(state)
        if not state.workers:
            break
        if time.monotonic() >= deadline:
            _signal_all(state, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"status {os.waitstatus_to_exitcode(status)}"
