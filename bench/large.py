"""The large directory rows: tokens, Graph pages, memory and export with bench.populate's tenant loaded,
and apply of a large tenant file (bench.bigfile) into an empty tenant."""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from . import groups, portal, scenario, wrk
from .bigfile import tenant_file
from .populate import Sizes, app_name, guid, identity_name, populate
from .servers import PYTHON, Tenantd, rss_mb, worker_pids
from .table import Row, Table

APPLY_OBJECTS = 10_000
# Run a command and report its peak resident memory (KB) on stderr's last line.
_PEAK = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


def rows(table: Table, work: Path, seconds: float, scale: float, args: tuple[str, ...], small: tuple[Path, str],
         log: Callable[[str], None]) -> None:
    """``small``: the small directory's data directory and its client credentials form, measured again right
    after the large one so the two rates are taken side by side."""
    sizes = Sizes().scaled(scale)
    data = work / "large"
    Tenantd(data, args).start().stop()   # a data directory with its tenant, as `tenantd up` leaves it
    log(f"populating {sizes.service_principals:,} service principals, {sizes.applications:,} applications, "
        f"{sizes.assignments:,} assignments, {sizes.users:,} users in {sizes.groups:,} groups")
    began = time.monotonic()
    _populate(data, sizes)
    filled = time.monotonic() - began
    server = Tenantd(data, args).start()
    try:
        scene = scenario.create(server)
        log("client credentials over HTTPS, large directory, then the small one again")
        cc = _token_rate(server, scene.form(), seconds)
        log("Graph list and filter pages, large directory")
        graph_pages(table, server)
        groups.transitive_row(table, server, log)
        memory = max(rss_mb(pid) for pid in worker_pids(server.pid))
        pages = Table()
        portal.rows(pages, server, seconds, log, sizes=sizes)
        with_portal = max(rss_mb(pid) for pid in worker_pids(server.pid))
        log("export of the whole tenant")
        export_row(table, server, work)
        after = max(rss_mb(pid) for pid in worker_pids(server.pid))
    finally:
        server.stop()
    again = Tenantd(small[0], args).start()
    try:
        small_cc = _token_rate(again, small[1], seconds)
    finally:
        again.stop()
    table.rows.insert(len(table.rows) - 2, Row(
        "client credentials, large vs small directory", cc.rps, "req/s", "small directory req/s", small_cc.rps,
        ">= 90%", f"back to back; p99 {cc.p99:.0f} vs {small_cc.p99:.0f} ms{_bad(cc)}", cc.rps / small_cc.rps >= 0.9))
    table.rows.extend(pages.rows)
    table.add(Row("resident memory per worker, large directory", memory, "MB", "", None, "< 150 MB",
                  f"after the token and Graph loads; {with_portal:.0f} MB after the portal's, {after:.0f} MB after the "
                  f"export; populated in {filled:.0f} s; "
                  f"warm start {server.startup:.2f} s", memory < 150))
    log(f"apply of a {APPLY_OBJECTS:,}-object tenant file")
    apply_row(table, work, args)


def _token_rate(server: Tenantd, form: str, seconds: float) -> wrk.Load:
    return wrk.run(f"{server.url}/{server.tenant_id}/oauth2/v2.0/token", seconds=seconds, connections=64, form=form)


def _populate(data: Path, sizes: Sizes) -> None:
    from tenantd import bootstrap
    from tenantd.runtime import open_runtime, sqlite_url

    rt = open_runtime(sqlite_url(data), data, None)
    try:
        populate(rt.store, bootstrap.default_tenant(rt).id, sizes)
    finally:
        rt.store.dispose()


