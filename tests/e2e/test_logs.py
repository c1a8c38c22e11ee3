"""``tenantd logs``: the sign-in log from the command line, against a real server."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tenantd.domain import builtins
from tenantd.tokens.signins import SignIn

from ..support import Server
from .cli_support import fails, make_app, run

Obj = dict[str, Any]


def logs_json(server: Server, *args: str, expected: int) -> list[Obj]:
    """``tenantd logs --json ARGS`` once the writer has caught up with ``expected`` entries (bounded wait)."""
    deadline = time.monotonic() + 5
    while True:
        entries: list[Obj] = json.loads(run(server, "logs", "--json", *args))
        if len(entries) >= expected or time.monotonic() > deadline:
            assert len(entries) == expected, entries
            return entries
        time.sleep(0.2)


@pytest.fixture(scope="module")
def story(server: Server) -> Obj:
    """'orders' gets a token for the Things API twice (one entry counting two) and is refused once (a wrong
    secret)."""
    name = f"orders-{uuid.uuid4().hex[:6]}"
    api, _ = make_app(server, f"things-{uuid.uuid4().hex[:6]}", "Things.Read.All",
                           uris=(f"api://things-{uuid.uuid4().hex[:6]}",))
    app, _ = make_app(server, name)
    secret = server.graph("POST", f"/applications/{app['id']}/addPassword", json={}).json()["secretText"]
    run(server, "grant", name, api["displayName"], "Things.Read.All")
    scope = f"{api['identifierUris'][0]}/.default"
    tokens = [server.token(app["appId"], secret, scope).json()["access_token"] for _ in range(2)]
    assert server.token(app["appId"], "wrong-" + secret, scope).status_code == 401
    entries = logs_json(server, "--app", name, expected=2)
    while entries[1]["tenantdCount"] < 2:   # the second token may be written after the first
        time.sleep(0.2)
        entries = logs_json(server, "--app", name, expected=2)
    return {"name": name, "api": api, "app": app, "secret": secret, "tokens": tokens, "entries": entries}


def test_logs_json_lists_the_apps_sign_ins_newest_first(story: Obj) -> None:
    refused, issued = story["entries"]
    assert (refused["status"]["errorCode"], refused["tenantdCount"]) == (7000215, 1)
    assert (issued["status"]["errorCode"], issued["tenantdCount"]) == (0, 2)
    assert issued["tenantdRoles"] == ["Things.Read.All"]
    assert issued["resourceDisplayName"] == story["api"]["displayName"]
    assert {e["appId"] for e in story["entries"]} == {story["app"]["appId"]}
    created = [e["createdDateTime"] for e in story["entries"]]
    assert created == sorted(created, reverse=True)


def test_app_may_be_named_by_app_id(server: Server, story: Obj) -> None:
    entries = logs_json(server, "--app", story["app"]["appId"], expected=2)
    assert [e["id"] for e in entries] == [e["id"] for e in story["entries"]]


def test_failed_shows_only_refusals(server: Server, story: Obj) -> None:
    entries = logs_json(server, "--app", story["name"], "--failed", expected=1)
    assert entries[0]["id"] == story["entries"][0]["id"]
    out = run(server, "logs", "--app", story["name"], "--failed")
    assert "AADSTS7000215" in out and "Invalid client secret provided" in out and story["name"] in out


def test_limit_and_since(server: Server, story: Obj) -> None:
    assert [e["id"] for e in logs_json(server, "--app", story["name"], "--limit", "1", expected=1)] == \
        [story["entries"][0]["id"]]
    assert len(logs_json(server, "--app", story["name"], "--since", "1h", expected=2)) == 2
    assert logs_json(server, "--app", story["name"], "--since", "2099-01-01T00:00:00", expected=0) == []


def test_limit_beyond_one_page_follows_next_links(server: Server) -> None:
    """1,000 entries arranged straight in the store (from as many addresses, so that none are identical), for
    an app that no longer exists (named by appId)."""
    app_id = str(uuid.uuid4())
    rt = server.runtime()
    try:
        for n in range(1000):
            rt.sign_ins.record(SignIn(server.tenant_id, "client_credentials", time.time(), app_id=app_id,
                                      client_ip=f"10.0.{n // 256}.{n % 256}"))
        rt.sign_ins.flush()
    finally:
        rt.store.dispose()
    entries = json.loads(run(server, "logs", "--json", "--app", app_id, "--limit", "5000"))
    assert len(entries) == 1000 and len({e["id"] for e in entries}) == 1000
    assert len(json.loads(run(server, "logs", "--json", "--app", app_id, "--limit", "1001"))) == 1000
    assert len(json.loads(run(server, "logs", "--json", "--app", app_id, "--limit", "999"))) == 999


def test_human_output_is_a_table(server: Server, story: Obj) -> None:
    out = run(server, "logs", "--app", story["name"])
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["TIME", "(UTC)", "RESULT", "COUNT"] and "REASON" in lines[0]
    assert len(lines) == 3
    assert sum("Things.Read.All" in line and " 2 until " in line for line in lines) == 1
    assert all(story["name"] in line for line in lines[1:])


def test_a_persons_sign_in_names_her(server: Server) -> None:
    upn = f"ines-{uuid.uuid4().hex[:6]}@contoso.test"
    run(server, "user", "create", upn, "--password", "Ines-Signs-In-1")
    response = server.http().post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": upn,
        "password": "Ines-Signs-In-1", "scope": "https://graph.microsoft.com/.default"})
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 5
    while (line := next((x for x in run(server, "logs").splitlines() if upn in x), None)) is None:
        assert time.monotonic() < deadline, "her sign-in is not in the log"
        time.sleep(0.2)
    assert " ok " in line and " password " in line and "Azure CLI" in line


def test_no_secret_or_token_is_shown(server: Server, story: Obj) -> None:
    as_json = run(server, "logs", "--json", "--app", story["name"])
    assert len(json.loads(as_json)) == 2
    out = as_json + run(server, "logs", "--app", story["name"])
    for forbidden in (story["secret"], *story["tokens"], *[t.split(".")[2] for t in story["tokens"]]):
        assert forbidden not in out


def test_bad_options_are_one_line_errors(server: Server) -> None:
    assert "--since takes a duration" in fails(server, "logs", "--since", "yesterday")
    assert "No service principal or managed identity named" in fails(server, "logs", "--app", "no-such-app")
    fails(server, "logs", "--limit", "0", code=2)


def test_nothing_to_show(server: Server) -> None:
    out = run(server, "logs", "--app", str(uuid.uuid4()))
    assert out.strip() == "no sign-ins"


def test_a_clean_stop_writes_the_entries_still_queued(fresh_server: Server) -> None:
    app, _ = make_app(fresh_server, "stopper")
    secret = fresh_server.graph("POST", f"/applications/{app['id']}/addPassword", json={}).json()["secretText"]
    for _ in range(5):
        assert fresh_server.token(app["appId"], secret, "https://graph.microsoft.com/.default").status_code == 200
    assert fresh_server.stop() == 0   # at once: the writer's interval has most likely not come round yet
    rt = fresh_server.runtime()
    try:
        written = rt.sign_ins.query(fresh_server.tenant_id, [("app_id", "eq", app["appId"])])
    finally:
        rt.store.dispose()
    assert sum(row["count"] for row in written) == 5


def test_escape_sequences_in_any_field_are_not_passed_to_the_terminal(server: Server, story: Obj) -> None:
    """A refusal naming a resource full of escape sequences (cursor up, erase line, an OSC 8 link), and a
    row holding them raw (as one written before they were replaced on the way in): the table shows them
    replaced, so they cannot redraw the admin's terminal."""
    attack = "\x1b[1A\x1b[2K\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\x9b2J\r\nforged line"
    app = story["app"]
    assert server.token(app["appId"], "wrong", attack).status_code in (400, 401)
    raw_app = str(uuid.uuid4())
    rt = server.runtime()
    try:
        with rt.store.write() as tx:
            tx.insert_sign_ins([{"id": str(uuid.uuid4()), "tenant_id": server.tenant_id, "kind": "x\x1b[2J",
                                 "created": "2026-01-01T00:00:00.000000Z", "app_id": raw_app, "roles": ["\x1b[31m"],
                                 "resource": attack, "error_code": 7000215, "error": attack, "client_ip": attack}])
    finally:
        rt.store.dispose()
    logs_json(server, "--app", story["name"], "--failed", expected=2)
    raw = run(server, "logs", "--app", raw_app)
    assert len(raw.splitlines()) == 2   # the header and the row: no line of the attacker's own
    shown = run(server, "logs", "--app", story["name"], "--failed") + raw
    assert "evil.example" in shown and "\ufffd[1A" in shown
    for control in ("\x1b", "\x07", "\x9b", "\r"):
        assert control not in shown
