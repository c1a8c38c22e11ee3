"""Metrics shared by the workers of ``--workers N``: prometheus-client's multiprocess mode, in a private
directory tenantd makes for one server's life. Each process writes its values into files of its own there
(named by its pid); a scrape, answered by any worker, reads them all. Counters of a worker that exited stay
(its counts happened), while its live gauges (the sign-in queue) go when it is forgotten."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import multiprocess, values

from .instruments import instruments

ENVIRONMENT = "PROMETHEUS_MULTIPROC_DIR"   # where prometheus-client's multiprocess values write their files


def share_between_processes(directory: Path) -> None:
    """Count into files of ``directory`` from now on, in this process and the ones it forks."""
    os.environ[ENVIRONMENT] = str(directory)
    values.ValueClass = values.MultiProcessValue()
    instruments.cache_clear()


def stop_sharing() -> None:
    """Count in memory again (the directory's files are closed; the caller removes the directory)."""
    os.environ.pop(ENVIRONMENT, None)
    values.close_all_multiprocess_files()
    values.ValueClass = values.MutexValue
    instruments.cache_clear()


def shared_directory() -> str | None:
    return os.environ.get(ENVIRONMENT)


def forget_process(pid: int) -> None:
    """Drop the live gauges of a process that exited (or of an earlier holder of a pid now reused)."""
    directory = shared_directory()
    if directory:
        multiprocess.mark_process_dead(pid, directory)
