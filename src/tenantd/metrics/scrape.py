"""A scrape: every process's metrics (or this one's, when they are not shared) and the signing keys' ages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from .instruments import instruments
from .processes import shared_directory

CONTENT_TYPE = CONTENT_TYPE_LATEST


class _KeyAges:
    """Seconds since each tenant's active signing key began signing, read from the database at the scrape."""

    def __init__(self, ages: Iterable[tuple[str, float]]) -> None:
        self.ages = list(ages)

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("tenantd_signing_key_age_seconds", "Seconds since the tenant's active signing "
                                   "key began signing (the tenants with the oldest keys, at most 100).",
                                   labels=["tenant"])
        for tenant_id, age in self.ages:
            family.add_metric([tenant_id], age)
        yield family


def scrape(key_ages: Iterable[tuple[str, float]]) -> bytes:
    """The text exposition of every metric; ``key_ages`` are (tenant id, seconds) pairs."""
    directory = shared_directory()
    if directory:
        processes = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(processes, directory)
    else:
        processes = instruments().registry
    keys = CollectorRegistry(auto_describe=False)
    keys.register(_KeyAges(key_ages))
    return generate_latest(processes) + generate_latest(keys)