def graph_pages(table: Table, server: Tenantd, rounds: int = 30) -> None:
    """Each common list call ``rounds`` times on one keep-alive connection; p50 and p99 over all of them."""
    sp_page = "/v1.0/servicePrincipals?$top=100"
    queries = {
        "servicePrincipals, first page": sp_page,
        "servicePrincipals eq displayName": f"/v1.0/servicePrincipals?$filter=displayName eq '{identity_name(4242)}'",
        "servicePrincipals startswith": "/v1.0/servicePrincipals?$filter=startswith(displayName,'bench-site-00')",
        "servicePrincipals appId": f"/v1.0/servicePrincipals?$filter=appId eq '{guid(4, 77)}'",
        "applications identifierUris": (f"/v1.0/applications?$filter=identifierUris/any(x:x eq "
                                        f"'api://{app_name(7)}')"),
        "users startswith": "/v1.0/users?$filter=startswith(displayName,'Bench User 0001')",
        "appRoleAssignedTo": f"/v1.0/servicePrincipals/{guid(3, 3)}/appRoleAssignedTo",
        "appRoleAssignedTo principalId": (f"/v1.0/servicePrincipals/{guid(3, 3)}/appRoleAssignedTo?$filter="
                                          f"principalId eq {guid(7, 3)}"),
        "appRoleAssignments of an identity": f"/v1.0/servicePrincipals/{guid(7, 3)}/appRoleAssignments",
    }
    headers = server.graph_headers()
    samples: dict[str, list[float]] = {name: [] for name in queries}
    with server.http() as client:
        link, depth = sp_page, 0
        while depth < 20:   # a page deep in the collection, reached through nextLinks
            following = client.get(link, headers=headers).json().get("@odata.nextLink")
            if following is None:
                break
            link, depth = following, depth + 1
        queries[f"servicePrincipals, page {depth + 1}"] = link
        samples[f"servicePrincipals, page {depth + 1}"] = []
        for _ in range(rounds):
            for name, path in queries.items():
                began = time.perf_counter()
                response = client.get(path, headers=headers)
                samples[name].append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
    every = sorted(s for values in samples.values() for s in values)
    worst = max(samples, key=lambda n: sorted(samples[n])[int(len(samples[n]) * 0.99) - 1])
    p99 = every[int(len(every) * 0.99) - 1] * 1000
    table.add(Row("Graph list/filter pages, large directory (latency)", p99, "ms p99", "", None, "< 50 ms",
                  f"p50 {statistics.median(every) * 1000:.1f} ms over {len(queries)} list calls x {rounds}; "
                  f"slowest: {worst}", p99 < 50))


def export_row(table: Table, server: Tenantd, work: Path) -> None:
    out = work / "export.json"
    peaks = _sample_rss(server.pid)
    began = time.monotonic()
    result = subprocess.run([PYTHON, "-c", _PEAK, PYTHON, "-m", "tenantd", "--data", str(server.data), "export",
                             "--json", "-o", str(out)], capture_output=True, text=True, timeout=1800, check=False)
    took = time.monotonic() - began
    server_peak = peaks()
    if result.returncode != 0:
        table.add(Row("export of the whole tenant", None, "s", note=f"failed: {result.stderr[-200:]}"))
        return
    client_peak = int(result.stderr.strip().splitlines()[-1]) / 1024
    table.add(Row("export of the whole tenant (streamed)", took, "s", "", None, "",
                  f"{out.stat().st_size / 1e6:.0f} MB of JSON; peak RSS: CLI {client_peak:.0f} MB, server worker "
                  f"{server_peak:.0f} MB"))


def _sample_rss(pid: int) -> Callable[[], float]:
    """Sample the workers' resident memory until the returned function is called; it returns the peak."""
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            with contextlib.suppress(OSError, ValueError):
                peak[0] = max(peak[0], *(rss_mb(p) for p in worker_pids(pid)))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()

    def stop() -> float:
        done.set()
        thread.join()
        return peak[0]
    return stop


def apply_row(table: Table, work: Path, args: tuple[str, ...]) -> None:
    file = work / "big.yaml"
    file.write_text(yaml.safe_dump(tenant_file(APPLY_OBJECTS), sort_keys=False, width=120))
    server = Tenantd(work / "apply", args).start()
    try:
        began = time.monotonic()
        result = server.cli("apply", str(file), "--json", timeout=900)
        took = time.monotonic() - began
    finally:
        server.stop()
    if result.returncode != 0:
        table.add(Row(f"apply of a {APPLY_OBJECTS:,}-object file", None, "s", target="< 60 s",
                      note=f"failed: {result.stderr.strip()[-200:]}"))
        return
    changes = len(json.loads(result.stdout)["changes"])
    table.add(Row(f"apply of a {APPLY_OBJECTS:,}-object file, SQLite", took, "s", "", None, "< 60 s",
                  f"{changes:,} changes in one transaction, through `tenantd apply`", took < 60))


def _bad(load: wrk.Load) -> str:
    return f"; {load.bad} non-2xx, {load.errors} socket errors" if load.bad or load.errors else ""

