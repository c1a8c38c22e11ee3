"""What people's grants cost in process: a refresh token and an authorization code (``openid profile
offline_access``, as msal asks: two signatures and a new refresh token), and a middle tier's on-behalf-of
exchange of the user's token as msal asks it and for ``.default`` alone (``bench/obo.py``'s two rows), answered
as the token endpoint answers them (``token_from_memory``, on the event loop, else ``token`` in a worker
thread) and through ``token`` alone, beside client credentials, in interleaved rounds so a busy machine shifts
them alike. The tenant is ``bench/people.py``'s: a user with a password holding an API's role (directly and
through a group), the API pre-authorizing the Azure CLI and a middle tier (a confidential client with a
secret, whose own API the Azure CLI's token for the user is for).

    .venv/bin/python -m bench.people_cost [--rounds 7] [--calls 300] [--database URL] [--profile GRANT]

Each row gives the median CPU time of a request of the thread that answers (steadier than the clock on a shared
machine), the rate that makes on one core, the share of client credentials' rate, and the rate by the clock.
``--profile refresh_token`` (or ``authorization_code``, ``client_credentials``, ``on_behalf_of``,
``on_behalf_of_default``) prints the cProfile of one round
of that grant, as the endpoint answers it, instead.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import os
import pstats
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins
from tenantd.domain.model import AppRole
from tenantd.domain.sign_in_state import AuthorizationCode, secret_hash
from tenantd.runtime import Runtime, open_runtime, sqlite_url
from tenantd.tokens.codes import CODE_LIFETIME
from tenantd.tokens.request import TokenRequest

CLI = builtins.AZURE_CLI_APP_ID
API = "api://bench-people"
MIDDLE = "api://bench-people-middle"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = f"{API}/.default openid profile offline_access"
REDIRECT = "http://localhost"
VERIFIER = "bench-verifier-" + "v" * 40
PASSWORD = "Bench-Person-Pass-1"


class People:
    """The tenant, a refresh token of the user, and the requests of each grant."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        d = rt.directory
        self.tenant_id = tid = d.create_tenant("bench").id
        role = AppRole(id=str(uuid.uuid4()), value="Read", display_name="Read", description="Read",
                       allowed_member_types=("User", "Application"))
        scope_id, middle_scope_id = str(uuid.uuid4()), str(uuid.uuid4())
        middle = d.create_application(tid, "middle tier", identifier_uris=[MIDDLE], with_service_principal=True,
                                      settings={"api.oauth2PermissionScopes": [{
                                          "id": middle_scope_id, "value": "Middle.Access", "type": "User",
                                          "isEnabled": True, "adminConsentDisplayName": "Use",
                                          "adminConsentDescription": "Use."}],
                                          "api.preAuthorizedApplications": [
                                              {"appId": CLI, "delegatedPermissionIds": [middle_scope_id]}]})
        _, middle_secret = d.add_password(tid, middle.id)
        api = d.create_application(tid, "API", identifier_uris=[API], app_roles=[role], with_service_principal=True,
                                   settings={"api.oauth2PermissionScopes": [{
                                       "id": scope_id, "value": "Bench.Access", "type": "User", "isEnabled": True,
                                       "adminConsentDisplayName": "Use", "adminConsentDescription": "Use."}],
                                       "api.preAuthorizedApplications": [
                                           {"appId": CLI, "delegatedPermissionIds": [scope_id]},
                                           {"appId": middle.app_id, "delegatedPermissionIds": [scope_id]}]})
        api_sp = d.service_principal_by_app_id(tid, api.app_id).id
        client = d.create_application(tid, "client", with_service_principal=True)
        _, secret = d.add_password(tid, client.id)
        d.assign(tid, d.service_principal_by_app_id(tid, client.app_id).id, api_sp, role.id)
        user = d.create_user(tid, "person@bench.test", "Bench Person", password=PasswordProfile(PASSWORD))
        self.user_id = user.id
        group = d.create_group(tid, "Bench people")
        d.add_member(tid, group.id, user.id)
        d.assign(tid, user.id, api_sp, role.id)
        self.client_credentials = self._request({
            "grant_type": "client_credentials", "client_id": client.app_id, "client_secret": secret,
            "scope": f"{API}/.default"})
        signed_in = rt.tokens.token(self._request({
            "grant_type": "password", "client_id": CLI, "username": "person@bench.test", "password": PASSWORD,
            "scope": SCOPE}))
        self.refresh = self._request({"grant_type": "refresh_token", "client_id": CLI, "scope": SCOPE,
                                      "refresh_token": signed_in["refresh_token"], "client_info": "1"})
        assertion = rt.tokens.token(self._request({
            "grant_type": "password", "client_id": CLI, "username": "person@bench.test", "password": PASSWORD,
            "scope": f"{MIDDLE}/Middle.Access"}))["access_token"]
        obo = {"grant_type": JWT_BEARER, "requested_token_use": "on_behalf_of", "client_id": middle.app_id,
               "client_secret": middle_secret, "assertion": assertion, "client_info": "1"}
        self.on_behalf_of = self._request({**obo, "scope": SCOPE})
        self.on_behalf_of_default = self._request({**obo, "scope": f"{API}/.default"})

    def _request(self, form: dict[str, str]) -> TokenRequest:
        return TokenRequest(tenant=self.tenant_id, endpoint_version=2, client_ip="127.0.0.1", basic_auth=None,
                            form=form)

    def codes(self, count: int) -> list[TokenRequest]:
        """``count`` new authorization codes, stored as the authorize endpoint stores them."""
        challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
        now = int(time.time())
        codes = [secrets.token_urlsafe(32) for _ in range(count)]
        with self.rt.store.write() as tx:
            for code in codes:
                tx.insert_authorization_code(AuthorizationCode(
                    code_hash=secret_hash(code), tenant_id=self.tenant_id, client_app_id=CLI, user_id=self.user_id,
                    redirect_uri=REDIRECT, scope=SCOPE, resource=None, endpoint_version=2,
                    code_challenge=challenge, code_challenge_method="S256", nonce=None, auth_time=now,
                    session_hash=None, created=now, expires=now + CODE_LIFETIME))
        return [self._request({"grant_type": "authorization_code", "client_id": CLI, "code": code,
                               "redirect_uri": REDIRECT, "code_verifier": VERIFIER, "scope": SCOPE,
                               "client_info": "1"}) for code in codes]

    def rounds(self, calls: int) -> dict[str, Callable[[], tuple[float, float]]]:
        """Each grant's round of ``calls`` requests; each returns the seconds a request took: CPU time of the
        thread that answers them, and by the clock."""
        tokens = self.rt.tokens

        def timed(requests: list[TokenRequest], answer: Callable[[TokenRequest], object]) -> tuple[float, float]:
            cpu, clock = time.thread_time(), time.perf_counter()
            for request in requests:
                answer(request)
            return (time.thread_time() - cpu) / len(requests), (time.perf_counter() - clock) / len(requests)

        def memory(request: TokenRequest) -> object:
            return tokens.token_from_memory(request) or tokens.token(request)

        return {
            "client credentials, from memory": lambda: timed([self.client_credentials] * calls, memory),
            "client credentials, token()": lambda: timed([self.client_credentials] * calls, tokens.token),
            "refresh token, from memory": lambda: timed([self.refresh] * calls, memory),
            "refresh token, token()": lambda: timed([self.refresh] * calls, tokens.token),
            "authorization code, from memory": lambda: timed(self.codes(calls), memory),
            "authorization code, token()": lambda: timed(self.codes(calls), tokens.token),
            "on-behalf-of, from memory": lambda: timed([self.on_behalf_of] * calls, memory),
            "on-behalf-of, token()": lambda: timed([self.on_behalf_of] * calls, tokens.token),
            "on-behalf-of default, from memory": lambda: timed([self.on_behalf_of_default] * calls, memory),
            "on-behalf-of default, token()": lambda: timed([self.on_behalf_of_default] * calls, tokens.token),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--database", help="a database URL (default: SQLite in a temporary data directory)")
    parser.add_argument("--profile", choices=("refresh_token", "authorization_code", "client_credentials",
                                              "on_behalf_of", "on_behalf_of_default"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        rt = open_runtime(args.database or sqlite_url(Path(work)), Path(work), None,
                          default_public_url="https://localhost:8443")
        rt.sign_ins.start()   # as a server does: the log's rows are written in batches by a thread
        try:
            people = People(rt)
            rounds = people.rounds(args.calls)
            for run in rounds.values():   # warm up: every path once, caches filled
                run()
            answered = [name for name, request in (("refresh token", people.refresh),
                                                   ("authorization code", people.codes(1)[0]),
                                                   ("on-behalf-of", people.on_behalf_of),
                                                   ("on-behalf-of default", people.on_behalf_of_default))
                        if rt.tokens.token_from_memory(request) is not None]
            if args.profile:
                _profile(rounds, args.profile)
                return
            costs: dict[str, list[tuple[float, float]]] = {name: [] for name in rounds}
            for _ in range(args.rounds):
                for name, run in rounds.items():
                    costs[name].append(run())
            base = statistics.median(cpu for cpu, _ in costs["client credentials, token()"])
            print(f"TokenService.token in process, {rt.store.engine.dialect.name}, {args.rounds} interleaved rounds "
                  f"of {args.calls} calls; people's grants answered from memory: {', '.join(answered) or 'none'}")
            print(f"  {'':<34} {'CPU':>8}  {'on 1 core':>9}  {'of cc':>6}  {'by clock':>9}")
            for name, values in costs.items():
                cpu, clock = (statistics.median(v[i] for v in values) for i in (0, 1))
                print(f"  {name:<34} {cpu * 1e6:5.0f} us  {1 / cpu:7.0f}/s  {base / cpu:6.0%}  {1 / clock:7.0f}/s")
        finally:
            rt.sign_ins.stop()
            rt.store.dispose()


def _profile(rounds: dict[str, Callable[[], tuple[float, float]]], grant: str) -> None:
    name = f"{grant.replace('on_behalf_of', 'on-behalf-of').replace('_', ' ')}, from memory"
    profiler = cProfile.Profile()
    profiler.enable()
    cpu, _ = rounds[name]()
    profiler.disable()
    print(f"{name}: {cpu * 1e6:.0f} us of CPU a request under the profiler")
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)


if __name__ == "__main__":
    main()
