"""`make bench`: tenantd against the machine's own limits, every pair measured in the same run.

    python -m bench.run [--seconds 8] [--scale 1.0] [--no-large] [--workers N] [--keep DIR]
        [--people-only | --groups-only | --portal-only]

Prints the table of ratios at the end (and, with ``--markdown FILE``, writes it there too). Loads are
bounded (``--seconds`` per wrk run) and go to loopback only.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from . import groups, large, limits, people, portal, scenario, wrk
from .peer import Peer, PeerUnavailable
from .populate import Sizes
from .servers import ROOT, Baseline, Tenantd, rss_mb, warm_startup, worker_pids
from .table import Row, Table

IMDS_OFF = ("--imds-rate", "0", "--imds-concurrency", "0")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def server_args(workers: int) -> tuple[str, ...]:
    return (*IMDS_OFF, *(("--workers", str(workers)) if workers > 1 else ()))


def supports_workers() -> bool:
    result = subprocess.run([sys.executable, "-m", "tenantd", "up", "--help"], capture_output=True, text=True,
                            check=False, env={**os.environ, "COLUMNS": "200"})
    return "--workers" in result.stdout


def signing_input(token: str) -> bytes:
    return token.rsplit(".", 1)[0].encode()


def small_directory(table: Table, work: Path, seconds: float, workers: int) -> tuple[Path, str]:
    """Token endpoints, managed identity, Graph latency and start-up on a tenant of a few objects; its data
    directory and client credentials form, for the large directory's comparison."""
    args = server_args(workers)
    server = Tenantd(work / "small", args).start()
    cold = server.startup
    try:
        scene = scenario.create(server)
        token = server.token(scene.client_id, scene.secret, f"{scenario.API_URI}/.default")
        pem = limits.signing_key_pem(server.data, server.tenant_id)
        log("raw RS256 signing rate, one process per core")
        raw = limits.signing_rate(pem, signing_input(token), min(seconds, 5))
        log("client credentials over HTTPS")
        cc = wrk.run(f"{server.url}/{server.tenant_id}/oauth2/v2.0/token", seconds=seconds, connections=64,
                     form=scene.form())
        table.add(Row("client credentials, HTTPS keep-alive (c64)", cc.rps, "req/s", "raw RS256 signs/s", raw,
                      ">= 60%", f"p50 {cc.p50:.0f} ms, p99 {cc.p99:.0f} ms{_bad(cc)}", cc.rps / raw >= 0.6))
        log("managed identity (IMDS), cached tokens")
        mi = wrk.run(server.identity_url + scene.imds_path(), seconds=seconds, connections=32,
                     headers={"Metadata": "true"})
        rss = [rss_mb(pid) for pid in worker_pids(server.pid)]
        log("Graph latency")
        graph_rows(table, server, scene)
        people.rows(table, server, scene, seconds, log)
        groups.rows(table, server, scene, seconds, log)
    finally:
        server.stop()
    log("bare signing endpoint over HTTPS (the stack's client credentials ceiling)")
    signing = Baseline(work, True, workers).start()
    try:
        least = wrk.run(signing.url("/token"), seconds=seconds, connections=64, form=scene.form())
    finally:
        signing.stop()
    table.add(Row("client credentials vs a bare signing endpoint, HTTPS", cc.rps, "req/s",
                  "bare signing endpoint req/s", least.rps, "",
                  f"same stack: parse, sign, answer, nothing else; it is {least.rps / raw:.0%} of raw signing"
                  f"{_bad(least)}"))
    log("bare JSON endpoint (the HTTP ceiling), plain HTTP as the identity listener")
    bare = Baseline(work, False, workers).start()
    try:
        ceiling = wrk.run(bare.url(), seconds=seconds, connections=32)
    finally:
        bare.stop()
    table.add(Row("managed identity token, cached (c32)", mi.rps, "req/s", "bare endpoint req/s", ceiling.rps,
                  ">= 50%", f"p99 {mi.p99:.1f} ms (target < 10 ms); --imds-rate 0 --imds-concurrency 0{_bad(mi)}",
                  mi.rps / ceiling.rps >= 0.5 and mi.p99 < 10))
    log("warm start-up")
    starts = warm_startup(server.data, args)
    warm = statistics.median(starts)
    table.add(Row("start-up to first answer, warm data dir", warm, "s", "", None, "< 1.5 s",
                  f"median of {len(starts)}; cold (first) start {cold:.2f} s", warm < 1.5))
    log("client credentials over plain HTTP")
    plain = Tenantd(server.data, (*args, "--plain-http")).start()
    try:
        cc_plain = wrk.run(f"{plain.url}/{plain.tenant_id}/oauth2/v2.0/token", seconds=seconds, connections=64,
                           form=scene.form())
    finally:
        plain.stop()
    peer_row(table, work, seconds, scene.form(), cc_plain)
    table.add(Row("resident memory per worker, small directory", max(rss), "MB", "", None, "",
                  f"{len(rss)} worker(s) after the loads"))
    return server.data, scene.form()


