"""The benchmark harness at CI size: wrk's output parsed, the table rendered, the bare baseline served,
populate's command line and the query plans of Graph's list calls on both databases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import jwt as pyjwt
import pytest
from bench.explain import plans
from bench.populate import Sizes, populate
from bench.servers import ROOT, Baseline
from bench.table import Row, Table

from bench import wrk
from tenantd import bootstrap
from tenantd.runtime import open_runtime, sqlite_url
from tenantd.store import Store
from tenantd.store.migrate import HEAD, migrate

from ..databases import pg_available, pg_database

WRK_OUTPUT = """Running 8s test @ https://127.0.0.1:39771/t/oauth2/v2.0/token
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   169.47ms   67.57ms   1.41s    69.28%
    Req/Sec    94.76     51.58   220.00     55.92%
  Latency Distribution
     50%  155.80ms
     75%  211.29ms
     90%  264.32ms
     99%    1.02s
  1477 requests in 8.04s, 2.20MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    183.74
Transfer/sec:    280.18KB
"""


def test_wrk_output_is_parsed() -> None:
    load = wrk.parse(WRK_OUTPUT)
    assert (load.rps, load.p50, load.p99, load.requests, load.bad, load.errors) == (183.74, 155.8, 1020.0, 1477, 3, 0)
    with pytest.raises(RuntimeError, match="unexpected wrk output"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused")


def test_the_table_puts_ratios_first_and_marks_targets() -> None:
    table = Table()
    table.add(Row("tokens", 600.0, "req/s", "raw signs/s", 1000.0, ">= 60%", "p99 9 ms", True))
    table.add(Row("peer", 300.0, "req/s", "peer req/s", 100.0, ">= 1.5x", "", True))
    table.add(Row("memory", 120.0, "MB", target="< 150 MB", met=False))
    lines = table.render().splitlines()
    assert lines[0].split()[:3] == ["measure", "ratio", "target"]
    assert "60%" in lines[2] and ">= 60% ok" in lines[2] and "3.00x" in lines[3] and "MISS" in lines[4]


def test_the_bare_baseline_answers_on_tenantds_server_stack(tmp_path: Path) -> None:
    for workers in (1, 2):
        bare = Baseline(tmp_path, False, workers).start()
        try:
            assert httpx.get(bare.url()).json()["token_type"] == "Bearer"
            assert httpx.post(bare.url(), data={"a": "b"}).status_code == 200
        finally:
            bare.stop()
        assert bare.proc is not None and bare.proc.returncode == 0


def test_the_bare_signing_endpoint_signs_a_new_token_per_request_over_https(tmp_path: Path) -> None:
    bare = Baseline(tmp_path, True, 2).start()
    try:
        with httpx.Client(verify=False) as client:   # the baseline's throwaway certificate
            answers = [client.post(bare.url("/token"), data={"client_id": "c", "scope": "api://b/.default"}).json()
                       for _ in range(2)]
    finally:
        bare.stop()
    tokens = [a["access_token"] for a in answers]
    claims = pyjwt.decode(tokens[0], options={"verify_signature": False})
    assert tokens[0] != tokens[1] and claims["sub"] == "c" and claims["aud"] == "api://b/.default"
    assert pyjwt.get_unverified_header(tokens[0])["alg"] == "RS256"


def test_populate_runs_from_the_command_line_quietly_with_json(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bench.populate", "--data", str(tmp_path), "--scale", "0.002",
                             "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["service_principals"] == 200 and summary["assignments"] == 2000 and result.stderr == ""
    rt = open_runtime(sqlite_url(tmp_path), tmp_path, None)
    try:
        assert summary["tenant"] == bootstrap.default_tenant(rt).id
        assert len(rt.directory.service_principals(summary["tenant"], service_principal_type="ManagedIdentity")) \
            == 180
    finally:
        rt.store.dispose()


def _plan_lines(store: Store) -> dict[str, list[str]]:
    return {label: lines for label, _, lines in plans(store, no_seq_scan=True)}


def _populated(url: str, data: Path) -> Store:
    rt = open_runtime(url, data, None, default_public_url="https://localhost:1")
    populate(rt.store, bootstrap.default_tenant(rt).id, Sizes(2_000, 200, 5_000, 1_000, 100))
    return rt.store


def test_graph_list_queries_use_their_indexes_on_sqlite(tmp_path: Path) -> None:
    store = _populated(sqlite_url(tmp_path), tmp_path)
    try:
        found = _plan_lines(store)
    finally:
        store.dispose()
    for label, lines in found.items():
        text = "\n".join(lines)
        assert "USING INDEX" in text or "USING COVERING INDEX" in text, (label, text)
        assert not any(line.startswith("SCAN ") for line in lines), (label, text)
    for label in ("servicePrincipals?$filter=displayName eq '...'",
                  "servicePrincipals?$filter=startswith(displayName,'...')"):
        assert "name_key_id" in found[label][0] and len(found[label]) == 1   # no sort step either
    # The applications' service principals come first in creation order: the identities' page starts past them.
    assert "service_principal_type=?" in found["portal: managed identities, first page"][0]


@pytest.mark.skipif(not pg_available(), reason="no PostgreSQL")
def test_graph_list_queries_use_their_indexes_on_postgresql(tmp_path: Path) -> None:
    with pg_database() as url:
        store = _populated(url, tmp_path)
        try:
            found = _plan_lines(store)
        finally:
            store.dispose()
    for label, lines in found.items():
        text = "\n".join(lines)
        assert "Index" in text and "Seq Scan" not in text, (label, text)
    assert "ix_service_principals_tenant_id_name_key_id" in "\n".join(
        found["servicePrincipals?$filter=startswith(displayName,'...')"])


def test_a_database_analyzed_before_migration_0019_keeps_the_plain_list_on_its_index(tmp_path: Path) -> None:
    """A bulk-loaded database has statistics for every index; 0019's new one would have none, and SQLite would
    take it for the plain list and sort the whole table, unless the migration analyzes the table again."""
    store = _populated(sqlite_url(tmp_path), tmp_path)   # analyzed, as after bench.populate
    index = "ix_service_principals_tenant_id_service_principal_type_created_id"
    try:
        with store.engine.begin() as conn:   # the database as it was before 0019, statistics and all
            for added in (index, "ix_directory_audits_tenant_id_initiator_app_id_created"):
                conn.exec_driver_sql(f"DROP INDEX {added}")
                conn.exec_driver_sql(f"DELETE FROM sqlite_stat1 WHERE idx = '{added}'")
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0018'")
        assert migrate(store) == ("0018", HEAD)
        found = _plan_lines(store)
    finally:
        store.dispose()
    assert found["servicePrincipals, first page"] == [
        "SEARCH service_principals USING INDEX ix_service_principals_tenant_id_created_id (tenant_id=?)"]
    assert index in found["portal: managed identities, first page"][0]
