"""The metrics tenantd keeps (their names, types and labels are in the README's "Metrics" table), with entry
points cheap enough for the token path: a request's two children (its counter and its latency histogram) are
looked up once per label combination and kept, so counting one costs two increments and a dict lookup."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()   # no `_created` series: shared (multiprocess) counts have none, so neither do ours

# Token requests answer in a fraction of a millisecond from memory and in milliseconds from the database;
# seconds mean a database waiting on a lock.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

NO_AADSTS = -1
"""The result of a refusal that carries no AADSTS code (a managed identity endpoint's own, as in the sign-in log)."""


class Instruments:
    """One process's metrics, registered in a registry of their own (a scrape of a single process reads it)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.token_requests = Counter(
            "tenantd_token_requests", "Token requests answered, by grant, endpoint and result (the AADSTS code; "
            "0: issued, -1: refused by a managed identity endpoint without one).",
            ["grant", "endpoint", "result"], registry=r)
        self.token_seconds = Histogram(
            "tenantd_token_request_duration_seconds", "Time to answer a token request, from its parsed head to "
            "its answer.", ["grant", "endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.identity_cache = Counter(
            "tenantd_managed_identity_token_cache", "Managed identity tokens answered from the token cache (hit) "
            "or newly signed (miss).", ["outcome"], registry=r)
        self.sign_in_queue = Gauge(
            "tenantd_sign_in_queue_depth", "Sign-in log rows waiting to be written, when the writer last woke, "
            "summed over the live workers.", multiprocess_mode="livesum", registry=r)
        self.sign_ins_dropped = Counter(
            "tenantd_sign_ins_dropped", "Sign-ins not recorded because too many log rows were open in memory.",
            registry=r)
        self.sign_ins_lost = Counter(
            "tenantd_sign_ins_lost", "Sign-ins whose log row the database did not take.", registry=r)
        self.database_errors = Counter(
            "tenantd_database_errors", "Database operations that failed as unavailable (answered 503), by the "
            "driver's error class.", ["error"], registry=r)
        self.database_retries = Counter(
            "tenantd_database_retries", "Work done again another way after a database refusal: a sign-in batch "
            "written row by row (sign_in_rows), a directory version read through the pool when its cheap read "
            "was busy (directory_version).", ["path"], registry=r)
        self._token_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._cache_outcomes = {hit: self.identity_cache.labels("hit" if hit else "miss") for hit in (True, False)}

    def token_request(self, grant: str, endpoint: str, result: int, seconds: float) -> None:
        """Count one answered token request. ``grant`` and ``endpoint`` must come from a fixed set and
        ``result`` from tenantd's own codes: every combination is a time series."""
        key = (grant, endpoint, result)
        children = self._token_children.get(key)
        if children is None:
            children = self._token_children.setdefault(key, (
                self.token_requests.labels(grant, endpoint, str(result)), self.token_seconds.labels(grant, endpoint)))
        children[0].inc()
        children[1].observe(seconds)

    def identity_cache_outcome(self, hit: bool) -> None:
        self._cache_outcomes[hit].inc()


@functools.cache
def instruments() -> Instruments:
    """This process's instruments (made anew by ``share_between_processes``: call this at each use)."""
    return Instruments()
