"""Certificates (``keyCredentials`` in an application's POST and PATCH) and federated identity credentials
(``/applications/{id}/federatedIdentityCredentials``, and the admin API's for user-assigned identities), with
Graph's shapes and Entra's rules: at most 20 federated credentials, each issuer and subject once."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..support import Server
from ..tokens.support import certificate, der_b64, new_key, x5t
from .graph_support import error, grant_graph_role, graph_token, new_app, new_client, ok, store, unique

ISSUER = "https://token.actions.githubusercontent.com"
UA = "/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/" \
     "Microsoft.ManagedIdentity/userAssignedIdentities/"


def _fic(name: str = "github", subject: str = "repo:contoso/things:ref:refs/heads/main",
         **fields: Any) -> dict[str, Any]:
    return {"name": name, "issuer": ISSUER, "subject": subject, **fields}


def test_an_application_is_created_with_a_certificate(server: Server) -> None:
    cert = certificate(new_key(), "things-client")
    app = new_app(server, keyCredentials=[{"type": "AsymmetricX509Cert", "usage": "Verify", "key": der_b64(cert)}])
    [shown] = app["keyCredentials"]
    assert shown["type"] == "AsymmetricX509Cert" and shown["usage"] == "Verify" and shown["key"] is None
    assert shown["displayName"] == "CN=things-client"
    assert base64.b64decode(shown["customKeyIdentifier"]) == cert.fingerprint(hashes.SHA1())
    assert shown["endDateTime"] == cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ok(server.graph("GET", f"/applications/{app['id']}"))["keyCredentials"] == [shown]


def test_patch_replaces_the_collection_keeping_named_key_ids(server: Server) -> None:
    first, second = (certificate(new_key(), name) for name in ("first", "second"))
    app = new_app(server, keyCredentials=[{"key": der_b64(first), "displayName": "first"}])
    kept = app["keyCredentials"][0]["keyId"]
    pem_text = second.public_bytes(serialization.Encoding.PEM).decode()
    ok(server.graph("PATCH", f"/applications/{app['id']}", json={"keyCredentials": [
        {"keyId": kept}, {"type": "AsymmetricX509Cert", "usage": "Verify", "key": pem_text, "displayName": "2nd"}]}),
       204)
    shown = ok(server.graph("GET", f"/applications/{app['id']}"))["keyCredentials"]
    names = {k["keyId"]: k["displayName"] for k in shown}
    assert names[kept] == "first" and sorted(names.values()) == ["2nd", "first"]
    ok(server.graph("PATCH", f"/applications/{app['id']}", json={"keyCredentials": []}), 204)
    assert ok(server.graph("GET", f"/applications/{app['id']}"))["keyCredentials"] == []


def test_certificates_that_cannot_verify_an_assertion_are_refused(server: Server) -> None:
    key = new_key()
    cert = certificate(key, "ok")
    expired = certificate(key, "old", days=-1)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_cert = certificate(ec_key, "ec")
    app = new_app(server)
    for entry in ({"key": "not base64!"}, {"key": base64.b64encode(b"not a certificate").decode()},
                  {"key": der_b64(expired)}, {"key": der_b64(ec_cert)}, {"key": der_b64(cert), "usage": "Sign"},
                  {"key": der_b64(cert), "type": "Symmetric"}, {"key": der_b64(cert), "colour": "blue"},
                  {"key": der_b64(cert), "endDateTime": (datetime.now(UTC) + timedelta(days=400)).isoformat()}):
        error(server.graph("PATCH", f"/applications/{app['id']}", json={"keyCredentials": [entry]}), 400)
    error(server.graph("PATCH", f"/applications/{app['id']}", json={"keyCredentials": [
        {"key": der_b64(cert)}, {"key": der_b64(cert)}]}), 400)
    assert ok(server.graph("GET", f"/applications/{app['id']}"))["keyCredentials"] == []


def test_federated_credentials_are_created_listed_read_updated_and_deleted(server: Server) -> None:
    app = new_app(server)
    base = f"/applications/{app['id']}/federatedIdentityCredentials"
    created = ok(server.graph("POST", base, json=_fic(description="main branch")), 201)
    assert created["@odata.context"].endswith(f"$metadata#applications('{app['id']}')/federatedIdentityCredentials"
                                              "/$entity")
    assert {k: created[k] for k in ("name", "issuer", "subject", "audiences", "description")} == {
        **_fic(), "audiences": ["api://AzureADTokenExchange"], "description": "main branch"}
    listed = ok(server.graph("GET", base))
    assert [c["id"] for c in listed["value"]] == [created["id"]]
    assert ok(server.graph("GET", f"{base}/{created['id']}"))["subject"] == created["subject"]
    assert ok(server.graph("GET", f"{base}(name='github')"))["id"] == created["id"]
    assert ok(server.graph("GET", f"{base}/github"))["id"] == created["id"]   # the name as key, as Graph takes it
    error(server.graph("GET", f"{base}/gitlab"), 404)
    by_app_id = f"/applications(appId='{app['appId']}')/federatedIdentityCredentials"
    assert [c["id"] for c in ok(server.graph("GET", by_app_id))["value"]] == [created["id"]]
    ok(server.graph("PATCH", f"{base}/{created['id']}", json={"subject": "repo:contoso/things:environment:prod"}),
       204)
    assert ok(server.graph("GET", f"{base}/{created['id']}"))["subject"] == "repo:contoso/things:environment:prod"
    error(server.graph("PATCH", f"{base}/{created['id']}", json={"name": "renamed"}), 400)
    ok(server.graph("DELETE", f"{base}/{created['id']}"), 204)
    error(server.graph("GET", f"{base}/{created['id']}"), 404)


def test_patch_by_name_creates_a_missing_credential(server: Server) -> None:
    app = new_app(server)
    base = f"/applications/{app['id']}/federatedIdentityCredentials"
    created = ok(server.graph("PATCH", f"{base}(name='upserted')", json={"issuer": ISSUER, "subject": "s1"}), 201)
    assert created["name"] == "upserted"
    ok(server.graph("PATCH", f"{base}(name='upserted')", json={"issuer": ISSUER, "subject": "s2"}), 204)
    assert ok(server.graph("GET", f"{base}(name='upserted')"))["subject"] == "s2"


def test_duplicate_issuer_and_subject_is_refused_with_graphs_error(server: Server) -> None:
    app = new_app(server)
    base = f"/applications/{app['id']}/federatedIdentityCredentials"
    ok(server.graph("POST", base, json=_fic("one")), 201)
    err = error(server.graph("POST", base, json=_fic("two")), 400, "InvalidFederatedIdentityCredentialValue")
    assert err["message"].startswith("The combination of issuer and subject must be unique for the application.")
    error(server.graph("POST", base, json=_fic("one", subject="other")), 409, "Request_MultipleObjectsWithSameKeyValue")
    assert len(ok(server.graph("GET", base))["value"]) == 1


def test_at_most_twenty_federated_credentials(server: Server) -> None:
    app = new_app(server)
    base = f"/applications/{app['id']}/federatedIdentityCredentials"
    for i in range(20):
        ok(server.graph("POST", base, json=_fic(f"fic-{i}", subject=f"subject-{i}")), 201)
    err = error(server.graph("POST", base, json=_fic("fic-20", subject="subject-20")), 400)
    assert "(20)" in err["message"]
    assert len(ok(server.graph("GET", base))["value"]) == 20


def test_invalid_federated_credentials_are_refused(server: Server) -> None:
    app = new_app(server)
    base = f"/applications/{app['id']}/federatedIdentityCredentials"
    for body in (_fic("x"), _fic("bad name!"), _fic(issuer="http://issuer.example"), _fic(issuer="not a url"),
                 _fic(subject=""), _fic(audiences=["a", "b"]), _fic(audiences=[]), _fic(claimsMatching="x"),
                 {"name": "no-issuer", "subject": "s"}, _fic(subject="x" * 601)):
        error(server.graph("POST", base, json=body), 400)
    assert ok(server.graph("GET", base))["value"] == []


def test_reading_needs_a_read_permission_and_writing_readwrite(server: Server) -> None:
    app = new_app(server)
    base = f"/applications/{app['id']}/federatedIdentityCredentials"
    client, sp, secret = new_client(server)
    grant_graph_role(server, sp, "Application.Read.All")
    token = graph_token(server, client, secret)
    assert ok(server.graph("GET", base, token=token))["value"] == []
    error(server.graph("POST", base, json=_fic(), token=token), 403, "Authorization_RequestDenied")


def test_deleting_an_application_deletes_its_federated_credentials(server: Server) -> None:
    app = new_app(server)
    ok(server.graph("POST", f"/applications/{app['id']}/federatedIdentityCredentials", json=_fic()), 201)
    ok(server.graph("DELETE", f"/applications/{app['id']}"), 204)
    with store(server) as (d, _), d.store.read() as tx:
        assert tx.federated_credentials(app["id"]) == []


def test_user_assigned_identities_have_federated_credentials_on_the_admin_api(server: Server) -> None:
    name = unique("worker").replace(" ", "-")
    identity = ok(server.admin("POST", "/identities", json={"name": name, "type": "UserAssigned",
                                                             "resourceId": UA + name}), 201)
    base = f"/identities/{identity['id']}/federatedIdentityCredentials"
    created = ok(server.admin("POST", base, json=_fic()), 201)
    assert created["audiences"] == ["api://AzureADTokenExchange"]
    error(server.admin("POST", base, json=_fic("again")), 400, "InvalidFederatedIdentityCredentialValue")
    assert [c["id"] for c in ok(server.admin("GET", base))["value"]] == [created["id"]]
    assert ok(server.admin("GET", f"{base}/github"))["id"] == created["id"]
    ok(server.admin("DELETE", f"{base}/{created['id']}"), 204)
    ok(server.admin("POST", base, json=_fic()), 201)
    ok(server.admin("DELETE", f"/identities/{identity['id']}"), 204)
    with store(server) as (d, _), d.store.read() as tx:
        assert tx.federated_credentials(identity["id"]) == []


def test_system_assigned_identities_have_no_federated_credentials(server: Server) -> None:
    name = unique("site").replace(" ", "-")
    host = f"/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/Microsoft.Web/sites/{name}"
    identity = ok(server.admin("POST", "/identities", json={"name": name, "host": host}), 201)
    error(server.admin("POST", f"/identities/{identity['id']}/federatedIdentityCredentials", json=_fic()), 400)


def test_the_x5t_of_a_registered_certificate_matches_what_clients_send(server: Server) -> None:
    cert = certificate(new_key(), "thumbprint")
    app = new_app(server, keyCredentials=[{"key": der_b64(cert)}])
    with store(server) as (d, tid):
        [stored] = d.application(tid, app["id"]).key_credentials
    assert stored.thumbprint_sha1 == x5t(cert) and stored.thumbprint_sha256 == x5t(cert, sha256=True)


def test_concurrent_twins_leave_exactly_one_credential(server: Server) -> None:
    app = new_app(server)
    base = f"/applications/{app['id']}/federatedIdentityCredentials"
    server.admin_token()
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda i: server.graph("POST", base, json=_fic(f"twin-{i}")), range(12)))
    assert sorted(a.status_code for a in answers) == [201] + [400] * 11
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 400} == {
        "InvalidFederatedIdentityCredentialValue"}
    assert len(ok(server.graph("GET", base))["value"]) == 1
