"""A bounded mixed load of reads and writes (TENANTD_LOAD_SECONDS, default 20 s on SQLite and a third of it
on PostgreSQL): no 5xx anywhere, and the store consistent afterwards."""

from __future__ import annotations

import os
import random

from .conftest import Tenantd
from .consistency import problems
from .workload import run

SECONDS = float(os.environ.get("TENANTD_LOAD_SECONDS", "20"))


def test_mixed_load_has_no_server_error_and_leaves_the_store_consistent(tenantd: Tenantd) -> None:
    seconds = SECONDS if tenantd.database.startswith("sqlite") else SECONDS / 3
    seed = random.randrange(1_000_000)
    outcome = run(tenantd.server, seconds, seed=seed)
    summary = ", ".join(f"{op} {status}: {n}" for (op, status), n in sorted(outcome.statuses.items()))
    assert outcome.failures == [], f"seed {seed}; {outcome.failures[:5]}; {summary}"
    assert sum(outcome.statuses.values()) > seconds * 10, summary  # the load really ran
    written = {op for (op, status) in outcome.statuses if status in (200, 201, 204)}
    assert {"create_app", "assign", "add_member", "delete_app", "token", "read"} <= written, summary
    assert problems(tenantd.database) == [], f"seed {seed}"