def people_only(table: Table, work: Path, seconds: float, workers: int) -> None:
    server = Tenantd(work / "people", server_args(workers)).start()
    try:
        scene = scenario.create(server)
        people.rows(table, server, scene, seconds, log)
        groups.rows(table, server, scene, seconds, log)
    finally:
        server.stop()


def groups_only(table: Table, work: Path, seconds: float, scale: float, workers: int) -> None:
    """The groups rows alone: redemptions on a small directory, transitiveMemberOf on the large one."""
    server = Tenantd(work / "groups", server_args(workers)).start()
    try:
        groups.rows(table, server, scenario.create(server), seconds, log)
    finally:
        server.stop()
    large_server = groups.large_directory(work, scale, server_args(workers), log)
    try:
        groups.transitive_row(table, large_server, log)
    finally:
        large_server.stop()


def portal_only(table: Table, work: Path, seconds: float, scale: float, workers: int) -> None:
    """The portal's list pages alone, on the large directory at ``scale``."""
    server = groups.large_directory(work, scale, server_args(workers), log)
    try:
        portal.rows(table, server, seconds, log, sizes=Sizes().scaled(scale))
    finally:
        server.stop()


def graph_rows(table: Table, server: Tenantd, scene: scenario.Scenario, count: int = 100) -> None:
    headers = server.graph_headers()
    with server.http() as client:
        users = [scenario.ok(client.post("/v1.0/users", headers=headers, json={
            "userPrincipalName": f"bench{i}@bench.test", "displayName": f"Bench user {i}", "accountEnabled": True,
            "mailNickname": f"bench{i}", "passwordProfile": {"password": "Bench-Pass-1"}}))["id"] for i in range(count)]
        path = f"/v1.0/servicePrincipals/{scene.api_sp_id}/appRoleAssignedTo"
        create = scenario.timed([partial(client.post, path, headers=headers, json={
            "principalId": u, "resourceId": scene.api_sp_id, "appRoleId": scenario.ROLE_ID}) for u in users])
        listed = scenario.timed([partial(client.get, path, headers=headers, params={"$filter": f"principalId eq {u}"})
                                 for u in users])
        got = scenario.timed([partial(client.get, f"/v1.0/servicePrincipals/{scene.api_sp_id}", headers=headers)]
                             * count)
    for name, measured in (("create an assignment", create), ("list assignments with $filter", listed),
                           ("get a service principal by id", got)):
        table.add(Row(f"Graph: {name} (latency)", measured.p50, "ms p50", "", None, "",
                      f"p99 {measured.p99:.1f} ms, {measured.count} sequential calls, HTTPS keep-alive"))


