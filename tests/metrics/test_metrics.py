"""`tenantd up --metrics-port`: Prometheus's /metrics on a listener of its own, scraped after real token
requests (a secret, refusals, managed identity), with the names and label values the README documents."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tenantd.domain import rules
from tenantd.runtime import sqlite_url

from ..support import TENANTD, Server, start_server
from .support import answered, requests, scrape, value

SITE = "/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/Microsoft.Web/sites/m"
API = "api://metered"
ROLE = "5b0e4c3a-1f2d-4e6b-8a9c-0d1e2f3a4b5c"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("metrics"), "--metrics-port", "0")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server: Server) -> tuple[str, str]:
    """A client with a secret and a role on the API; a managed identity with the same role and a host session."""
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    try:
        api = d.create_application(tid, "Metered API", identifier_uris=[API], with_service_principal=True,
                                   app_roles=rules.app_roles([{"id": ROLE, "value": "Read", "displayName": "Read",
                                                               "allowedMemberTypes": ["Application"]}]))
        app = d.create_application(tid, "metered client", with_service_principal=True)
        _, secret = d.add_password(tid, app.id)
        resource = d.service_principal_by_app_id(tid, api.app_id).id
        d.assign(tid, d.service_principal_by_app_id(tid, app.app_id).id, resource, ROLE)
        identity = d.create_managed_identity(tid, "metered-site", "SystemAssigned", SITE)
        d.assign(tid, identity.id, resource, ROLE)
    finally:
        rt.store.dispose()
    return app.app_id, secret


def _host_secret(server: Server) -> str:
    session = server.admin("POST", "/hosts/sessions", json={"host": SITE})
    assert session.status_code == 201, session.text
    return str(session.json()["secret"])


def test_token_requests_are_counted_by_grant_endpoint_and_result(server: Server, client: tuple[str, str]) -> None:
    app_id, secret = client
    server.admin_token()   # the admin's own token, before the first scrape
    before, _ = scrape(server)
    tid = server.tenant_id
    with server.http() as http:
        for _ in range(3):
            assert server.token(app_id, secret, f"{API}/.default").status_code == 200
        assert http.post(f"/{tid}/oauth2/token", data={"grant_type": "client_credentials", "resource": API},
                         auth=(app_id, secret)).status_code == 200
        wrong = http.post(f"/{tid}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": app_id, "client_secret": "W" + secret[1:],
            "scope": f"{API}/.default"})
        assert wrong.json()["error_codes"] == [7000215]
        other = http.post(f"/{tid}/oauth2/v2.0/token", data={"grant_type": "implicit", "username": "u"})
        assert other.json()["error_codes"] == [70003]
        unformed = http.post(f"/{tid}/oauth2/v2.0/token", content=b"{}", headers={"content-type": "application/json"})
        assert unformed.json()["error_codes"] == [900144]
    after, _ = scrape(server)

    def delta(grant: str, endpoint: str, result: int) -> float:
        return requests(after, grant, endpoint, result) - requests(before, grant, endpoint, result)

    assert delta("client_credentials", "v2", 0) == 3
    assert delta("client_credentials", "v1", 0) == 1
    assert delta("client_credentials", "v2", 7000215) == 1
    assert delta("other", "v2", 70003) == 1         # a grant tenantd does not serve is "other", never its name
    assert delta("other", "v2", 900144) == 1        # no form at all
    latency = answered(after, "client_credentials", "v2") - answered(before, "client_credentials", "v2")
    assert latency == 4                              # the three tokens and the refusal
    buckets = {dict(labels)["le"]: count for (name, labels), count in after.items()
               if name == "tenantd_token_request_duration_seconds_bucket"
               and dict(labels)["endpoint"] == "v2" and dict(labels)["grant"] == "client_credentials"}
    assert buckets["+Inf"] == answered(after, "client_credentials", "v2")
    assert list(buckets.values()) == sorted(buckets.values())   # cumulative


def test_managed_identity_requests_and_its_token_cache(server: Server, client: tuple[str, str]) -> None:
    host = _host_secret(server)
    before, _ = scrape(server)
    query = {"api-version": "2018-02-01", "resource": API}
    with httpx.Client(base_url=server.info["identity_url"], timeout=30) as mi:
        first = mi.get(f"/{host}/metadata/identity/oauth2/token", params=query, headers={"Metadata": "true"})
        again = mi.get(f"/{host}/metadata/identity/oauth2/token", params=query, headers={"Metadata": "true"})
        assert first.status_code == again.status_code == 200
        assert first.json()["access_token"] == again.json()["access_token"]
        service = mi.get("/msi/token", params={"api-version": "2019-08-01", "resource": API},
                         headers={"X-IDENTITY-HEADER": host})
        assert service.status_code == 200
        unknown = mi.get(f"/{host}/metadata/identity/oauth2/token", headers={"Metadata": "true"},
                         params={"api-version": "2018-02-01", "resource": "api://nothing-here"})
        assert unknown.status_code == 400 and "AADSTS500011" in unknown.json()["error_description"]
        relayed = mi.get(f"/{host}/metadata/identity/oauth2/token", params=query)   # no Metadata header
        assert relayed.status_code == 400
    after, _ = scrape(server)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    def counted(endpoint: str, result: int) -> float:
        return requests(after, "managed_identity", endpoint, result) - requests(before, "managed_identity",
                                                                                endpoint, result)

    assert counted("imds", 0) == 2 and counted("app_service", 0) == 1
    assert counted("imds", 500011) == 1   # the AADSTS code of an unknown resource
    assert counted("imds", -1) == 1       # IMDS's own refusal, which has none
    assert delta("tenantd_managed_identity_token_cache_total", outcome="miss") == 1
    assert delta("tenantd_managed_identity_token_cache_total", outcome="hit") == 2


def test_the_rest_is_named_as_documented(server: Server) -> None:
    samples, families = scrape(server)
    assert {"tenantd_token_requests", "tenantd_token_request_duration_seconds", "tenantd_managed_identity_token_cache",
            "tenantd_sign_in_queue_depth", "tenantd_sign_ins_dropped", "tenantd_sign_ins_lost",
            "tenantd_database_errors", "tenantd_database_retries", "tenantd_signing_key_age_seconds"} <= families
    age = samples[("tenantd_signing_key_age_seconds", frozenset({("tenant", server.tenant_id)}))]
    assert 0 <= age < 600   # the key was made for the first token, moments ago
    assert value(samples, "tenantd_sign_ins_dropped_total") == value(samples, "tenantd_sign_ins_lost_total") == 0


def test_the_listener_binds_loopback_and_the_https_listener_has_no_metrics(server: Server) -> None:
    url = httpx.URL(server.info["metrics_url"])
    assert url.host == "127.0.0.1" and url.path == "/metrics"
    with server.http() as http:
        assert http.get("/metrics").status_code == 404
    with socket.create_connection((url.host, url.port)) as conn:
        assert conn.getpeername()[0] == "127.0.0.1"


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports the process ``pid`` listens on (its sockets' inodes in the kernel's tables)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(FileNotFoundError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:   # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_metrics_are_off_by_default(server: Server, tmp_path: Path) -> None:
    assert len(_listening_ports(server.proc.pid)) == 3   # HTTPS, managed identity, metrics
    plain = start_server(tmp_path / "plain")
    try:
        assert "metrics_url" not in plain.info
        assert _listening_ports(plain.proc.pid) == {httpx.URL(plain.url).port,
                                                    httpx.URL(plain.info["identity_url"]).port}
    finally:
        plain.stop()


def test_a_secret_sent_as_the_grant_type_never_becomes_a_label(server: Server, client: tuple[str, str]) -> None:
    app_id, secret = client
    marker = f"{secret}-{uuid.uuid4().hex}"
    with server.http() as http:
        http.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={"grant_type": marker, "client_id": app_id})
    text = httpx.get(server.info["metrics_url"], timeout=30).text
    assert secret not in text and marker not in text


def test_a_replica_serves_metrics_and_json_logs_too(server: Server, client: tuple[str, str], tmp_path: Path) -> None:
    app_id, secret = client
    log = tmp_path / "replica.log"
    env = {**os.environ, "TENANTD_MASTER_KEY": (server.data / "master.key").read_text().strip()}
    with open(log, "wb") as out:
        proc = subprocess.Popen([*TENANTD, "serve", "--database", sqlite_url(server.data), "--port", "0",
                                 "--metrics-port", "0", "--log-format", "json", "--log-level", "info"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline, found = time.monotonic() + 60, None
        while found is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"on (https://\S+) .*; metrics on (http://127\.0\.0\.1:\d+/metrics)", log.read_text())
            time.sleep(0.05)
        assert found, log.read_text()
        with httpx.Client(base_url=found.group(1), verify=ssl.create_default_context(cafile=server.ca_cert)) as http:
            assert http.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": app_id, "client_secret": secret,
                "scope": f"{API}/.default"}).status_code == 200
        scraped = httpx.get(found.group(2), timeout=30).text
        assert 'tenantd_token_requests_total{endpoint="v2",grant="client_credentials",result="0"} 1.0' in scraped
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line["logger"] == "uvicorn.error" and line["level"] == "INFO" for line in lines)


def test_an_unknown_log_format_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run([*TENANTD, "--data", str(tmp_path), "up", "--port", "0", "--identity-port", "0",
                             "--log-format", "xml"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "--log-format takes text or json, not 'xml'." in result.stderr
    assert "Traceback" not in result.stderr
