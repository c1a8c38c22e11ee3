"""How long the fuzzers run: bounded in `make test`, longer in `make fuzz` (TENANTD_FUZZ_SCALE multiplies
every example count), and timed so that a hang fails instead of stalling the run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("TENANTD_FUZZ_SCALE", "1")))
# One input's bound: generous for a loaded CI machine (they take milliseconds), far below what a quadratic
# or exponential path costs on the hostile inputs the tests include.
SECONDS = 2.0

T = TypeVar("T")


def examples(count: int) -> int:
    return count * SCALE


def fuzz_settings(count: int, **more: Any) -> Callable[[T], T]:
    """Hypothesis settings for a fuzz test: ``count`` examples (scaled), no per-example deadline (each test
    bounds its own time), and no health check that refuses slow or filtered generation."""
    return settings(max_examples=examples(count), deadline=None, suppress_health_check=list(HealthCheck),
                    **more)


@contextmanager
def within(seconds: float, what: str) -> Iterator[None]:
    """Fail if the block takes longer than ``seconds`` (a parser that backtracks or expands shows here)."""
    started = time.perf_counter()
    yield
    took = time.perf_counter() - started
    assert took < seconds, f"{what} took {took:.2f} s (bound {seconds} s)"