def peer_row(table: Table, work: Path, seconds: float, form: str, cc_plain: wrk.Load) -> None:
    log("peer: oauth2-mock-server")
    try:
        peer = Peer(work / "peer.log").start()
    except PeerUnavailable as exc:
        table.add(Row("client credentials vs peer, plain HTTP (c64)", cc_plain.rps, "req/s",
                      "oauth2-mock-server", None, ">= 1.5x", f"peer not measured: {exc}"))
        return
    try:
        theirs = wrk.run(f"{peer.url}/token", seconds=seconds, connections=64, form=form)
    finally:
        peer.stop()
    table.add(Row("client credentials vs peer, plain HTTP (c64)", cc_plain.rps, "req/s",
                  f"oauth2-mock-server 9.3.0 (Node {peer.version}) req/s", theirs.rps, ">= 1.5x",
                  f"tenantd checks the secret, the peer does not; p99 {cc_plain.p99:.0f} vs {theirs.p99:.0f} ms"
                  f"{_bad(cc_plain)}{_bad(theirs)}", cc_plain.rps / theirs.rps >= 1.5))


def protect_rows(table: Table) -> None:
    log("tenantd.protect validation (bench/protect_bench.py)")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "protect_bench.py"), "--seconds", "0.5",
                             "--rounds", "3"], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    section = result.stdout.split("typical token", 1)[-1].split("\n\n", 1)[0]
    rates = {label.strip(): float(rate) for label, rate in
             re.findall(r"^\s{2}(\S.*?)\s{2,}(\d+)\s+\d+%", section, re.MULTILINE)}
    raw = rates.get("raw RS256 verify (cryptography)")
    pyjwt = rates.get("PyJWT decode (key resolved)")
    ours = rates.get("protect TokenValidator") or rates.get("tenantd.protect TokenValidator")   # full validation
    if not (raw and pyjwt and ours):
        table.add(Row("tenantd.protect validation", None, "/s", note="protect_bench.py failed: "
                      + (result.stderr.strip().splitlines() or ["no output"])[-1][:120]))
        return
    table.add(Row("tenantd.protect validation vs raw verify", ours, "/s", "raw RS256 verify/s", raw, "",
                  "one core, typical v1 token, every check"))
    table.add(Row("tenantd.protect validation vs PyJWT", ours, "/s", "PyJWT decode/s", pyjwt, ">= 1.5x",
                  "side by side, same token and key", ours / pyjwt >= 1.5))


def _bad(load: wrk.Load) -> str:
    return f"; {load.bad} non-2xx, {load.errors} socket errors" if load.bad or load.errors else ""


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="Duration of each load (wrk run).")
    parser.add_argument("--scale", type=float, default=1.0, help="Size of the large directory (1.0: full).")
    parser.add_argument("--no-large", action="store_true", help="Skip the large directory.")
    parser.add_argument("--people-only", action="store_true", help="Only the rows of people's sign-ins.")
    parser.add_argument("--groups-only", action="store_true", help="Only the rows of group memberships.")
    parser.add_argument("--portal-only", action="store_true", help="Only the portal's list pages (large directory).")
    parser.add_argument("--workers", type=int, default=0, help="Workers per server (default: 2 when supported).")
    parser.add_argument("--keep", type=Path, help="Work in this directory and keep it (default: a temp dir).")
    parser.add_argument("--markdown", type=Path, help="Also write the table to this file.")
    args = parser.parse_args()
    workers = args.workers or (os.cpu_count() or 1 if supports_workers() else 1)
    work = args.keep or Path(tempfile.mkdtemp(prefix="tenantd-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    wrk.ensure_wrk()
    table = Table()
    try:
        if args.people_only:
            people_only(table, work, args.seconds, workers)
            args.no_large = True
        elif args.groups_only:
            groups_only(table, work, args.seconds, args.scale, workers)
            args.no_large = True
        elif args.portal_only:
            portal_only(table, work, args.seconds, args.scale, workers)
            args.no_large = True
        else:
            small = small_directory(table, work, args.seconds, workers)
            protect_rows(table)
        if not args.no_large:
            large.rows(table, work, args.seconds, args.scale, server_args(workers), small, log)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"tenantd bench, {stamp}, {machine()}; {workers} worker(s); wrk -t2 for {args.seconds:g} s per row; "
              f"took {time.monotonic() - began:.0f} s")
    text = f"{header}\n\n{table.render()}\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(f"{header}\n\n```\n{table.render()}\n```\n")


if __name__ == "__main__":
    main()
