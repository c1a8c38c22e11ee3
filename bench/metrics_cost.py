"""What counting a token request costs on its path: the token endpoint's call (``token_from_memory``, else
``token`` when the signing key's view is due to be read again) alone, as before it counted, and with the
timing and the two increments the endpoint now adds, counted in memory (one process) and in shared files
(``--workers N``). Rounds of the three interleave, so a noisy machine shifts them alike.

    .venv/bin/python -m bench.metrics_cost [--rounds 15] [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tenantd import metrics
from tenantd.domain.model import AppRole
from tenantd.runtime import open_runtime, sqlite_url
from tenantd.tokens.request import TokenRequest
from tenantd.tokens.service import TokenService


def _client(data: Path) -> tuple[TokenService, TokenRequest]:
    rt = open_runtime(sqlite_url(data), data, None, default_public_url="https://localhost:8443")
    d = rt.directory
    tid = d.create_tenant("bench").id
    role = AppRole(id=str(uuid.uuid4()), value="Read", display_name="Read", description="Read",
                   allowed_member_types=("Application",))
    api = d.create_application(tid, "API", identifier_uris=["api://bench"], app_roles=[role],
                               with_service_principal=True)
    client = d.create_application(tid, "client", with_service_principal=True)
    _, secret = d.add_password(tid, client.id)
    d.assign(tid, d.service_principal_by_app_id(tid, client.app_id).id,
             d.service_principal_by_app_id(tid, api.app_id).id, role.id)
    call = TokenRequest(tenant=tid, endpoint_version=2, client_ip="127.0.0.1", basic_auth=None, form={
        "grant_type": "client_credentials", "client_id": client.app_id, "client_secret": secret,
        "scope": "api://bench/.default"})
    rt.tokens.token(call)   # the full path once: client, resource, roles and key in memory
    assert rt.tokens.token_from_memory(call) is not None, "the token was not answered from memory"
    return rt.tokens, call


def _per_call(run: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        service, call = _client(Path(work))

        def bare() -> object:
            return service.token_from_memory(call) or service.token(call)

        def counted() -> object:
            started = time.perf_counter()
            answer = service.token_from_memory(call) or service.token(call)
            metrics.instruments().token_request("client_credentials", "v2", 0, time.perf_counter() - started)
            return answer

        def in_memory() -> float:
            return _per_call(counted, args.calls)

        def shared() -> float:
            metrics.share_between_processes(Path(work))
            try:
                return _per_call(counted, args.calls)
            finally:
                metrics.stop_sharing()

        times: dict[str, list[float]] = {"before (no counting)": [], "counted in memory": [], "counted in files": []}
        for _ in range(args.rounds):
            times["before (no counting)"].append(_per_call(bare, args.calls))
            times["counted in memory"].append(in_memory())
            times["counted in files"].append(shared())
        base = statistics.median(times["before (no counting)"])
        print(f"client credentials in process, {args.rounds} interleaved rounds of {args.calls} calls; "
              "median us per call")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"  {name:<22} {median:8.1f} us  {median / base:6.1%}  (min {min(values):.1f}, "
                  f"max {max(values):.1f})")
        count_only = [_per_call(lambda: metrics.instruments().token_request("client_credentials", "v2", 0, 0.001),
                                args.calls * 10)]
        metrics.share_between_processes(Path(work))
        try:
            count_only.append(_per_call(lambda: metrics.instruments().token_request("client_credentials", "v2", 0,
                                                                                    0.001), args.calls * 10))
        finally:
            metrics.stop_sharing()
        print(f"  counting alone: {count_only[0]:.2f} us in memory, {count_only[1]:.2f} us in files")
        service.store.dispose()


if __name__ == "__main__":
    main()
