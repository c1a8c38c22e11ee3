"""The portal bench at CI size: `tenantd up` on a tiny large directory (bench.populate), a Global Administrator
signed in through the real flow, and every list page and its search loaded by wrk for a second (the harness
only: no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.large import _populate
from bench.populate import Sizes
from bench.servers import Tenantd
from bench.table import Table

from bench import portal, wrk

SIZES = Sizes(service_principals=300, applications=40, assignments=2_000, users=200, groups=20)


def test_every_portal_list_page_and_its_search_is_loaded_with_a_real_session(tmp_path: Path) -> None:
    wrk.ensure_wrk()
    data = tmp_path / "large"
    Tenantd(data, ()).start().stop()
    _populate(data, SIZES)
    server = Tenantd(data, ()).start()
    try:
        table = Table()
        portal.rows(table, server, 1, lambda message: None, warmup=0, sizes=SIZES)
        cookie = portal.sign_in(server, portal.admin(server))
        with server.http() as client:
            users = client.get(f"/portal/{server.tenant_id}/users", params={"q": "bench user 00001"},
                               headers={"Cookie": f"{portal.SESSION_COOKIE}={cookie}"})
            forged = client.get(f"/portal/{server.tenant_id}/users",
                                headers={"Cookie": f"{portal.SESSION_COOKIE}={cookie[:-4]}AAAA"})
    finally:
        server.stop()
    names = [row.name for row in table.rows]
    assert names == [f"portal {label}, {kind} (c8)" for label, _, _ in portal.PAGES for kind in ("list", "search")]
    for row in table.rows:
        assert row.value is not None and row.value > 0 and row.limit, row
        assert "non-2xx" not in row.note, row
    assert users.status_code == 200 and "Bench User 000010" in users.text and "Bench User 000020" not in users.text
    assert forged.status_code == 303   # the cookie is what signs the loads in


def test_a_page_that_sends_the_browser_to_sign_in_is_not_measured(tmp_path: Path) -> None:
    server = Tenantd(tmp_path / "t", ()).start()
    try:
        with pytest.raises(RuntimeError, match=r"/users: 303"):
            portal.targets(server, "not-a-session")
    finally:
        server.stop()
