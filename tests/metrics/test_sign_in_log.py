"""What the sign-in log tells the metrics: rows waiting, sign-ins dropped and lost, batches written again."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantd.metrics import instruments
from tenantd.runtime import Runtime, open_runtime, sqlite_url
from tenantd.tokens.signins import SignIn, SignInLog


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = open_runtime(sqlite_url(tmp_path), tmp_path, None, default_public_url="https://localhost:8443")
    yield runtime
    runtime.store.dispose()


def _metric(name: str, **labels: str) -> float:
    return instruments().registry.get_sample_value(name, labels) or 0.0


def _entry(tenant_id: str, error_code: int = 0) -> SignIn:
    """A sign-in of a client of its own, so each opens an aggregate (a row) of its own."""
    return SignIn(tenant_id, "client_credentials", time.time(), app_id=str(uuid.uuid4()), error_code=error_code)


def test_dropped_sign_ins_are_counted(rt: Runtime) -> None:
    tid = rt.directory.create_tenant("dropping").id
    before = _metric("tenantd_sign_ins_dropped_total")
    log = SignInLog(rt.store, capacity=6)
    for _ in range(10):
        log.record(_entry(tid, error_code=7000215))
    assert _metric("tenantd_sign_ins_dropped_total") - before == log.dropped == 7


def test_a_refused_batch_is_a_retry_and_its_unstorable_row_is_lost(rt: Runtime) -> None:
    tid = rt.directory.create_tenant("losing").id
    retries = _metric("tenantd_database_retries_total", path="sign_in_rows")
    lost = _metric("tenantd_sign_ins_lost_total")
    log = SignInLog(rt.store)
    log.record(_entry(tid))
    log.record(_entry(str(uuid.uuid4())))   # no such tenant: the foreign key refuses the row
    assert log.flush() == 1
    assert _metric("tenantd_database_retries_total", path="sign_in_rows") - retries == 1
    assert _metric("tenantd_sign_ins_lost_total") - lost == 1


def test_the_queue_depth_is_what_the_writer_found_when_it_woke(rt: Runtime) -> None:
    tid = rt.directory.create_tenant("queueing").id
    log = SignInLog(rt.store, batch_size=3, interval=60)   # woken by a full batch only
    log.start()
    try:
        for _ in range(3):
            log.record(_entry(tid))
        deadline = time.monotonic() + 5
        while _metric("tenantd_sign_in_queue_depth") != 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _metric("tenantd_sign_in_queue_depth") == 3
    finally:
        log.stop()
