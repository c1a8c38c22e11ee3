"""Hostile text through a live tenantd on SQLite and on PostgreSQL: generated strings rich in unpaired
surrogates, NUL and other control characters, in Graph and admin JSON bodies (values and property names),
in path segments and in ``$filter`` literals. No request gets a 5xx; a NUL or an unpaired surrogate is
Graph's 400; any other text is stored and read back unchanged. One keep-alive connection carries them all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantd.domain import rules

from ..http.conftest import tenantd
from ..support import Server
from .hostile import HOSTILE
from .support import fuzz_settings

__all__ = ["tenantd"]

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@pytest.fixture(scope="module")
def client(tenantd: Server) -> Iterator[httpx.Client]:
    with tenantd.http() as http:
        http.headers["Authorization"] = f"Bearer {tenantd.admin_token()}"
        yield http


@pytest.fixture(scope="module")
def app_id(client: httpx.Client) -> str:
    response = client.post("/v1.0/applications", json={"displayName": "hostile fuzz"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _send(client: httpx.Client, method: str, url: str, body: Any = None) -> httpx.Response:
    content = None if body is None else json.dumps(body).encode("ascii")   # surrogates as \\ud800 escapes
    response = client.request(method, url, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, (method, url, content, response.text)
    if response.content:
        response.json()   # every answer is JSON, whatever text it quotes
    return response


def unstorable(text: str) -> bool:
    """Whether ``text``, sent as JSON, reads back holding NUL or an unpaired surrogate (a high surrogate
    just before a low one reads back as the pair's character)."""
    return UNSTORABLE.search(json.loads(json.dumps(text))) is not None


def _refused(response: httpx.Response, because: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "Request_BadRequest" and because in error["message"], response.text


@fuzz_settings(60)
@given(text=HOSTILE, field=st.sampled_from(["displayName", "signInAudience", "key"]))
def test_hostile_text_in_graph_bodies(client: httpx.Client, app_id: str, text: str, field: str) -> None:
    body = {"displayName": "fuzzed", field: text} if field != "key" else {"displayName": "fuzzed", text: "v"}
    response = _send(client, "PATCH", f"/v1.0/applications/{app_id}", body)
    if unstorable(text):
        _refused(response, "NUL or an unpaired UTF-16 surrogate")
    elif field == "displayName" and not json.loads(json.dumps(text)).strip():
        _refused(response, "a non-empty string is required")
    elif field == "displayName" and len(json.loads(json.dumps(text))) <= rules.MAX_DISPLAY_NAME:
        assert response.status_code == 204, response.text
        stored = _send(client, "GET", f"/v1.0/applications/{app_id}").json()
        assert stored[field] == json.loads(json.dumps(text))


@fuzz_settings(40)
@given(text=HOSTILE)
def test_hostile_text_in_groups_users_and_admin_bodies(client: httpx.Client, tenantd: Server, text: str) -> None:
    responses = [
        _send(client, "POST", "/v1.0/groups", {"displayName": text}),
        _send(client, "POST", "/v1.0/users", {"userPrincipalName": f"{text}@example.com", "displayName": text}),
        _send(client, "POST", f"/v1.0/groups/{'0' * 8}-0000-0000-0000-{'0' * 12}/members/$ref",
              {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{text}"}),
    ]
    admin = client.post("/_tenantd/apply", content=json.dumps(
        {"document": {"groups": [{"displayName": text}]}, "dryRun": True}).encode("ascii"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {tenantd.admin_token('api://tenantd')}"})
    assert admin.status_code < 500, admin.text
    if unstorable(text):
        for response in [*responses, admin]:
            _refused(response, "NUL or an unpaired UTF-16 surrogate")


@fuzz_settings(60)
@given(text=HOSTILE, where=st.sampled_from(["users", "groups", "applications", "filter", "startswith"]))
def test_hostile_text_in_paths_and_filters(client: httpx.Client, text: str, where: str) -> None:
    escaped = quote(text.replace("'", "''"), safe="", errors="surrogatepass")
    url = {"filter": f"/v1.0/applications?$filter=displayName eq '{escaped}'",
           "startswith": f"/v1.0/users?$filter=startswith(displayName,'{escaped}')",
           }.get(where, f"/v1.0/{where}/{escaped}")
    response = _send(client, "GET", url)
    if "\x00" in text:
        _refused(response, "may not hold NUL")
