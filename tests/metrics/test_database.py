"""A database that goes away shows in the metrics: its errors by class, the token endpoint's 90033 refusals,
and a scrape that still answers without the key ages it could not read."""

from __future__ import annotations

import os

import psycopg
import pytest

from ..databases import PG_ADMIN_URL, pg_available, pg_database
from ..support import start_server
from .support import requests, scrape

pytestmark = pytest.mark.skipif(not pg_available() and not os.environ.get("CI"), reason="PostgreSQL unreachable")


def test_a_lost_database_is_counted_and_the_scrape_still_answers(tmp_path_factory: pytest.TempPathFactory) -> None:
    with pg_database() as url:
        server = start_server(tmp_path_factory.mktemp("tenantd"), "--database", url, "--metrics-port", "0")
        try:
            server.admin_token()
            before, _ = scrape(server)
            assert ("tenantd_signing_key_age_seconds", frozenset({("tenant", server.tenant_id)})) in before
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            refused = server.token(server.info["admin_client_id"], server.info["admin_client_secret"],
                                   "https://graph.microsoft.com/.default")
            after, _ = scrape(server)
        finally:
            server.stop()
    assert refused.json()["error_codes"] == [90033]
    assert requests(after, "client_credentials", "v2", 90033) == 1
    errors = {dict(labels)["error"]: count for (name, labels), count in after.items()
              if name == "tenantd_database_errors_total"}
    assert errors.get("OperationalError", 0) >= 1 and set(errors) <= {"OperationalError", "InterfaceError"}
    assert not [name for name, _ in after if name == "tenantd_signing_key_age_seconds"]
